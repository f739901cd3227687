// Network configurations: compiling for a board, and the input spike trains
// (docs/config.md sections 4 and 5).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "spikelink/config.hpp"
#include "spikelink/spike_file.hpp"

namespace spikelink::config {

BoardShape shape_of(const proto::Identify& id) { return BoardShape{id.neurons, id.inputs, id.levels}; }

namespace {

// splitmix64: independent seeds for the generators and connections from
// the one seed of the configuration.
std::uint64_t mix(std::uint64_t seed, std::uint64_t salt) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (salt + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a: a stable hash of a name, the same on every platform.
std::uint64_t name_hash(const std::string& name) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const char c : name) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001B3ull;
  return h;
}

// What makes two plastic connections share a synapse group.
struct GroupKey {
  model::Rule rule;
  bool inhibitory;
  std::string device;
  std::uint16_t w_plus, w_minus, window;
  std::uint8_t high, low;
  auto tie() const { return std::tie(rule, inhibitory, device, w_plus, w_minus, window, high, low); }
  bool operator==(const GroupKey& o) const { return tie() == o.tie(); }
};

}  // namespace

Plan compile(const Config& cfg, const BoardShape& shape, const std::string& device_name) {
  const unsigned N = shape.neurons, E = shape.inputs;
  Plan plan;
  for (const auto& p : cfg.populations) {
    if (p.first + p.size > N)
      throw Error(p.at, fmt::format("population '{}' needs neurons {}..{}, but {} has {} neurons (the network "
                                    "needs {})",
                                    p.name, p.first, p.first + p.size - 1, device_name, N, cfg.neurons_used()));
  }
  for (const auto& g : cfg.inputs) {
    if (g.first + g.size > E)
      throw Error(g.at, fmt::format("input '{}' needs channels {}..{}, but {} has {} inputs (the network needs {})",
                                    g.name, g.first, g.first + g.size - 1, device_name, E, cfg.inputs_used()));
  }

  // Plastic mode when any synapse learns or is given in levels.
  const Connection* first_plastic = nullptr;
  for (const auto& k : cfg.connections)
    if (!first_plastic && (k.plasticity.rule != model::Rule::kStatic || k.weight_in_levels)) first_plastic = &k;
  const bool plastic = first_plastic != nullptr;
  if (plastic && shape.levels == 0) {
    const Position& at = first_plastic->plasticity.at.line ? first_plastic->plasticity.at : first_plastic->at;
    throw Error(at, fmt::format("{}: {} has no plasticity (its gateware was built without the learning engine); "
                                "run this network on a device with plasticity, such as sim:// or model://",
                                first_plastic->plasticity.rule != model::Rule::kStatic ? "a learning synapse"
                                                                                        : "a weight in levels",
                                device_name));
  }

  // Neuron registers and their quantisation.
  Network& net = plan.network;
  // Neurons outside the network are silenced: zeroed registers would put
  // the threshold at 0 mV, where a neuron at rest (0 mV) fires every
  // timestep. A threshold at the top of the range is never reached, as
  // nothing connects to them.
  model::NeuronRegs silent;
  silent.v_thresh = INT16_MAX;
  net.neurons.assign(N, silent);
  for (const auto& p : cfg.populations) {
    for (unsigned i = 0; i < p.size; ++i) net.neurons[p.first + i] = p.realised.regs;
    for (const auto& q : p.realised.report) {
      std::string unit = q.name.find("tau") != std::string::npos ? "ms" : "mV";
      plan.quantisation.push_back({p.name + "." + q.name, q.requested, q.realised, unit});
    }
  }

  // Synapse groups (plastic mode): connections with the same rule, sign,
  // device and rule parameters share one of the four.
  std::vector<GroupKey> groups;
  std::vector<unsigned> group_of(cfg.connections.size(), 0);
  if (plastic) {
    for (std::size_t i = 0; i < cfg.connections.size(); ++i) {
      const auto& k = cfg.connections[i];
      const auto& pl = k.plasticity;
      GroupKey key{pl.rule, k.weight < 0, pl.rule == model::Rule::kStatic ? std::string() : pl.device,
                   pl.w_plus, pl.w_minus, pl.window, pl.high, pl.low};
      if (pl.rule == model::Rule::kStatic) key.w_plus = key.w_minus = key.window = key.high = key.low = 0;
      auto it = std::find(groups.begin(), groups.end(), key);
      if (it == groups.end()) {
        if (groups.size() == model::kGroups)
          throw Error(k.at, fmt::format("this connection needs a fifth synapse group: a board has {} (a group per "
                                        "distinct rule, sign, device and rule parameters); make some connections "
                                        "share them",
                                        model::kGroups));
        groups.push_back(key);
        it = groups.end() - 1;
      }
      group_of[i] = static_cast<unsigned>(it - groups.begin());
    }
    Network::Plasticity pl;
    pl.plastic = true;
    pl.learning = cfg.phases.empty() ? true : cfg.phases.front().learning;
    pl.variability = cfg.variability;
    // Seeded here, not when parsed, so that a seed given later (run --seed) reseeds them.
    pl.variability.d2d_seed = static_cast<std::uint32_t>(mix(cfg.seed, 0xD2D));
    pl.variability.c2c_seed = static_cast<std::uint32_t>(mix(cfg.seed, 0xC2C)) | 1u;  // never 0: the LFSR would stick
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto& gc = pl.groups[g];
      gc.rule = groups[g].rule;
      gc.inhibitory = groups[g].inhibitory;
      gc.tables = model::DeviceTables::linear(std::min<unsigned>(shape.levels, model::kMaxLevels), 16);
      if (!groups[g].device.empty()) {
        const auto& d = *std::find_if(cfg.devices.begin(), cfg.devices.end(),
                                      [&](const Device& x) { return x.name == groups[g].device; });
        if (d.tables.levels > shape.levels)
          throw Error(d.at, fmt::format("device '{}' has {} levels, but {} has {}", d.name, d.tables.levels,
                                        device_name, shape.levels));
        gc.tables = d.tables;
      }
      gc.w_plus = groups[g].w_plus;
      gc.w_minus = groups[g].w_minus;
      gc.rate_window = groups[g].window;
      gc.rate_high = groups[g].high;
      gc.rate_low = groups[g].low;
    }
    net.plasticity = pl;
  } else if (shape.levels > 0) {
    // A board with plasticity keeps its mode across loads: say static.
    Network::Plasticity pl;
    pl.plastic = false;
    pl.learning = false;
    net.plasticity = pl;
  }

  // Synapses.
  const unsigned S = E + N;
  net.weights.assign(static_cast<std::size_t>(S) * N, 0);
  std::vector<int> made_by(static_cast<std::size_t>(S) * N, -1);
  std::vector<int> rate_sources;
  for (std::size_t i = 0; i < cfg.connections.size(); ++i) {
    const auto& k = cfg.connections[i];
    const unsigned pre_first = k.from_input ? cfg.input(k.from)->first : E + cfg.population(k.from)->first;
    const unsigned pre_size = k.from_input ? cfg.input(k.from)->size : cfg.population(k.from)->size;
    const Population& post = *cfg.population(k.to);
    const auto& regs = post.realised.regs;
    const double unit_mv = regs.w_scale / 256.0;
    const std::string what = fmt::format("connections[{}] ({} -> {}).weight", i, k.from, k.to);
    std::uint8_t byte = 0;
    double realised = 0;
    if (!plastic) {
      const auto code = model::weight_code(k.weight, regs.w_scale);
      realised = model::weight_mv(code, regs.w_scale);
      if (std::abs(k.weight) > 127.5 * unit_mv)
        throw Error(k.at, fmt::format("{} = {} mV is beyond the largest weight at '{}', 127 x {} mV = {} mV; "
                                      "raise its weight_unit",
                                      what, k.weight, k.to, unit_mv, 127 * unit_mv));
      if (code == 0)
        throw Error(k.at, fmt::format("{} = {} mV is below half the smallest weight at '{}' ({} mV), so it would "
                                      "make no synapse; lower its weight_unit",
                                      what, k.weight, k.to, unit_mv));
      byte = static_cast<std::uint8_t>(code);
      plan.quantisation.push_back({what, k.weight, realised, "mV"});
    } else {
      const auto& gc = net.plasticity->groups[group_of[i]];
      const double per_level = 2 * unit_mv;
      long level = 0;
      if (k.weight_in_levels) {
        level = std::lround(std::abs(k.weight));
        if (level > static_cast<long>(gc.tables.levels) - 1)
          throw Error(k.at, fmt::format("{} = {} levels, but its synapses have levels 0..{}", what, k.weight,
                                        gc.tables.levels - 1));
        plan.quantisation.push_back({what, k.weight, static_cast<double>(level), "levels"});
      } else {
        level = std::lround(std::abs(k.weight) / per_level);
        if (level > static_cast<long>(gc.tables.levels) - 1)
          throw Error(k.at, fmt::format("{} = {} mV is beyond the largest plastic weight at '{}', level {} = {} mV",
                                        what, k.weight, k.to, gc.tables.levels - 1,
                                        (gc.tables.levels - 1) * per_level));
        realised = (k.weight < 0 ? -1.0 : 1.0) * static_cast<double>(level) * per_level;
        plan.quantisation.push_back({what, k.weight, realised, "mV"});
      }
      if (level == 0 && k.plasticity.rule == model::Rule::kStatic)
        throw Error(k.at, fmt::format("{} = {} is level 0 at '{}': a static synapse at level 0 is no synapse", what,
                                      k.weight, k.to));
      byte = model::synapse_byte(group_of[i], static_cast<unsigned>(level));
    }
    // A learning synapse at level 0 is a synapse (it can grow), so it is
    // written as its group and level even though it weighs nothing yet.
    std::mt19937_64 rng(mix(cfg.seed, 1000 + i));
    std::bernoulli_distribution coin(k.probability);
    const auto make = [&](unsigned a, unsigned b) {
      const unsigned s = pre_first + a, n = post.first + b;
      const std::size_t idx = static_cast<std::size_t>(s) * N + n;
      if (made_by[idx] >= 0 && static_cast<std::size_t>(made_by[idx]) == i)
        throw Error(k.at, fmt::format("connections[{}] lists the synapse {}[{}] -> {}[{}] twice; a synapse has one "
                                      "weight",
                                      i, k.from, a, k.to, b));
      if (made_by[idx] >= 0)
        throw Error(k.at, fmt::format("connections[{}] makes the synapse {}[{}] -> {}[{}] that connections[{}] "
                                      "(line {}) already made; a synapse has one weight",
                                      i, k.from, a, k.to, b, made_by[idx],
                                      cfg.connections[static_cast<std::size_t>(made_by[idx])].at.line));
      made_by[idx] = static_cast<int>(i);
      net.weights[idx] = byte;
      ++plan.synapses;
      if (plastic && k.plasticity.rule != model::Rule::kStatic) {
        Synapse sy;
        sy.source = s;
        sy.neuron = n;
        sy.connection = i;
        sy.label = fmt::format("{}[{}]->{}[{}]", k.from, a, k.to, b);
        sy.mv_per_level = (k.weight < 0 ? -2.0 : 2.0) * unit_mv;
        plan.plastic.push_back(sy);
        if (k.plasticity.rule == model::Rule::kRate &&
            std::find(rate_sources.begin(), rate_sources.end(), static_cast<int>(s)) == rate_sources.end())
          rate_sources.push_back(static_cast<int>(s));
      }
    };
    switch (k.pattern) {
      case Connection::Pattern::kOneToOne:
        for (unsigned a = 0; a < pre_size; ++a) make(a, a);
        break;
      case Connection::Pattern::kAllToAll:
        for (unsigned a = 0; a < pre_size; ++a)
          for (unsigned b = 0; b < post.size; ++b) make(a, b);
        break;
      case Connection::Pattern::kFixedProbability:
        for (unsigned a = 0; a < pre_size; ++a)
          for (unsigned b = 0; b < post.size; ++b)
            if (coin(rng)) make(a, b);
        break;
      case Connection::Pattern::kList:
        for (const auto& [a, b] : k.pairs) make(a, b);
        break;
    }
    if (rate_sources.size() > model::kRateSlots)
      throw Error(k.at, fmt::format("the rate rule follows each source neuron or input in one of {} slots; with "
                                    "connections[{}] the network has {} rate-rule sources",
                                    model::kRateSlots, i, rate_sources.size()));
  }
  std::sort(plan.plastic.begin(), plan.plastic.end(),
            [](const Synapse& a, const Synapse& b) { return std::tie(a.source, a.neuron) < std::tie(b.source, b.neuron); });
  if (net.plasticity && plastic)
    for (std::size_t k = 0; k < rate_sources.size(); ++k) net.plasticity->rate_slots[k] = rate_sources[k];
  return plan;
}

