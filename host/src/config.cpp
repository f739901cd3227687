// Network configurations: parsing and checking (docs/config.md).
#include "spikelink/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "spikelink/spike_file.hpp"
#include "spikelink/suggest.hpp"
#include "yaml_reader.hpp"

namespace spikelink::config {

std::string Position::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

Error::Error(Position where, const std::string& message)
    : std::runtime_error(where.str() + ": " + message), where_(std::move(where)), message_(message) {}

std::uint64_t Config::total_steps() const {
  std::uint64_t t = 0;
  for (const auto& p : phases) t += p.steps;
  return t;
}

const Population* Config::population(const std::string& n) const {
  for (const auto& p : populations)
    if (p.name == n) return &p;
  return nullptr;
}

const InputGroup* Config::input(const std::string& n) const {
  for (const auto& g : inputs)
    if (g.name == n) return &g;
  return nullptr;
}

unsigned Config::neurons_used() const {
  unsigned n = 0;
  for (const auto& p : populations) n += p.size;
  return n;
}

unsigned Config::inputs_used() const {
  unsigned n = 0;
  for (const auto& g : inputs) n += g.size;
  return n;
}

namespace {

using namespace detail;

constexpr double kMaxMs = 1e12;

void read_neuron(const Reader& r, const YAML::Node& n, Population& p) {
  const std::string w = "neurons." + p.name;
  r.keys(n, "'" + w + "'",
         {"size", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "adaptation", "weight_unit"});
  if (n["size"]) p.size = static_cast<unsigned>(r.whole(n["size"], w + ".size", 1, 65535));
  auto& q = p.params;
  if (n["tau_m"]) q.tau_m = r.quantity(n["tau_m"], w + ".tau_m", Dim::kTime, 1e-3, 1e6);
  if (n["v_rest"]) q.v_rest = r.quantity(n["v_rest"], w + ".v_rest", Dim::kVoltage, -128, 127.99);
  q.v_reset = q.v_rest;
  if (n["v_reset"]) q.v_reset = r.quantity(n["v_reset"], w + ".v_reset", Dim::kVoltage, -128, 127.99);
  if (n["v_thresh"]) q.v_thresh = r.quantity(n["v_thresh"], w + ".v_thresh", Dim::kVoltage, -128, 127.99);
  if (n["tau_refrac"]) q.tau_refrac = r.quantity(n["tau_refrac"], w + ".tau_refrac", Dim::kTime, 0, 1e6);
  if (n["weight_unit"])
    q.weight_unit = r.quantity(n["weight_unit"], w + ".weight_unit", Dim::kVoltage, 1.0 / 256, 255.0 / 256);
  if (const auto a = n["adaptation"]) {
    r.map(a, w + ".adaptation");
    r.keys(a, "'" + w + ".adaptation'", {"jump", "tau"});
    if (a["jump"]) q.a_jump = r.quantity(a["jump"], w + ".adaptation.jump", Dim::kVoltage, 0, 255);
    if (a["tau"]) q.tau_a = r.quantity(a["tau"], w + ".adaptation.tau", Dim::kTime, 1e-3, 1e6);
  }
}

// A generator: `off`, or a mapping with one of regular, poisson, bursting,
// file. In a phase (`base` given), {rate: X} keeps the kind and changes
// the rate.
Generator read_generator(const Reader& r, const YAML::Node& n, const std::string& w, const Generator* base) {
  Generator g;
  g.at = r.at(n);
  if (n.IsScalar() && n.Scalar() == "off") return g;
  r.map(n, w + " (a generator: off, regular, poisson, bursting or file)");
  std::vector<std::string> kinds{"regular", "poisson", "bursting", "file"};
  std::vector<std::string> known = kinds;
  if (!base) known.insert(known.begin(), "size");
  if (base) known.push_back("rate");
  r.keys(n, "'" + w + "'", known);
  int found = 0;
  for (const auto& k : kinds) found += n[k] ? 1 : 0;
  if (base && n["rate"]) {
    if (found) r.fail(n["rate"], fmt::format("{}: give either 'rate' or a whole generator, not both", w));
    if (base->kind != Generator::Kind::kRegular && base->kind != Generator::Kind::kPoisson &&
        base->kind != Generator::Kind::kBursting)
      r.fail(n["rate"], fmt::format("{}.rate: the input has no rate to change (it is {}); give a whole generator",
                                    w, base->kind == Generator::Kind::kFile ? "a file" : "off"));
    g = *base;
    g.at = r.at(n);
    g.rate_hz = r.quantity(n["rate"], w + ".rate", Dim::kRate, 0, 1000);
    return g;
  }
  if (found > 1) r.fail(n, fmt::format("{}: give one generator of regular, poisson, bursting, file", w));
  if (found == 0) {
    if (base) r.fail(n, fmt::format("{}: give 'rate', 'off' or a generator (regular, poisson, bursting, file)", w));
    return g;  // an input with no generator is silent
  }
  if (const auto x = n["regular"]) {
    r.map(x, w + ".regular");
    r.keys(x, "'" + w + ".regular'", {"rate", "start"});
    g.kind = Generator::Kind::kRegular;
    if (!x["rate"]) r.fail(x, w + ".regular needs 'rate'");
    g.rate_hz = r.quantity(x["rate"], w + ".regular.rate", Dim::kRate, 0, 1000);
    if (x["start"]) g.start_ms = r.quantity(x["start"], w + ".regular.start", Dim::kTime, 0, kMaxMs);
  } else if (const auto y = n["poisson"]) {
    r.map(y, w + ".poisson");
    r.keys(y, "'" + w + ".poisson'", {"rate"});
    g.kind = Generator::Kind::kPoisson;
    if (!y["rate"]) r.fail(y, w + ".poisson needs 'rate'");
    g.rate_hz = r.quantity(y["rate"], w + ".poisson.rate", Dim::kRate, 0, 1000);
  } else if (const auto z = n["bursting"]) {
    r.map(z, w + ".bursting");
    r.keys(z, "'" + w + ".bursting'", {"rate", "spikes", "interval"});
    g.kind = Generator::Kind::kBursting;
    if (!z["rate"]) r.fail(z, w + ".bursting needs 'rate' (bursts per second)");
    g.rate_hz = r.quantity(z["rate"], w + ".bursting.rate", Dim::kRate, 0, 100);
    if (z["spikes"]) g.burst_spikes = static_cast<unsigned>(r.whole(z["spikes"], w + ".bursting.spikes", 1, 1000));
    if (z["interval"])
      g.burst_interval_ms = r.quantity(z["interval"], w + ".bursting.interval", Dim::kTime, 0.001, 1e4);
  } else {
    g.kind = Generator::Kind::kFile;
    g.file = r.path(n["file"], w + ".file");
  }
  return g;
}

Plasticity read_plasticity(const Reader& r, const YAML::Node& n, const std::string& w,
                           const std::vector<Device>& devices, double dt) {
  Plasticity p;
  p.at = r.at(n);
  // The defaults are the 2017 software's times (100 ms, 37.5 ms on a 1 ms
  // grid, 1 s), in timesteps of this configuration.
  const auto to_steps = [dt](double ms) { return static_cast<std::uint16_t>(std::min<long long>(std::llround(ms / dt), model::kMaxWindow)); };
  p.w_plus = to_steps(100);
  p.w_minus = to_steps(37);
  p.window = to_steps(1000);
  r.map(n, w);
  r.keys(n, "'" + w + "'", {"rule", "device", "window", "high", "low", "w_plus", "w_minus"});
  if (!n["rule"]) r.fail(n, w + " needs 'rule' (static, stdp or rate)");
  const std::string rule = r.text(n["rule"], w + ".rule");
  if (rule == "static") p.rule = model::Rule::kStatic;
  else if (rule == "stdp") p.rule = model::Rule::kStdp;
  else if (rule == "rate") p.rule = model::Rule::kRate;
  else {
    r.unknown(n["rule"], w + ".rule", rule, "a rule", {"static", "stdp", "rate"});
  }
  const auto steps = [&](const char* key, std::uint16_t& dst) {
    if (!n[key]) return;
    const double ms = r.quantity(n[key], w + "." + key, Dim::kTime, 0, kMaxMs);
    const long long count = std::llround(ms / dt);
    if (count > model::kMaxWindow)
      r.fail(n[key], fmt::format("{}.{} = {} ms is {} timesteps, more than the core's {}", w, key, ms, count,
                                 model::kMaxWindow));
    dst = static_cast<std::uint16_t>(count);
  };
  steps("window", p.window);
  steps("w_plus", p.w_plus);
  steps("w_minus", p.w_minus);
  if (n["high"]) p.high = static_cast<std::uint8_t>(r.whole(n["high"], w + ".high", 0, 255));
  if (n["low"]) p.low = static_cast<std::uint8_t>(r.whole(n["low"], w + ".low", 0, 255));
  if (n["device"]) {
    p.device = r.name(n["device"], w + ".device");
    const bool known = std::any_of(devices.begin(), devices.end(), [&](const Device& d) { return d.name == p.device; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& d : devices) names.push_back(d.name);
      r.unknown(n["device"], w + ".device", p.device, "a device defined under devices", names);
    }
  }
  return p;
}

// A reference to a population or an input group by name.
void check_ref(const Reader& r, const YAML::Node& n, const std::string& what, const std::string& name,
               const Config& c, bool inputs_allowed) {
  if (c.population(name) || (inputs_allowed && c.input(name))) return;
  std::vector<std::string> names;
  for (const auto& p : c.populations) names.push_back(p.name);
  if (inputs_allowed)
    for (const auto& g : c.inputs) names.push_back(g.name);
  r.unknown(n, what, name, inputs_allowed ? "a population or an input" : "a population", names);
}

unsigned group_size(const Config& c, const std::string& name) {
  if (const auto* p = c.population(name)) return p->size;
  return c.input(name)->size;
}

}  // namespace

Config parse(const std::string& yaml, const std::string& source, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw Error(Position{source, e.mark.line + 1, e.mark.column + 1}, "not valid YAML: " + e.msg);
  }
  Reader r(source, base_dir);
  if (!root.IsMap()) throw Error(Position{source}, "a network configuration is a YAML mapping (docs/config.md)");
  r.keys(root, "the top level",
         {"name", "description", "seed", "timestep", "neurons", "inputs", "devices", "variability", "connections",
          "phases", "duration", "record", "responses", "bridge"});  // bridge: read by bridge::load (docs/bridge.md)
  Config c;
  c.source = source;
  c.name = std::filesystem::path(source).stem().string();
  if (root["name"]) c.name = r.name(root["name"], "name");
  if (root["description"]) c.description = r.text(root["description"], "description");
  if (root["seed"]) c.seed = r.whole(root["seed"], "seed", 0, UINT64_MAX);
  if (root["timestep"]) {
    c.timestep_ms = r.quantity(root["timestep"], "timestep", Dim::kTime, 0.001, 1000);
    const double us = c.timestep_ms * 1000;
    if (std::abs(us - std::round(us)) > 1e-9 * us)  // spike files count time in whole microseconds a timestep
      r.fail(root["timestep"], fmt::format("timestep = {} ms is not a whole number of microseconds", c.timestep_ms));
  }

