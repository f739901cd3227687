// Network configurations (docs/config.md): parsing, every validation error
// with its file:line:column, compiling for a board's shape, and the input
// generators.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>

#include "spikelink/config.hpp"
#include "spikelink/spike_file.hpp"

using namespace spikelink;
using config::Error;

namespace {

const char* kBase = R"(name: base
seed: 7
neurons:
  exc: {size: 4, tau_m: 20 ms, v_rest: -65 mV, v_thresh: -50 mV, weight_unit: 0.25 mV}
  inh: {size: 2}
inputs:
  drive: {size: 3, poisson: {rate: 20 Hz}}
connections:
  - {from: drive, to: exc, weight: 2 mV}
  - {from: exc, to: inh, weight: 1 mV}
duration: 1 s
)";

config::Config parse(const std::string& yaml) { return config::parse(yaml, "net.yaml", "."); }

// The error a configuration gives: its position and message.
struct Failure {
  int line = 0, column = 0;
  std::string message;
};
Failure failure(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const Error& e) {
    CHECK(e.where().file == "net.yaml");
    return {e.where().line, e.where().column, e.message()};
  }
  FAIL("the configuration was accepted: " << yaml);
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

config::BoardShape board256() { return {256, 256, 64}; }

}  // namespace

TEST_CASE("config: a valid network parses with physical units converted and neurons allocated in order") {
  const auto c = parse(kBase);
  CHECK(c.name == "base");
  CHECK(c.seed == 7);
  REQUIRE(c.populations.size() == 2);
  CHECK(c.populations[0].first == 0);
  CHECK(c.populations[1].first == 4);
  CHECK(c.populations[0].params.tau_m == doctest::Approx(20));
  CHECK(c.populations[0].params.v_reset == doctest::Approx(-65));  // defaults to v_rest
  CHECK(c.inputs[0].generator.kind == config::Generator::Kind::kPoisson);
  CHECK(c.inputs[0].generator.rate_hz == doctest::Approx(20));
  CHECK(c.total_steps() == 1000);
  CHECK(c.neurons_used() == 6);
  CHECK(c.inputs_used() == 3);
  // Units: seconds and volts convert, a bare number is in the base unit.
  const auto u = parse(R"(neurons:
  a: {tau_m: 0.02 s, v_rest: -0.065 V, v_thresh: -50, tau_refrac: 2000 us}
duration: 2 min
)");
  CHECK(u.populations[0].params.tau_m == doctest::Approx(20));
  CHECK(u.populations[0].params.v_rest == doctest::Approx(-65));
  CHECK(u.populations[0].params.v_thresh == doctest::Approx(-50));
  CHECK(u.populations[0].params.tau_refrac == doctest::Approx(2));
  CHECK(u.total_steps() == 120000);
}

TEST_CASE("config: the quantisation of every neuron parameter and weight is reported") {
  const auto c = parse(kBase);
  const auto plan = config::compile(c, board256(), "sim://");
  bool tau = false, weight = false;
  for (const auto& q : plan.quantisation) {
    if (q.what == "exc.tau_m") {
      tau = true;
      CHECK(q.requested == doctest::Approx(20));
      CHECK(std::abs(q.realised - 20) < 0.05);
    }
    if (contains(q.what, "connections[0]")) {
      weight = true;
      CHECK(q.unit == "mV");
      CHECK(q.realised == doctest::Approx(2.0));  // 8 units of 0.25 mV
    }
  }
  CHECK(tau);
  CHECK(weight);
  // 4 x 3 + 2 x 4 synapses, static: signed weight codes.
  CHECK(plan.synapses == 20);
  CHECK(plan.plastic.empty());
  const unsigned N = 256, E = 256;
  CHECK(plan.network.weights.size() == (N + E) * N);
  CHECK(static_cast<std::int8_t>(plan.network.weights[0 * N + 0]) == 8);       // drive[0] -> exc[0]
  CHECK(static_cast<std::int8_t>(plan.network.weights[(E + 3) * N + 5]) == 4);  // exc[3] -> inh[1]
  CHECK(plan.network.weights[3 * N + 0] == 0);                                   // no drive[3]
  // A board with plasticity is told the network is static.
  REQUIRE(plan.network.plasticity);
  CHECK_FALSE(plan.network.plasticity->plastic);
  // Neurons outside the network never fire: their threshold is out of reach.
  CHECK(plan.network.neurons.size() == N);
  CHECK(plan.network.neurons[6].v_thresh == INT16_MAX);
}

