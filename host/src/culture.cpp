#include "spikelink/culture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

namespace spikelink::sites {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// splitmix64's output function: decorrelates the seeds of the streams.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One independent random stream per purpose and neuron, so that what one
// neuron draws never shifts what another draws: the order in which events
// of different neurons are processed cannot change any outcome.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t kind, std::uint64_t index) {
  return mix(mix(seed) ^ mix((kind << 32) | index));
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("culture: ") + what);
}

}  // namespace

std::uint64_t Culture::Rng::next() {
  s += 0x9e3779b97f4a7c15ULL;
  return mix(s);
}

double Culture::Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

bool Culture::Pending::operator>(const Pending& o) const {
  return std::tie(t_us, neuron, type, committed) > std::tie(o.t_us, o.neuron, o.type, o.committed);
}

Culture::Culture(const CultureParams& params) : params_(params) {
  const auto& p = params_;
  check(p.neurons >= 1, "neurons must be at least 1");
  check(std::isfinite(p.spontaneous_hz) && p.spontaneous_hz >= 0, "spontaneous_hz must be >= 0");
  check(std::isfinite(p.burst_hz) && p.burst_hz >= 0, "burst_hz must be >= 0");
  check(p.burst_participation >= 0 && p.burst_participation <= 1, "burst_participation must be 0..1");
  check(std::isfinite(p.burst_spikes) && p.burst_spikes >= 1, "burst_spikes must be at least 1");
  check(p.burst_hz == 0 || p.burst_duration_us >= 1, "burst_duration_us must be at least 1");
  check(p.burst_hz == 0 || p.burst_min_interval_us >= p.burst_duration_us,
        "burst_min_interval_us must be at least burst_duration_us (bursts do not overlap)");
  check(p.burst_hz == 0 || static_cast<double>(p.burst_min_interval_us) * 1e-6 * p.burst_hz < 1,
        "burst_min_interval_us must be below the mean interval 1 / burst_hz");
  check(std::isfinite(p.threshold_slope) && p.threshold_slope > 0, "threshold_slope must be > 0");
  check(std::isfinite(p.threshold_weight), "threshold_weight must be finite");
  check(p.latency_jitter_us <= p.latency_us, "latency_jitter_us must be at most latency_us");

  // The logistic, rescaled to pass through 0 at w = 0 and 1 at w = 255, so
  // the ends are exact whatever the threshold: a silent synapse never evokes
  // and a saturated one always does (unless refractory).
  const auto logistic = [&](double w) { return 1.0 / (1.0 + std::exp(-(w - p.threshold_weight) / p.threshold_slope)); };
  const double lo = logistic(0), hi = logistic(255);
  for (unsigned w = 0; w < 256; ++w) p_evoke_[w] = w == 0 ? 0.0 : w == 255 ? 1.0 : (logistic(w) - lo) / (hi - lo);

  spont_rng_.reserve(p.neurons);
  stim_rng_.reserve(p.neurons);
  refractory_end_.assign(p.neurons, 0);
  burst_rng_.s = stream_seed(p.seed, 0, 0);
  for (std::uint32_t n = 0; n < p.neurons; ++n) {
    spont_rng_.push_back({stream_seed(p.seed, 1, n)});
    stim_rng_.push_back({stream_seed(p.seed, 2, n)});
    if (p.spontaneous_hz > 0) spont_.emplace(exp_interval(spont_rng_[n], p.spontaneous_hz, 0), n);
  }
  if (p.burst_hz > 0) {
    // The first burst as if one had just ended: the culture starts anywhere in its cycle.
    next_burst_ = exp_interval(burst_rng_, 1.0 / burst_gap_s(), 0);
  } else {
    next_burst_ = kNever;
  }
}

std::uint64_t Culture::exp_interval(Rng& rng, double rate_hz, std::uint64_t min_us) const {
  const double us = -std::log1p(-rng.uniform()) / rate_hz * 1e6;
  // At least 1 us, so a process always moves on; far beyond any run is never.
  if (!(us < 1e18)) return kNever;
  return min_us + std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(us)));
}

