// Seeded random networks for the neuron core, shared by the co-simulation
// tests and bench/core. A network is register-level: what the host writes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "spikelink/core_model.hpp"

namespace spikelink::testing {

struct InputSpike {
  std::uint32_t time;
  std::uint16_t channel;
};

struct Network {
  unsigned neurons = 256;  // the core's size (all are written)
  unsigned inputs = 256;
  std::vector<model::NeuronRegs> params;
  std::vector<model::NeuronState> initial;
  std::vector<std::int8_t> weights;  // [source][neuron], sources = inputs + neurons
  std::vector<InputSpike> spikes;    // sorted by time
  std::uint32_t steps = 0;
};

struct NetworkSpec {
  unsigned active_neurons = 256;  // the rest have no synapses
  unsigned active_inputs = 256;
  double input_rate_hz = 10;      // Poisson, 1 ms timesteps
  double input_prob = 1.0;        // input -> neuron connection probability
  double recurrent_prob = 0.1;
  int input_w_min = 0, input_w_max = 2;
  int rec_w_min = -6, rec_w_max = 6;
  bool random_params = false;     // vary tau_m, thresholds, refractory, adaptation
  bool random_state = false;      // start from random v, a, r
  std::uint32_t steps = 1000;
};

inline Network make_network(std::uint64_t seed, const NetworkSpec& spec) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto coin = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  auto wint = [&](int lo, int hi) { return static_cast<std::int8_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  Network net;
  net.steps = spec.steps;
  const unsigned n_all = net.neurons;
  net.params.resize(n_all);
  net.initial.resize(n_all);
  for (unsigned n = 0; n < n_all; ++n) {
    model::LifParams p;
    if (spec.random_params) {
      p.tau_m = uni(2, 100);
      p.v_rest = uni(-75, -55);
      p.v_reset = p.v_rest + uni(-10, 5);
      p.v_thresh = p.v_rest + uni(2, 25);
      p.tau_refrac = std::floor(uni(0, 6));
      p.a_jump = coin(0.5) ? uni(0, 5) : 0;
      p.tau_a = uni(10, 1000);
      p.weight_unit = uni(0.05, 0.9);
    }
    net.params[n] = model::quantise(p).regs;
    auto& st = net.initial[n];
    st.v = net.params[n].v_rest;
    if (spec.random_state) {
      st.v = static_cast<std::int16_t>(std::uniform_int_distribution<int>(-80 * 256, -40 * 256)(rng));
      st.a = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 5 * 256)(rng));
      st.r = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 3)(rng));
    }
  }
  const unsigned sources = net.inputs + n_all;
  net.weights.assign(static_cast<std::size_t>(sources) * n_all, 0);
  for (unsigned s = 0; s < sources; ++s) {
    const bool is_input = s < net.inputs;
    if (is_input && s >= spec.active_inputs) continue;
    if (!is_input && s - net.inputs >= spec.active_neurons) continue;
    for (unsigned n = 0; n < spec.active_neurons; ++n) {
      if (!is_input && s - net.inputs == n) continue;
      if (!coin(is_input ? spec.input_prob : spec.recurrent_prob)) continue;
      net.weights[s * n_all + n] =
          is_input ? wint(spec.input_w_min, spec.input_w_max) : wint(spec.rec_w_min, spec.rec_w_max);
    }
  }
  const double p_spike = spec.input_rate_hz / 1000.0;
  for (std::uint32_t t = 0; t < spec.steps; ++t) {
    for (unsigned ch = 0; ch < spec.active_inputs; ++ch) {
      if (coin(p_spike)) net.spikes.push_back({t, static_cast<std::uint16_t>(ch)});
    }
  }
  return net;
}

// Writes a network through a core's host port: write(space, addr, word).
template <class Write>
void load_network(const Network& net, Write&& write) {
  for (unsigned n = 0; n < net.neurons; ++n) {
    const auto words = model::to_words(net.params[n]);
    for (unsigned p = 0; p < model::kParamWords; ++p) write(0u, n * model::kParamWords + p, words[p]);
    write(3u, n * 4 + 0, static_cast<std::uint16_t>(net.initial[n].v));
    write(3u, n * 4 + 1, net.initial[n].a);
    write(3u, n * 4 + 2, net.initial[n].r);
  }
  const unsigned per_row = net.neurons / 2;
  const unsigned sources = net.inputs + net.neurons;
  for (unsigned s = 0; s < sources; ++s) {
    for (unsigned k = 0; k < per_row; ++k) {
      const auto lo = static_cast<std::uint8_t>(net.weights[s * net.neurons + 2 * k]);
      const auto hi = static_cast<std::uint8_t>(net.weights[s * net.neurons + 2 * k + 1]);
      write(1u, s * per_row + k, static_cast<std::uint16_t>(lo | (hi << 8)));
    }
  }
}

// Runs a network timestep by timestep: the inputs of timestep t are pushed
// just before it runs. Works for the model and the RTL harness alike.
template <class CoreT>
void run_network(const Network& net, CoreT& core) {
  std::size_t next = 0;
  for (std::uint32_t t = 0; t < net.steps; ++t) {
    while (next < net.spikes.size() && net.spikes[next].time == t) {
      core.push_input(net.spikes[next].channel, t);
      ++next;
    }
    core.step(1);
  }
}

}  // namespace spikelink::testing