// --- input spike trains -------------------------------------------------------

InputSchedule::InputSchedule(const Config& cfg) : cfg_(&cfg) {
  std::uint64_t t = 0;
  for (const auto& p : cfg.phases) {
    phase_start_.push_back(t);
    t += p.steps;
  }
  phase_start_.push_back(t);
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    Stream s;
    s.group = &cfg.inputs[i];
    // Salted with the input's name, not its place: adding another input
    // leaves this one's trains as they were.
    for (unsigned ch = 0; ch < s.group->size; ++ch) s.rng.emplace_back(mix(mix(cfg.seed, name_hash(s.group->name)), ch));
    s.next_ms.assign(s.group->size, std::numeric_limits<double>::infinity());
    s.base_ms.assign(s.group->size, 0);
    s.next_burst_ms.assign(s.group->size, 0);
    s.count.assign(s.group->size, 0);
    // A file is read whole, once, here: its errors come before the run.
    std::vector<const Generator*> files;
    if (s.group->generator.kind == Generator::Kind::kFile) files.push_back(&s.group->generator);
    for (const auto& p : cfg.phases) {
      const auto it = p.inputs.find(s.group->name);
      if (it != p.inputs.end() && it->second.kind == Generator::Kind::kFile) files.push_back(&it->second);
    }
    if (files.size() > 1) {
      for (const auto* f : files)
        if (f->file != files.front()->file)
          throw Error(f->at, fmt::format("input '{}' replays two files; give one file per input", s.group->name));
    }
    if (!files.empty()) {
      const Generator& g = *files.front();
      spikes::ReadResult rr;
      try {
        rr = spikes::read(g.file, static_cast<std::uint32_t>(std::lround(cfg.timestep_ms * 1000)));
      } catch (const spikes::Error& e) {
        throw Error(g.at, fmt::format("inputs.{}.file: {}", s.group->name, e.what()));
      }
      for (const auto& sp : rr.spikes) {
        if (sp.channel >= s.group->size)
          throw Error(g.at, fmt::format("inputs.{}.file: {} has a spike on channel {}, but the input has {} "
                                        "channels (0..{}); raise its size",
                                        s.group->name, g.file, sp.channel, s.group->size, s.group->size - 1));
        s.file.push_back({sp.timestep, static_cast<std::uint16_t>(s.group->first + sp.channel)});
      }
    }
    streams_.push_back(std::move(s));
  }
}

