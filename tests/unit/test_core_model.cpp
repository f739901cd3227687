// Directed tests of the golden model. The co-simulation holds the RTL to the
// same results, so these describe the board's behaviour too.
#include <doctest/doctest.h>

#include <cmath>

#include "spikelink/core_model.hpp"

using namespace spikelink::model;

namespace {

constexpr std::int16_t mv(double x) { return static_cast<std::int16_t>(x * 256); }

NeuronRegs lif(double tau_m = 20, double refrac = 2, double a_jump = 0, double tau_a = 100) {
  LifParams p;
  p.tau_m = tau_m;
  p.tau_refrac = refrac;
  p.a_jump = a_jump;
  p.tau_a = tau_a;
  return quantise(p).regs;
}

// Drives neuron 0 with one input event per timestep of `weight` on channel 0
// for `steps` timesteps; returns the spike times.
std::vector<std::uint64_t> drive(Core& core, std::int8_t weight, std::uint32_t steps) {
  core.set_weight(0, 0, weight);
  std::vector<std::uint64_t> times;
  for (std::uint32_t done = 0; done < steps;) {
    const std::uint32_t chunk = std::min<std::uint32_t>(200, steps - done);
    for (std::uint32_t k = 0; k < chunk; ++k) {
      REQUIRE(core.push_input(0, static_cast<std::uint32_t>(core.time() + k)));
    }
    core.step(chunk);
    done += chunk;
    for (const auto& s : core.take_spikes()) times.push_back(s.time);
  }
  return times;
}

Core single(const NeuronRegs& r) {
  Core core(CoreShape{8, 8, 256, 256});
  for (unsigned n = 0; n < 8; ++n) core.set_params(n, r);
  for (unsigned n = 0; n < 8; ++n) core.set_state(n, {r.v_rest, 0, 0});
  return core;
}

}  // namespace

TEST_CASE("core model: with no input the potential leaks to rest like exp(-t/tau_m)") {
  const auto r = lif(20);
  Core core = single(r);
  core.set_state(0, {mv(-55), 0, 0});
  for (int t = 1; t <= 100; ++t) {
    core.step();
    const double expect = -65.0 + 10.0 * std::exp(-t / 20.0);
    CHECK(std::abs(core.state(0).v / 256.0 - expect) < 0.1);
  }
  CHECK(core.take_spikes().empty());
  // Below rest it leaks up again, to within the leak's dead band: the
  // floored product stops moving v once |v_rest - v| * k_leak < 2^15.
  core.set_state(1, {mv(-75), 0, 0});
  core.step(400);
  const double band = 32768.0 / r.k_leak / 256.0;
  CHECK(core.state(1).v <= mv(-65));
  CHECK(-65.0 - core.state(1).v / 256.0 <= band);
}

TEST_CASE("core model: the f-I curve follows the analytic LIF rate") {
  // Per-step jump J mV after the leak is a current with R*I = J / k, k = 1 - exp(-dt/tau).
  const double tau = 20, refrac = 2, theta = 15.0;  // threshold 15 mV above rest and reset
  const auto r = lif(tau, refrac);
  const double k = -std::expm1(-1.0 / tau);
  int checked = 0;
  for (int w = 4; w <= 127; w += 3) {
    Core core = single(r);
    const auto times = drive(core, static_cast<std::int8_t>(w), 2000);
    const double ri = w * 0.25 / k;
    if (ri <= theta) {
      CHECK(times.empty());
      continue;
    }
    REQUIRE(times.size() >= 3);
    const double isi = static_cast<double>(times.back() - times.front()) / static_cast<double>(times.size() - 1);
    const double analytic = refrac + tau * std::log(ri / (ri - theta));
    CAPTURE(w);
    CAPTURE(isi);
    CAPTURE(analytic);
    // The board fires on whole timesteps: up to one step later than analytic.
    CHECK(isi >= analytic - 0.05);
    CHECK(isi <= analytic + 1.05);
    ++checked;
  }
  CHECK(checked > 20);
}

TEST_CASE("core model: refractoriness caps the rate at one spike per t_ref + 1 steps") {
  for (double refrac : {0.0, 1.0, 5.0}) {
    Core core = single(lif(20, refrac));
    const auto times = drive(core, 127, 300);
    REQUIRE(times.size() > 10);
    for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] == static_cast<std::uint64_t>(refrac) + 1);
  }
}

