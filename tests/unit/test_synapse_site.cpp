// The synapse site (docs/sites.md): forwarding with the weight byte, the
// 2017 rate rule's thresholds, window edge and history cap, pre events that
// never learn, the biological site's type filters, the STDP alternative,
// unknown ids, the devices' bounded monotonic response, and connectivity
// tables with their errors at file:line.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "spikelink/synapse_site.hpp"

using namespace spikelink::sites;

namespace {

std::string parse_error(const std::string& text) {
  try {
    parse_connectivity(text, "net.csv");
  } catch (const ConnectivityError& e) {
    return e.what();
  }
  return "no error";
}

// Silicon neuron 1 onto culture channel 100, one device.
SynapseSite one_synapse(SynapseSiteParams p = {}) { return SynapseSite({{1, 100, 1, 1}}, p); }

// `n` spikes of `pre` ending at tick `last`, one every `gap` ticks.
void spikes(SynapseSite& site, std::uint32_t pre, unsigned n, std::uint64_t last, std::uint64_t gap = 10) {
  for (unsigned i = n; i-- > 0;) site.on_pre(pre, last - gap * i);
}

}  // namespace

TEST_CASE("synapse site: a connectivity table is read with comments and blank lines") {
  const auto t = parse_connectivity("# pre, post, wordline, bitline\n"
                                    "0, 100, 1, 1\n"
                                    "\n"
                                    "  1 ,100,2 , 1   # a second input\r\n"
                                    "2,101,3,4");
  const SynapseTable expected = {{0, 100, 1, 1}, {1, 100, 2, 1}, {2, 101, 3, 4}};
  CHECK(t == expected);
  CHECK(parse_connectivity("").empty());
  CHECK(parse_connectivity("# nothing\n\n").empty());
  CHECK(parse_connectivity("16777215, 0, 32, 32\n").at(0).pre == kMaxNeuronId);
}

TEST_CASE("synapse site: connectivity errors name the source and line") {
  CHECK(parse_error("0,1,1,1\n0,1,1\n") == "net.csv:2: expected 4 fields 'pre, post, wordline, bitline', found 3");
  CHECK(parse_error("0,1,1,1,5\n") == "net.csv:1: expected 4 fields 'pre, post, wordline, bitline', found 5");
  CHECK(parse_error("# a\n\nx,1,1,1\n") == "net.csv:3: pre 'x' is not a non-negative integer");
  CHECK(parse_error("0,-1,1,1\n") == "net.csv:1: post '-1' is not a non-negative integer");
  CHECK(parse_error("0,1,1.5,1\n") == "net.csv:1: wordline '1.5' is not a non-negative integer");
  CHECK(parse_error("0,1,1,\n") == "net.csv:1: bitline is empty");
  CHECK(parse_error("0 1 1 1\n") == "net.csv:1: expected 4 fields 'pre, post, wordline, bitline', found 1");
  CHECK(parse_error("16777216,1,1,1\n") == "net.csv:1: pre 16777216 is out of range (at most 16777215)");
  CHECK(parse_error("0,1,1,1\n2,3,1,2\n0,1,4,4\n") == "net.csv:3: synapse 0 -> 1 is already defined at line 1");

  const auto path = (std::filesystem::temp_directory_path() /
                     ("spikelink-test-" + std::to_string(::getpid()) + "-connectivity.csv"))
                        .string();
  std::ofstream(path) << "# the 2017 pair\n1, 100, 1, 1\n1, 100, 2, 2\n";
  try {
    load_connectivity(path);
    FAIL("no error");
  } catch (const ConnectivityError& e) {
    CHECK(std::string(e.what()) == path + ":3: synapse 1 -> 100 is already defined at line 2");
  }
  std::ofstream(path) << "1, 100, 1, 1\n";
  CHECK(load_connectivity(path) == SynapseTable{{1, 100, 1, 1}});
  std::filesystem::remove(path);
  const std::string missing = path + ": cannot open it";
  CHECK_THROWS_WITH_AS(load_connectivity(path), missing.c_str(), ConnectivityError);
}