std::size_t InputSchedule::phase_at(std::uint64_t t) const {
  const auto it = std::upper_bound(phase_start_.begin(), phase_start_.end() - 1, t);
  return static_cast<std::size_t>(it - phase_start_.begin()) - 1;
}

// After the spike at next_ms[ch], the channel's next one. Regular trains
// count their spikes from the phase's base time, so that they never drift;
// bursts start as a Poisson process of their own (the rate is bursts a
// second), a burst that would begin before the previous one has ended
// begins one interval after its last spike.
void InputSchedule::schedule_next(Stream& s, unsigned ch) {
  const Generator& g = s.gen;
  const double inf = std::numeric_limits<double>::infinity();
  switch (g.kind) {
    case Generator::Kind::kOff:
    case Generator::Kind::kFile:
      s.next_ms[ch] = inf;
      return;
    case Generator::Kind::kRegular:
      ++s.count[ch];
      s.next_ms[ch] = s.base_ms[ch] + static_cast<double>(s.count[ch]) * 1000.0 / g.rate_hz;
      return;
    case Generator::Kind::kPoisson:
      s.next_ms[ch] += std::exponential_distribution<double>(g.rate_hz / 1000.0)(s.rng[ch]);
      return;
    case Generator::Kind::kBursting:
      if (++s.count[ch] < g.burst_spikes) {
        s.next_ms[ch] = s.base_ms[ch] + static_cast<double>(s.count[ch]) * g.burst_interval_ms;
        return;
      }
      s.base_ms[ch] = std::max(s.next_burst_ms[ch], s.base_ms[ch] + g.burst_spikes * g.burst_interval_ms);
      s.next_burst_ms[ch] += std::exponential_distribution<double>(g.rate_hz / 1000.0)(s.rng[ch]);
      s.count[ch] = 0;
      s.next_ms[ch] = s.base_ms[ch];
      return;
  }
}