  std::set<std::string> names;
  const auto unique = [&](const YAML::Node& key, const std::string& name) {
    if (!names.insert(name).second)
      r.fail(key, fmt::format("the name '{}' is used twice (populations and inputs share one namespace)", name));
  };

  // Neurons (populations), in declaration order on the board.
  if (!root["neurons"]) r.fail(root, "missing 'neurons': the network needs at least one population");
  r.map(root["neurons"], "neurons");
  r.no_repeats(root["neurons"], "'neurons'");
  if (root["neurons"].size() == 0) r.fail(root["neurons"], "'neurons' is empty: give at least one population");
  unsigned next = 0;
  for (const auto& kv : root["neurons"]) {
    Population p;
    p.name = r.name(kv.first, "a population's name");
    unique(kv.first, p.name);
    p.at = r.at(kv.first);
    if (kv.second.IsNull()) {
      // "name:" alone: one neuron with the default parameters.
    } else {
      r.map(kv.second, "neurons." + p.name);
      read_neuron(r, kv.second, p);
    }
    try {
      p.realised = model::quantise(p.params, c.timestep_ms);
    } catch (const std::invalid_argument& e) {
      r.fail(kv.second ? kv.second : kv.first, fmt::format("neurons.{}: {}", p.name, e.what()));
    }
    if (p.realised.regs.v_thresh <= p.realised.regs.v_rest)
      r.fail(kv.second["v_thresh"] ? kv.second["v_thresh"] : kv.first,
             fmt::format("neurons.{}: v_thresh ({} mV) must be above v_rest ({} mV) by at least 1/256 mV, the "
                         "board's resolution",
                         p.name, p.params.v_thresh,
                         p.params.v_rest));
    p.first = next;
    next += p.size;
    c.populations.push_back(std::move(p));
  }

