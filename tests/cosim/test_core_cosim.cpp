// Differential co-simulation of the neuron core: the RTL (rtl/core/, through
// Verilator) against the golden model (host/), on seeded random networks and
// input trains. They must agree on every output spike (neuron, timestep), on
// every neuron's final state, and on every counter.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>

#include "common/networks.hpp"
#include "core/core_sim.hpp"
#include "spikelink/core_model.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

void load_rtl(const Network& net, sim::CoreSim& rtl) {
  std::vector<std::uint16_t> words;
  words.reserve(65536);
  load_network(net, [&](unsigned space, std::uint32_t addr, std::uint16_t w) {
    if (space == 1) {
      REQUIRE(addr == words.size());  // weights come in address order
      words.push_back(w);
    } else {
      rtl.write_mem(space, addr, w);
    }
  });
  rtl.write_mem_burst(1, 0, words);
}

void load_model(const Network& net, model::Core& m) {
  load_network(net, [&](unsigned space, std::uint32_t addr, std::uint16_t w) {
    m.write_mem(static_cast<model::Space>(space), addr, w);
  });
}

// Runs both and compares everything observable.
void compare(const Network& net, sim::CoreSim& rtl, model::Core& m) {
  run_network(net, rtl);
  run_network(net, m);
  const auto rs = rtl.take_spikes();
  const auto ms = m.take_spikes();
  REQUIRE(rs.size() == ms.size());
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (rs[i].neuron != ms[i].neuron || rs[i].time != static_cast<std::uint32_t>(ms[i].time)) {
      FAIL("spike ", i, " differs: RTL neuron ", rs[i].neuron, " at ", rs[i].time, ", model neuron ", ms[i].neuron,
           " at ", ms[i].time);
    }
  }
  CHECK(rtl.time() == m.time());
  for (unsigned n = 0; n < net.neurons; ++n) {
    const auto st = m.state(n);
    const auto v = static_cast<std::int16_t>(rtl.read_mem(3, n * 4 + 0));
    const auto a = rtl.read_mem(3, n * 4 + 1);
    const auto r = rtl.read_mem(3, n * 4 + 2) & 0xFF;
    if (v != st.v || a != st.a || r != st.r) {
      FAIL("neuron ", n, " state differs: RTL v=", v, " a=", a, " r=", r, ", model v=", st.v, " a=", st.a,
           " r=", int{st.r});
    }
  }
  const auto k = rtl.counters();
  const auto& c = m.counters();
  CHECK(k.spikes == c.spikes);
  CHECK(k.events == c.events);
  CHECK(k.sops == static_cast<std::uint32_t>(c.sops));
  CHECK(k.late == c.late);
  CHECK(k.acc_saturated == c.acc_saturated);
  CHECK(k.in_dropped == c.in_dropped);
  CHECK(k.out_dropped == c.out_dropped);
}

NetworkSpec random_spec(std::uint64_t seed) {
  std::mt19937_64 rng(seed * 7919);
  auto pick = [&](unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); };
  NetworkSpec s;
  s.active_neurons = pick(1, 32) * 8;
  s.active_inputs = pick(1, 256);
  s.input_rate_hz = std::uniform_real_distribution<double>(1, 120)(rng);
  s.input_prob = std::uniform_real_distribution<double>(0.05, 1.0)(rng);
  s.recurrent_prob = std::uniform_real_distribution<double>(0.0, 0.3)(rng);
  const int strength = static_cast<int>(pick(1, 4));
  s.input_w_min = -8 * strength;
  s.input_w_max = 16 * strength;
  s.rec_w_min = -16 * strength;
  s.rec_w_max = 16 * strength;
  if (seed % 10 == 0) {  // every input every timestep at the largest weights: accumulators clamp
    s.active_inputs = 256;
    s.input_rate_hz = 1000;
    s.input_prob = 1.0;
    s.input_w_min = 100;
    s.input_w_max = 127;
    s.active_neurons = 256;
    s.recurrent_prob = 0.5;
    s.rec_w_min = 50;
    s.rec_w_max = 127;
  }
  s.random_params = seed % 3 != 0;
  s.random_state = seed % 2 == 0;
  s.steps = pick(200, 600);
  return s;
}

