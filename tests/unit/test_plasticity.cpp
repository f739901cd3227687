// The memristive device model and the learning rules in the golden model
// (docs/plasticity.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>
#include <stdexcept>

#include "spikelink/core_model.hpp"

using namespace spikelink::model;

namespace {

// A bounded nonlinear device: steps shrink towards the top (pot) and the
// bottom (dep) of the range.
DeviceTables curved() {
  DeviceTables t;
  t.levels = 64;
  for (unsigned l = 0; l < 64; ++l) {
    t.pot[l] = static_cast<std::uint8_t>(8 + (63 - l) * 2);
    t.dep[l] = static_cast<std::uint8_t>(8 + l * 2);
  }
  return t;
}

constexpr std::uint16_t kPost = 0;     // the post-synaptic neuron
constexpr std::uint16_t kPlastic = 1;  // the plastic input channel
constexpr std::uint16_t kDrive0 = 2;   // static driver channels 2..4

// One post neuron, a plastic synapse from input 1 in group `g` at `level`,
// and three static drivers (group 0, top level) that make it fire at once.
Core pairing_core(Rule rule, unsigned level, std::uint8_t w_scale = 16) {
  Core core(CoreShape{8, 8, 256, 256});
  LifParams p;
  p.weight_unit = w_scale / 256.0;
  const auto regs = quantise(p).regs;
  for (unsigned n = 0; n < 8; ++n) {
    core.set_params(n, regs);
    core.set_state(n, {regs.v_rest, 0, 0});
  }
  core.set_plastic(true);
  GroupConfig g;
  g.rule = rule;
  g.tables = curved();
  core.set_group(1, g);
  core.set_weight(kPlastic, kPost, static_cast<std::int8_t>(synapse_byte(1, level)));
  for (std::uint16_t ch = kDrive0; ch < kDrive0 + 3; ++ch) core.set_weight(ch, kPost, static_cast<std::int8_t>(synapse_byte(0, 63)));
  return core;
}

unsigned level_now(const Core& core) { return level_of(static_cast<std::uint8_t>(core.weight(kPlastic, kPost))); }

void fire_post_at(Core& core, std::uint32_t t) {
  for (std::uint16_t ch = kDrive0; ch < kDrive0 + 3; ++ch) core.push_input(ch, t);
}

// Runs the core to timestep `until`, with the inputs already pushed.
void run_to(Core& core, std::uint64_t until) { core.step(static_cast<std::uint32_t>(until - core.time())); }

}  // namespace

TEST_CASE("plasticity: a potentiation staircase climbs by the table's steps and saturates at the top") {
  const auto t = curved();
  const Variability off;
  std::uint32_t lfsr = 1;
  unsigned level = 0;
  std::vector<unsigned> steps;
  for (int i = 0; i < 200; ++i) {
    const unsigned next = pulse(level, true, t, off, 0, 0, lfsr);
    CHECK(next >= level);
    if (level < 63) CHECK(next == std::min(63u, level + ((t.pot[level] + 8u) >> 4)));
    steps.push_back(next - level);
    level = next;
  }
  CHECK(level == 63);
  CHECK(pulse(63, true, t, off, 0, 0, lfsr) == 63);
  // The curve's shape: steps never grow on the way up.
  for (std::size_t i = 1; i < steps.size(); ++i) {
    if (steps[i] > 0) CHECK(steps[i] <= steps[i - 1]);
  }
  CHECK(steps.front() > steps[20]);
}

TEST_CASE("plasticity: a depression staircase descends and saturates at the bottom") {
  const auto t = curved();
  std::uint32_t lfsr = 1;
  unsigned level = 63;
  std::vector<unsigned> steps;
  while (level > 0 && steps.size() < 200) {
    const unsigned next = pulse(level, false, t, {}, 0, 0, lfsr);
    steps.push_back(level - next);
    level = next;
  }
  CHECK(level == 0);
  CHECK(pulse(0, false, t, {}, 0, 0, lfsr) == 0);
  CHECK(steps.front() > steps.back());
}

