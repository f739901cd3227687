#include "spikelink/synapse_site.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace spikelink::sites {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// splitmix64: the cycle-to-cycle noise's stream.
std::uint64_t next_random(std::uint64_t& s) {
  s += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("synapse site: ") + what);
}

}  // namespace

SynapseTable parse_connectivity(std::string_view text, std::string_view source) {
  static constexpr const char* kNames[] = {"pre", "post", "wordline", "bitline"};
  SynapseTable table;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> seen;  // (pre, post) -> line
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto fail = [&](const std::string& what) {
      throw ConnectivityError(fmt::format("{}:{}: {}", source, line_no, what));
    };
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
      const std::size_t comma = line.find(',', start);
      const std::size_t len = comma == std::string_view::npos ? std::string_view::npos : comma - start;
      fields.push_back(trim(line.substr(start, len)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (fields.size() != 4)
      fail(fmt::format("expected 4 fields 'pre, post, wordline, bitline', found {}", fields.size()));
    std::uint64_t v[4];
    for (std::size_t i = 0; i < 4; ++i) {
      const std::string_view f = fields[i];
      if (f.empty()) fail(fmt::format("{} is empty", kNames[i]));
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v[i]);
      if (ec != std::errc() || end != f.data() + f.size() || f.front() == '-' || f.front() == '+')
        fail(fmt::format("{} '{}' is not a non-negative integer", kNames[i], f));
      const std::uint64_t max = i < 2 ? kMaxNeuronId : 0xffffffffULL;
      if (v[i] > max) fail(fmt::format("{} {} is out of range (at most {})", kNames[i], v[i], max));
    }
    const SynapseEntry e{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]),
                         static_cast<unsigned>(v[2]), static_cast<unsigned>(v[3])};
    if (const auto [it, fresh] = seen.emplace(std::pair{e.pre, e.post}, line_no); !fresh)
      fail(fmt::format("synapse {} -> {} is already defined at line {}", e.pre, e.post, it->second));
    table.push_back(e);
  }
  return table;
}

SynapseTable load_connectivity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConnectivityError(fmt::format("{}: cannot open it", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_connectivity(text.str(), path);
}

double querlioz_amplitude(unsigned pulses, double nonlinearity) {
  // The smallest a (to bisection precision) for which `pulses` steps reach 1:
  // the continuous model then spans the range in exactly that many pulses.
  double lo = 1e-9, hi = 10.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    double x = 0;
    unsigned n = 0;
    while (x < 1.0 && n <= pulses) {
      x += mid * std::exp(-nonlinearity * x);
      ++n;
    }
    (n <= pulses ? hi : lo) = mid;
  }
  return hi;
}

SynapseSite::SynapseSite(const SynapseTable& table, const SynapseSiteParams& params)
    : table_(table), params_(params), rng_(params.seed) {
  const auto& p = params_;
  check(std::isfinite(p.r_min_ohm) && std::isfinite(p.r_max_ohm) && 0 < p.r_min_ohm && p.r_min_ohm < p.r_max_ohm,
        "need 0 < r_min_ohm < r_max_ohm");
  check(std::isfinite(p.r_initial_ohm), "r_initial_ohm must be finite");
  check(p.pulses_up >= 1 && p.pulses_down >= 1, "pulses_up and pulses_down must be at least 1");
  check(std::isfinite(p.nonlinearity_up) && p.nonlinearity_up >= 0 && std::isfinite(p.nonlinearity_down) &&
            p.nonlinearity_down >= 0,
        "nonlinearities must be >= 0");
  check(std::isfinite(p.c2c) && p.c2c >= 0, "c2c must be >= 0");
  check(p.history >= 1, "history must be at least 1");
  check(p.rate_window >= 1, "rate_window must be at least 1");
  a_up_ = querlioz_amplitude(p.pulses_up, p.nonlinearity_up);
  a_down_ = querlioz_amplitude(p.pulses_down, p.nonlinearity_down);

  const double x0 = std::clamp((p.r_initial_ohm - p.r_min_ohm) / (p.r_max_ohm - p.r_min_ohm), 0.0, 1.0);
  std::map<std::pair<unsigned, unsigned>, std::size_t> device_of;
  for (const SynapseEntry& e : table_) {
    check(e.pre <= kMaxNeuronId && e.post <= kMaxNeuronId, "neuron ids are 24-bit");
    const auto [dev, fresh] = device_of.emplace(std::pair{e.wordline, e.bitline}, devices_.size());
    if (fresh) devices_.push_back(x0);
    const std::size_t index = synapses_.size();
    if (!by_pair_.emplace(std::pair{e.pre, e.post}, index).second)
      throw std::invalid_argument(fmt::format("synapse site: synapse {} -> {} is in the table twice", e.pre, e.post));
    synapses_.push_back({e.pre, e.post, dev->second});
    by_pre_[e.pre].push_back(index);
    by_post_[e.post].push_back(index);
    History& h = history_[e.pre];
    h.ticks.assign(p.history, 0);
  }
}

std::size_t SynapseSite::synapse_index(std::uint32_t pre, std::uint32_t post) const {
  const auto it = by_pair_.find({pre, post});
  if (it == by_pair_.end()) throw std::out_of_range(fmt::format("synapse site: no synapse {} -> {}", pre, post));
  return it->second;
}

std::uint8_t SynapseSite::weight_byte(std::uint32_t pre, std::uint32_t post) const {
  const double x = devices_[synapses_[synapse_index(pre, post)].device];
  // x is 0..1, so this is the legacy clip(round(255 (R - Rmin) / (Rmax - Rmin)), 0, 255).
  return static_cast<std::uint8_t>(std::clamp<long>(std::lround(255.0 * x), 0, 255));
}