TEST_CASE("synapse site: a pre spike is forwarded to each post partner with the weight byte") {
  SynapseSite site({{1, 100, 1, 1}, {1, 101, 1, 2}, {2, 100, 2, 1}});
  site.set_resistance(1, 100, 6500);  // half way: round(127.5) = 128
  site.set_resistance(1, 101, 5000);  // 255 / 5 = 51
  auto out = site.on_pre(1, 1234);
  const std::vector<Forward> expected = {{1, 100, 128, 1234}, {1, 101, 51, 1234}};
  CHECK(out == expected);
  CHECK(site.on_pre(2, 1300) == std::vector<Forward>{{2, 100, 0, 1300}});  // the initial state, Rmin
  CHECK(site.counters().forwards == 3);
  CHECK(site.counters().pre_events == 2);
  CHECK(site.now() == 1300);

  // The legacy mapping at its ends, clipped outside Rmin..Rmax.
  site.set_resistance(1, 100, 9000);
  CHECK(site.weight_byte(1, 100) == 255);
  site.set_resistance(1, 100, 12000);
  CHECK(site.weight_byte(1, 100) == 255);
  CHECK(site.resistance(1, 100) == 9000);
  site.set_resistance(1, 100, 4000);
  CHECK(site.weight_byte(1, 100) == 0);
  site.set_resistance(1, 100, 4010);  // 255 * 10 / 5000 = 0.51
  CHECK(site.weight_byte(1, 100) == 1);
  CHECK_THROWS_AS(site.weight_byte(2, 101), std::out_of_range);
}