  // Inputs, in declaration order on the board's input channels.
  if (const auto in = root["inputs"]) {
    r.map(in, "inputs");
    r.no_repeats(in, "'inputs'");
    unsigned ch = 0;
    for (const auto& kv : in) {
      InputGroup g;
      g.name = r.name(kv.first, "an input's name");
      unique(kv.first, g.name);
      g.at = r.at(kv.first);
      if (!kv.second.IsNull()) {
        const std::string w = "inputs." + g.name;
        if (kv.second.IsMap() && kv.second["size"])
          g.size = static_cast<unsigned>(r.whole(kv.second["size"], w + ".size", 1, 65535));
        g.generator = read_generator(r, kv.second, w, nullptr);
      }
      g.first = ch;
      ch += g.size;
      c.inputs.push_back(std::move(g));
    }
  }

  // Devices: memristor step tables.
  if (const auto dv = root["devices"]) {
    r.map(dv, "devices");
    r.no_repeats(dv, "'devices'");
    for (const auto& kv : dv) {
      Device d;
      d.name = r.name(kv.first, "a device's name");
      d.at = r.at(kv.first);
      const std::string w = "devices." + d.name;
      r.map(kv.second, w);
      r.keys(kv.second, "'" + w + "'", {"table", "linear"});
      if (kv.second["table"] && kv.second["linear"]) r.fail(kv.second, w + ": give 'table' or 'linear', not both");
      if (const auto t = kv.second["table"]) {
        const std::string file = r.path(t, w + ".table");
        try {
          d.tables = model::DeviceTables::from_yaml(file);
        } catch (const std::exception& e) {
          r.fail(t, fmt::format("{}.table: {}", w, e.what()));
        }
      } else if (const auto l = kv.second["linear"]) {
        r.map(l, w + ".linear");
        r.keys(l, "'" + w + ".linear'", {"levels", "step"});
        const unsigned levels =
            l["levels"] ? static_cast<unsigned>(r.whole(l["levels"], w + ".linear.levels", 2, model::kMaxLevels))
                        : model::kMaxLevels;
        const double step = l["step"] ? r.number(l["step"], w + ".linear.step", 1.0 / 16, 255.0 / 16) : 1.0;
        d.tables = model::DeviceTables::linear(levels, static_cast<std::uint8_t>(std::lround(step * 16)));
      } else {
        r.fail(kv.second, w + " needs 'table' (a file from scripts/memristor-tables) or 'linear'");
      }
      c.devices.push_back(std::move(d));
    }
  }