void InputSchedule::enter_phase(Stream& s, std::size_t phase) {
  const auto& p = cfg_->phases[phase];
  const auto it = p.inputs.find(s.group->name);
  s.gen = it != p.inputs.end() ? it->second : s.group->generator;
  const double start_ms = static_cast<double>(phase_start_[phase]) * cfg_->timestep_ms;
  const double inf = std::numeric_limits<double>::infinity();
  const Generator& g = s.gen;
  for (unsigned ch = 0; ch < s.group->size; ++ch) {
    s.count[ch] = 0;
    s.next_ms[ch] = inf;
    if (g.rate_hz <= 0) continue;
    auto& rng = s.rng[ch];
    switch (g.kind) {
      case Generator::Kind::kRegular:
        s.base_ms[ch] = start_ms + g.start_ms;
        s.next_ms[ch] = s.base_ms[ch];
        break;
      case Generator::Kind::kPoisson:
        s.next_ms[ch] = start_ms + std::exponential_distribution<double>(g.rate_hz / 1000.0)(rng);
        break;
      case Generator::Kind::kBursting:
        s.base_ms[ch] = start_ms + std::exponential_distribution<double>(g.rate_hz / 1000.0)(rng);
        s.next_burst_ms[ch] = s.base_ms[ch] + std::exponential_distribution<double>(g.rate_hz / 1000.0)(rng);
        s.next_ms[ch] = s.base_ms[ch];
        break;
      case Generator::Kind::kOff:
      case Generator::Kind::kFile:
        break;
    }
  }
  if (g.kind == Generator::Kind::kFile) {
    // The file's times are from the run's start: skip what lies before this phase.
    s.cursor = static_cast<std::size_t>(
        std::lower_bound(s.file.begin(), s.file.end(), phase_start_[phase],
                         [](const proto::SpikeEvent& e, std::uint64_t t) { return e.timestep < t; }) -
        s.file.begin());
  }
}