TEST_CASE("synapse site: pre events never change a weight") {
  SynapseSite site = one_synapse();
  site.set_resistance(1, 100, 6000);
  const auto w = site.weight_byte(1, 100);
  spikes(site, 1, 500, 100'000, 20);  // far above the rate rule's 20 a second
  CHECK(site.weight_byte(1, 100) == w);
  CHECK(site.counters().pulses_pot == 0);
  CHECK(site.counters().pulses_dep == 0);
}

TEST_CASE("synapse site: the rate rule potentiates above 20 pre spikes a second, depresses below 5") {
  for (unsigned n = 0; n <= 30; ++n) {
    CAPTURE(n);
    SynapseSite site = one_synapse();
    site.set_resistance(1, 100, 6500);
    const std::uint64_t t = 100'000;
    if (n > 0) spikes(site, 1, n, t - 5, 600);  // all within the last second
    CHECK(site.rate_count(1, t) == n);
    site.on_post(100, 2, t);
    const bool pot = n > 20, dep = n < 5;
    CHECK(site.counters().pulses_pot == (pot ? 1 : 0));
    CHECK(site.counters().pulses_dep == (dep ? 1 : 0));
    if (pot) CHECK(site.weight_byte(1, 100) > 128);
    if (dep) CHECK(site.weight_byte(1, 100) < 128);
    if (!pot && !dep) CHECK(site.weight_byte(1, 100) == 128);
  }
}

TEST_CASE("synapse site: the rate window is the last 20000 ticks, the post event's tick included") {
  const std::uint64_t t = 50'000;
  for (const auto& [oldest, expected_pot] : {std::pair{t - 19'999, true}, std::pair{t - 20'000, false}}) {
    CAPTURE(oldest);
    SynapseSite site = one_synapse();
    site.on_pre(1, oldest);
    spikes(site, 1, 19, t - 1, 100);
    site.on_pre(1, t);  // at the post event's tick: counted
    site.on_pre(1, t + 1);  // after it: not counted
    CHECK(site.rate_count(1, t) == (expected_pot ? 21 : 20));
    site.on_post(100, 0, t);
    CHECK(site.counters().pulses_pot == (expected_pot ? 1 : 0));
    CHECK(site.counters().pulses_dep == 0);
  }
}

TEST_CASE("synapse site: only the pre neuron's last 100 stored spikes are counted") {
  SynapseSite site = one_synapse();
  spikes(site, 1, 150, 10'000, 50);  // 150 in the last 7450 ticks
  CHECK(site.rate_count(1, 10'000) == 100);

  // The cap decides when it is below the thresholds: with 12 stored, 30
  // spikes a second count as 12, neither potentiation nor depression.
  SynapseSiteParams p;
  p.history = 12;
  SynapseSite capped = one_synapse(p);
  spikes(capped, 1, 30, 10'000, 50);
  CHECK(capped.rate_count(1, 10'000) == 12);
  capped.on_post(100, 2, 10'000);
  CHECK(capped.counters().pulses_pot == 0);
  CHECK(capped.counters().pulses_dep == 0);
}

TEST_CASE("synapse site: from the biological site types 0 and 2 learn, types 1 and 2 are spikes") {
  // Silicon 1 -> culture 100 -> silicon 2: the culture's channel is a post
  // (it learns) and a pre (its spikes are stored and forwarded).
  const SynapseTable chain = {{1, 100, 1, 1}, {100, 2, 2, 2}};
  for (const unsigned t : {0u, 1u, 2u}) {
    const auto type = static_cast<std::uint8_t>(t);
    CAPTURE(t);
    SynapseSite site(chain);
    site.set_resistance(1, 100, 6500);
    site.set_resistance(100, 2, 9000);
    const auto out = site.on_post(100, type, 1000);  // no pre spikes: the rate rule depresses
    const bool learns = type == 0 || type == 2, spike = type == 1 || type == 2;
    CHECK(site.counters().pulses_dep == (learns ? 1 : 0));
    CHECK(site.rate_count(100, 1000) == (spike ? 1 : 0));
    if (spike)
      CHECK(out == std::vector<Forward>{{100, 2, 255, 1000}});
    else
      CHECK(out.empty());
    CHECK(site.counters().post_events == 1);
  }
  SynapseSite site(chain);
  CHECK(site.on_post(100, 3, 1000).empty());
  CHECK(site.counters().bad_type == 1);
  CHECK(site.counters().post_events == 0);
}

TEST_CASE("synapse site: a silicon post neuron's spike is taken as type 2") {
  SynapseSite site({{100, 2, 1, 1}, {2, 3, 1, 2}});
  spikes(site, 100, 25, 5000, 100);
  const auto out = site.on_post_spike(2, 5000);
  CHECK(site.counters().pulses_pot == 1);          // it learns
  CHECK(site.rate_count(2, 5000) == 1);            // and it is a spike
  CHECK(out == std::vector<Forward>{{2, 3, 0, 5000}});
}

TEST_CASE("synapse site: the STDP alternative, when enabled, pairs within 2000 ticks before and 750 after") {
  CHECK(SynapseSiteParams{}.rule == SiteRule::kRate);
  SynapseSiteParams p;
  p.rule = SiteRule::kStdp;
  const std::uint64_t t = 10'000;
  struct Case {
    std::uint64_t pre;
    int expected;  // +1 potentiation, -1 depression, 0 none
  };
  for (const Case c : {Case{t, 1}, Case{t - 2000, 1}, Case{t - 2001, 0}, Case{t + 1, -1}, Case{t + 750, -1},
                       Case{t + 751, 0}}) {
    CAPTURE(c.pre);
    SynapseSite site = one_synapse(p);
    site.set_resistance(1, 100, 6500);
    site.on_pre(1, c.pre);
    site.on_post(100, 2, t);
    CHECK(site.counters().pulses_pot == (c.expected > 0 ? 1 : 0));
    CHECK(site.counters().pulses_dep == (c.expected < 0 ? 1 : 0));
  }
  // A pre spike in each window: potentiation wins, one pulse only.
  SynapseSite both = one_synapse(p);
  both.on_pre(1, t - 100);
  both.on_pre(1, t + 100);
  both.on_post(100, 0, t);
  CHECK(both.counters().pulses_pot == 1);
  CHECK(both.counters().pulses_dep == 0);
  // Type 1 does not learn under STDP either.
  both.on_post(100, 1, t);
  CHECK(both.counters().pulses_pot == 1);
}

TEST_CASE("synapse site: events of neurons the table does not name are dropped and counted") {
  SynapseSite site({{1, 100, 1, 1}});
  CHECK(site.on_pre(7, 10).empty());
  CHECK(site.on_pre(100, 10).empty());  // a post neuron is no pre
  CHECK(site.on_post(8, 2, 10).empty());
  CHECK(site.counters().unknown_pre == 2);
  CHECK(site.counters().unknown_post == 1);
  CHECK(site.counters().forwards == 0);
  CHECK(site.counters().pulses_dep == 0);
}

TEST_CASE("synapse site: weight bytes move monotonically with pulses and saturate at the bounds") {
  SynapseSite site = one_synapse();
  std::vector<int> up{site.weight_byte(1, 100)};
  for (int i = 0; i < 60; ++i) {
    site.pulse(1, 100, true);
    up.push_back(site.weight_byte(1, 100));
  }
  for (std::size_t i = 1; i < up.size(); ++i) CHECK(up[i] >= up[i - 1]);
  CHECK(up[40] == 255);  // pulses_up pulses span the range
  CHECK(up[38] < 255);
  CHECK(up.back() == 255);
  CHECK(site.resistance(1, 100) == 9000);
  // Nonlinear (b+ = 3): the first steps are the largest.
  CHECK(up[1] - up[0] > 3 * (up[30] - up[29]));

  std::vector<int> down{255};
  for (int i = 0; i < 60; ++i) {
    site.pulse(1, 100, false);
    down.push_back(site.weight_byte(1, 100));
  }
  for (std::size_t i = 1; i < down.size(); ++i) CHECK(down[i] <= down[i - 1]);
  CHECK(down[40] == 0);
  CHECK(down.back() == 0);
  CHECK(site.resistance(1, 100) == 4000);
  CHECK(site.counters().pulses_pot == 60);  // pulses at a bound still count
  CHECK(site.counters().pulses_dep == 60);

  // Linear devices step by 255 / pulses.
  SynapseSiteParams lin;
  lin.nonlinearity_up = lin.nonlinearity_down = 0;
  lin.pulses_up = 5;
  SynapseSite linear = one_synapse(lin);
  for (const int expected : {51, 102, 153, 204, 255, 255}) {
    linear.pulse(1, 100, true);
    CHECK(linear.weight_byte(1, 100) == expected);
  }

  // Cycle-to-cycle noise: still monotonic and bounded, seeded, different steps.
  SynapseSiteParams noisy;
  noisy.c2c = 0.5;
  noisy.seed = 9;
  SynapseSite a = one_synapse(noisy), b = one_synapse(noisy), clean = one_synapse();
  bool differs = false;
  for (int i = 0; i < 80; ++i) {
    const bool pot = (i / 20) % 2 == 0;
    const double before = a.resistance(1, 100);
    a.pulse(1, 100, pot);
    b.pulse(1, 100, pot);
    clean.pulse(1, 100, pot);
    CHECK(a.resistance(1, 100) == b.resistance(1, 100));
    CHECK(pot ? a.resistance(1, 100) >= before : a.resistance(1, 100) <= before);
    CHECK(a.resistance(1, 100) >= 4000);
    CHECK(a.resistance(1, 100) <= 9000);
    differs = differs || a.resistance(1, 100) != clean.resistance(1, 100);
  }
  CHECK(differs);
}

TEST_CASE("synapse site: the pulse amplitude is the tables tool's: pulses_up steps span the range, one fewer do not") {
  for (const double b : {0.0, 1.0, 3.0, 5.0}) {
    for (const unsigned pulses : {1u, 8u, 40u, 100u}) {
      CAPTURE(b);
      CAPTURE(pulses);
      const double a = querlioz_amplitude(pulses, b);
      double x = 0;
      for (unsigned i = 0; i + 1 < pulses; ++i) x += a * std::exp(-b * x);
      CHECK(x < 1.0);
      x += a * std::exp(-b * x);
      CHECK(x >= 1.0);
    }
  }
  CHECK(querlioz_amplitude(40, 0) == doctest::Approx(1.0 / 40));
}

TEST_CASE("synapse site: synapses on one device share its weight, and bad parameters are refused") {
  SynapseSite site({{1, 100, 3, 3}, {2, 100, 3, 3}});
  site.pulse(1, 100, true);
  CHECK(site.weight_byte(2, 100) == site.weight_byte(1, 100));
  CHECK(site.weight_byte(2, 100) > 0);

  const auto refused = [](auto edit) {
    SynapseSiteParams p;
    edit(p);
    CHECK_THROWS_AS(SynapseSite({{1, 100, 1, 1}}, p), std::invalid_argument);
  };
  refused([](SynapseSiteParams& p) { p.r_min_ohm = 9000; });
  refused([](SynapseSiteParams& p) { p.pulses_up = 0; });
  refused([](SynapseSiteParams& p) { p.nonlinearity_down = -1; });
  refused([](SynapseSiteParams& p) { p.history = 0; });
  CHECK_THROWS_AS(SynapseSite({{1, 100, 1, 1}, {1, 100, 2, 2}}), std::invalid_argument);
}