  if (const auto v = root["variability"]) {
    r.map(v, "variability");
    r.keys(v, "'variability'", {"d2d", "c2c"});
    if (v["d2d"]) c.variability.d2d_amp = static_cast<std::uint8_t>(r.whole(v["d2d"], "variability.d2d", 0, 255));
    if (v["c2c"]) c.variability.c2c_amp = static_cast<std::uint8_t>(r.whole(v["c2c"], "variability.c2c", 0, 255));
  }

  // Connections.
  if (const auto cs = root["connections"]) {
    r.seq(cs, "connections");
    for (std::size_t i = 0; i < cs.size(); ++i) {
      const YAML::Node n = cs[i];
      const std::string w = fmt::format("connections[{}]", i);
      r.map(n, w);
      r.keys(n, w, {"from", "to", "pattern", "probability", "pairs", "weight", "plasticity"});
      Connection k;
      k.at = r.at(n);
      if (!n["from"]) r.fail(n, w + " needs 'from' (a population or an input)");
      if (!n["to"]) r.fail(n, w + " needs 'to' (a population)");
      k.from = r.text(n["from"], w + ".from");
      k.to = r.text(n["to"], w + ".to");
      check_ref(r, n["from"], w + ".from", k.from, c, true);
      check_ref(r, n["to"], w + ".to", k.to, c, false);
      k.from_input = c.input(k.from) != nullptr;
      const unsigned pre = group_size(c, k.from), post = group_size(c, k.to);
      const std::string pattern = n["pattern"] ? r.text(n["pattern"], w + ".pattern") : "all_to_all";
      if (pattern == "all_to_all") {
        k.pattern = Connection::Pattern::kAllToAll;
      } else if (pattern == "one_to_one") {
        k.pattern = Connection::Pattern::kOneToOne;
        if (pre != post)
          r.fail(n["pattern"], fmt::format("{}: one_to_one needs groups of one size; '{}' has {}, '{}' has {}", w,
                                           k.from, pre, k.to, post));
      } else if (pattern == "fixed_probability") {
        k.pattern = Connection::Pattern::kFixedProbability;
        if (!n["probability"]) r.fail(n, w + ": fixed_probability needs 'probability' (0..1)");
        k.probability = r.number(n["probability"], w + ".probability", 0, 1);
      } else if (pattern == "list") {
        k.pattern = Connection::Pattern::kList;
        if (!n["pairs"]) r.fail(n, w + ": list needs 'pairs' ([[pre, post], ...], indices within the groups)");
        r.seq(n["pairs"], w + ".pairs");
        if (n["pairs"].size() == 0) r.fail(n["pairs"], w + ".pairs is empty: a list connection needs at least one pair");
        for (std::size_t j = 0; j < n["pairs"].size(); ++j) {
          const YAML::Node pr = n["pairs"][j];
          const std::string pw = fmt::format("{}.pairs[{}]", w, j);
          if (!pr.IsSequence() || pr.size() != 2) r.fail(pr, pw + " must be [pre, post]");
          k.pairs.emplace_back(static_cast<unsigned>(r.whole(pr[0], pw + " pre", 0, pre - 1)),
                               static_cast<unsigned>(r.whole(pr[1], pw + " post", 0, post - 1)));
        }
      } else {
        r.unknown(n["pattern"], w + ".pattern", pattern, "a pattern",
                  {"all_to_all", "one_to_one", "fixed_probability", "list"});
      }
      if (n["probability"] && k.pattern != Connection::Pattern::kFixedProbability)
        r.fail(n["probability"], w + ".probability is only for pattern fixed_probability");
      if (n["pairs"] && k.pattern != Connection::Pattern::kList)
        r.fail(n["pairs"], w + ".pairs is only for pattern list");
      if (!n["weight"]) r.fail(n, w + " needs 'weight' (for example '2 mV' or '12 levels')");
      {
        const YAML::Node wn = n["weight"];
        double v = 0;
        std::string unit;
        if (!wn.IsScalar() || !split_quantity(wn.Scalar(), v, unit))
          r.fail(wn, fmt::format("{}.weight must be a value such as '2 mV' or '12 levels'", w));
        if (unit == "mV") {
          k.weight = v;
        } else if (unit == "levels" || unit == "level") {
          k.weight = v;
          k.weight_in_levels = true;
          if (v != std::floor(v)) r.fail(wn, fmt::format("{}.weight: levels are whole numbers, not {}", w, v));
        } else if (unit.empty()) {
          r.fail(wn, fmt::format("{}.weight = {} needs a unit: mV (the jump in the target's potential) or levels "
                                 "(a plastic synapse's conductance level)",
                                 w, wn.Scalar()));
        } else {
          const auto near = closest(unit, {"mV", "levels"});
          r.fail(wn, fmt::format("{}.weight: unknown unit '{}'{}; use mV or levels", w, unit,
                                 near ? " (did you mean '" + *near + "'?)" : ""));
        }
        if (std::abs(k.weight) > 1000) r.fail(wn, fmt::format("{}.weight = {} is out of any board's range", w, v));
      }
      if (n["plasticity"]) k.plasticity = read_plasticity(r, n["plasticity"], w + ".plasticity", c.devices, c.timestep_ms);
      if (k.weight_in_levels && k.plasticity.rule == model::Rule::kStatic && !n["plasticity"]) {
        // Levels on a static synapse are fine: it is a synapse of a static group in plastic mode.
      }
      c.connections.push_back(std::move(k));
    }
  }