TEST_CASE("core model: while refractory the neuron holds v_reset and ignores input") {
  Core core = single(lif(20, 5));
  core.set_state(0, {mv(-65), 0, 3});
  core.set_weight(0, 0, 10);
  for (int i = 0; i < 3; ++i) {
    core.push_input(0, static_cast<std::uint32_t>(core.time()));
    core.step();
    CHECK(core.state(0).v == mv(-65));
    CHECK(core.state(0).r == 2 - i);
  }
  core.push_input(0, static_cast<std::uint32_t>(core.time()));
  core.step();
  CHECK(core.state(0).v > mv(-65));
}

TEST_CASE("core model: adaptation lowers the rate under constant drive") {
  Core plain = single(lif(20, 2));
  Core adapt = single(lif(20, 2, 2.0, 200));
  const auto a = drive(plain, 60, 3000);
  const auto b = drive(adapt, 60, 3000);
  REQUIRE(a.size() > 50);
  REQUIRE(b.size() > 5);
  CHECK(b.size() < a.size() * 3 / 4);
  // and the intervals lengthen as adaptation builds up
  CHECK(b[2] - b[1] < b[b.size() - 1] - b[b.size() - 2]);
  CHECK(adapt.state(0).a > 0);
}

TEST_CASE("core model: inhibition lowers the potential and silences a driven neuron") {
  Core core = single(lif(20, 2));
  core.set_weight(1, 0, -40);
  core.push_input(1, 0);
  core.step();
  CHECK(core.state(0).v == mv(-65) - 40 * 64);
  // Excitation 60 per step alone fires; with inhibition -60 on top it does not.
  Core alone = single(lif(20, 2));
  CHECK_FALSE(drive(alone, 60, 200).empty());
  Core both = single(lif(20, 2));
  both.set_weight(0, 0, 60);
  both.set_weight(1, 0, -60);
  for (std::uint32_t t = 0; t < 200; t += 100) {
    for (std::uint32_t k = 0; k < 100; ++k) {
      both.push_input(0, t + k);
      both.push_input(1, t + k);
    }
    both.step(100);
  }
  CHECK(both.take_spikes().empty());
  CHECK(both.counters().events == 400);
}

TEST_CASE("core model: a recurrent chain fires one neuron per timestep") {
  Core core(CoreShape{16, 8, 256, 256});
  const auto r = lif(20, 2);
  for (unsigned n = 0; n < 16; ++n) {
    core.set_params(n, r);
    core.set_state(n, {r.v_rest, 0, 0});
  }
  core.set_weight(0, 0, 127);                                        // input 0 -> neuron 0: 31.75 mV
  for (unsigned n = 0; n + 1 < 16; ++n) core.set_weight(8 + n, n + 1, 127);  // neuron n -> n+1
  core.push_input(0, 5);
  core.step(30);
  const auto spikes = core.take_spikes();
  REQUIRE(spikes.size() == 16);
  for (unsigned n = 0; n < 16; ++n) {
    CHECK(spikes[n].neuron == n);
    CHECK(spikes[n].time == 5 + n);
  }
  CHECK(core.counters().events == 17);
  CHECK(core.counters().sops == 17 * 16);
}

TEST_CASE("core model: input FIFO overflow is counted and costs only the dropped events") {
  const auto r = lif(20, 2);
  Core a = single(r), b = single(r);
  for (unsigned ch = 0; ch < 8; ++ch) {
    a.set_weight(ch, ch, 30);
    b.set_weight(ch, ch, 30);
  }
  for (std::uint32_t i = 0; i < 300; ++i) {
    const bool ok = a.push_input(static_cast<std::uint16_t>(i % 8), i / 8);
    CHECK(ok == (i < 256));
    if (i < 256) b.push_input(static_cast<std::uint16_t>(i % 8), i / 8);
  }
  CHECK(a.counters().in_dropped == 44);
  a.step(50);
  b.step(50);
  CHECK(a.take_spikes() == b.take_spikes());
  for (unsigned n = 0; n < 8; ++n) CHECK(a.state(n) == b.state(n));
}

TEST_CASE("core model: late events are applied at once and counted") {
  Core core = single(lif());
  core.set_weight(0, 0, 10);
  core.step(5);
  core.push_input(0, 3);
  core.push_input(0, 5);
  core.push_input(0, 6);
  core.step();
  CHECK(core.counters().late == 1);
  CHECK(core.counters().events == 2);  // the one for 6 waits
  core.step();
  CHECK(core.counters().events == 3);
}