void random_networks(std::uint64_t first, std::uint64_t last) {
  sim::CoreSim rtl;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    CAPTURE(seed);
    const auto net = make_network(seed, random_spec(seed));
    rtl.clear();
    load_rtl(net, rtl);
    model::Core m;
    load_model(net, m);
    compare(net, rtl, m);
    if (seed % 10 == 0) CHECK(m.counters().acc_saturated > 0);
  }
}

}  // namespace

// 60 networks in six ctest entries, so two cores share them.
TEST_CASE("core: random networks 1-10, RTL equals the golden model") { random_networks(1, 10); }
TEST_CASE("core: random networks 11-20, RTL equals the golden model") { random_networks(11, 20); }
TEST_CASE("core: random networks 21-30, RTL equals the golden model") { random_networks(21, 30); }
TEST_CASE("core: random networks 31-40, RTL equals the golden model") { random_networks(31, 40); }
TEST_CASE("core: random networks 41-50, RTL equals the golden model") { random_networks(41, 50); }
TEST_CASE("core: random networks 51-60, RTL equals the golden model") { random_networks(51, 60); }

TEST_CASE("core: the reference workload (256 LIF, 256 Poisson inputs at 10 Hz) agrees for 1 s") {
  NetworkSpec spec;
  spec.steps = 1000;
  const auto net = make_network(1, spec);
  sim::CoreSim rtl;
  load_rtl(net, rtl);
  model::Core m;
  load_model(net, m);
  compare(net, rtl, m);
  CHECK(m.counters().spikes > 256);  // the network is active, not silent
}

TEST_CASE("core: input FIFO overflow is counted alike and corrupts nothing") {
  NetworkSpec spec;
  spec.steps = 0;
  auto net = make_network(77, spec);
  sim::CoreSim rtl;
  load_rtl(net, rtl);
  model::Core m;
  load_model(net, m);
  // 300 events for the next 100 timesteps pushed at once: 44 are dropped.
  for (std::uint32_t i = 0; i < 300; ++i) {
    const auto ch = static_cast<std::uint16_t>((i * 37) % 256);
    const bool a = rtl.push_input(ch, i / 3);
    const bool b = m.push_input(ch, i / 3);
    CHECK(a == b);
  }
  CHECK(rtl.counters().in_dropped == 44);
  net.steps = 120;
  net.spikes.clear();
  compare(net, rtl, m);
}

TEST_CASE("core: a stalled output drops reports alike, and the network runs on unchanged") {
  NetworkSpec spec;
  spec.input_rate_hz = 80;
  spec.input_w_max = 12;
  spec.steps = 300;
  const auto net = make_network(78, spec);
  sim::CoreSim rtl;
  load_rtl(net, rtl);
  model::Core m;
  load_model(net, m);
  rtl.set_out_ready(false);
  m.set_out_ready(false);
  compare(net, rtl, m);
  CHECK(m.counters().out_dropped > 0);
  rtl.set_out_ready(true);
  m.set_out_ready(true);
  auto later = net;
  later.spikes.clear();
  later.steps = 1;
  run_network(later, rtl);
  run_network(later, m);
  const auto rs = rtl.take_spikes();
  const auto ms = m.take_spikes();
  REQUIRE(rs.size() == ms.size());
  CHECK(rs.size() >= 256);  // the FIFO's 256 held reports come out
  for (std::size_t i = 0; i < rs.size(); ++i) {
    CHECK(rs[i].neuron == ms[i].neuron);
    CHECK(rs[i].time == static_cast<std::uint32_t>(ms[i].time));
  }
}

TEST_CASE("core: late events and events far ahead behave alike") {
  NetworkSpec spec;
  spec.steps = 0;
  auto net = make_network(79, spec);
  sim::CoreSim rtl;
  load_rtl(net, rtl);
  model::Core m;
  load_model(net, m);
  rtl.step(10);
  m.step(10);
  for (std::uint32_t t : {3u, 9u, 10u, 11u, 500u, 30000u}) {
    rtl.push_input(5, t);
    m.push_input(5, t);
  }
  net.steps = 600;
  net.spikes.clear();
  compare(net, rtl, m);
  CHECK(m.counters().late == 2);
  CHECK(m.counters().events >= 5);
}

