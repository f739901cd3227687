// Directed tests of the learning rules (docs/plasticity.md) on the RTL's
// learning engine and on the golden model. One protocol, written against a
// tiny host-port adapter, drives both cores the way a host would: neuron
// parameters, synapse bytes and plasticity registers go in only as words of
// memory spaces 0, 1 and 2, levels come back only over space 1. Each test
// checks what the spec promises on each core, then that the RTL and the model
// agree exactly: every output spike, every observation made on the way,
// every counter and every synapse word at the end.
//
// Built with SPIKELINK_DIRECTED_MODEL_ONLY the RTL adapter is compiled out
// and the protocols run on the model alone (a check of the tests themselves).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "spikelink/core_model.hpp"
#ifndef SPIKELINK_DIRECTED_MODEL_ONLY
#include "core/core_sim.hpp"
#endif

using namespace spikelink;

namespace {

constexpr unsigned kNeurons = 256;
constexpr unsigned kSources = 512;  // 256 input channels, then the 256 neurons
constexpr unsigned kRowWords = kNeurons / 2;

// ---------------------------------------------------------------------------
// The adapter: the same host port on both cores.

struct Spike {
  std::uint32_t time = 0;
  std::uint16_t neuron = 0;
  friend bool operator==(const Spike&, const Spike&) = default;
};

// The counters the tests compare (the RTL's are 32-bit and wrap).
struct Counts {
  std::uint32_t pot = 0;
  std::uint32_t dep = 0;
  std::uint32_t unslotted = 0;
  std::uint32_t spikes = 0;
  std::uint32_t events = 0;
  std::uint32_t sops = 0;
  friend bool operator==(const Counts&, const Counts&) = default;
};

std::string str(const Counts& k) {
  return "pot " + std::to_string(k.pot) + ", dep " + std::to_string(k.dep) + ", unslotted " +
         std::to_string(k.unslotted) + ", spikes " + std::to_string(k.spikes) + ", events " +
         std::to_string(k.events) + ", sops " + std::to_string(k.sops);
}

struct ModelCore {
  std::string name = "model";
  model::Core core;  // the reference board's shape: 256 neurons, 256 inputs
  std::vector<Spike> log;  // every spike taken so far

  void write(unsigned space, std::uint32_t addr, std::uint16_t w) {
    core.write_mem(static_cast<model::Space>(space), addr, w);
  }
  std::uint16_t read(unsigned space, std::uint32_t addr) { return core.read_mem(static_cast<model::Space>(space), addr); }
  bool push_input(std::uint16_t ch, std::uint32_t t) { return core.push_input(ch, t); }
  void step(std::uint32_t n) { core.step(n); }
  std::uint32_t time() const { return static_cast<std::uint32_t>(core.time()); }
  std::vector<Spike> take_spikes() {
    std::vector<Spike> out;
    for (const auto& s : core.take_spikes()) out.push_back({static_cast<std::uint32_t>(s.time), s.neuron});
    log.insert(log.end(), out.begin(), out.end());
    return out;
  }
  Counts counters() const {
    const auto& k = core.counters();
    return {static_cast<std::uint32_t>(k.pulses_pot), static_cast<std::uint32_t>(k.pulses_dep),
            static_cast<std::uint32_t>(k.rate_unslotted), static_cast<std::uint32_t>(k.spikes),
            static_cast<std::uint32_t>(k.events), static_cast<std::uint32_t>(k.sops)};
  }
};

#ifndef SPIKELINK_DIRECTED_MODEL_ONLY
struct RtlCore {
  std::string name = "RTL";
  sim::CoreSim core;
  std::vector<Spike> log;

