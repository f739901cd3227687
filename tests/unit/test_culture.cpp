// The culture emulator (docs/sites.md): background rates and bursts as
// configured over long seeded runs, the evoked probability's ends and
// monotony, the latency, refractoriness, determinism whatever the cut of time
// into calls, and its cost at 1000 neurons.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "spikelink/culture.hpp"

using namespace spikelink::sites;

namespace {

// A culture that only answers stimuli.
CultureParams quiet() {
  CultureParams p;
  p.spontaneous_hz = 0;
  p.burst_hz = 0;
  return p;
}

std::size_t count_type(const std::vector<CultureEvent>& ev, CultureEventType type) {
  return static_cast<std::size_t>(std::count_if(ev.begin(), ev.end(), [&](const auto& e) { return e.type == type; }));
}

}  // namespace

TEST_CASE("culture: with no stimulation and no bursts the background rate matches spontaneous_hz") {
  CultureParams p;
  p.neurons = 100;
  p.burst_hz = 0;
  p.seed = 7;
  Culture c(p);
  const std::uint64_t seconds = 200;
  const auto ev = c.advance_to(seconds * 1'000'000);
  CHECK(std::is_sorted(ev.begin(), ev.end(), [](const auto& a, const auto& b) { return a.t_us < b.t_us; }));
  CHECK(count_type(ev, CultureEventType::kSpontaneous) == ev.size());
  std::vector<std::size_t> per(p.neurons);
  for (const auto& e : ev) {
    REQUIRE(e.neuron < p.neurons);
    ++per[e.neuron];
  }
  // A Poisson process with a dead time tau after each spike fires at r / (1 + r tau).
  const double tau = static_cast<double>(p.refractory_us) * 1e-6;
  const double expected = p.spontaneous_hz / (1 + p.spontaneous_hz * tau) * static_cast<double>(p.neurons * seconds);
  CHECK(std::abs(static_cast<double>(ev.size()) - expected) < 4 * std::sqrt(expected));
  CHECK(c.counters().spontaneous == ev.size());
  // Every channel fires at about the same rate (no channel silent or runaway).
  for (const std::size_t n : per) CHECK(std::abs(static_cast<double>(n) / seconds - 1.98) < 0.5);
  // The inter-spike intervals respect the refractory period.
  std::vector<std::uint64_t> last(p.neurons, 0);
  std::vector<bool> seen(p.neurons, false);
  std::uint64_t short_isi = 0;
  for (const auto& e : ev) {
    if (seen[e.neuron] && e.t_us - last[e.neuron] < p.refractory_us) ++short_isi;
    seen[e.neuron] = true;
    last[e.neuron] = e.t_us;
  }
  CHECK(short_isi == 0);
}

