// The neuron core (rtl/core/spl_core) through its harness: hand-computed
// timesteps, refractory hold, recurrent delay, every drop counter, real-time
// ticks and the clocks a timestep takes.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/core_sim.hpp"

namespace spikelink::rtl_test {
namespace {

using sim::CoreCounters;
using sim::CoreSim;
using sim::CoreSpike;
}  // namespace
}  // namespace spikelink::rtl_test

namespace doctest {
template <>
struct StringMaker<spikelink::sim::CoreCounters> {
  static String convert(const spikelink::sim::CoreCounters& c) {
    return ("{in_dropped " + std::to_string(c.in_dropped) + ", out_dropped " + std::to_string(c.out_dropped) +
            ", late " + std::to_string(c.late) + ", acc_saturated " + std::to_string(c.acc_saturated) +
            ", tick_overrun " + std::to_string(c.tick_overrun) + ", spikes " + std::to_string(c.spikes) +
            ", events " + std::to_string(c.events) + ", sops " + std::to_string(c.sops) + "}")
        .c_str();
  }
};
template <>
struct StringMaker<spikelink::sim::CoreSpike> {
  static String convert(const spikelink::sim::CoreSpike& s) {
    return ("(t " + std::to_string(s.time) + ", n " + std::to_string(s.neuron) + ")").c_str();
  }
};
}  // namespace doctest