  void write(unsigned space, std::uint32_t addr, std::uint16_t w) { core.write_mem(space, addr, w); }
  std::uint16_t read(unsigned space, std::uint32_t addr) { return core.read_mem(space, addr); }
  bool push_input(std::uint16_t ch, std::uint32_t t) { return core.push_input(ch, t); }
  void step(std::uint32_t n) { core.step(n); }
  std::uint32_t time() const { return core.time(); }
  std::vector<Spike> take_spikes() {
    std::vector<Spike> out;
    for (const auto& s : core.take_spikes()) out.push_back({s.time, s.neuron});
    log.insert(log.end(), out.begin(), out.end());
    return out;
  }
  Counts counters() const {
    const auto k = core.counters();
    return {k.pulses_pot, k.pulses_dep, k.rate_unslotted, k.spikes, k.events, k.sops};
  }
};
#endif

// What a protocol saw on one core, for the RTL-against-model comparison.
struct Trace {
  std::vector<std::pair<std::string, long long>> seen;  // labelled observations, in order
  std::vector<Spike> spikes;
  Counts end;
  std::uint32_t end_time = 0;
  std::vector<std::uint16_t> weights;  // all of memory space 1 at the end
  void see(std::string what, long long v) { seen.emplace_back(std::move(what), v); }
};

template <class C>
void finish(C& c, Trace& tr) {
  c.take_spikes();
  tr.spikes = c.log;
  tr.end = c.counters();
  tr.end_time = c.time();
  tr.weights.resize(kSources * kRowWords);
  for (std::uint32_t a = 0; a < kSources * kRowWords; ++a) tr.weights[a] = c.read(1, a);
}

[[maybe_unused]] void agree(const Trace& rtl, const Trace& m) {
  INFO("RTL against the model");
  CHECK(rtl.end_time == m.end_time);
  CHECK_MESSAGE(rtl.spikes.size() == m.spikes.size(), "RTL ", rtl.spikes.size(), " spikes, model ", m.spikes.size());
  for (std::size_t i = 0; i < std::min(rtl.spikes.size(), m.spikes.size()); ++i) {
    if (rtl.spikes[i] != m.spikes[i]) {
      FAIL_CHECK("spike ", i, " differs: RTL neuron ", rtl.spikes[i].neuron, " at ", rtl.spikes[i].time,
                 ", model neuron ", m.spikes[i].neuron, " at ", m.spikes[i].time);
      break;
    }
  }
  CHECK(rtl.seen.size() == m.seen.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < std::min(rtl.seen.size(), m.seen.size()); ++i) {
    if (rtl.seen[i] == m.seen[i]) continue;
    if (differing++ == 0) {
      FAIL_CHECK("first differing observation (", i, "): RTL '", rtl.seen[i].first, "' = ", rtl.seen[i].second,
                 ", model '", m.seen[i].first, "' = ", m.seen[i].second);
    }
  }
  CHECK_MESSAGE(differing == 0, differing, " observations differ");
  CHECK_MESSAGE(rtl.end == m.end, "counters: RTL ", str(rtl.end), "; model ", str(m.end));
  differing = 0;
  for (std::uint32_t a = 0; a < rtl.weights.size() && a < m.weights.size(); ++a) {
    if (rtl.weights[a] == m.weights[a]) continue;
    if (differing++ == 0) {
      FAIL_CHECK("first differing synapse word: space 1 address ", a, " (source ", a / kRowWords, ", neurons ",
                 2 * (a % kRowWords), "/", 2 * (a % kRowWords) + 1, "): RTL ", rtl.weights[a], ", model ",
                 m.weights[a]);
    }
  }
  CHECK_MESSAGE(differing == 0, differing, " synapse words differ at the end");
}

// Runs `protocol(core, trace)` on the model and on the RTL, then compares.
template <class Protocol>
void on_model_and_rtl(Protocol&& protocol) {
  Trace m;
  {
    ModelCore core;
    protocol(core, m);
    finish(core, m);
  }
#ifndef SPIKELINK_DIRECTED_MODEL_ONLY
  Trace r;
  {
    RtlCore core;
    protocol(core, r);
    finish(core, r);
  }
  agree(r, m);
#endif
}

// ---------------------------------------------------------------------------
// Memory space 2 (docs/plasticity.md §6) and the device model (§2), written
// from the spec's text, independently of host/src/plasticity.cpp.

namespace reg {
constexpr unsigned kSpace = 2;
constexpr std::uint32_t kMode = 0x000;
constexpr std::uint32_t kC2cSeedLo = 0x001, kC2cSeedHi = 0x002, kD2dSeedLo = 0x003, kD2dSeedHi = 0x004;
constexpr std::uint32_t kAmps = 0x005;
constexpr std::uint32_t group(unsigned g) { return 0x010 + 8 * g; }
constexpr std::uint32_t slot(unsigned k) { return 0x040 + k; }
constexpr std::uint32_t table(unsigned g, unsigned level) { return 0x100 + 64 * g + level; }
constexpr std::uint16_t kPlastic = 0x1, kLearning = 0x2;
constexpr std::uint16_t kSlotValid = 0x8000;
}  // namespace reg

enum : unsigned { kStatic = 0, kStdp = 1, kRate = 2 };

struct Tables {
  std::array<std::uint8_t, 64> pot{};
  std::array<std::uint8_t, 64> dep{};
};

// The bounded nonlinear device of Querlioz et al. (§3): a± chosen so that
// `up` (`down`) pulses cross the range in the continuous model; steps in
// levels, Q4.4, rounded. Levels beyond `levels` keep 0 (never used).
Tables querlioz(unsigned levels, double up, double b_up, double down, double b_down) {
  const auto amplitude = [](double pulses, double b) { return b > 0 ? (std::exp(b) - 1) / (b * pulses) : 1 / pulses; };
  const double a_up = amplitude(up, b_up);
  const double a_down = amplitude(down, b_down);
  const double span = levels - 1.0;
  Tables t;
  for (unsigned l = 0; l < levels; ++l) {
    const double x = l / span;
    const double pot = a_up * std::exp(-b_up * x) * span * 16;
    const double dep = a_down * std::exp(-b_down * (1 - x)) * span * 16;
    t.pot[l] = static_cast<std::uint8_t>(std::clamp(std::lround(pot), 0L, 255L));
    t.dep[l] = static_cast<std::uint8_t>(std::clamp(std::lround(dep), 0L, 255L));
  }
  return t;
}

struct Group {
  unsigned rule = kStatic;
  bool inhibitory = false;
  unsigned levels = 64;
  std::uint16_t w_plus = 100;
  std::uint16_t w_minus = 37;
  std::uint16_t window = 1000;
  std::uint8_t high = 20;
  std::uint8_t low = 5;
  Tables tables = querlioz(64, 40, 3, 40, 3);
};

struct Variation {
  std::uint8_t d2d_amp = 0;
  std::uint32_t d2d_seed = 0;
  std::uint8_t c2c_amp = 0;
  std::uint32_t c2c_seed = 1;
};

// One synapse group's device, pulse by pulse, as §2 describes it.
struct Device {
  Group group;
  Variation var;
  std::uint32_t lfsr = 1;

  Device(const Group& g, const Variation& v = {}) : group(g), var(v), lfsr(v.c2c_seed) {}