  // Phases, or one phase of `duration`.
  if (root["phases"] && root["duration"])
    r.fail(root["duration"], "give 'phases' or 'duration', not both (a duration is one phase)");
  if (const auto ph = root["phases"]) {
    r.seq(ph, "phases");
    if (ph.size() == 0) r.fail(ph, "'phases' is empty");
    std::set<std::string> phase_names;
    for (std::size_t i = 0; i < ph.size(); ++i) {
      const YAML::Node n = ph[i];
      const std::string w = fmt::format("phases[{}]", i);
      r.map(n, w);
      r.keys(n, w, {"name", "duration", "inputs", "learning"});
      Phase p;
      p.at = r.at(n);
      p.name = n["name"] ? r.name(n["name"], w + ".name") : fmt::format("phase{}", i + 1);
      if (!phase_names.insert(p.name).second) r.fail(n["name"] ? n["name"] : n, fmt::format("{}: the phase name '{}' is used twice", w, p.name));
      if (!n["duration"]) r.fail(n, w + " needs 'duration'");
      const double ms = r.quantity(n["duration"], w + ".duration", Dim::kTime, 0, kMaxMs);
      p.steps = static_cast<std::uint64_t>(std::llround(ms / c.timestep_ms));
      if (p.steps == 0) r.fail(n["duration"], fmt::format("{}.duration is shorter than a timestep", w));
      if (n["learning"]) p.learning = r.boolean(n["learning"], w + ".learning");
      if (const auto in = n["inputs"]) {
        r.map(in, w + ".inputs");
        r.no_repeats(in, w + ".inputs");
        for (const auto& kv : in) {
          const std::string gname = r.text(kv.first, w + ".inputs key");
          const InputGroup* g = c.input(gname);
          if (!g) {
            std::vector<std::string> known;
            for (const auto& x : c.inputs) known.push_back(x.name);
            r.unknown(kv.first, w + ".inputs:", gname, "an input", known);
          }
          p.inputs[gname] = read_generator(r, kv.second, w + ".inputs." + gname, &g->generator);
        }
      }
      c.phases.push_back(std::move(p));
    }
  } else {
    if (!root["duration"]) r.fail(root, "missing 'duration' (or 'phases'): how long the network runs");
    Phase p;
    p.name = "run";
    p.at = r.at(root["duration"]);
    const double ms = r.quantity(root["duration"], "duration", Dim::kTime, 0, kMaxMs);
    p.steps = static_cast<std::uint64_t>(std::llround(ms / c.timestep_ms));
    if (p.steps == 0) r.fail(root["duration"], "duration is shorter than a timestep");
    c.phases.push_back(std::move(p));
  }