TEST_CASE("core model: events far ahead wait, and serial time compares across the 16-bit wrap") {
  Core core = single(lif());
  core.set_weight(0, 0, 10);
  core.step(65530);
  core.push_input(0, 65540);  // kept as 4 (low 16 bits)
  core.step(10);              // timesteps 65530 .. 65539
  CHECK(core.counters().events == 0);
  core.step(1);               // 65540
  CHECK(core.counters().events == 1);
  CHECK(core.counters().late == 0);
}

TEST_CASE("core model: output FIFO overflow drops reports, not the spikes' effect") {
  const auto r = lif(20, 0);
  Core a = single(r), b = single(r);
  a.set_out_ready(false);
  for (unsigned n = 0; n < 8; ++n) {
    a.set_weight(0, n, 127);
    b.set_weight(0, n, 127);
  }
  for (std::uint32_t t = 0; t < 60; ++t) {
    a.push_input(0, t);
    b.push_input(0, t);
  }
  a.step(60);
  b.step(60);
  const auto all = b.take_spikes();
  CHECK(all.size() == 8 * 60);
  CHECK(a.counters().out_dropped == all.size() - 256);
  a.set_out_ready(true);
  const auto kept = a.take_spikes();
  CHECK(kept == std::vector<CoreSpike>(all.begin(), all.begin() + 256));
  for (unsigned n = 0; n < 8; ++n) CHECK(a.state(n) == b.state(n));
}

TEST_CASE("core model: accumulators saturate at the int16 limits and count it") {
  Core core(CoreShape{8, 256, 256, 256});
  const auto r = lif();
  auto eager = r;
  eager.v_thresh = mv(-100);  // fires every timestep
  eager.t_ref = 0;
  core.set_params(0, r);
  core.set_state(0, {r.v_rest, 0, 0});
  for (unsigned n = 1; n < 8; ++n) {
    core.set_params(n, eager);
    core.set_weight(256 + n, 0, 127);  // 7 recurrent sources
  }
  for (unsigned ch = 0; ch < 256; ++ch) {
    core.set_weight(ch, 0, 127);
    REQUIRE(core.push_input(static_cast<std::uint16_t>(ch), 1));
  }
  core.step(2);
  // t=1: 7 recurrent events (889), then inputs: 889 + 251 * 127 = 32766;
  // the 252nd to 256th clamp at 32767.
  CHECK(core.counters().acc_saturated == 5);
  CHECK(core.counters().in_dropped == 0);
  CHECK(core.take_spikes().front().neuron == 1);
}

TEST_CASE("core model: the host port maps params, weights and state as the RTL does") {
  Core core;
  core.write_mem(Space::kParams, 5 * 8 + 2, 0xFF00);
  CHECK(core.params(5).v_thresh == -256);
  core.write_mem(Space::kWeights, 3 * 128 + 10, 0x80FF);
  CHECK(core.weight(3, 20) == -1);
  CHECK(core.weight(3, 21) == -128);
  CHECK(core.read_mem(Space::kWeights, 3 * 128 + 10) == 0x80FF);
  core.write_mem(Space::kState, 7 * 4 + 0, 0x8000);
  core.write_mem(Space::kState, 7 * 4 + 2, 9);
  CHECK(core.state(7).v == -32768);
  CHECK(core.state(7).r == 9);
  CHECK(core.read_mem(Space::kState, 7 * 4 + 2) == 9);
  CHECK(core.read_mem(Space::kParams, 5 * 8 + 2) == 0xFF00);
  // Word 7 has no storage: writes are ignored, it reads 0, whichever way it is set.
  core.write_mem(Space::kParams, 5 * 8 + 7, 0xBEEF);
  CHECK(core.read_mem(Space::kParams, 5 * 8 + 7) == 0);
  CHECK(core.read_mem(Space::kParams, 5 * 8 + 2) == 0xFF00);
  NeuronRegs r = core.params(5);
  r.reserved = 0x5A5A;
  core.set_params(5, r);
  CHECK(core.params(5).reserved == 0);
  CHECK(core.read_mem(Space::kParams, 5 * 8 + 7) == 0);
}