TEST_CASE("core: the host port reads back parameters, weights and state as the model holds them") {
  sim::CoreSim rtl;
  model::Core m;
  std::mt19937_64 rng(90);
  auto word = [&] { return static_cast<std::uint16_t>(rng()); };
  for (int i = 0; i < 3000; ++i) {
    const unsigned space = std::array<unsigned, 3>{0, 1, 3}[rng() % 3];
    const std::uint32_t size = space == 0 ? 256 * 8 : space == 1 ? 512 * 128 : 256 * 4;
    const auto addr = static_cast<std::uint32_t>(rng() % size);
    auto w = word();
    if (space == 3 && addr % 4 == 3) continue;      // no fourth state word
    rtl.write_mem(space, addr, w);
    m.write_mem(static_cast<model::Space>(space), addr, w);
  }
  for (std::uint32_t a = 0; a < 256 * 8; ++a) CHECK(rtl.read_mem(0, a) == m.read_mem(model::Space::kParams, a));
  for (std::uint32_t a = 0; a < 256 * 4; a += 1) {
    if (a % 4 == 3) continue;
    CHECK(rtl.read_mem(3, a) == m.read_mem(model::Space::kState, a));
  }
  for (std::uint32_t a = 0; a < 512 * 128; a += 37) CHECK(rtl.read_mem(1, a) == m.read_mem(model::Space::kWeights, a));
}

TEST_CASE("core: the f-I curve on the RTL is the model's, and follows the analytic LIF rate") {
  model::LifParams p;  // tau_m 20 ms, theta 15 mV above rest and reset, 2 ms refractory
  const auto regs = model::quantise(p).regs;
  const double k = -std::expm1(-1.0 / p.tau_m);
  for (int w : {16, 24, 40, 80, 127}) {
    CAPTURE(w);
    NetworkSpec spec;
    spec.steps = 0;
    auto net = make_network(91, spec);
    std::fill(net.weights.begin(), net.weights.end(), std::int8_t{0});
    for (auto& r : net.params) r = regs;
    for (auto& st : net.initial) st = {regs.v_rest, 0, 0};
    net.weights[0 * net.neurons + 0] = static_cast<std::int8_t>(w);  // input 0 -> neuron 0
    net.steps = 1000;
    for (std::uint32_t t = 0; t < net.steps; ++t) net.spikes.push_back({t, 0});
    sim::CoreSim rtl;
    load_rtl(net, rtl);
    model::Core m;
    load_model(net, m);
    run_network(net, rtl);
    run_network(net, m);
    const auto rs = rtl.take_spikes();
    const auto ms = m.take_spikes();
    REQUIRE(rs.size() == ms.size());
    REQUIRE(rs.size() >= 3);
    for (std::size_t i = 0; i < rs.size(); ++i) CHECK(rs[i].time == static_cast<std::uint32_t>(ms[i].time));
    const double ri = w * 0.25 / k;
    const double analytic = p.tau_refrac + p.tau_m * std::log(ri / (ri - 15.0));
    const double isi = static_cast<double>(rs.back().time - rs.front().time) / static_cast<double>(rs.size() - 1);
    CHECK(isi >= analytic - 0.05);
    CHECK(isi <= analytic + 1.05);
  }
}

TEST_CASE("core: accumulators clamp alike in both directions") {
  for (int sign : {1, -1}) {
    CAPTURE(sign);
    NetworkSpec spec;
    spec.steps = 0;
    auto net = make_network(80, spec);
    std::fill(net.weights.begin(), net.weights.end(), std::int8_t{0});
    // Neurons 1..63 fire every timestep and all drive neuron 0, as do all
    // 256 inputs: 319 rows of the same sign into one accumulator.
    for (unsigned n = 1; n < 64; ++n) {
      net.params[n].v_thresh = -32768;
      net.params[n].t_ref = 0;
      net.weights[(256 + n) * 256 + 0] = static_cast<std::int8_t>(sign > 0 ? 127 : -128);
    }
    for (unsigned ch = 0; ch < 256; ++ch) net.weights[ch * 256 + 0] = static_cast<std::int8_t>(sign > 0 ? 127 : -128);
    net.steps = 5;
    for (std::uint32_t t = 0; t < net.steps; ++t) {
      for (std::uint16_t ch = 0; ch < 256; ++ch) net.spikes.push_back({t, ch});
    }
    sim::CoreSim rtl;
    load_rtl(net, rtl);
    model::Core m;
    load_model(net, m);
    compare(net, rtl, m);
    CHECK(m.counters().acc_saturated > 0);
  }
}