  int d2d(unsigned s, unsigned n) const {
    std::uint32_t h = ((s << 8) | n) ^ var.d2d_seed;
    for (int round = 0; round < 3; ++round) {
      h ^= h << 13;
      h ^= h >> 17;
      h ^= h << 5;
    }
    return ((static_cast<int>(h >> 27) - 16) * var.d2d_amp) >> 4;
  }
  std::uint32_t lfsr_next() {
    for (int i = 0; i < 16; ++i) lfsr = (lfsr >> 1) ^ ((lfsr & 1u) ? 0x80200003u : 0u);
    return lfsr;
  }
  unsigned pulse(unsigned level, bool potentiate, unsigned s, unsigned n) {
    int q = potentiate ? group.tables.pot.at(level) : group.tables.dep.at(level);
    if (var.d2d_amp) q = std::clamp(q + d2d(s, n), 0, 255);
    unsigned steps = 0;
    if (var.c2c_amp) {
      const std::uint32_t x = lfsr_next();
      q = std::clamp(q + (((static_cast<int>(x & 31u) - 16) * var.c2c_amp) >> 4), 0, 255);
      steps = static_cast<unsigned>(q >> 4) + (((x >> 9) & 15u) < static_cast<unsigned>(q & 15) ? 1u : 0u);
    } else {
      steps = static_cast<unsigned>((q + 8) >> 4);
    }
    const unsigned top = group.levels - 1;
    return potentiate ? std::min(top, level + steps) : (level > steps ? level - steps : 0u);
  }
};

constexpr std::uint8_t syn(unsigned g, unsigned level) { return model::synapse_byte(g, level); }

std::string hex(std::uint32_t x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%03X", x);
  return buf;
}

// A space 2 write, as the host makes it; the register must read back.
template <class C>
void reg_write(C& c, std::uint32_t addr, std::uint16_t w) {
  c.write(reg::kSpace, addr, w);
  const std::uint16_t back = c.read(reg::kSpace, addr);
  CHECK_MESSAGE(back == w, c.name, ": space 2 register ", hex(addr), " reads back ", back, ", written ", w);
}

template <class C>
void write_group(C& c, unsigned g, const Group& grp) {
  reg_write(c, reg::group(g) + 0,
            static_cast<std::uint16_t>(grp.rule | (grp.inhibitory ? 4u : 0u) | ((grp.levels - 1) << 8)));
  reg_write(c, reg::group(g) + 1, grp.w_plus);
  reg_write(c, reg::group(g) + 2, grp.w_minus);
  reg_write(c, reg::group(g) + 3, grp.window);
  reg_write(c, reg::group(g) + 4, static_cast<std::uint16_t>(grp.high | (grp.low << 8)));
  for (unsigned l = 0; l < 64; ++l) {
    reg_write(c, reg::table(g, l), static_cast<std::uint16_t>(grp.tables.pot[l] | (grp.tables.dep[l] << 8)));
  }
}

template <class C>
void write_variation(C& c, const Variation& v) {
  reg_write(c, reg::kAmps, static_cast<std::uint16_t>(v.d2d_amp | (v.c2c_amp << 8)));
  reg_write(c, reg::kD2dSeedLo, static_cast<std::uint16_t>(v.d2d_seed));
  reg_write(c, reg::kD2dSeedHi, static_cast<std::uint16_t>(v.d2d_seed >> 16));
  reg_write(c, reg::kC2cSeedLo, static_cast<std::uint16_t>(v.c2c_seed));
  reg_write(c, reg::kC2cSeedHi, static_cast<std::uint16_t>(v.c2c_seed >> 16));
}

// Space 1: word s*128 + n/2 holds W[s][n] in its low byte for even n, in its
// high byte for odd n. A write keeps the other neuron's byte.
template <class C>
void set_synapse(C& c, unsigned s, unsigned n, std::uint8_t byte) {
  const std::uint32_t addr = s * kRowWords + n / 2;
  const std::uint16_t w = c.read(1, addr);
  c.write(1, addr, static_cast<std::uint16_t>(n % 2 ? (w & 0x00FFu) | (byte << 8) : (w & 0xFF00u) | byte));
}

template <class C>
std::uint8_t synapse(C& c, unsigned s, unsigned n) {
  const std::uint16_t w = c.read(1, s * kRowWords + n / 2);
  return static_cast<std::uint8_t>(n % 2 ? w >> 8 : w & 0xFFu);
}

template <class C>
unsigned level(C& c, unsigned s, unsigned n) {
  return model::level_of(synapse(c, s, n));
}

// ---------------------------------------------------------------------------
// The test bench: a few input channels, one or two post-synaptic neurons.

constexpr unsigned kPost = 6;      // post neuron (even: the low byte of its words)
constexpr unsigned kPostOdd = 9;   // post neuron of the staircases (odd: the high byte)
constexpr std::uint16_t kSrc = 3;  // the plastic input channel
constexpr std::uint16_t kSrc2 = 11;  // a second plastic input (variability: another device)
constexpr std::uint16_t kUnslotted = 12;  // a rate-rule input without a rate slot
constexpr std::array<std::uint16_t, 5> kDrivers = {250, 251, 252, 253, 254};  // static group 0, top level

// The post neurons: rest and reset 0, threshold 300 (Q8.8), a full leak
// each timestep (nothing is carried over), one weight unit = 1 Q8.8 unit,
// no refractory period, no adaptation. The five drivers (5 x 126 in plastic
// mode, 5 x 63 in static mode) make one fire in the timestep they arrive;
// two plastic synapses together (at most 2 x 126, or 2 x 127 read as static
// weights) never do. Every other neuron has an unreachable threshold.
constexpr std::int16_t kThreshold = 300;

template <class C>
void bench(C& c, std::initializer_list<unsigned> posts) {
  for (unsigned n = 0; n < kNeurons; ++n) {
    const bool post = std::find(posts.begin(), posts.end(), n) != posts.end();
    const std::array<std::uint16_t, 8> words =
        post ? std::array<std::uint16_t, 8>{0, 0, static_cast<std::uint16_t>(kThreshold), 32767, 1, 0, 0, 0}
             : std::array<std::uint16_t, 8>{0, 0, 0x7FFF, 0, 0, 0, 0, 0};
    for (unsigned p = 0; p < 8; ++p) c.write(0, n * 8 + p, words[p]);
  }
  Group drivers;  // group 0: static, excitatory, 64 levels
  write_group(c, 0, drivers);
  for (const unsigned d : kDrivers) {
    for (const unsigned n : posts) set_synapse(c, d, n, syn(0, 63));
  }
}

// Input events, pushed into the core shortly before their timestep.
struct Ev {
  std::uint32_t t;
  std::uint16_t ch;
};

struct Schedule {
  std::vector<Ev> ev;
  std::size_t next = 0;