TEST_CASE("plasticity: cycle-to-cycle noise is seeded, reproducible, and centred on the table") {
  auto t = DeviceTables::linear(64, 40);  // 2.5 levels per pulse
  Variability v;
  v.c2c_amp = 16;
  v.c2c_seed = 0xACE1;
  std::uint32_t a = v.c2c_seed, b = v.c2c_seed;
  std::vector<unsigned> first, second;
  unsigned total = 0;
  for (int i = 0; i < 2000; ++i) {
    first.push_back(pulse(10, true, t, v, 0, 0, a) - 10);
    second.push_back(pulse(10, true, t, v, 0, 0, b) - 10);
    total += first.back();
  }
  CHECK(first == second);
  CHECK(std::set<unsigned>(first.begin(), first.end()).size() >= 3);  // really noisy
  const double mean = static_cast<double>(total) / 2000.0;
  CHECK(mean > 2.3);
  CHECK(mean < 2.7);
  std::uint32_t c = 0x1234;
  std::vector<unsigned> other;
  for (int i = 0; i < 2000; ++i) other.push_back(pulse(10, true, t, v, 0, 0, c) - 10);
  CHECK(other != first);
}

TEST_CASE("plasticity: device-to-device offsets are fixed per synapse and differ between synapses") {
  std::set<int> offsets;
  for (unsigned s = 0; s < 64; ++s) {
    const int o = d2d_offset(s, 3, 77, 32);
    CHECK(o == d2d_offset(s, 3, 77, 32));
    CHECK(o >= -32);
    CHECK(o <= 30);
    offsets.insert(o);
  }
  CHECK(offsets.size() > 10);
  CHECK(d2d_offset(5, 3, 77, 0) == 0);
  // With d2d on, two synapses given the same pulses end at different levels.
  const auto t = DeviceTables::linear(64, 20);
  Variability v;
  v.d2d_amp = 64;
  v.d2d_seed = 9;
  std::set<unsigned> ends;
  for (unsigned s = 0; s < 16; ++s) {
    std::uint32_t lfsr = 1;
    unsigned level = 0;
    for (int i = 0; i < 10; ++i) level = pulse(level, true, t, v, s, 0, lfsr);
    ends.insert(level);
  }
  CHECK(ends.size() > 2);
}

TEST_CASE("plasticity: the STDP window measured by pairing matches the configured windows") {
  const auto t = curved();
  for (int delta = -60; delta <= 130; ++delta) {
    CAPTURE(delta);
    Core core = pairing_core(Rule::kStdp, 20);
    const std::uint32_t t_pre = 300;
    const auto t_post = static_cast<std::uint32_t>(300 + delta);
    // Push in time order (the input FIFO is in time order).
    if (delta < 0) {
      fire_post_at(core, t_post);
      core.push_input(kPlastic, t_pre);
    } else {
      core.push_input(kPlastic, t_pre);
      fire_post_at(core, t_post);
    }
    run_to(core, 500);
    const auto spikes = core.take_spikes();
    REQUIRE(spikes.size() == 1);
    CHECK(spikes[0].time == t_post);
    const unsigned l = level_now(core);
    if (delta >= 0 && delta <= 100) {
      CHECK(l == 20 + ((t.pot[20] + 8u) >> 4));
      CHECK(core.counters().pulses_pot == 1);
    } else if (delta >= -37 && delta <= -1) {
      CHECK(l == 20 - ((t.dep[20] + 8u) >> 4));
      CHECK(core.counters().pulses_dep == 1);
    } else {
      CHECK(l == 20);
      CHECK(core.counters().pulses_pot + core.counters().pulses_dep == 0);
    }
  }
}