TEST_CASE("config: YAML syntax errors give the parser's position") {
  const auto f = failure("neurons:\n  a: {size: 1\nduration: 1 s\n");
  CHECK(f.line >= 2);
  CHECK(contains(f.message, "not valid YAML"));
}

TEST_CASE("config: unknown keys are errors at their position, with the nearest known key") {
  auto f = failure("neurons:\n  a: {tau_n: 20 ms}\nduration: 1 s\n");
  CHECK(f.line == 2);
  CHECK(f.column == 7);
  CHECK(contains(f.message, "unknown key 'tau_n'"));
  CHECK(contains(f.message, "did you mean 'tau_m'?"));
  f = failure("neurons:\n  a:\ndurration: 1 s\n");
  CHECK(f.line == 3);
  CHECK(f.column == 1);
  CHECK(contains(f.message, "did you mean 'duration'?"));
  f = failure("neurons:\n  a:\ninputs:\n  x: {poison: {rate: 1 Hz}}\nduration: 1 s\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "did you mean 'poisson'?"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, weight: 1 mV, patern: all_to_all}\nduration: 1 s\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "did you mean 'pattern'?"));
  f = failure("neurons:\n  a:\nduration: 1 s\nrecord: {spike: all}\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "did you mean 'spikes'?"));
}

TEST_CASE("config: wrong types are errors at the value") {
  auto f = failure("neurons:\n  a: {size: many}\nduration: 1 s\n");
  CHECK(f.line == 2);
  CHECK(f.column == 13);
  CHECK(contains(f.message, "neurons.a.size must be a whole number, not 'many'"));
  f = failure("neurons:\n  a: {tau_m: [1, 2]}\nduration: 1 s\n");
  CHECK(f.line == 2);
  CHECK(contains(f.message, "neurons.a.tau_m must be a value such as '20 ms'"));
  f = failure("neurons: [a, b]\nduration: 1 s\n");
  CHECK(f.line == 1);
  CHECK(contains(f.message, "neurons must be a mapping"));
  f = failure("neurons:\n  a:\nphases:\n  - {duration: 1 s, learning: maybe}\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "learning must be true or false"));
  f = failure("neurons:\n  a: {v_rest: -65 mA}\nduration: 1 s\n");
  CHECK(contains(f.message, "unknown unit 'mA'"));
  CHECK(contains(f.message, "did you mean 'mV'?"));
}

TEST_CASE("config: values out of range are errors at the value") {
  auto f = failure("neurons:\n  a: {v_rest: -200 mV}\nduration: 1 s\n");
  CHECK(f.line == 2);
  CHECK(contains(f.message, "neurons.a.v_rest = -200 mV is outside -128..127.99 mV"));
  f = failure("neurons:\n  a: {v_rest: -50 mV, v_thresh: -60 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "v_thresh (-60 mV) must be above v_rest (-50 mV)"));
  f = failure("neurons:\n  a: {weight_unit: 2 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "weight_unit"));
  f = failure("neurons:\n  a:\n  b:\nconnections:\n  - {from: a, to: b, pattern: fixed_probability, "
              "probability: 1.5, weight: 1 mV}\nduration: 1 s\n");
  CHECK(f.line == 5);
  CHECK(contains(f.message, "probability = 1.5 is outside 0..1"));
  f = failure("neurons:\n  a:\ninputs:\n  x: {regular: {rate: 5 kHz}}\nduration: 1 s\n");
  CHECK(contains(f.message, "rate = 5000 Hz is outside 0..1000 Hz"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, weight: 1 level, plasticity: {rule: rate, "
              "window: 20 s}}\nduration: 1 s\n");
  CHECK(contains(f.message, "window = 20000 ms is 20000 timesteps, more than the core's 16383"));
  f = failure("neurons:\n  a:\nduration: 0.1 ms\n");
  CHECK(contains(f.message, "shorter than a timestep"));
}

TEST_CASE("config: a key given twice is an error at the second, not silently ignored") {
  auto f = failure("neurons:\n  a:\nduration: 1 s\nduration: 2 s\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "'duration' appears twice in the top level"));
  f = failure("neurons:\n  a: {tau_m: 10 ms, tau_m: 20 ms}\nduration: 1 s\n");
  CHECK(f.line == 2);
  CHECK(contains(f.message, "'tau_m' appears twice"));
  f = failure("neurons:\n  a:\ndevices:\n  d: {linear: {levels: 8}}\n  d: {linear: {levels: 16}}\nduration: 1 s\n");
  CHECK(f.line == 5);
  f = failure("neurons:\n  a:\ninputs:\n  x:\nphases:\n  - {duration: 1 s, inputs: {x: off, x: {regular: {rate: 1 Hz}}}}\n");
  CHECK(f.line == 6);
}

TEST_CASE("config: values that only go wrong once converted to the board's fixed point") {
  // A threshold 0.001 mV above rest is rest on a 1/256 mV grid: it would fire at every timestep.
  auto f = failure("neurons:\n  a: {v_rest: -65 mV, v_thresh: -64.999 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "must be above v_rest (-65 mV) by at least 1/256 mV"));
  // Spike files count time in whole microseconds a timestep.
  f = failure("timestep: 0.0015 ms\nneurons:\n  a:\nduration: 1 s\n");
  CHECK(f.line == 1);
  CHECK(contains(f.message, "not a whole number of microseconds"));
  // A spike acts a timestep later at the earliest.
  f = failure("neurons:\n  a:\n  b:\nduration: 1 s\nresponses: [{from: a, to: b, within: [0 ms, 5 ms]}]\n");
  CHECK(f.line == 5);
  CHECK(contains(f.message, "a window starts at one timestep"));
  // Plasticity windows are timesteps of this configuration's timestep.
  const auto c = parse("timestep: 0.5 ms\nneurons:\n  a: {size: 2}\nconnections:\n  - {from: a, to: a, weight: 1 level, "
                       "plasticity: {rule: rate, window: 1 s}}\n  - {from: a, to: a, pattern: one_to_one, weight: 1 level, "
                       "plasticity: {rule: stdp}}\nduration: 1 s\n");
  CHECK(c.connections[0].plasticity.window == 2000);
  CHECK(c.connections[1].plasticity.w_plus == 200);  // the 100 ms default
  CHECK(c.connections[1].plasticity.w_minus == 74);
  f = failure("timestep: 0.5 ms\nneurons:\n  a:\nconnections:\n  - {from: a, to: a, weight: 1 level, "
              "plasticity: {rule: rate, window: 10 s}}\nduration: 1 s\n");
  CHECK(contains(f.message, "20000 timesteps, more than the core's 16383"));
  f = failure("neurons:\n  a:\nduration: 1 s\nrecord: {spikes: []}\n");
  CHECK(contains(f.message, "empty list"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, pattern: list, pairs: [], weight: 1 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "pairs is empty"));
  CHECK(parse("neurons:\n  a: {size: 010}\nduration: 1 s\n").populations[0].size == 10);  // decimal, never octal
  CHECK(parse("neurons:\n  a: {size: 0x10}\nduration: 1 s\n").populations[0].size == 16);
}

TEST_CASE("config: a seed given after parsing reseeds the devices' variability") {
  auto c = parse("seed: 1\nneurons:\n  a:\nvariability: {d2d: 10, c2c: 10}\nconnections:\n  - {from: a, to: a, "
                 "weight: 1 level, plasticity: {rule: rate}}\nduration: 1 s\n");
  const auto a = config::compile(c, board256(), "sim://").network.plasticity->variability;
  c.seed = 99;
  const auto b = config::compile(c, board256(), "sim://").network.plasticity->variability;
  CHECK(a.d2d_amp == 10);
  CHECK(a.d2d_seed != b.d2d_seed);
  CHECK(a.c2c_seed != b.c2c_seed);
  CHECK(b.c2c_seed != 0);
}

TEST_CASE("config: dangling references name what is defined") {
  auto f = failure("neurons:\n  exc:\n  inh:\nconnections:\n  - {from: exc, to: ihn, weight: 1 mV}\nduration: 1 s\n");
  CHECK(f.line == 5);
  CHECK(contains(f.message, "connections[0].to 'ihn' is not a population (did you mean 'inh'?)"));
  f = failure("neurons:\n  exc:\nconnections:\n  - {from: drive, to: exc, weight: 1 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "'drive' is not a population or an input"));
  f = failure("neurons:\n  exc:\ninputs:\n  drive:\nconnections:\n  - {from: exc, to: drive, weight: 1 mV}\n"
              "duration: 1 s\n");
  CHECK(contains(f.message, "connections[0].to 'drive' is not a population"));
  f = failure("neurons:\n  exc:\nconnections:\n  - {from: exc, to: exc, weight: 1 level, plasticity: {rule: rate, "
              "device: hfo}}\nduration: 1 s\n");
  CHECK(contains(f.message, "device 'hfo' is not a device defined under devices; there is none"));
  f = failure("neurons:\n  exc:\ninputs:\n  pace:\nphases:\n  - {duration: 1 s, inputs: {pase: off}}\n");
  CHECK(f.line == 6);
  CHECK(contains(f.message, "inputs: 'pase' is not an input (did you mean 'pace'?); known: pace"));
  f = failure("neurons:\n  exc:\nduration: 1 s\nrecord: {state: {neurons: [exd]}}\n");
  CHECK(contains(f.message, "did you mean 'exc'?"));
  f = failure("neurons:\n  a:\ninputs:\n  a:\nduration: 1 s\n");
  CHECK(f.line == 4);
  CHECK(contains(f.message, "the name 'a' is used twice"));
}

TEST_CASE("config: connection mistakes") {
  auto f = failure("neurons:\n  a: {size: 2}\n  b: {size: 3}\nconnections:\n  - {from: a, to: b, pattern: one_to_one, "
                   "weight: 1 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "one_to_one needs groups of one size; 'a' has 2, 'b' has 3"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, weight: 3}\nduration: 1 s\n");
  CHECK(contains(f.message, "needs a unit: mV"));
  f = failure("neurons:\n  a: {size: 2}\nconnections:\n  - {from: a, to: a, pattern: list, pairs: [[0, 1], [2, 0]], "
              "weight: 1 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "pairs[1] pre = 2 is outside 0..1"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, pattern: all_2_all, weight: 1 mV}\nduration: 1 s\n");
  CHECK(contains(f.message, "'all_2_all' is not a pattern"));
  f = failure("neurons:\n  a:\nconnections:\n  - {from: a, to: a, weight: 1 mV, plasticity: {rule: stpd}}\n"
              "duration: 1 s\n");
  CHECK(contains(f.message, "did you mean 'stdp'?"));
}

TEST_CASE("config: what does not fit the board is an error at the population, input or connection") {
  auto c = parse("neurons:\n  a: {size: 200}\n  b: {size: 100}\nduration: 1 s\n");
  try {
    config::compile(c, board256(), "sim://");
    FAIL("accepted 300 neurons on a 256-neuron board");
  } catch (const Error& e) {
    CHECK(e.where().line == 3);
    CHECK(contains(e.message(), "population 'b' needs neurons 200..299, but sim:// has 256 neurons"));
  }
  c = parse("neurons:\n  a:\ninputs:\n  x: {size: 300}\nduration: 1 s\n");
  CHECK_THROWS_WITH_AS(config::compile(c, board256(), "sim://"),
                       doctest::Contains("input 'x' needs channels 0..299, but sim:// has 256 inputs"), Error);
  // Plasticity on a board built without it.
  c = parse("neurons:\n  a:\n  b:\nconnections:\n  - {from: a, to: b, weight: 2 levels, plasticity: {rule: rate}}\n"
            "duration: 1 s\n");
  try {
    config::compile(c, {128, 128, 0}, "usb://");
    FAIL("accepted plasticity on a board without it");
  } catch (const Error& e) {
    CHECK(e.where().line == 5);
    CHECK(contains(e.message(), "usb:// has no plasticity"));
  }
  // A fifth synapse group.
  c = parse(R"(neurons:
  a: {size: 5}
connections:
  - {from: a, to: a, pattern: list, pairs: [[0, 1]], weight: 2 levels, plasticity: {rule: rate, window: 100 ms}}
  - {from: a, to: a, pattern: list, pairs: [[0, 2]], weight: 2 levels, plasticity: {rule: rate, window: 200 ms}}
  - {from: a, to: a, pattern: list, pairs: [[0, 3]], weight: 2 levels, plasticity: {rule: rate, window: 300 ms}}
  - {from: a, to: a, pattern: list, pairs: [[0, 4]], weight: 2 levels, plasticity: {rule: rate, window: 400 ms}}
  - {from: a, to: a, pattern: list, pairs: [[1, 0]], weight: 2 levels, plasticity: {rule: rate, window: 500 ms}}
duration: 1 s
)");
  try {
    config::compile(c, board256(), "sim://");
    FAIL("accepted five groups");
  } catch (const Error& e) {
    CHECK(e.where().line == 8);
    CHECK(contains(e.message(), "fifth synapse group"));
  }
  // Nine rate-rule sources.
  c = parse("neurons:\n  a: {size: 9}\n  b:\nconnections:\n  - {from: a, to: b, weight: 1 level, plasticity: {rule: "
            "rate}}\nduration: 1 s\n");
  CHECK_THROWS_WITH_AS(config::compile(c, board256(), "sim://"), doctest::Contains("9 rate-rule sources"), Error);
  // The same synapse twice.
  c = parse("neurons:\n  a:\n  b:\nconnections:\n  - {from: a, to: b, weight: 1 mV}\n  - {from: a, to: b, weight: 2 mV}"
            "\nduration: 1 s\n");
  try {
    config::compile(c, board256(), "sim://");
    FAIL("accepted a synapse made twice");
  } catch (const Error& e) {
    CHECK(e.where().line == 6);
    CHECK(contains(e.message(), "that connections[0] (line 5) already made"));
  }
  // A weight beyond the neuron's range, or one that rounds to nothing.
  c = parse("neurons:\n  a: {weight_unit: 0.1 mV}\nconnections:\n  - {from: a, to: a, weight: 20 mV}\nduration: 1 s\n");
  CHECK_THROWS_WITH_AS(config::compile(c, board256(), "sim://"), doctest::Contains("raise its weight_unit"), Error);
  c = parse("neurons:\n  a: {weight_unit: 0.5 mV}\nconnections:\n  - {from: a, to: a, weight: 0.2 mV}\nduration: 1 s\n");
  CHECK_THROWS_WITH_AS(config::compile(c, board256(), "sim://"), doctest::Contains("would make no synapse"), Error);
}

TEST_CASE("config: plastic networks use synapse groups, levels and rate slots") {
  const auto c = parse(R"(neurons:
  pre: {size: 2, weight_unit: 0.25 mV}
  post: {weight_unit: 0.25 mV}
inputs:
  x: {poisson: {rate: 5 Hz}}
devices:
  lin: {linear: {levels: 32, step: 2}}
connections:
  - {from: x, to: pre, pattern: list, pairs: [[0, 0], [0, 1]], weight: 10 mV}
  - {from: pre, to: post, weight: 3 levels, plasticity: {rule: rate, device: lin, window: 500 ms, high: 10, low: 2}}
  - {from: post, to: pre, weight: -2 mV}
duration: 1 s
)");
  const auto plan = config::compile(c, board256(), "sim://");
  REQUIRE(plan.network.plasticity);
  const auto& pl = *plan.network.plasticity;
  CHECK(pl.plastic);
  // Groups: static excitatory, rate, static inhibitory, in the order met.
  CHECK(pl.groups[0].rule == model::Rule::kStatic);
  CHECK(pl.groups[1].rule == model::Rule::kRate);
  CHECK(pl.groups[1].rate_window == 500);
  CHECK(pl.groups[1].rate_high == 10);
  CHECK(pl.groups[1].rate_low == 2);
  CHECK(pl.groups[1].tables.levels == 32);
  CHECK(pl.groups[1].tables.pot[0] == 32);
  CHECK(pl.groups[2].inhibitory);
  const unsigned N = 256, E = 256;
  // 10 mV at 0.25 mV a unit is level 20 (2 units a level) in group 0.
  CHECK(plan.network.weights[0 * N + 0] == model::synapse_byte(0, 20));
  CHECK(plan.network.weights[(E + 0) * N + 2] == model::synapse_byte(1, 3));
  CHECK(plan.network.weights[(E + 2) * N + 1] == model::synapse_byte(2, 4));
  // The two rate-rule sources have slots; the plastic synapses are followed.
  CHECK(pl.rate_slots[0] == int(E + 0));
  CHECK(pl.rate_slots[1] == int(E + 1));
  CHECK(pl.rate_slots[2] == -1);
  REQUIRE(plan.plastic.size() == 2);
  CHECK(plan.plastic[0].label == "pre[0]->post[0]");
  CHECK(plan.plastic[1].source == E + 1);
  CHECK(plan.plastic[0].mv_per_level == doctest::Approx(0.5));
}

TEST_CASE("config: fixed_probability connections are drawn from the seed") {
  const std::string y = "\nneurons:\n  a: {size: 100}\n  b: {size: 100}\nconnections:\n  - {from: a, to: b, "
                        "pattern: fixed_probability, probability: 0.1, weight: 1 mV}\nduration: 1 s\n";
  const auto with_seed = [&](int s) {
    return config::compile(parse("seed: " + std::to_string(s) + y), board256(), "sim://");
  };
  const auto a = with_seed(1), b = with_seed(1), c = with_seed(2);
  CHECK(a.network.weights == b.network.weights);
  CHECK(a.network.weights != c.network.weights);
  CHECK(a.synapses > 850);  // 10000 x 0.1, within 5 sigma
  CHECK(a.synapses < 1150);
}

namespace {

std::vector<proto::SpikeEvent> all_events(const config::Config& c, std::uint64_t window = 37) {
  config::InputSchedule s(c);
  std::vector<proto::SpikeEvent> out;
  for (std::uint64_t t = 0; t < c.total_steps(); t += window) s.generate(t, t + window, out);
  return out;
}

}  // namespace

TEST_CASE("config: regular, Poisson and bursting generators, and phases that change them") {
  const auto c = parse(R"(seed: 5
neurons:
  a:
inputs:
  pace: {regular: {rate: 10 Hz, start: 5 ms}}
  noise: {size: 2, poisson: {rate: 50 Hz}}
  burst: {bursting: {rate: 2 Hz, spikes: 4, interval: 3 ms}}
phases:
  - {name: slow, duration: 2 s}
  - {name: fast, duration: 1 s, inputs: {pace: {rate: 40 Hz}, noise: off}}
  - {name: quiet, duration: 1 s, inputs: {pace: off, burst: off}}
)");
  const auto ev = all_events(c);
  // In time order, within the run.
  for (std::size_t i = 1; i < ev.size(); ++i) CHECK(ev[i - 1].timestep <= ev[i].timestep);
  std::map<unsigned, std::vector<std::uint64_t>> by;
  for (const auto& e : ev) by[e.address].push_back(e.timestep);
  // pace: 5, 105, ..., 1905 (20), then 2005, 2030, ... (40), then nothing.
  const auto& pace = by[0];
  REQUIRE(pace.size() == 60);
  CHECK(pace[0] == 5);
  CHECK(pace[19] == 1905);
  CHECK(pace[20] == 2005);
  CHECK(pace[21] == 2030);
  CHECK(pace.back() == 2980);
  // noise: about 50 Hz a channel in slow and quiet (3 s), nothing in fast.
  for (unsigned ch : {1u, 2u}) {
    const auto& n = by[ch];
    CHECK(n.size() > 100);
    CHECK(n.size() < 200);
    for (auto t : n) CHECK((t < 2000 || t >= 3000));
  }
  CHECK(by[1] != by[2]);
  // burst: bursts of 4 spikes 3 ms apart, only in slow and fast.
  const auto& b = by[3];
  REQUIRE(b.size() >= 8);
  CHECK(b.size() % 4 == 0);
  for (std::size_t i = 0; i + 3 < b.size(); i += 4) {
    CHECK(b[i + 1] - b[i] == 3);
    CHECK(b[i + 3] - b[i + 2] == 3);
  }
  for (auto t : b) CHECK(t < 3000);
  // Deterministic for a seed, whatever the window size.
  CHECK(ev == all_events(c, 1000));
  auto other = c;
  other.seed = 6;
  CHECK(all_events(other) != ev);
  // Phases.
  config::InputSchedule s(c);
  CHECK(s.phase_at(0) == 0);
  CHECK(s.phase_at(1999) == 0);
  CHECK(s.phase_at(2000) == 1);
  CHECK(s.phase_at(3999) == 2);
}

TEST_CASE("config: a regular train does not drift over an hour, and bursts come at their rate") {
  const auto c = parse("neurons:\n  a:\ninputs:\n  x: {regular: {rate: 3 Hz}}\n  y: {regular: {rate: 7 Hz}}\nduration: 60 min\n");
  const auto ev = all_events(c, 100000);
  std::uint64_t k3 = 0, k7 = 0;
  for (const auto& e : ev) {
    if (e.address == 0) {
      CHECK(e.timestep == (k3 * 1000) / 3);  // exactly floor(k / 3 Hz) in ms
      ++k3;
    } else {
      CHECK(e.timestep == (k7 * 1000) / 7);
      ++k7;
    }
  }
  CHECK(k3 == 10800);
  CHECK(k7 == 25200);
  const auto b = parse("seed: 4\nneurons:\n  a:\ninputs:\n  x: {size: 4, bursting: {rate: 10 Hz, spikes: 20, interval: 2 ms}}\n"
                       "duration: 100 s\n");
  const auto bursts = all_events(b, 1000);
  // 4 channels x 10 bursts a second x 100 s x 20 spikes, within 5 %.
  CHECK(bursts.size() > 76000);
  CHECK(bursts.size() < 84000);
}

TEST_CASE("config: an input's trains depend on its name, not on the inputs before it") {
  const auto one = parse("seed: 2\nneurons:\n  a:\ninputs:\n  noise: {size: 3, poisson: {rate: 30 Hz}}\nduration: 2 s\n");
  const auto two = parse("seed: 2\nneurons:\n  a:\ninputs:\n  other: {size: 5, poisson: {rate: 9 Hz}}\n"
                         "  noise: {size: 3, poisson: {rate: 30 Hz}}\nduration: 2 s\n");
  std::vector<proto::SpikeEvent> a, b;
  for (const auto& e : all_events(one)) a.push_back(e);
  for (auto e : all_events(two))
    if (e.address >= 5) b.push_back({e.timestep, static_cast<std::uint16_t>(e.address - 5)});
  CHECK(a == b);
}

TEST_CASE("config: a spike file replays into its input's channels, and its mistakes name the file") {
  const auto dir = std::filesystem::temp_directory_path() / "spikelink-test-config";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "train.csv");
    f << "time_ms,channel\n0,0\n12.4,1\n12.6,1\n900,2\n";
  }
  {
    std::ofstream f(dir / "net.yaml");
    f << "neurons:\n  a:\ninputs:\n  other: {size: 2}\n  rec: {size: 3, file: train.csv}\nduration: 1 s\n";
  }
  const auto c = config::load((dir / "net.yaml").string());
  CHECK(c.inputs[1].generator.file == (dir / "train.csv").string());
  const auto ev = all_events(c);
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].timestep == 0);
  CHECK(ev[0].address == 2);  // rec's first channel is 2
  CHECK(ev[1].timestep == 12);
  CHECK(ev[2].timestep == 13);
  CHECK(ev[3].address == 4);
  {
    std::ofstream f(dir / "net.yaml");
    f << "neurons:\n  a:\ninputs:\n  rec: {size: 2, file: train.csv}\nduration: 1 s\n";
  }
  try {
    config::InputSchedule s(config::load((dir / "net.yaml").string()));
    FAIL("accepted a file with a channel beyond the input");
  } catch (const Error& e) {
    CHECK(e.where().line == 4);
    CHECK(contains(e.message(), "has a spike on channel 2, but the input has 2 channels"));
  }
  {
    std::ofstream f(dir / "net.yaml");
    f << "neurons:\n  a:\ninputs:\n  rec: {size: 2, file: missing.csv}\nduration: 1 s\n";
  }
  CHECK_THROWS_WITH_AS(config::InputSchedule(config::load((dir / "net.yaml").string())),
                       doctest::Contains("missing.csv"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: the examples parse and compile for the reference board") {
  for (const char* name : {"paper-ltp-ltd.yaml", "fill-the-board.yaml", "replay.yaml"}) {
    CAPTURE(name);
    const auto path = std::string(SPIKELINK_SOURCE_DIR) + "/examples/" + name;
    const auto c = config::load(path);
    const auto plan = config::compile(c, board256(), "sim://");
    CHECK(plan.synapses > 0);
    config::InputSchedule s(c);
  }
}