  // Events of one timestep reach the core in the order they were added.
  void at(std::uint32_t t, std::uint16_t ch) {
    const auto from = ev.begin() + static_cast<std::ptrdiff_t>(next);
    ev.insert(std::upper_bound(from, ev.end(), t, [](std::uint32_t x, const Ev& e) { return x < e.t; }), Ev{t, ch});
  }
  void post(std::uint32_t t) {
    for (const auto d : kDrivers) at(t, d);
  }
  // Runs timesteps up to `until` - 1 (time() == until after).
  template <class C>
  void run_to(C& c, std::uint32_t until) {
    while (c.time() < until) {
      std::uint32_t stop = until;
      unsigned pushed = 0;
      while (next < ev.size() && ev[next].t < until) {
        if (pushed >= 32 && ev[next].t > c.time()) {  // keep the input FIFO short
          stop = ev[next].t;
          break;
        }
        REQUIRE_MESSAGE(ev[next].t >= c.time(), "schedule: event for timestep ", ev[next].t, " added too late");
        REQUIRE(c.push_input(ev[next].ch, ev[next].t));
        ++next;
        ++pushed;
      }
      c.step(stop - c.time());
    }
  }
};

template <class C>
void check_spikes(C& c, const std::vector<Spike>& want) {
  const auto got = c.take_spikes();
  CHECK_MESSAGE(got.size() == want.size(), c.name, ": ", got.size(), " spikes, expected ", want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    if (got[i] != want[i]) {
      FAIL_CHECK(c.name, ": spike ", i, " is neuron ", got[i].neuron, " at ", got[i].time, ", expected neuron ",
                 want[i].neuron, " at ", want[i].time);
      break;
    }
  }
}

// ---------------------------------------------------------------------------
// 1. The STDP window, measured by pairing.

// One pairing per delay t_post - t_pre, each from level 30 written back over
// space 1, far enough apart that no two pairings interact. The bench, group
// g (`grp`, an STDP group) and the mode are configured already.
template <class C>
void pairings(C& c, Trace& tr, unsigned g, const Group& grp, const std::vector<int>& delays) {
  const std::uint32_t reach = std::max(grp.w_plus, grp.w_minus) + 5u;
  for (const int delta : delays) REQUIRE(static_cast<std::uint32_t>(std::abs(delta)) <= reach);
  Device dev(grp);
  const unsigned l0 = 30;
  const std::uint32_t span = 2 * reach + 10;  // the pairing, then a gap longer than both windows
  Schedule sched;
  std::vector<Spike> want;
  std::uint32_t start = c.time() + 20;
  for (const int delta : delays) {
    CAPTURE(delta);
    sched.run_to(c, start);
    set_synapse(c, kSrc, kPost, syn(g, l0));
    REQUIRE(synapse(c, kSrc, kPost) == syn(g, l0));
    const Counts before = c.counters();
    const auto d = static_cast<std::uint32_t>(std::abs(delta));
    const std::uint32_t t_pre = delta >= 0 ? start : start + d;
    const std::uint32_t t_post = delta >= 0 ? start + d : start;
    sched.at(t_pre, kSrc);
    sched.post(t_post);
    want.push_back({t_post, kPost});
    sched.run_to(c, std::max(t_pre, t_post) + 1);
    const Counts after = c.counters();
    const std::uint8_t byte = synapse(c, kSrc, kPost);
    const unsigned l = model::level_of(byte);
    CHECK(model::group_of(byte) == g);
    if (delta >= 0 && delta <= grp.w_plus) {
      CHECK_MESSAGE(l == dev.pulse(l0, true, kSrc, kPost), "potentiation expected: level ", l);
      CHECK(after.pot == before.pot + 1);
      CHECK(after.dep == before.dep);
    } else if (delta < 0 && -delta <= grp.w_minus) {
      CHECK_MESSAGE(l == dev.pulse(l0, false, kSrc, kPost), "depression expected: level ", l);
      CHECK(after.pot == before.pot);
      CHECK(after.dep == before.dep + 1);
    } else {
      CHECK_MESSAGE(l == l0, "no change expected: level ", l);
      CHECK(after.pot == before.pot);
      CHECK(after.dep == before.dep);
    }
    tr.see("level after the pairing at delay " + std::to_string(delta), l);
    start += span;
  }
  sched.run_to(c, start);
  check_spikes(c, want);
}

// Every delay in lo..hi, with configured windows on group g.
template <class C>
void stdp_sweep(C& c, Trace& tr, unsigned g, std::uint16_t w_plus, std::uint16_t w_minus, int lo, int hi) {
  INFO("on the ", c.name);
  bench(c, {kPost});
  Group grp;
  grp.rule = kStdp;
  grp.w_plus = w_plus;
  grp.w_minus = w_minus;
  write_group(c, g, grp);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  std::vector<int> delays;
  for (int delta = lo; delta <= hi; ++delta) delays.push_back(delta);
  pairings(c, tr, g, grp, delays);
}

// Space 2 after reset reads as §6 says; then, with only the rule set, the
// default windows (W+ 100, W- 37) and linear tables (one level a pulse)
// act at their edges.
template <class C>
void reset_defaults(C& c, Trace& tr) {
  INFO("on the ", c.name);
  const auto expect_reg = [&](std::uint32_t addr, std::uint16_t want) {
    const std::uint16_t got = c.read(reg::kSpace, addr);
    CHECK_MESSAGE(got == want, "space 2 register ", hex(addr), " after reset: ", got, ", expected ", want);
    tr.see("reset " + hex(addr), got);
  };
  expect_reg(reg::kMode, reg::kLearning);  // static mode, learning on
  expect_reg(reg::kC2cSeedLo, 1);
  expect_reg(reg::kC2cSeedHi, 0);
  expect_reg(reg::kD2dSeedLo, 0);
  expect_reg(reg::kD2dSeedHi, 0);
  expect_reg(reg::kAmps, 0);
  for (unsigned g = 0; g < 4; ++g) {
    CAPTURE(g);
    expect_reg(reg::group(g) + 0, 63u << 8);  // static, excitatory, 64 levels
    expect_reg(reg::group(g) + 1, 100);
    expect_reg(reg::group(g) + 2, 37);
    expect_reg(reg::group(g) + 3, 1000);
    expect_reg(reg::group(g) + 4, 20 | (5 << 8));
    for (unsigned l = 0; l < 64; ++l) expect_reg(reg::table(g, l), 16 | (16 << 8));
  }
  for (unsigned k = 0; k < 8; ++k) expect_reg(reg::slot(k), 0);

  bench(c, {kPost});
  Group grp;
  grp.rule = kStdp;
  grp.tables = Tables{};
  grp.tables.pot.fill(16);
  grp.tables.dep.fill(16);
  c.write(reg::kSpace, reg::group(1), kStdp | (63u << 8));
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  pairings(c, tr, 1, grp, {-38, -37, -1, 0, 100, 101});
}

// W+ and W- at their largest, 16383 (the RTL's 15-bit timestamps and their
// scrubber, docs/plasticity.md §5): 16383 timesteps pair, 16384 do not.
// The run also takes time past 2^15 and 2^16.
template <class C>
void widest_windows(C& c, Trace& tr) {
  INFO("on the ", c.name);
  bench(c, {kPost});
  Group grp;
  grp.rule = kStdp;
  grp.w_plus = 16383;
  grp.w_minus = 16383;
  write_group(c, 1, grp);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  Device dev(grp);
  unsigned l = 30;
  set_synapse(c, kSrc, kPost, syn(1, l));
  Schedule sched;
  std::vector<Spike> want;
  struct Event {
    std::uint32_t t;
    bool post;
    int change;  // +1 potentiation, -1 depression, 0 none
    std::string what;
  };
  const std::uint32_t t0 = 100, t1 = t0 + 16383, t2 = t1 + 16383, t3 = t2 + 16384, t4 = t3 + 16384;
  const Event events[] = {
      {t0, false, 0, "pre (nothing to pair with)"},
      {t1, true, +1, "post 16383 after the pre: potentiates"},
      {t2, false, -1, "pre 16383 after the post: depresses"},
      {t3, true, 0, "post 16384 after the pre: nothing"},
      {t4, false, 0, "pre 16384 after the post: nothing"},
  };
  for (const auto& e : events) {
    INFO(e.what);
    if (e.post) {
      sched.post(e.t);
      want.push_back({e.t, kPost});
    } else {
      sched.at(e.t, kSrc);
    }
    sched.run_to(c, e.t + 1);
    const unsigned got = level(c, kSrc, kPost);
    CHECK(got == (e.change == 0 ? l : dev.pulse(l, e.change > 0, kSrc, kPost)));
    tr.see(e.what, got);
    l = got;
  }
  CHECK(c.counters().pot == 1);
  CHECK(c.counters().dep == 1);
  sched.run_to(c, t4 + 10);
  check_spikes(c, want);
}

// ---------------------------------------------------------------------------
// 2. Staircases.

// Potentiation pulses from level 0 (a pre and a post together), then
// depression pulses from where that ends (a post, then a pre), each level
// read back over space 1 after each pulse and compared with the device of
// §2. With variability two devices (sources kSrc and kSrc2) share the post
// neuron, so the pulses' order decides who gets which LFSR draw: ascending
// source for potentiation, delivery order (pushed kSrc2 first) for
// depression.
template <class C>
void staircase(C& c, Trace& tr, const Variation* var) {
  INFO("on the ", c.name);
  const unsigned n = kPostOdd;
  bench(c, {n});
  set_synapse(c, kSrc, n - 1, syn(0, 5));  // the other byte of the same word: static, must stay
  Group grp;
  grp.rule = kStdp;
  grp.levels = 48;
  grp.w_plus = 2;
  grp.w_minus = 2;
  grp.tables = querlioz(48, 24, 3, 30, 2);
  write_group(c, 1, grp);
  Device dev(grp, var ? *var : Variation{});
  if (var) write_variation(c, *var);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  const std::vector<std::uint16_t> sources = var ? std::vector<std::uint16_t>{kSrc, kSrc2}
                                                 : std::vector<std::uint16_t>{kSrc};
  std::vector<unsigned> levels(sources.size(), 0);
  for (const auto s : sources) set_synapse(c, s, n, syn(1, 0));
  const unsigned top = grp.levels - 1;
  Schedule sched;
  std::vector<Spike> want;
  std::uint32_t t = 20;
  std::uint32_t pulses = 0;
  const auto all_at = [&](unsigned l) { return std::all_of(levels.begin(), levels.end(), [&](unsigned x) { return x == l; }); };

  // Both windows are 2: pairings 8 timesteps apart do not interact.
  for (int i = 0, saturated = 0; saturated < 3 && i < 200; ++i, t += 8) {
    CAPTURE(i);
    for (auto it = sources.rbegin(); it != sources.rend(); ++it) sched.at(t, *it);
    sched.post(t);
    want.push_back({t, static_cast<std::uint16_t>(n)});
    sched.run_to(c, t + 1);
    for (std::size_t k = 0; k < sources.size(); ++k) {  // ascending source
      CAPTURE(sources[k]);
      CAPTURE(levels[k]);
      const unsigned expect = dev.pulse(levels[k], true, sources[k], n);
      const unsigned got = level(c, sources[k], n);
      CHECK(got == expect);
      CHECK(got >= levels[k]);
      CHECK(got <= top);
      if (!var && levels[k] < top) CHECK(got == std::min(top, levels[k] + ((grp.tables.pot[levels[k]] + 8u) >> 4)));
      levels[k] = got;
      tr.see("up " + std::to_string(i) + " source " + std::to_string(sources[k]), got);
    }
    pulses += static_cast<std::uint32_t>(sources.size());
    CHECK(c.counters().pot == pulses);  // pulses at the top are pulses too
    saturated = all_at(top) ? saturated + 1 : 0;
  }
  CHECK(all_at(top));

  pulses = 0;
  for (int i = 0, saturated = 0; saturated < 3 && i < 200; ++i, t += 8) {
    CAPTURE(i);
    sched.post(t);
    for (auto it = sources.rbegin(); it != sources.rend(); ++it) sched.at(t + 1, *it);
    want.push_back({t, static_cast<std::uint16_t>(n)});
    sched.run_to(c, t + 2);
    for (std::size_t j = sources.size(); j-- > 0;) {  // delivery order
      CAPTURE(sources[j]);
      CAPTURE(levels[j]);
      const unsigned expect = dev.pulse(levels[j], false, sources[j], n);
      const unsigned got = level(c, sources[j], n);
      CHECK(got == expect);
      CHECK(got <= levels[j]);
      if (!var && levels[j] > 0) {
        const unsigned steps = (grp.tables.dep[levels[j]] + 8u) >> 4;
        CHECK(got == (levels[j] > steps ? levels[j] - steps : 0u));
      }
      levels[j] = got;
      tr.see("down " + std::to_string(i) + " source " + std::to_string(sources[j]), got);
    }
    pulses += static_cast<std::uint32_t>(sources.size());
    CHECK(c.counters().dep == pulses);
    saturated = all_at(0) ? saturated + 1 : 0;
  }
  CHECK(all_at(0));
  CHECK(synapse(c, kSrc, n - 1) == syn(0, 5));
  sched.run_to(c, t);
  check_spikes(c, want);
}

// ---------------------------------------------------------------------------
// 3. The rate rule.

template <class C>
void rate_setup(C& c, const Group& grp) {
  bench(c, {kPost});
  write_group(c, 2, grp);
  reg_write(c, reg::slot(0), reg::kSlotValid | kSrc);
}

Group rate_group() {
  Group g;
  g.rule = kRate;
  return g;  // the 2017 experiment's window (1000) and thresholds (20, 5)
}

// The experiment's phases: the source paced at one rate from t = 0, the post
// neuron made to fire every 200 ms once a full second of history exists.
template <class C>
void rate_phase(C& c, Trace& tr, std::uint32_t period, int direction) {
  INFO("on the ", c.name);
  CAPTURE(period);
  const Group grp = rate_group();
  rate_setup(c, grp);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  Device dev(grp);
  unsigned l = 30;
  set_synapse(c, kSrc, kPost, syn(2, l));
  const unsigned posts = 8;
  const std::uint32_t first = 1150, every = 200, end = first + posts * every;
  Schedule sched;
  for (std::uint32_t t = 0; t < end; t += period) sched.at(t, kSrc);
  std::vector<Spike> want;
  for (unsigned k = 0; k < posts; ++k) {
    CAPTURE(k);
    const std::uint32_t tp = first + k * every;
    sched.post(tp);
    want.push_back({tp, kPost});
    sched.run_to(c, tp);
    CHECK_MESSAGE(level(c, kSrc, kPost) == l, "pre-synaptic spikes alone changed the level");
    const Counts before = c.counters();
    sched.run_to(c, tp + 1);
    const Counts after = c.counters();
    const unsigned got = level(c, kSrc, kPost);
    const unsigned expect = direction == 0 ? l : dev.pulse(l, direction > 0, kSrc, kPost);
    CHECK(got == expect);
    CHECK(after.pot == before.pot + (direction > 0 ? 1u : 0u));
    CHECK(after.dep == before.dep + (direction < 0 ? 1u : 0u));
    CHECK(after.unslotted == 0);
    tr.see("level after post spike " + std::to_string(k), got);
    l = got;
  }
  if (direction > 0) CHECK(l > 30);
  if (direction < 0) CHECK(l < 30);
  if (direction == 0) CHECK(l == 30);
  sched.run_to(c, end);
  check_spikes(c, want);
}

// The thresholds and the window edge, with a short configured window (100)
// and thresholds high 12, low 3: deliveries placed relative to one post
// spike per block, from level 30 each time. Source kUnslotted has a rate
// synapse but no slot: counted at every post spike, never changed.
template <class C>
void rate_edges(C& c, Trace& tr) {
  INFO("on the ", c.name);
  Group grp = rate_group();
  grp.window = 100;
  grp.high = 12;
  grp.low = 3;
  rate_setup(c, grp);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  set_synapse(c, kUnslotted, kPost, syn(2, 30));
  Device dev(grp);
  struct Block {
    std::string what;
    std::vector<int> at;  // delivery times relative to the post spike
    int direction;
  };
  const auto spaced = [](int from, int count) {
    std::vector<int> v;
    for (int i = 0; i < count; ++i) v.push_back(from + 7 * i);
    return v;
  };
  auto plus = [](std::vector<int> v, std::initializer_list<int> more) {
    v.insert(v.end(), more);
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<Block> blocks = {
      {"2 in the window: fewer than 3 depresses", {-90, -50}, -1},
      {"3 in the window: no change", {-90, -50, -10}, 0},
      {"12 in the window: no change", spaced(-99, 12), 0},
      {"13 in the window: more than 12 potentiates", spaced(-99, 13), +1},
      {"13, the oldest at t - 100 (outside): no change", plus(spaced(-92, 12), {-100}), 0},
      {"12, and one at the post spike's own timestep: potentiates", plus(spaced(-99, 12), {0}), +1},
      {"3, the oldest at t - 100 (outside): depresses", {-100, -50, -10}, -1},
  };
  Schedule sched;
  std::vector<Spike> want;
  std::uint32_t tp = 200;
  for (const auto& b : blocks) {
    INFO("block: ", b.what);
    sched.run_to(c, tp - 150);
    set_synapse(c, kSrc, kPost, syn(2, 30));
    for (const int d : b.at) sched.at(static_cast<std::uint32_t>(static_cast<int>(tp) + d), kSrc);
    sched.post(tp);
    want.push_back({tp, kPost});
    sched.run_to(c, tp);
    CHECK(level(c, kSrc, kPost) == 30);
    const Counts before = c.counters();
    sched.run_to(c, tp + 1);
    const Counts after = c.counters();
    const unsigned got = level(c, kSrc, kPost);
    CHECK(got == (b.direction == 0 ? 30u : dev.pulse(30, b.direction > 0, kSrc, kPost)));
    CHECK(after.pot == before.pot + (b.direction > 0 ? 1u : 0u));
    CHECK(after.dep == before.dep + (b.direction < 0 ? 1u : 0u));
    CHECK(after.unslotted == before.unslotted + 1);
    CHECK(level(c, kUnslotted, kPost) == 30);
    tr.see(b.what, got);
    tp += 300;
  }
  sched.run_to(c, tp);
  check_spikes(c, want);
}

// A source in several slots: the lowest holding it is its slot, the only
// one that records and is read; a higher one records nothing until it
// becomes the lowest, and a write empties a slot (§4, §6). Slot 2 follows
// kSrc (40 Hz) from the start; slots 5 and 1 are given kSrc late, slots 1
// and 2 are dropped, slot 1 is given kSrc again.
template <class C>
void rate_lowest_slot(C& c, Trace& tr) {
  INFO("on the ", c.name);
  const Group grp = rate_group();
  bench(c, {kPost});
  write_group(c, 2, grp);
  reg_write(c, reg::slot(2), reg::kSlotValid | kSrc);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  Device dev(grp);
  unsigned l = 30;
  set_synapse(c, kSrc, kPost, syn(2, l));
  Schedule sched;
  const std::uint32_t end = 1600;
  for (std::uint32_t t = 0; t < end; t += 25) sched.at(t, kSrc);
  std::vector<Spike> want;
  struct Step {
    std::uint32_t when;  // the slot write, between timesteps
    int slot;            // -1: none
    std::uint16_t word;
    std::uint32_t post;
    bool potentiate;
    std::string what;
  };
  const Step steps[] = {
      {1000, -1, 0, 1050, true, "slot 2 only: 40 deliveries in the window"},
      {1100, 5, reg::kSlotValid | kSrc, 1150, true, "slots 2 and 5: slot 2 is read (40), not slot 5 (3)"},
      {1200, 1, reg::kSlotValid | kSrc, 1250, false, "slots 1, 2 and 5: slot 1 is read (3 since written)"},
      {1300, 1, 0, 1350, true, "slot 1 dropped: slot 2 is read again (kept its 21)"},
      {1400, 2, 0, 1450, false, "slot 2 dropped: slot 5 is read, empty until now (3)"},
      {1500, 1, reg::kSlotValid | kSrc, 1550, false, "slot 1 again: the writes emptied it (3, not 7)"},
  };
  for (const auto& s : steps) {
    INFO(s.what);
    sched.run_to(c, s.when);
    if (s.slot >= 0) reg_write(c, reg::slot(static_cast<unsigned>(s.slot)), s.word);
    sched.post(s.post);
    want.push_back({s.post, kPost});
    sched.run_to(c, s.post + 1);
    const unsigned got = level(c, kSrc, kPost);
    CHECK(got == dev.pulse(l, s.potentiate, kSrc, kPost));
    tr.see(s.what, got);
    l = got;
  }
  sched.run_to(c, end);
  CHECK(c.counters().pot == 3);
  CHECK(c.counters().dep == 3);
  CHECK(c.counters().unslotted == 0);
  check_spikes(c, want);
}

// ---------------------------------------------------------------------------
// 4. Freeze, resume, host access.

// One STDP synapse kSrc -> kPost of group 1 (W+ 20, W- 9) at level 30, on
// the bench of bench(): the setup of the freeze and static-mode protocols.
// expect() checks the level read back over space 1, that the byte is still
// in group g (1 unless the test moves it), and the pulse counters; l follows
// the level read.
template <class C>
struct StdpRig {
  C& c;
  Trace& tr;
  Device dev;
  unsigned l = 30;
  unsigned g = 1;
  Schedule sched;
  std::vector<Spike> want;

  static Group group() {
    Group grp;
    grp.rule = kStdp;
    grp.w_plus = 20;
    grp.w_minus = 9;
    return grp;
  }

  StdpRig(C& core, Trace& trace) : c(core), tr(trace), dev(group()) {
    bench(c, {kPost});
    write_group(c, 1, group());
    set_synapse(c, kSrc, kPost, syn(1, l));
  }

  void post(std::uint32_t t) {
    sched.post(t);
    want.push_back({t, kPost});
  }

  void expect(const std::string& what, unsigned want_level, std::uint32_t pot, std::uint32_t dep) {
    INFO(what);
    const unsigned got = level(c, kSrc, kPost);
    CHECK(got == want_level);
    CHECK(model::group_of(synapse(c, kSrc, kPost)) == g);
    CHECK(c.counters().pot == pot);
    CHECK(c.counters().dep == dep);
    tr.see(what, got);
    l = got;
  }
};

template <class C>
void freeze_stdp(C& c, Trace& tr) {
  INFO("on the ", c.name);
  StdpRig<C> rig(c, tr);
  Device& dev = rig.dev;
  unsigned& l = rig.l;
  Schedule& sched = rig.sched;
  std::vector<Spike>& want = rig.want;
  const auto post = [&](std::uint32_t t) { rig.post(t); };
  const auto expect = [&](const std::string& what, unsigned want_level, std::uint32_t pot, std::uint32_t dep) {
    rig.expect(what, want_level, pot, dep);
  };

  // Frozen: a pairing each way changes nothing.
  reg_write(c, reg::kMode, reg::kPlastic);
  sched.at(50, kSrc);
  post(55);
  post(100);
  sched.at(103, kSrc);
  sched.run_to(c, 110);
  expect("frozen: pre 50 post 55, post 100 pre 103", 30, 0, 0);

  // A pre spike while frozen, resume, a post spike: potentiation at once.
  sched.at(150, kSrc);
  sched.run_to(c, 153);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  post(158);
  sched.run_to(c, 158);
  expect("resumed, before the post spike", l, 0, 0);
  sched.run_to(c, 159);
  expect("resumed: post 158 pairs with the frozen pre 150", dev.pulse(l, true, kSrc, kPost), 1, 0);

  // A pairing while frozen, resume, a pre spike: depression at once.
  sched.run_to(c, 200);
  reg_write(c, reg::kMode, reg::kPlastic);
  sched.at(200, kSrc);
  post(205);
  sched.run_to(c, 207);
  expect("frozen again: pre 200 post 205", l, 1, 0);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  sched.at(209, kSrc);
  sched.run_to(c, 210);
  expect("resumed: pre 209 after the frozen post 205", dev.pulse(l, false, kSrc, kPost), 1, 1);

  // The host writes a level between timesteps; learning continues from it.
  sched.run_to(c, 260);
  set_synapse(c, kSrc, kPost, syn(1, 10));
  expect("host wrote level 10", 10, 1, 1);
  sched.at(262, kSrc);
  post(265);
  sched.run_to(c, 266);
  expect("pairing from the host's level 10", dev.pulse(10, true, kSrc, kPost), 2, 1);
  sched.at(300, kSrc);
  sched.run_to(c, 302);
  set_synapse(c, kSrc, kPost, syn(1, 50));  // between the pre and the post spike
  post(305);
  sched.run_to(c, 306);
  expect("host wrote level 50 between pre 300 and post 305", dev.pulse(50, true, kSrc, kPost), 3, 1);

  // The host moves the synapse to the static group: the byte stays as written.
  sched.run_to(c, 340);
  set_synapse(c, kSrc, kPost, syn(0, 20));
  rig.g = 0;
  sched.at(350, kSrc);
  post(352);
  sched.run_to(c, 360);
  CHECK(synapse(c, kSrc, kPost) == syn(0, 20));
  expect("static group 0: pairing pre 350 post 352", 20, 3, 1);
  sched.run_to(c, 400);
  check_spikes(c, want);
}

// The rate rule's history keeps recording while frozen: after resuming, the
// first post spike acts on it.
template <class C>
void freeze_rate(C& c, Trace& tr) {
  INFO("on the ", c.name);
  const Group grp = rate_group();
  rate_setup(c, grp);
  reg_write(c, reg::kMode, reg::kPlastic);
  Device dev(grp);
  set_synapse(c, kSrc, kPost, syn(2, 30));
  Schedule sched;
  for (std::uint32_t t = 0; t < 1250; t += 25) sched.at(t, kSrc);
  std::vector<Spike> want;
  for (const std::uint32_t tp : {1050u, 1150u}) {
    sched.post(tp);
    want.push_back({tp, kPost});
  }
  sched.run_to(c, 1200);
  CHECK(level(c, kSrc, kPost) == 30);
  CHECK(c.counters().pot + c.counters().dep + c.counters().unslotted == 0);
  tr.see("frozen", level(c, kSrc, kPost));
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  sched.post(1210);
  want.push_back({1210, kPost});
  sched.run_to(c, 1211);
  const unsigned got = level(c, kSrc, kPost);
  CHECK_MESSAGE(got == dev.pulse(30, true, kSrc, kPost), "the first post spike after resuming potentiates");
  CHECK(c.counters().pot == 1);
  tr.see("resumed", got);
  sched.run_to(c, 1250);
  check_spikes(c, want);
}

// Histories are recorded in static mode too (plastic bit 0): switching to
// plastic mode needs no warm-up. In static mode the bytes are plain weights
// (the drivers' 0x3F is 63: five still fire the neuron) and nothing learns.
template <class C>
void static_mode_history(C& c, Trace& tr) {
  INFO("on the ", c.name);
  StdpRig<C> rig(c, tr);
  Device& dev = rig.dev;
  unsigned& l = rig.l;
  Schedule& sched = rig.sched;
  std::vector<Spike>& want = rig.want;
  const auto post = [&](std::uint32_t t) { rig.post(t); };
  const auto expect = [&](const std::string& what, unsigned want_level, std::uint32_t pot, std::uint32_t dep) {
    rig.expect(what, want_level, pot, dep);
  };

  reg_write(c, reg::kMode, reg::kLearning);  // static mode
  sched.at(50, kSrc);
  sched.run_to(c, 52);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  post(55);
  sched.run_to(c, 56);
  expect("pre 50 in static mode, post 55 in plastic mode", dev.pulse(l, true, kSrc, kPost), 1, 0);

  sched.run_to(c, 100);
  reg_write(c, reg::kMode, reg::kLearning);
  post(105);
  sched.run_to(c, 107);
  reg_write(c, reg::kMode, reg::kPlastic | reg::kLearning);
  sched.at(110, kSrc);
  sched.run_to(c, 111);
  expect("post 105 in static mode, pre 110 in plastic mode", dev.pulse(l, false, kSrc, kPost), 1, 1);

  sched.run_to(c, 150);
  reg_write(c, reg::kMode, reg::kLearning);
  sched.at(160, kSrc);
  post(162);
  sched.at(170, kSrc);
  sched.run_to(c, 180);
  expect("static mode: pre 160, post 162, pre 170 change nothing", l, 1, 1);
  sched.run_to(c, 200);
  check_spikes(c, want);
}

}  // namespace

TEST_CASE("plastic directed: STDP window W+ 20 W- 9, depression side, delays -14..-1") {
  on_model_and_rtl([](auto& c, Trace& tr) { stdp_sweep(c, tr, 1, 20, 9, -14, -1); });
}

TEST_CASE("plastic directed: STDP window W+ 20 W- 9, potentiation side, delays 0..25") {
  on_model_and_rtl([](auto& c, Trace& tr) { stdp_sweep(c, tr, 1, 20, 9, 0, 25); });
}

TEST_CASE("plastic directed: STDP window W+ 0 W- 1 on group 3, delays -6..5") {
  on_model_and_rtl([](auto& c, Trace& tr) { stdp_sweep(c, tr, 3, 0, 1, -6, 5); });
}

TEST_CASE("plastic directed: space 2 reads its reset values, and the default windows act at their edges") {
  on_model_and_rtl([](auto& c, Trace& tr) { reset_defaults(c, tr); });
}

TEST_CASE("plastic directed: windows of 16383 timesteps pair at 16383 and not at 16384") {
  on_model_and_rtl([](auto& c, Trace& tr) { widest_windows(c, tr); });
}

TEST_CASE("plastic directed: staircases up and down follow a Querlioz table, variability off") {
  on_model_and_rtl([](auto& c, Trace& tr) { staircase(c, tr, nullptr); });
}

TEST_CASE("plastic directed: staircases with d2d and c2c variability, two devices, level by level") {
  Variation v;
  v.d2d_amp = 40;
  v.d2d_seed = 0x0BADF00D;
  v.c2c_amp = 48;
  v.c2c_seed = 0x1234ABCD;
  on_model_and_rtl([&](auto& c, Trace& tr) { staircase(c, tr, &v); });
}

TEST_CASE("plastic directed: rate rule, pre at 10 Hz leaves the weight unchanged") {
  on_model_and_rtl([](auto& c, Trace& tr) { rate_phase(c, tr, 100, 0); });
}

TEST_CASE("plastic directed: rate rule, pre at 40 Hz potentiates at every post spike") {
  on_model_and_rtl([](auto& c, Trace& tr) { rate_phase(c, tr, 25, +1); });
}

TEST_CASE("plastic directed: rate rule, pre at 2 Hz depresses at every post spike") {
  on_model_and_rtl([](auto& c, Trace& tr) { rate_phase(c, tr, 500, -1); });
}

TEST_CASE("plastic directed: rate rule thresholds and window edge, and an unslotted source") {
  on_model_and_rtl([](auto& c, Trace& tr) { rate_edges(c, tr); });
}

TEST_CASE("plastic directed: a rate source in several slots is recorded and read by the lowest") {
  on_model_and_rtl([](auto& c, Trace& tr) { rate_lowest_slot(c, tr); });
}

TEST_CASE("plastic directed: STDP frozen changes nothing, resumes at once, continues from host-written levels") {
  on_model_and_rtl([](auto& c, Trace& tr) { freeze_stdp(c, tr); });
}

TEST_CASE("plastic directed: the rate history records while frozen") {
  on_model_and_rtl([](auto& c, Trace& tr) { freeze_rate(c, tr); });
}

TEST_CASE("plastic directed: histories record in static mode") {
  on_model_and_rtl([](auto& c, Trace& tr) { static_mode_history(c, tr); });
}