TEST_CASE("plasticity: the experiment's phases under the rate rule") {
  // The plastic source is paced at `hz` from t = 0; the post neuron is made
  // to fire every 500 ms from t = 1200 (after a full 1 s of history).
  const auto run = [](double hz) {
    Core core = pairing_core(Rule::kRate, 30);
    core.set_rate_slot(0, kPlastic);
    const std::uint32_t end = 6000;
    const auto period = static_cast<std::uint32_t>(1000.0 / hz);
    std::vector<std::pair<std::uint32_t, std::uint16_t>> ev;
    for (std::uint32_t t = 0; t < end; t += period) ev.emplace_back(t, kPlastic);
    for (std::uint32_t t = 1200; t < end; t += 500) {
      for (std::uint16_t ch = kDrive0; ch < kDrive0 + 3; ++ch) ev.emplace_back(t, ch);
    }
    std::stable_sort(ev.begin(), ev.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<unsigned> levels;
    std::size_t next = 0;
    for (std::uint32_t t = 0; t < end; ++t) {
      while (next < ev.size() && ev[next].first == t) {
        core.push_input(ev[next].second, t);
        ++next;
      }
      core.step();
      if (!core.take_spikes().empty()) levels.push_back(level_now(core));
    }
    return std::make_pair(levels, core.counters());
  };
  const auto [at10, k10] = run(10);
  REQUIRE(at10.size() == 10);
  for (unsigned l : at10) CHECK(l == 30);  // 10 Hz: between 5 and 20 per second
  CHECK(k10.pulses_pot + k10.pulses_dep == 0);

  const auto [at25, k25] = run(25);
  REQUIRE(at25.size() == 10);
  CHECK(at25.front() > 30);
  for (std::size_t i = 1; i < at25.size(); ++i) CHECK(at25[i] >= at25[i - 1]);  // step by step
  CHECK(k25.pulses_pot == 10);

  const auto [at3, k3] = run(3);
  REQUIRE(at3.size() == 10);
  CHECK(at3.front() < 30);
  for (std::size_t i = 1; i < at3.size(); ++i) CHECK(at3[i] <= at3[i - 1]);
  CHECK(k3.pulses_dep == 10);
}

TEST_CASE("plasticity: a rate synapse whose source has no slot is counted, not changed") {
  Core core = pairing_core(Rule::kRate, 30);
  fire_post_at(core, 10);
  run_to(core, 20);
  CHECK(level_now(core) == 30);
  CHECK(core.counters().rate_unslotted == 1);
}

TEST_CASE("plasticity: a source's rate slot is the lowest slot holding it") {
  // The plastic synapse is weak (level 3): the source, delivered every
  // timestep, never fires the post neuron; the drivers do.
  const auto pace = [](Core& core, std::uint32_t from, std::uint32_t to) {
    for (std::uint32_t t = from; t < to; ++t) core.push_input(kPlastic, t);
  };
  SUBCASE("only the lowest slot is read") {
    Core core = pairing_core(Rule::kRate, 3);
    core.set_rate_slot(4, kPlastic);
    pace(core, 0, 30);
    run_to(core, 30);                  // slot 4 holds 21 deliveries
    core.set_rate_slot(1, kPlastic);   // slot 1 takes the source over, empty
    fire_post_at(core, 40);
    run_to(core, 50);
    CHECK(core.counters().pulses_dep == 1);  // slot 1 decides: no deliveries
    CHECK(core.counters().pulses_pot == 0);
  }
  SUBCASE("only the lowest slot records; a higher one starts from empty when the lower is cleared") {
    Core core = pairing_core(Rule::kRate, 3);
    core.set_rate_slot(1, kPlastic);
    core.set_rate_slot(4, kPlastic);
    pace(core, 0, 30);
    fire_post_at(core, 30);
    run_to(core, 35);
    CHECK(core.counters().pulses_pot == 1);  // slot 1: more than 20
    core.write_mem(Space::kPlasticity, 0x041, 0);
    CHECK(core.rate_slot(1) == -1);
    fire_post_at(core, 40);
    run_to(core, 45);
    CHECK(core.counters().pulses_dep == 1);  // slot 4 recorded nothing while slot 1 held the source
    pace(core, 50, 56);
    fire_post_at(core, 60);
    run_to(core, 70);
    CHECK(core.counters().pulses_pot + core.counters().pulses_dep == 2);  // 6 deliveries since: between 5 and 20
    std::vector<std::uint64_t> times;
    for (const auto& sp : core.take_spikes()) times.push_back(sp.time);
    CHECK(times == std::vector<std::uint64_t>{30, 40, 60});
  }
}

TEST_CASE("plasticity: histories are recorded in static mode, so switching plastic mode on needs no warm-up") {
  const auto t = curved();
  Core core = pairing_core(Rule::kStdp, 20, 32);  // w_scale 32: the drivers fire the post neuron in either mode
  core.set_plastic(false);
  const auto byte = core.weight(kPlastic, kPost);
  core.push_input(kPlastic, 100);
  fire_post_at(core, 110);
  run_to(core, 200);
  CHECK(core.weight(kPlastic, kPost) == byte);  // static: no pulses
  // The pre spike at 250 is recorded while static; plastic mode comes on
  // before the post spike at 260, which pairs with it.
  core.push_input(kPlastic, 250);
  run_to(core, 255);
  core.set_plastic(true);
  fire_post_at(core, 260);
  run_to(core, 300);
  const unsigned potentiated = 20 + ((t.pot[20] + 8u) >> 4);
  CHECK(level_now(core) == potentiated);
  CHECK(core.counters().pulses_pot == 1);
  // And a post spike recorded while static depresses a pre spike after it.
  core.set_plastic(false);
  fire_post_at(core, 400);
  run_to(core, 405);
  core.set_plastic(true);
  core.push_input(kPlastic, 410);
  run_to(core, 450);
  CHECK(level_now(core) == potentiated - ((t.dep[potentiated] + 8u) >> 4));
  CHECK(core.counters().pulses_dep == 1);
  std::vector<std::uint64_t> times;
  for (const auto& sp : core.take_spikes()) times.push_back(sp.time);
  CHECK(times == std::vector<std::uint64_t>{110, 260, 400});
}

TEST_CASE("plasticity: frozen learning changes nothing and resumes with its history") {
  Core core = pairing_core(Rule::kStdp, 20);
  core.set_learning(false);
  core.push_input(kPlastic, 100);
  fire_post_at(core, 110);
  run_to(core, 200);
  CHECK(level_now(core) == 20);
  // The pre spike at 250 is recorded while frozen; learning resumes before
  // the post spike at 260, which pairs with it.
  core.push_input(kPlastic, 250);
  run_to(core, 255);
  core.set_learning(true);
  fire_post_at(core, 260);
  run_to(core, 300);
  CHECK(level_now(core) > 20);
}

TEST_CASE("plasticity: static groups and static mode never change a synapse") {
  Core core = pairing_core(Rule::kStatic, 20);
  core.push_input(kPlastic, 100);
  fire_post_at(core, 105);
  run_to(core, 200);
  CHECK(level_now(core) == 20);
  CHECK(core.counters().pulses_pot == 0);
}

TEST_CASE("plasticity: an inhibitory group weighs -2 x level") {
  Core core = pairing_core(Rule::kStatic, 20, 64);
  GroupConfig g;
  g.inhibitory = true;
  core.set_group(1, g);
  core.push_input(kPlastic, 0);
  core.step();
  CHECK(core.state(kPost).v == static_cast<std::int16_t>(-65 * 256 - 40 * 64));
}

TEST_CASE("plasticity: device tables load from YAML, and bad files say where") {
  const std::string dir = std::string(SPIKELINK_BINARY_DIR) + "/";
  const auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir + name) << text;
    return dir + name;
  };
  std::string pot, dep;
  for (int i = 0; i < 4; ++i) {
    pot += (i ? ", " : "") + std::to_string(20 - i);
    dep += (i ? ", " : "") + std::to_string(10 + i);
  }
  const auto good = DeviceTables::from_yaml(write("tables_ok.yaml", "levels: 4\npot: [" + pot + "]\ndep: [" + dep + "]\n"));
  CHECK(good.levels == 4);
  CHECK(good.pot[0] == 20);
  CHECK(good.dep[3] == 13);
  const auto err = [&](const char* name, const std::string& text) {
    try {
      DeviceTables::from_yaml(write(name, text));
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(err("t1.yaml", "levels: 4\npot: [1, 2, 3]\ndep: [1, 2, 3, 4]\n").find("t1.yaml:2:") != std::string::npos);
  CHECK(err("t2.yaml", "levels: 4\npot: [1, 2, 300, 4]\ndep: [1, 2, 3, 4]\n").find("t2.yaml:2:") != std::string::npos);
  CHECK(err("t3.yaml", "levels: 99\npot: []\ndep: []\n").find("'levels' must be 2..64") != std::string::npos);
  CHECK(err("t4.yaml", "levels: 4\npot: [1, 2\n").find("t4.yaml:") != std::string::npos);
  CHECK(err("missing.yaml-not-there", "").find("accepted") == std::string::npos);
}

TEST_CASE("plasticity: the tables written by scripts/memristor-tables load and make a bounded staircase") {
  const char* path = std::getenv("SPIKELINK_TABLES_YAML");
  if (path == nullptr) {
    MESSAGE("SPIKELINK_TABLES_YAML not set: run through ctest, which generates the tables first");
    return;
  }
  const auto t = DeviceTables::from_yaml(path);
  CHECK(t.levels == 64);
  std::uint32_t lfsr = 1;
  unsigned level = 0, pulses = 0;
  while (level < 63 && pulses < 500) {
    level = pulse(level, true, t, {}, 0, 0, lfsr);
    ++pulses;
  }
  CHECK(level == 63);
  CHECK(pulses >= 20);  // the tool was asked for 40 pulses, nonlinearity 3
  CHECK(pulses <= 45);
  CHECK(t.pot[0] > t.pot[63]);
  CHECK(t.dep[63] > t.dep[0]);
}

TEST_CASE("plasticity: memory space 2 configures what the setters do, and reads back") {
  Core a(CoreShape{8, 8, 256, 256});
  Core b(CoreShape{8, 8, 256, 256});
  GroupConfig g;
  g.rule = Rule::kStdp;
  g.inhibitory = true;
  g.tables = DeviceTables::linear(32, 24);
  g.w_plus = 50;
  g.w_minus = 20;
  g.rate_window = 500;
  g.rate_high = 12;
  g.rate_low = 3;
  a.set_plastic(true);
  a.set_learning(false);
  a.set_group(2, g);
  a.set_variability({7, 0x12345678, 9, 0xCAFEF00D});
  a.set_rate_slot(3, 200 - 190);

  const auto w = [&](std::uint32_t addr, std::uint16_t v) { b.write_mem(Space::kPlasticity, addr, v); };
  w(0x000, 0x1);
  w(0x001, 0xF00D);
  w(0x002, 0xCAFE);
  w(0x003, 0x5678);
  w(0x004, 0x1234);
  w(0x005, 0x0907);
  w(0x010 + 16, 0x1F05);  // STDP, inhibitory, 32 levels
  w(0x010 + 17, 50);
  w(0x010 + 18, 20);
  w(0x010 + 19, 500);
  w(0x010 + 20, 0x030C);
  w(0x043, 0x8000 | 10);
  for (unsigned l = 0; l < 64; ++l) w(0x100 + 128 + l, 24 | (24 << 8));
  CHECK(b.plastic());
  CHECK_FALSE(b.learning());
  CHECK(b.variability().c2c_seed == 0xCAFEF00D);
  CHECK(b.variability().d2d_seed == 0x12345678);
  CHECK(b.variability().d2d_amp == 7);
  CHECK(b.variability().c2c_amp == 9);
  CHECK(b.rate_slot(3) == 10);
  CHECK(b.group(2).rule == Rule::kStdp);
  CHECK(b.group(2).inhibitory);
  CHECK(b.group(2).tables.levels == 32);
  CHECK(b.group(2).w_plus == 50);
  CHECK(b.group(2).rate_low == 3);
  CHECK(b.group(2).tables.pot == g.tables.pot);
  for (std::uint32_t addr : {0x000u, 0x001u, 0x002u, 0x005u, 0x020u, 0x024u, 0x043u, 0x180u}) {
    CAPTURE(addr);
    CHECK(a.read_mem(Space::kPlasticity, addr) == b.read_mem(Space::kPlasticity, addr));
  }
  w(0x010, 0x3F03);  // rule 3 is reserved: static
  CHECK(b.group(0).rule == Rule::kStatic);
  CHECK((b.read_mem(Space::kPlasticity, 0x010) & 3) == 0);
}

TEST_CASE("plasticity: the windows are 14-bit, and the setter refuses larger ones") {
  Core core(CoreShape{8, 8, 256, 256});
  for (std::uint32_t addr : {0x019u, 0x01Au, 0x01Bu}) {  // group 1: W+, W-, rate window
    CAPTURE(addr);
    core.write_mem(Space::kPlasticity, addr, 0xFFFF);
    CHECK(core.read_mem(Space::kPlasticity, addr) == 0x3FFF);
    core.write_mem(Space::kPlasticity, addr, 0xC000 | 100);
    CHECK(core.read_mem(Space::kPlasticity, addr) == 100);
  }
  CHECK(core.group(1).w_plus == 100);
  GroupConfig g;
  g.w_plus = g.w_minus = g.rate_window = 16383;
  CHECK_NOTHROW(core.set_group(2, g));
  CHECK(core.group(2).rate_window == 16383);
  const auto refused = [&](GroupConfig c) {
    try {
      core.set_group(3, c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  GroupConfig big;
  big.w_plus = 16384;
  CHECK(refused(big) == "core: W+ must be 0..16383 timesteps, not 16384");
  big = {};
  big.w_minus = 20000;
  CHECK(refused(big) == "core: W- must be 0..16383 timesteps, not 20000");
  big = {};
  big.rate_window = 65535;
  CHECK(refused(big) == "core: the rate window must be 0..16383 timesteps, not 65535");
  CHECK(core.group(3).w_plus == 100);  // a refused configuration changes nothing
}

TEST_CASE("plasticity: the widest STDP window pairs across 16383 timesteps") {
  for (std::uint32_t delta : {16383u, 16384u}) {
    CAPTURE(delta);
    Core core = pairing_core(Rule::kStdp, 20);
    core.write_mem(Space::kPlasticity, 0x019, 0xFFFF);  // group 1: W+ 16383
    core.push_input(kPlastic, 10);
    fire_post_at(core, 10 + delta);
    run_to(core, 20 + delta);
    CHECK(core.take_spikes().size() == 1);
    CHECK(core.counters().pulses_pot == (delta <= 16383 ? 1u : 0u));
  }
}