void Culture::start_burst(std::uint64_t t_us) {
  const auto& p = params_;
  ++counters_.bursts;
  const double extra = p.burst_spikes - 1;
  const double limit = std::exp(-extra);
  for (std::uint32_t n = 0; n < p.neurons; ++n) {
    if (burst_rng_.uniform() >= p.burst_participation) continue;
    // 1 + Poisson(extra) spikes (Knuth's product of uniforms: the means are small).
    unsigned k = 0;
    for (double prod = burst_rng_.uniform(); prod > limit; prod *= burst_rng_.uniform()) ++k;
    for (unsigned i = 0; i <= k; ++i) {
      const auto dt = static_cast<std::uint64_t>(burst_rng_.uniform() * static_cast<double>(p.burst_duration_us));
      pending_.push({t_us + dt, n, CultureEventType::kSpontaneous, false});
    }
  }
  next_burst_ = exp_interval(burst_rng_, 1.0 / burst_gap_s(), t_us + p.burst_min_interval_us);
}

double Culture::burst_gap_s() const {
  // The exponential part of the interval, so that the mean is 1 / burst_hz.
  return 1.0 / params_.burst_hz - static_cast<double>(params_.burst_min_interval_us) * 1e-6;
}

void Culture::candidate(std::uint64_t t_us, std::uint32_t neuron, CultureEventType type, bool committed) {
  if (!committed && t_us < refractory_end_[neuron]) {
    ++counters_.suppressed;
    return;
  }
  refractory_end_[neuron] = std::max(refractory_end_[neuron], t_us + params_.refractory_us);
  out_.push_back({t_us, neuron, type});
  if (type == CultureEventType::kEvoked)
    ++counters_.evoked;
  else
    ++counters_.spontaneous;
}

void Culture::run_until(std::uint64_t t_us) {
  // Merge the three sources in time order; at equal times a burst start
  // first, then by neuron, a pending spike before a background one: a total
  // order, so the outcome does not depend on where the calls cut time.
  for (;;) {
    const std::uint64_t ts = spont_.empty() ? kNever : spont_.top().first;
    const std::uint64_t tp = pending_.empty() ? kNever : pending_.top().t_us;
    const std::uint64_t t = std::min({ts, tp, next_burst_});
    if (t == kNever || t > t_us) return;
    if (next_burst_ == t) {
      start_burst(t);
    } else if (tp == t && (ts != t || pending_.top().neuron <= spont_.top().second)) {
      const Pending e = pending_.top();
      pending_.pop();
      candidate(e.t_us, e.neuron, e.type, e.committed);
    } else {
      const std::uint32_t n = spont_.top().second;
      spont_.pop();
      candidate(t, n, CultureEventType::kSpontaneous, false);
      const std::uint64_t next = exp_interval(spont_rng_[n], params_.spontaneous_hz, t);
      if (next != kNever) spont_.emplace(next, n);
    }
  }
}

void Culture::stimulate(std::uint32_t neuron, std::uint8_t weight, std::uint64_t t_us) {
  if (neuron >= params_.neurons) {
    ++counters_.unknown_neuron;
    return;
  }
  if (t_us < now_) {
    ++counters_.late_stimuli;
    t_us = now_;
  }
  run_until(t_us);
  now_ = t_us;
  ++counters_.stimuli;
  // Both draws always, so a neuron's stream advances one step per stimulus
  // whatever the outcome.
  Rng& rng = stim_rng_[neuron];
  const double u = rng.uniform();
  const double jitter = rng.uniform();
  const bool refractory = t_us < refractory_end_[neuron];
  if (!refractory && u < p_evoke_[weight]) {
    const auto spread = static_cast<std::uint64_t>(jitter * static_cast<double>(2 * params_.latency_jitter_us + 1));
    const std::uint64_t t_ev = t_us + params_.latency_us - params_.latency_jitter_us + spread;
    // The neuron is committed from now: no other spike before this one, and
    // its refractory period follows it.
    refractory_end_[neuron] = t_ev + params_.refractory_us;
    pending_.push({t_ev, neuron, CultureEventType::kEvoked, true});
    return;
  }
  if (refractory) ++counters_.refractory_stimuli;
  ++counters_.psp;
  if (params_.report_psp) out_.push_back({t_us, neuron, CultureEventType::kPsp});
}

std::vector<CultureEvent> Culture::advance_to(std::uint64_t t_us) {
  if (t_us > now_) {
    run_until(t_us);
    now_ = t_us;
  }
  std::size_t k = 0;
  while (k < out_.size() && out_[k].t_us <= t_us) ++k;
  std::vector<CultureEvent> ready(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(k));
  out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(k));
  return ready;
}

}  // namespace spikelink::sites