namespace spikelink::rtl_test {
namespace {

constexpr unsigned kE = CoreSim::kInputs;

struct Params {
  int16_t v_rest = 0;
  int16_t v_reset = 0;
  int16_t v_thresh = 0;
  uint16_t k_leak = 0;
  uint8_t w_scale = 0;
  uint8_t t_ref = 0;
  uint16_t a_inc = 0;
  uint16_t k_adapt = 0;
};

void set_params(CoreSim& sim, unsigned n, const Params& p) {
  const uint16_t words[8] = {static_cast<uint16_t>(p.v_rest),
                             static_cast<uint16_t>(p.v_reset),
                             static_cast<uint16_t>(p.v_thresh),
                             p.k_leak,
                             static_cast<uint16_t>(p.w_scale | (p.t_ref << 8)),
                             p.a_inc,
                             p.k_adapt,
                             0};
  sim.write_mem_burst(0, n * 8, words);
}

// Sets W[s][n], keeping the other byte of the word.
void set_weight(CoreSim& sim, unsigned s, unsigned n, int8_t w) {
  const uint32_t addr = s * (CoreSim::kNeurons / 2) + n / 2;
  uint16_t word = sim.read_mem(1, addr);
  const auto byte = static_cast<uint16_t>(static_cast<uint8_t>(w));
  word = (n % 2 == 0) ? static_cast<uint16_t>((word & 0xFF00) | byte)
                      : static_cast<uint16_t>((word & 0x00FF) | (byte << 8));
  sim.write_mem(1, addr, word);
}

// All-zero parameters make every neuron fire every timestep (0 >= 0); the
// tests start from neurons that never reach their threshold instead.
void quiet(CoreSim& sim) {
  std::vector<uint16_t> words(CoreSim::kNeurons * 8, 0);
  for (unsigned n = 0; n < CoreSim::kNeurons; ++n) words[n * 8 + 2] = 0x7FFF;
  sim.write_mem_burst(0, 0, words);
}

int16_t v_of(CoreSim& sim, unsigned n) { return static_cast<int16_t>(sim.read_mem(3, n * 4 + 0)); }
uint16_t a_of(CoreSim& sim, unsigned n) { return sim.read_mem(3, n * 4 + 1); }
uint16_t r_of(CoreSim& sim, unsigned n) { return sim.read_mem(3, n * 4 + 2); }

TEST_CASE("core: memories read back what was written, state reads zero after clear") {
  CoreSim sim;
  quiet(sim);
  sim.write_mem(0, 5 * 8 + 2, 0x1234);
  sim.write_mem(1, 511 * 128 + 127, 0xBEEF);
  sim.write_mem(1, 0, 0x7F80);
  sim.write_mem(3, 9 * 4 + 0, 0xFF00);
  sim.write_mem(3, 9 * 4 + 1, 0x0102);
  sim.write_mem(3, 9 * 4 + 2, 0x0033);
  CHECK(sim.read_mem(0, 5 * 8 + 2) == 0x1234);
  CHECK(sim.read_mem(1, 511 * 128 + 127) == 0xBEEF);
  CHECK(sim.read_mem(1, 0) == 0x7F80);
  CHECK(sim.read_mem(1, 1) == 0);
  CHECK(v_of(sim, 9) == static_cast<int16_t>(0xFF00));
  CHECK(a_of(sim, 9) == 0x0102);
  CHECK(r_of(sim, 9) == 0x33);
  CHECK(sim.read_mem(3, 9 * 4 + 3) == 0);
  CHECK(sim.read_mem(2, 7) == 0);
  sim.clear();
  CHECK(v_of(sim, 9) == 0);
  CHECK(a_of(sim, 9) == 0);
  CHECK(r_of(sim, 9) == 0);
  CHECK(sim.read_mem(0, 5 * 8 + 2) == 0x1234);  // parameters stay
  CHECK(sim.read_mem(1, 0) == 0x7F80);          // weights stay
}

TEST_CASE("core: a neuron reaches threshold on the timestep computed by hand") {
  CoreSim sim;
  quiet(sim);
  // No leak; each event adds 10 * 64 = 640 LSB (2.5 mV); threshold 10 mV.
  set_params(sim, 7, Params{.v_thresh = 2560, .w_scale = 64});
  set_weight(sim, 3, 7, 10);
  for (uint32_t t = 0; t < 6; ++t) CHECK(sim.push_input(3, t));
  sim.step(3);
  CHECK(sim.take_spikes().empty());
  CHECK(v_of(sim, 7) == 1920);
  sim.step(1);  // t = 3: 2560 >= 2560
  CHECK(sim.take_spikes() == std::vector<CoreSpike>{{3, 7}});
  CHECK(v_of(sim, 7) == 0);
  sim.step(2);
  CHECK(v_of(sim, 7) == 1280);
  CHECK(sim.time() == 6);
  // Six inputs, and the spike of t = 3 swept at t = 4 (zero weights too).
  CHECK(sim.counters() == CoreCounters{.spikes = 1, .events = 7, .sops = 7 * 256});
}

TEST_CASE("core: leak, adaptation and the threshold follow the model's arithmetic") {
  CoreSim sim;
  quiet(sim);
  // v = -1000 leaks toward v_rest = 0 with k_leak = 0.5 (16384): -500, -250.
  set_params(sim, 0, Params{.v_thresh = 100, .k_leak = 16384, .a_inc = 1000, .k_adapt = 32768});
  sim.write_mem(3, 0, static_cast<uint16_t>(-1000));
  sim.write_mem(3, 1, 300);  // a = 300: threshold 400, decays to 150, then 75
  sim.step(1);
  CHECK(v_of(sim, 0) == -500);
  CHECK(a_of(sim, 0) == 150);
  // -1 leaks by floor(-1 * 16384 / 32768) = -1: arithmetic shift, not toward 0.
  sim.write_mem(3, 0, static_cast<uint16_t>(1));
  sim.step(1);
  CHECK(v_of(sim, 0) == 0);  // 1 + floor(-1 * 0.5) = 0
  CHECK(a_of(sim, 0) == 75);
  // Input of 400 LSB reaches thr = 100 + 75: spike, a = 75 - 37 + 1000.
  set_params(sim, 0, Params{.v_thresh = 100, .k_leak = 16384, .w_scale = 40, .a_inc = 1000, .k_adapt = 32768});
  set_weight(sim, 9, 0, 10);
  sim.push_input(9, 2);
  sim.step(1);
  CHECK(sim.take_spikes() == std::vector<CoreSpike>{{2, 0}});
  CHECK(a_of(sim, 0) == 1038);
}

TEST_CASE("core: a refractory neuron holds v_reset and ignores its input") {
  CoreSim sim;
  quiet(sim);
  set_params(sim, 1, Params{.v_reset = -1280, .v_thresh = 256, .w_scale = 255, .t_ref = 2});
  set_weight(sim, 0, 1, 127);
  for (uint32_t t = 0; t < 7; ++t) sim.push_input(0, t);
  sim.step(1);
  CHECK(r_of(sim, 1) == 2);
  sim.step(1);
  CHECK(v_of(sim, 1) == -1280);
  CHECK(r_of(sim, 1) == 1);
  sim.step(5);
  CHECK(sim.take_spikes() == std::vector<CoreSpike>{{0, 1}, {3, 1}, {6, 1}});
}

TEST_CASE("core: a recurrent spike arrives one timestep later") {
  CoreSim sim;
  quiet(sim);
  set_params(sim, 0, Params{.v_thresh = 256, .w_scale = 255});
  set_params(sim, 200, Params{.v_thresh = 256, .w_scale = 255});
  set_weight(sim, 4, 0, 100);
  set_weight(sim, kE + 0, 200, 100);
  sim.push_input(4, 0);
  sim.step(4);
  CHECK(sim.take_spikes() == std::vector<CoreSpike>{{0, 0}, {1, 200}});
  // The input, neuron 0 at t = 1, neuron 200 at t = 2.
  CHECK(sim.counters() == CoreCounters{.spikes = 2, .events = 3, .sops = 3 * 256});
}

TEST_CASE("core: recurrent spikes sweep before inputs, and the accumulator clamps in that order") {
  CoreSim sim;
  quiet(sim);
  // Every neuron spikes at t = 0 (threshold -32768). At t = 1 neuron 0 gets
  // 256 * 127 = 32512 from them, then 10 inputs of 127: the third clamps,
  // and so do the seven after it.
  for (unsigned n = 0; n < 256; ++n) {
    set_params(sim, n, Params{.v_thresh = static_cast<int16_t>(-32768)});
    set_weight(sim, kE + n, 0, 127);
  }
  sim.step(1);
  set_params(sim, 0, Params{.v_thresh = 32767, .w_scale = 1});
  for (unsigned n = 1; n < 256; ++n) set_params(sim, n, Params{.v_thresh = 32767});
  for (uint16_t ch = 0; ch < 10; ++ch) {
    set_weight(sim, ch, 0, 127);
    sim.push_input(ch, 1);
  }
  sim.step(1);
  CHECK(sim.counters().acc_saturated == 8);
  auto spikes = sim.take_spikes();
  REQUIRE(spikes.size() == 257);
  CHECK(spikes.back() == CoreSpike{1, 0});  // sat16(I * 1) = 32767 reaches 32767
  CHECK(sim.counters().events == 256 + 10);
  CHECK(sim.counters().sops == (256 + 10) * 256);
}

TEST_CASE("core: recurrent rows swept ahead and in batches keep the spec's order") {
  CoreSim sim;
  quiet(sim);
  // Neurons 1..255 spike at t = 0 (threshold -32768) and then stay
  // refractory; neuron 0 never spikes and keeps its input as v (w_scale 1,
  // no leak). At t = 1 it gets 255 * 127 = 32385 from them, then inputs
  // +127 x 4 (the fourth clamps at 32767) and -128 x 4: v = 32255, one
  // clamp. Inputs first would give 32381 and none. The weights are all set
  // before the run: some rows are swept during the update of t = 0, the
  // rest in batches with the inputs at t = 1.
  set_params(sim, 0, Params{.v_thresh = 32767, .w_scale = 1});
  for (unsigned n = 1; n < 256; ++n) {
    set_params(sim, n, Params{.v_thresh = static_cast<int16_t>(-32768), .t_ref = 255});
    set_weight(sim, kE + n, 0, 127);
  }
  for (uint16_t ch = 0; ch < 8; ++ch) {
    set_weight(sim, ch, 0, ch < 4 ? int8_t{127} : int8_t{-128});
    sim.push_input(ch, 1);
  }
  sim.step(1);
  // The rows swept ahead for t = 1 are not counted before t = 1 runs.
  CHECK(sim.counters().events == 0);
  CHECK(sim.counters().spikes == 255);
  sim.step(1);
  CHECK(v_of(sim, 0) == 32255);
  CHECK(sim.counters().acc_saturated == 1);
  CHECK(sim.counters().events == 255 + 8);
  CHECK(sim.counters().sops == (255 + 8) * 256);
}

TEST_CASE("core: a weight written between timesteps reaches the recurrent sweep already done ahead") {
  CoreSim sim;
  quiet(sim);
  set_params(sim, 0, Params{.v_thresh = 32767, .w_scale = 1});
  set_params(sim, 1, Params{.v_thresh = static_cast<int16_t>(-32768), .t_ref = 255});
  set_weight(sim, kE + 1, 0, 50);
  sim.step(1);  // neuron 1 spikes; its row for t = 1 is swept with the old weight
  CHECK(sim.counters().events == 0);
  set_weight(sim, kE + 1, 0, 100);
  sim.step(1);
  CHECK(v_of(sim, 0) == 100);
  CHECK(sim.counters() == CoreCounters{.spikes = 1, .events = 1, .sops = 256});
  sim.step(1);  // nothing left over
  CHECK(v_of(sim, 0) == 100);
  CHECK(sim.counters().events == 1);
}

TEST_CASE("core: of 256 recurrent rows and 256 inputs due, 511 are swept and the last waits a timestep, late") {
  CoreSim sim;
  quiet(sim);
  // All neurons spike at t = 0 and stay refractory. Neuron 0 gets 127 from
  // each of the 256 spikes (32512), then 127 from each of the inputs: the
  // third input clamps, and so do the ones after it.
  for (unsigned n = 0; n < 256; ++n) {
    set_params(sim, n, Params{.v_thresh = static_cast<int16_t>(-32768), .t_ref = 5});
    set_weight(sim, kE + n, 0, 127);
  }
  for (uint16_t ch = 0; ch < 256; ++ch) {
    set_weight(sim, ch, 0, 127);
    CHECK(sim.push_input(ch, 1));
  }
  sim.step(1);
  // A weight write (same value) makes t = 1 sweep all 256 spikes again, in
  // one pass with the inputs: 511 rows, the most a timestep sweeps.
  set_weight(sim, kE + 0, 0, 127);
  sim.step(1);
  CHECK(sim.counters().events == 511);
  CHECK(sim.counters().acc_saturated == 253);
  CHECK(sim.counters().late == 0);
  // The 256th input is swept at t = 2, late, into a fresh accumulator.
  sim.step(1);
  CHECK(sim.counters().events == 512);
  CHECK(sim.counters().sops == 512 * 256);
  CHECK(sim.counters().acc_saturated == 253);
  CHECK(sim.counters().late == 1);
}

TEST_CASE("core: a full input FIFO drops and counts") {
  CoreSim sim;
  quiet(sim);
  unsigned accepted = 0;
  for (unsigned i = 0; i < 300; ++i) accepted += sim.push_input(static_cast<uint16_t>(i % 256), 1000) ? 1u : 0u;
  CHECK(accepted == 256);
  CHECK(sim.counters().in_dropped == 44);
  sim.clear();
  CHECK(sim.push_input(1, 0));
  CHECK(sim.counters().in_dropped == 0);
}

TEST_CASE("core: a stalled output drops reports, the neurons run on unchanged") {
  auto setup = [](CoreSim& sim) {
    for (unsigned n = 0; n < 256; ++n) {
      set_params(sim, n, Params{.v_thresh = static_cast<int16_t>(-32768), .a_inc = 100, .k_adapt = 6000});
    }
  };
  CoreSim stalled;
  CoreSim free;
  setup(stalled);
  setup(free);
  stalled.set_out_ready(false);
  stalled.step(3);
  free.step(3);
  CHECK(stalled.counters().out_dropped == 2u * 256u);
  CHECK(stalled.counters().spikes == 3u * 256u);
  CHECK(free.counters().out_dropped == 0);
  CHECK(stalled.take_spikes().empty());
  for (unsigned n = 0; n < 256; n += 17) {
    CHECK(a_of(stalled, n) == a_of(free, n));
    CHECK(v_of(stalled, n) == v_of(free, n));
  }
  // The 256 held reports are those of timestep 0, in neuron order.
  stalled.set_out_ready(true);
  stalled.step(1);
  const auto spikes = stalled.take_spikes();
  REQUIRE(spikes.size() == 512);
  CHECK(spikes[0] == CoreSpike{0, 0});
  CHECK(spikes[255] == CoreSpike{0, 255});
  CHECK(spikes[256] == CoreSpike{3, 0});
}

TEST_CASE("core: late events apply now and count, later ones wait at the head") {
  CoreSim sim;
  quiet(sim);
  sim.step(5);
  CHECK(sim.push_input(2, 2));   // late
  CHECK(sim.push_input(2, 5));   // due
  CHECK(sim.push_input(2, 7));   // waits
  CHECK(sim.push_input(2, 6));   // behind the one for 7: waits for it
  sim.step(1);
  CHECK(sim.counters().late == 1);
  CHECK(sim.counters().events == 2);
  sim.step(1);  // t = 6: the head is for 7, so nothing
  CHECK(sim.counters().events == 2);
  sim.step(1);  // t = 7: both, the one for 6 late
  CHECK(sim.counters().events == 4);
  CHECK(sim.counters().late == 2);
  // Serial arithmetic on 16 bits: 32767 ahead waits, 32768 ahead is late.
  sim.push_input(3, 8 + 32767);
  sim.step(1);
  CHECK(sim.counters().events == 4);
  sim.clear();
  sim.push_input(3, 32768);
  sim.step(1);
  CHECK(sim.counters().late == 1);
}

TEST_CASE("core: real-time ticks start timesteps, ticks during a timestep count overrun") {
  CoreSim sim;
  quiet(sim);
  sim.run_realtime(1000, 10'000);
  CHECK(sim.time() == 10);
  CHECK(sim.counters().tick_overrun == 0);
  // 100 clocks per tick is shorter than a timestep: after the first tick
  // the core stays busy, every later tick is owed and counted.
  sim.run_realtime(100, 1000);
  CHECK(sim.time() == 20);
  CHECK(sim.counters().tick_overrun == 9);
}

TEST_CASE("core: clocks per timestep, idle and with five events") {
  CoreSim sim;
  quiet(sim);
  uint64_t c0 = sim.cycles();
  sim.step(100);
  const double idle = static_cast<double>(sim.cycles() - c0) / 100.0;
  uint64_t stepping = 0;
  for (uint32_t t = 100; t < 200; ++t) {
    for (uint16_t ch = 0; ch < 5; ++ch) sim.push_input(ch, t);
    c0 = sim.cycles();
    sim.step(1);
    stepping += sim.cycles() - c0;
  }
  const double busy = static_cast<double>(stepping) / 100.0;
  MESSAGE("clocks per timestep: idle ", idle, ", five events ", busy);
  CHECK(sim.counters().events == 500);
  // The learning engine's part: about four clocks a timestep (dispatch and
  // one scrubbed history word) and two a delivery (its history), in static
  // mode too, since histories are recorded in every mode.
  CHECK(idle <= 269);
  CHECK(busy <= 293);
}


TEST_CASE("core: a clear in the middle of a timestep leaves no report, count or recurrent row behind") {
  CoreSim sim;  // all-zero parameters: every neuron fires every timestep
  for (uint64_t offset = 0; offset < 900; offset += 3) {
    CAPTURE(offset);
    sim.start_steps(3);
    sim.run_cycles(offset);
    sim.clear();
    (void)sim.take_spikes();
    const auto k = sim.counters();
    CHECK(k.spikes == 0);
    CHECK(k.events == 0);
    CHECK(k.out_dropped == 0);
    CHECK(sim.time() == 0);
    sim.step(1);
    CHECK(sim.take_spikes().size() == CoreSim::kNeurons);
    CHECK(sim.counters().events == 0);  // nothing swept: no row survived the clear
    CHECK(sim.counters().spikes == CoreSim::kNeurons);
    sim.clear();
  }
}

TEST_CASE("core: a long run of timesteps is not taken for a stuck core") {
  CoreSim sim;
  quiet(sim);
  sim.step(40000);  // about 10.6 M clocks, beyond the harness's no-progress limit
  CHECK(sim.time() == 40000);
}

}  // namespace
}  // namespace spikelink::rtl_test
