// Differential co-simulation of plastic networks: the RTL's learning engine
// against the golden model (docs/plasticity.md). They must agree on every
// spike, every synapse level at the end, and every counter, with device
// variability on and off.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "common/networks.hpp"
#include "core/core_sim.hpp"
#include "spikelink/core_model.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

struct PlasticSetup {
  std::vector<std::pair<std::uint32_t, std::uint16_t>> regs;  // space 2 writes, in order
};

// Turns a random static network into a plastic one: groups 0 static
// excitatory, 1 STDP, 2 rate rule, 3 static inhibitory; curved device tables;
// rate slots on eight sources; variability as asked.
PlasticSetup make_plastic(Network& net, std::uint64_t seed, bool variability) {
  std::mt19937_64 rng(seed * 104729);
  PlasticSetup p;
  p.regs.emplace_back(0x000, 0x3);  // plastic, learning on
  if (variability) {
    p.regs.emplace_back(0x001, static_cast<std::uint16_t>(rng() | 1));
    p.regs.emplace_back(0x002, static_cast<std::uint16_t>(rng()));
    p.regs.emplace_back(0x003, static_cast<std::uint16_t>(rng()));
    p.regs.emplace_back(0x004, static_cast<std::uint16_t>(rng()));
    p.regs.emplace_back(0x005, static_cast<std::uint16_t>((16 + rng() % 64) | ((16 + rng() % 64) << 8)));
  }
  const std::uint16_t rules[4] = {0x0, 0x1, 0x2, 0x4};  // static, STDP, rate, static inhibitory
  for (unsigned g = 0; g < 4; ++g) {
    const unsigned levels = g == 1 ? 64 : 32 + static_cast<unsigned>(rng() % 33);
    p.regs.emplace_back(0x010 + 8 * g, static_cast<std::uint16_t>(rules[g] | ((levels - 1) << 8)));
    p.regs.emplace_back(0x011 + 8 * g, static_cast<std::uint16_t>(20 + rng() % 100));
    p.regs.emplace_back(0x012 + 8 * g, static_cast<std::uint16_t>(5 + rng() % 40));
    p.regs.emplace_back(0x013 + 8 * g, static_cast<std::uint16_t>(200 + rng() % 900));
    p.regs.emplace_back(0x014 + 8 * g, static_cast<std::uint16_t>((4 + rng() % 10) | ((1 + rng() % 3) << 8)));
    const double b = static_cast<double>(rng() % 5);
    for (unsigned l = 0; l < 64; ++l) {
      const double x = l / 63.0;
      const auto pot = static_cast<unsigned>(std::min(255.0, 24 * std::exp(-b * x) + static_cast<double>(rng() % 4)));
      const auto dep = static_cast<unsigned>(std::min(255.0, 24 * std::exp(-b * (1 - x)) + static_cast<double>(rng() % 4)));
      p.regs.emplace_back(0x100 + 64 * g + l, static_cast<std::uint16_t>(pot | (dep << 8)));
    }
  }
  for (unsigned k = 0; k < 8; ++k) {
    p.regs.emplace_back(0x040 + k, static_cast<std::uint16_t>(0x8000 | (rng() % 64)));
  }
  for (auto& w : net.weights) {
    if (w == 0) continue;
    const unsigned g = static_cast<unsigned>(rng() % 4);
    const unsigned level = static_cast<unsigned>(rng() % 32);
    w = static_cast<std::int8_t>(model::synapse_byte(g, level));
  }
  return p;
}

void load_both(const Network& net, const PlasticSetup& p, sim::CoreSim& rtl, model::Core& m) {
  std::vector<std::uint16_t> words;
  load_network(net, [&](unsigned space, std::uint32_t addr, std::uint16_t w) {
    m.write_mem(static_cast<model::Space>(space), addr, w);
    if (space == 1) {
      words.push_back(w);
    } else {
      rtl.write_mem(space, addr, w);
    }
  });
  rtl.write_mem_burst(1, 0, words);
  for (const auto& [addr, w] : p.regs) {
    rtl.write_mem(2, addr, w);
    m.write_mem(model::Space::kPlasticity, addr, w);
  }
}

void compare_all(const Network& net, sim::CoreSim& rtl, model::Core& m) {
  run_network(net, rtl);
  run_network(net, m);
  const auto rs = rtl.take_spikes();
  const auto ms = m.take_spikes();
  REQUIRE(rs.size() == ms.size());
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (rs[i].neuron != ms[i].neuron || rs[i].time != static_cast<std::uint32_t>(ms[i].time)) {
      FAIL("spike ", i, " differs: RTL ", rs[i].neuron, "@", rs[i].time, ", model ", ms[i].neuron, "@", ms[i].time);
    }
  }
  const auto k = rtl.counters();
  const auto& c = m.counters();
  CHECK(k.pulses_pot == c.pulses_pot);
  CHECK(k.pulses_dep == c.pulses_dep);
  CHECK(k.rate_unslotted == c.rate_unslotted);
  CHECK(k.spikes == c.spikes);
  CHECK(k.sops == static_cast<std::uint32_t>(c.sops));
  std::size_t differing = 0;
  for (std::uint32_t a = 0; a < 512 * 128; ++a) {
    if (rtl.read_mem(1, a) != m.read_mem(model::Space::kWeights, a)) ++differing;
  }
  CHECK_MESSAGE(differing == 0, differing, " synapse words differ at the end");
  for (unsigned n = 0; n < net.neurons; ++n) {
    CHECK(static_cast<std::int16_t>(rtl.read_mem(3, n * 4)) == m.state(n).v);
  }
}

void plastic_networks(std::uint64_t first, std::uint64_t last, bool variability) {
  std::uint64_t pulses = 0;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    CAPTURE(seed);
    NetworkSpec spec;
    spec.active_neurons = 32 + 8 * static_cast<unsigned>(seed % 12);
    spec.active_inputs = 64;
    spec.input_rate_hz = 20 + 5.0 * static_cast<double>(seed % 7);
    spec.input_prob = 0.3;
    spec.input_w_max = 40;
    spec.recurrent_prob = 0.1;
    spec.steps = 600;
    auto net = make_network(seed, spec);
    const auto p = make_plastic(net, seed, variability);
    sim::CoreSim rtl;
    model::Core m;
    load_both(net, p, rtl, m);
    compare_all(net, rtl, m);
    pulses += m.counters().pulses_pot + m.counters().pulses_dep;
  }
  CHECK(pulses > 100);  // the networks really learn
}

}  // namespace

TEST_CASE("plastic: random plastic networks, variability off, RTL equals the model") { plastic_networks(1, 6, false); }
TEST_CASE("plastic: random plastic networks, variability on, RTL equals the model") { plastic_networks(7, 12, true); }