TEST_CASE("core: random sequences of host operations between timesteps keep RTL and model equal") {
  NetworkSpec spec;
  spec.active_neurons = 64;
  spec.active_inputs = 64;
  spec.input_w_max = 60;
  spec.recurrent_prob = 0.2;
  spec.rec_w_min = -40;
  spec.rec_w_max = 60;
  spec.random_params = true;
  spec.steps = 0;
  const auto net = make_network(81, spec);
  sim::CoreSim rtl;
  load_rtl(net, rtl);
  model::Core m;
  load_model(net, m);
  std::mt19937_64 rng(82);
  bool ready = true;
  std::vector<sim::CoreSpike> rtl_out;
  std::vector<model::CoreSpike> model_out;
  for (int op = 0; op < 1500; ++op) {
    CAPTURE(op);
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2: {  // events for now .. now + 20, in time order
        const auto now = static_cast<std::uint32_t>(m.time());
        std::uint32_t t = now;
        for (unsigned k = 0, n = static_cast<unsigned>(rng() % 40); k < n; ++k) {
          t += static_cast<std::uint32_t>(rng() % 2);
          const auto ch = static_cast<std::uint16_t>(rng() % 64);
          CHECK(rtl.push_input(ch, t) == m.push_input(ch, t));
        }
        break;
      }
      case 3:
      case 4:
      case 5: {
        const auto n = static_cast<std::uint32_t>(1 + rng() % 12);
        rtl.step(n);
        m.step(n);
        break;
      }
      case 6: {  // a weight word, often one of the active rows
        const auto addr = static_cast<std::uint32_t>((rng() % 2 ? rng() % (64 * 128) : (256 + rng() % 64) * 128 + rng() % 32));
        const auto w = static_cast<std::uint16_t>(rng());
        rtl.write_mem(1, addr, w);
        m.write_mem(model::Space::kWeights, addr, w);
        break;
      }
      case 7: {  // a parameter or state word of an active neuron
        const bool param = rng() % 2;
        const auto n = static_cast<std::uint32_t>(rng() % 64);
        const auto addr = param ? n * 8 + static_cast<std::uint32_t>(rng() % 8) : n * 4 + static_cast<std::uint32_t>(rng() % 3);
        const auto w = static_cast<std::uint16_t>(rng());
        rtl.write_mem(param ? 0 : 3, addr, w);
        m.write_mem(param ? model::Space::kParams : model::Space::kState, addr, w);
        break;
      }
      case 8:
        ready = !ready;
        rtl.set_out_ready(ready);
        m.set_out_ready(ready);
        // The model hands over what its FIFO held at once, the RTL one
        // report per clock: run a timestep on both so the RTL drains too.
        if (ready) {
          rtl.step(1);
          m.step(1);
        }
        break;
      default:
        if (rng() % 8 == 0) {
          rtl.clear();
          m.clear();
        }
        break;
    }
    // The RTL drains its output FIFO only while clocks run, the model at
    // once: compare the reports as they accumulate.
    for (const auto& x : rtl.take_spikes()) rtl_out.push_back(x);
    for (const auto& x : m.take_spikes()) model_out.push_back(x);
    const auto k = rtl.counters();
    const auto& c = m.counters();
    REQUIRE(k.spikes == c.spikes);
    REQUIRE(k.events == c.events);
    REQUIRE(k.late == c.late);
    REQUIRE(k.in_dropped == c.in_dropped);
    REQUIRE(k.out_dropped == c.out_dropped);
    REQUIRE(k.acc_saturated == c.acc_saturated);
    REQUIRE(rtl.time() == m.time());
  }
  rtl.set_out_ready(true);
  m.set_out_ready(true);
  rtl.step(1);
  m.step(1);
  for (const auto& x : rtl.take_spikes()) rtl_out.push_back(x);
  for (const auto& x : m.take_spikes()) model_out.push_back(x);
  REQUIRE(rtl_out.size() == model_out.size());
  CHECK(rtl_out.size() > 100);
  for (std::size_t i = 0; i < rtl_out.size(); ++i) {
    CHECK(rtl_out[i].neuron == model_out[i].neuron);
    CHECK(rtl_out[i].time == static_cast<std::uint32_t>(model_out[i].time));
  }
  for (unsigned n = 0; n < 256; ++n) {
    CHECK(static_cast<std::int16_t>(rtl.read_mem(3, n * 4)) == m.state(n).v);
    CHECK(rtl.read_mem(3, n * 4 + 1) == m.state(n).a);
  }
}