  // What to record.
  const auto pop_list = [&](const YAML::Node& n, const std::string& w) {
    std::vector<std::string> out;
    if (n.IsScalar() && n.Scalar() == "all") return out;
    if (n.IsScalar()) {
      check_ref(r, n, w, n.Scalar(), c, false);
      out.push_back(n.Scalar());
      return out;
    }
    r.seq(n, w + " (a population, a list of them, or all)");
    if (n.size() == 0) r.fail(n, w + " is an empty list: name populations, or say all");
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string s = r.text(n[i], w);
      check_ref(r, n[i], w, s, c, false);
      out.push_back(s);
    }
    return out;
  };
  if (const auto rec = root["record"]) {
    r.map(rec, "record");
    r.keys(rec, "'record'", {"spikes", "weights", "state"});
    if (rec["spikes"]) c.record.spikes = pop_list(rec["spikes"], "record.spikes");
    if (const auto wt = rec["weights"]) {
      if (wt.IsScalar() && wt.Scalar() == "off") {
      } else {
        r.map(wt, "record.weights");
        r.keys(wt, "'record.weights'", {"every"});
        if (!wt["every"]) r.fail(wt, "record.weights needs 'every' (for example '100 ms')");
        const double ms = r.quantity(wt["every"], "record.weights.every", Dim::kTime, c.timestep_ms, kMaxMs);
        c.record.weights_every = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(ms / c.timestep_ms)));
      }
    }
    if (const auto st = rec["state"]) {
      r.map(st, "record.state");
      r.keys(st, "'record.state'", {"neurons", "every"});
      if (!st["neurons"]) r.fail(st, "record.state needs 'neurons' (populations)");
      c.record.state = pop_list(st["neurons"], "record.state.neurons");
      if (c.record.state.empty())
        for (const auto& p : c.populations) c.record.state.push_back(p.name);
      const double ms = st["every"] ? r.quantity(st["every"], "record.state.every", Dim::kTime, c.timestep_ms, kMaxMs)
                                    : c.timestep_ms;
      c.record.state_every = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(ms / c.timestep_ms)));
    }
  }

  if (const auto rs = root["responses"]) {
    r.seq(rs, "responses");
    for (std::size_t i = 0; i < rs.size(); ++i) {
      const YAML::Node n = rs[i];
      const std::string w = fmt::format("responses[{}]", i);
      r.map(n, w);
      r.keys(n, w, {"from", "to", "within"});
      Response x;
      x.at = r.at(n);
      if (!n["from"] || !n["to"]) r.fail(n, w + " needs 'from' and 'to' (populations)");
      x.from = r.text(n["from"], w + ".from");
      x.to = r.text(n["to"], w + ".to");
      check_ref(r, n["from"], w + ".from", x.from, c, false);
      check_ref(r, n["to"], w + ".to", x.to, c, false);
      if (const auto wi = n["within"]) {
        double lo = c.timestep_ms, hi = 0;
        if (wi.IsSequence()) {
          if (wi.size() != 2) r.fail(wi, w + ".within must be a time or [earliest, latest]");
          lo = r.quantity(wi[0], w + ".within[0]", Dim::kTime, 0, 1e6);
          hi = r.quantity(wi[1], w + ".within[1]", Dim::kTime, 0, 1e6);
        } else {
          hi = r.quantity(wi, w + ".within", Dim::kTime, 0, 1e6);
        }
        x.min_steps = static_cast<unsigned>(std::llround(lo / c.timestep_ms));
        x.max_steps = static_cast<unsigned>(std::llround(hi / c.timestep_ms));
        if (x.min_steps == 0)
          r.fail(wi, fmt::format("{}.within starts at {} ms: a spike acts on its targets a timestep later at the "
                                 "earliest, so a window starts at one timestep ({} ms) or more",
                                 w, lo, c.timestep_ms));
        if (x.max_steps < x.min_steps)
          r.fail(wi, fmt::format("{}.within: the window {}..{} ms is empty", w, lo, hi));
      }
      c.responses.push_back(std::move(x));
    }
  }
  return c;
}

Config load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(Position{path}, "cannot open the configuration file");
  std::stringstream ss;
  ss << f.rdbuf();
  auto base = std::filesystem::path(path).parent_path();
  return parse(ss.str(), path, base.empty() ? "." : base.string());
}

}  // namespace spikelink::config