void InputSchedule::generate(std::uint64_t from, std::uint64_t to, std::vector<proto::SpikeEvent>& out) {
  if (from != done_) throw std::logic_error("InputSchedule: windows must follow each other");
  const std::size_t first_out = out.size();
  done_ = to;
  to = std::min(to, phase_start_.back());
  std::uint64_t t = from;
  while (t < to) {
    const std::size_t p = phase_at(t);
    if (p != phase_) {
      for (auto& s : streams_) enter_phase(s, p);
      phase_ = p;
    }
    const std::uint64_t end = std::min(to, phase_start_[p + 1]);
    const double dt = cfg_->timestep_ms;
    for (auto& s : streams_) {
      if (s.gen.kind == Generator::Kind::kFile) {
        while (s.cursor < s.file.size() && s.file[s.cursor].timestep < end) out.push_back(s.file[s.cursor++]);
        continue;
      }
      for (unsigned ch = 0; ch < s.group->size; ++ch) {
        for (;;) {
          const double ms = s.next_ms[ch];
          if (!std::isfinite(ms)) break;
          const auto step = static_cast<std::uint64_t>(std::floor(ms / dt + 1e-9));
          if (step >= end) break;
          out.push_back({step, static_cast<std::uint16_t>(s.group->first + ch)});
          schedule_next(s, ch);
        }
      }
    }
    t = end;
  }
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first_out), out.end(),
                   [](const proto::SpikeEvent& a, const proto::SpikeEvent& b) { return a.timestep < b.timestep; });
}

}  // namespace spikelink::config