double SynapseSite::resistance(std::uint32_t pre, std::uint32_t post) const {
  const double x = devices_[synapses_[synapse_index(pre, post)].device];
  return params_.r_min_ohm + x * (params_.r_max_ohm - params_.r_min_ohm);
}

void SynapseSite::set_resistance(std::uint32_t pre, std::uint32_t post, double ohm) {
  const double x = (ohm - params_.r_min_ohm) / (params_.r_max_ohm - params_.r_min_ohm);
  devices_[synapses_[synapse_index(pre, post)].device] = std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0;
}

void SynapseSite::pulse(std::uint32_t pre, std::uint32_t post, bool potentiate) {
  apply_pulse(synapses_[synapse_index(pre, post)].device, potentiate);
}

double SynapseSite::noise() {
  // Uniform on [-sqrt(3), sqrt(3)): mean 0, standard deviation 1.
  const double u = static_cast<double>(next_random(rng_) >> 11) * 0x1.0p-53;
  return (2 * u - 1) * std::sqrt(3.0);
}

void SynapseSite::apply_pulse(std::size_t device, bool potentiate) {
  double& x = devices_[device];
  double step = potentiate ? a_up_ * std::exp(-params_.nonlinearity_up * x)
                           : a_down_ * std::exp(-params_.nonlinearity_down * (1 - x));
  // The noise is drawn only when it is on, so a noiseless site's stream stays untouched.
  if (params_.c2c > 0) step *= std::max(0.0, 1 + params_.c2c * noise());
  x = potentiate ? std::min(1.0, x + step) : std::max(0.0, x - step);
  ++(potentiate ? counters_.pulses_pot : counters_.pulses_dep);
}

void SynapseSite::store(std::uint32_t neuron, std::uint64_t tick) {
  const auto it = history_.find(neuron);
  if (it == history_.end()) return;  // no synapse reads it
  History& h = it->second;
  h.ticks[h.head] = tick;
  h.head = (h.head + 1) % h.ticks.size();
  h.size = std::min(h.size + 1, h.ticks.size());
}

unsigned SynapseSite::rate_count(std::uint32_t pre, std::uint64_t tick) const {
  const auto it = history_.find(pre);
  if (it == history_.end()) return 0;
  const History& h = it->second;
  const std::uint64_t first = tick >= params_.rate_window - 1 ? tick - (params_.rate_window - 1) : 0;
  unsigned c = 0;
  for (std::size_t i = 0; i < h.size; ++i) {
    const std::uint64_t t = h.ticks[i];
    if (t >= first && t <= tick) ++c;
  }
  return c;
}

std::vector<Forward> SynapseSite::forward(std::uint32_t pre, std::uint64_t tick) {
  std::vector<Forward> out;
  const auto it = by_pre_.find(pre);
  if (it == by_pre_.end()) return out;
  out.reserve(it->second.size());
  for (const std::size_t s : it->second) {
    const Synapse& syn = synapses_[s];
    out.push_back({pre, syn.post, weight_byte(pre, syn.post), tick});
  }
  counters_.forwards += out.size();
  return out;
}

void SynapseSite::learn(std::uint32_t post, std::uint64_t tick) {
  const auto it = by_post_.find(post);
  if (it == by_post_.end() || params_.rule == SiteRule::kNone) return;
  for (const std::size_t s : it->second) {
    const Synapse& syn = synapses_[s];
    if (params_.rule == SiteRule::kRate) {
      const unsigned c = rate_count(syn.pre, tick);
      if (c > params_.rate_high)
        apply_pulse(syn.device, true);
      else if (c < params_.rate_low)
        apply_pulse(syn.device, false);
      continue;
    }
    // STDP: any stored pre spike in the causal window potentiates; otherwise
    // any in the acausal one depresses. One pulse at most per post event.
    const History& h = history_.at(syn.pre);
    bool pot = false, dep = false;
    for (std::size_t i = 0; i < h.size; ++i) {
      const std::uint64_t t = h.ticks[i];
      if (t <= tick && tick - t <= params_.stdp_pot_window) pot = true;
      if (t > tick && t - tick <= params_.stdp_dep_window) dep = true;
    }
    if (pot)
      apply_pulse(syn.device, true);
    else if (dep)
      apply_pulse(syn.device, false);
  }
}

std::vector<Forward> SynapseSite::on_pre(std::uint32_t pre, std::uint64_t tick) {
  if (!by_pre_.contains(pre)) {
    ++counters_.unknown_pre;
    return {};
  }
  ++counters_.pre_events;
  now_ = std::max(now_, tick);
  store(pre, tick);
  return forward(pre, tick);
}

std::vector<Forward> SynapseSite::on_post(std::uint32_t post, std::uint8_t type, std::uint64_t tick) {
  if (type > 2) {
    ++counters_.bad_type;
    return {};
  }
  if (!by_post_.contains(post) && !by_pre_.contains(post)) {
    ++counters_.unknown_post;
    return {};
  }
  ++counters_.post_events;
  now_ = std::max(now_, tick);
  // The 2017 filters: a PSP (0) and a spontaneous spike (2) trigger learning;
  // only action potentials (1, 2) are spikes. Learning first, so the weights
  // forwarded below already carry this event's pulses.
  if (type == 0 || type == 2) learn(post, tick);
  if (type == 0) return {};
  store(post, tick);
  return forward(post, tick);
}

}  // namespace spikelink::sites