TEST_CASE("culture: network bursts come at burst_hz and recruit most channels for several spikes") {
  CultureParams p;
  p.spontaneous_hz = 0;  // only bursts, so each burst is a clean group of events
  p.seed = 11;
  Culture c(p);
  const std::uint64_t seconds = 1000;
  const auto ev = c.advance_to(seconds * 1'000'000);
  REQUIRE(!ev.empty());
  // Group by gaps longer than half a second (a burst lasts 100 ms and the
  // next starts at least 1 s after it started).
  struct Group {
    std::uint64_t first, last;
    std::set<std::uint32_t> channels;
    std::size_t spikes = 0;
  };
  std::vector<Group> groups;
  for (const auto& e : ev) {
    if (groups.empty() || e.t_us - groups.back().last > 500'000) groups.push_back({e.t_us, e.t_us, {}, 0});
    groups.back().last = e.t_us;
    groups.back().channels.insert(e.neuron);
    ++groups.back().spikes;
  }
  const double expected = p.burst_hz * static_cast<double>(seconds);
  CHECK(groups.size() == c.counters().bursts);
  CHECK(std::abs(static_cast<double>(groups.size()) - expected) < 4 * std::sqrt(expected));
  double participation = 0;
  for (const auto& g : groups) {
    CHECK(g.last - g.first < p.burst_duration_us);
    participation += static_cast<double>(g.channels.size()) / p.neurons;
  }
  participation /= static_cast<double>(groups.size());
  CHECK(participation == doctest::Approx(p.burst_participation).epsilon(0.03));
  // Spikes drawn per participating channel (those a refractory period ate
  // included) average burst_spikes; most (~85 %) survive.
  double channels = 0;
  for (const auto& g : groups) channels += static_cast<double>(g.channels.size());
  const double drawn = static_cast<double>(ev.size() + c.counters().suppressed) / channels;
  CHECK(drawn == doctest::Approx(p.burst_spikes).epsilon(0.04));
  CHECK(static_cast<double>(ev.size()) / channels > 0.8 * p.burst_spikes);
}

TEST_CASE("culture: the default culture fires a few Hz a channel, bursts included") {
  Culture c(CultureParams{});
  const std::uint64_t seconds = 300;
  const auto ev = c.advance_to(seconds * 1'000'000);
  const double rate = static_cast<double>(ev.size()) / (60.0 * seconds);
  // About 2 Hz background and 0.2 bursts/s x 0.8 x ~3.4 spikes.
  CHECK(rate > 2.3);
  CHECK(rate < 3.0);
  CHECK(c.counters().bursts > 40);
}

TEST_CASE("culture: the evoked probability is 0 at weight 0, 1 at 255, and monotonic") {
  Culture c(quiet());
  CHECK(c.evoke_probability(0) == 0.0);
  CHECK(c.evoke_probability(10) < 0.01);
  CHECK(c.evoke_probability(128) == doctest::Approx(0.5).epsilon(0.02));
  CHECK(c.evoke_probability(245) > 0.99);
  CHECK(c.evoke_probability(255) == 1.0);
  for (unsigned w = 1; w < 256; ++w)
    CHECK(c.evoke_probability(static_cast<std::uint8_t>(w)) > c.evoke_probability(static_cast<std::uint8_t>(w - 1)));

  // Measured: stimuli 20 ms apart (beyond latency and refractory period).
  for (const unsigned w : {0u, 3u, 64u, 128u, 192u, 252u, 255u}) {
    CAPTURE(w);
    CultureParams p = quiet();
    p.seed = 100 + w;
    Culture k(p);
    const unsigned n = 2000;
    for (unsigned i = 0; i < n; ++i) k.stimulate(3, static_cast<std::uint8_t>(w), std::uint64_t{20'000} * i);
    const auto ev = k.advance_to(std::uint64_t{20'000} * n);
    const auto evoked = count_type(ev, CultureEventType::kEvoked);
    CHECK(evoked + count_type(ev, CultureEventType::kPsp) == n);
    const double pw = k.evoke_probability(static_cast<std::uint8_t>(w));
    const double sigma = std::sqrt(n * pw * (1 - pw));
    CHECK(std::abs(static_cast<double>(evoked) - n * pw) <= 4 * sigma + 0.5);
    if (w == 0) CHECK(evoked == 0);
    if (w == 255) CHECK(evoked == n);
  }
}

TEST_CASE("culture: evoked spikes come at the configured latency") {
  CultureParams p = quiet();
  p.latency_jitter_us = 0;
  p.latency_us = 4'000;
  Culture exact(p);
  for (std::uint64_t i = 0; i < 50; ++i) exact.stimulate(static_cast<std::uint32_t>(i % 7), 255, 1'000 + 30'000 * i);
  auto ev = exact.advance_to(10'000'000);
  REQUIRE(ev.size() == 50);
  for (std::uint64_t i = 0; i < 50; ++i) {
    CHECK(ev[i].type == CultureEventType::kEvoked);
    CHECK(ev[i].neuron == i % 7);
    CHECK(ev[i].t_us == 1'000 + 30'000 * i + 4'000);
  }

  p.latency_jitter_us = 1'000;
  Culture jittered(p);
  for (std::uint64_t i = 0; i < 400; ++i) jittered.stimulate(0, 255, 30'000 * i);
  ev = jittered.advance_to(20'000'000);
  REQUIRE(ev.size() == 400);
  std::uint64_t early = 0, late = 0;
  for (std::uint64_t i = 0; i < 400; ++i) {
    const std::uint64_t latency = ev[i].t_us - 30'000 * i;
    CHECK(latency >= 3'000);
    CHECK(latency <= 5'000);
    early += latency < 4'000;
    late += latency > 4'000;
  }
  CHECK(early > 100);
  CHECK(late > 100);
}

TEST_CASE("culture: a neuron in its refractory period does not respond") {
  CultureParams p = quiet();
  p.latency_jitter_us = 0;  // evoked at exactly 5 ms, refractory for 5 ms after
  Culture c(p);
  c.stimulate(2, 255, 0);       // evokes at 5000
  c.stimulate(2, 255, 2'000);   // in its latency: committed, no response
  c.stimulate(2, 255, 9'999);   // refractory until 10000
  c.stimulate(2, 255, 10'000);  // responds: evoked at 15000
  c.stimulate(3, 255, 10'000);  // another neuron is not affected
  const auto ev = c.advance_to(100'000);
  const std::vector<CultureEvent> expected = {
      {2'000, 2, CultureEventType::kPsp},         {5'000, 2, CultureEventType::kEvoked},
      {9'999, 2, CultureEventType::kPsp},         {15'000, 2, CultureEventType::kEvoked},
      {15'000, 3, CultureEventType::kEvoked},
  };
  CHECK(ev == expected);
  CHECK(c.counters().refractory_stimuli == 2);
  CHECK(c.counters().psp == 2);
  CHECK(c.counters().evoked == 3);

  // After a spontaneous spike too: stimulated right after each of its
  // spikes, a busy channel never answers.
  CultureParams q;
  q.neurons = 4;
  q.spontaneous_hz = 20;
  q.burst_hz = 0;
  q.report_psp = false;
  Culture s(q);
  std::uint64_t stimulated = 0;
  for (std::uint64_t t = 0; t < 20'000'000 && stimulated < 100; t += 1'000) {
    for (const auto& e : s.advance_to(t)) {
      if (e.type != CultureEventType::kSpontaneous || e.neuron != 1) continue;
      s.stimulate(1, 255, t + 1);  // within 1 ms of the spike
      ++stimulated;
    }
  }
  CHECK(stimulated == 100);
  CHECK(s.counters().refractory_stimuli == 100);
  CHECK(s.counters().evoked == 0);
}

TEST_CASE("culture: the events do not depend on how time is cut into advance_to calls") {
  CultureParams p;
  p.neurons = 200;
  p.seed = 42;
  p.burst_hz = 0.5;
  std::mt19937_64 rng(5);
  struct Stim {
    std::uint64_t t;
    std::uint32_t n;
    std::uint8_t w;
  };
  std::vector<Stim> stims;
  for (std::uint64_t t = 0; t < 20'000'000; t += 1 + rng() % 20'000)
    stims.push_back({t, static_cast<std::uint32_t>(rng() % p.neurons), static_cast<std::uint8_t>(rng())});
  const std::uint64_t end = 21'000'000;

  Culture whole(p);
  for (const auto& s : stims) whole.stimulate(s.n, s.w, s.t);
  const auto reference = whole.advance_to(end);
  CHECK(count_type(reference, CultureEventType::kEvoked) > 100);
  CHECK(count_type(reference, CultureEventType::kPsp) > 100);

  for (const std::uint64_t max_step : {1ull, 997ull, 50'000ull, 3'000'000ull}) {
    CAPTURE(max_step);
    Culture chunked(p);
    std::vector<CultureEvent> got;
    std::mt19937_64 cut(max_step);
    std::uint64_t t = 0;
    std::size_t next = 0;
    while (t < end) {
      t = std::min(end, t + 1 + cut() % max_step);
      // Stimuli due by now go in first, then time moves on to t.
      while (next < stims.size() && stims[next].t <= t) {
        const auto& s = stims[next++];
        const auto part = chunked.advance_to(s.t);
        got.insert(got.end(), part.begin(), part.end());
        chunked.stimulate(s.n, s.w, s.t);
      }
      const auto part = chunked.advance_to(t);
      got.insert(got.end(), part.begin(), part.end());
      if (max_step == 1 && t > 2'000'000) break;  // 1 us steps: two seconds are enough
    }
    const std::vector<CultureEvent> prefix(reference.begin(),
                                           std::find_if(reference.begin(), reference.end(),
                                                        [&](const auto& e) { return e.t_us > t; }));
    CHECK(got == prefix);
    CHECK(chunked.counters().late_stimuli == 0);
  }

  p.seed = 43;
  Culture other(p);
  for (const auto& s : stims) other.stimulate(s.n, s.w, s.t);
  CHECK(other.advance_to(end) != reference);
}

TEST_CASE("culture: unknown neurons and late stimuli are counted") {
  CultureParams p = quiet();
  p.latency_jitter_us = 0;
  Culture c(p);
  c.stimulate(60, 255, 1'000);  // neurons 0..59
  CHECK(c.counters().unknown_neuron == 1);
  CHECK(c.counters().stimuli == 0);
  CHECK(c.advance_to(50'000).empty());
  c.stimulate(0, 255, 10'000);  // before the present: taken at 50 ms
  CHECK(c.counters().late_stimuli == 1);
  const auto ev = c.advance_to(100'000);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].t_us == 55'000);
  // advance_to into the past returns nothing and moves nothing.
  CHECK(c.advance_to(10).empty());
  CHECK(c.now_us() == 100'000);
}

TEST_CASE("culture: parameters out of range are refused") {
  const auto refused = [](auto edit) {
    CultureParams p;
    edit(p);
    CHECK_THROWS_AS(Culture{p}, std::invalid_argument);
  };
  refused([](CultureParams& p) { p.neurons = 0; });
  refused([](CultureParams& p) { p.spontaneous_hz = -1; });
  refused([](CultureParams& p) { p.burst_participation = 1.5; });
  refused([](CultureParams& p) { p.burst_spikes = 0.5; });
  refused([](CultureParams& p) { p.burst_hz = 2; });  // bursts at least 1 s apart cannot come twice a second
  refused([](CultureParams& p) { p.burst_min_interval_us = 50'000; });  // bursts of 100 ms would overlap
  refused([](CultureParams& p) { p.threshold_slope = 0; });
  refused([](CultureParams& p) { p.latency_jitter_us = p.latency_us + 1; });
  CHECK_NOTHROW(Culture{CultureParams{}});
}

TEST_CASE("culture: 1000 neurons in real time cost well under 1 % of a CPU") {
  CultureParams p;
  p.neurons = 1000;
  Culture c(p);
  const std::uint64_t seconds = 60;
  std::size_t events = 0;
  const auto start = std::chrono::steady_clock::now();
  // As a bridge drives it: a call a millisecond, and 100 stimuli a second.
  for (std::uint64_t ms = 1; ms <= seconds * 1000; ++ms) {
    if (ms % 10 == 0) c.stimulate(static_cast<std::uint32_t>(ms % 1000), 200, ms * 1000);
    events += c.advance_to(ms * 1000).size();
  }
  const double cpu = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("1000 neurons, ", seconds, " s: ", events, " events in ", cpu, " s (", 100 * cpu / seconds,
          " % of real time)");
  CHECK(events > 1000 * seconds * 2);
  // 1 % of real time is 0.6 s here; unoptimised and sanitiser builds stay well below it too.
  CHECK(cpu < 0.01 * seconds);
}
