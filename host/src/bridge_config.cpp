// Bridge configurations: the `bridge:` section (docs/bridge.md section 3).
#include <fstream>
#include <sstream>

#include "spikelink/board.hpp"
#include "spikelink/bridge.hpp"
#include "yaml_reader.hpp"

namespace spikelink::bridge {

using config::Error;
using config::detail::Dim;
using config::detail::Reader;

const char* to_string(Role r) {
  switch (r) {
    case Role::kSilicon: return "silicon";
    case Role::kSynapse: return "synapse";
    case Role::kCulture: return "culture";
  }
  return "?";
}

const char* to_string(Format f) { return f == Format::kLegacy ? "legacy" : "framed"; }

const Peer* Config::peer(const std::string& name) const {
  for (const auto& p : peers)
    if (p.name == name) return &p;
  return nullptr;
}

namespace {

udp::Endpoint endpoint(const Reader& r, const YAML::Node& n, const std::string& what, int default_port) {
  try {
    return udp::parse_endpoint(r.text(n, what), default_port);
  } catch (const udp::Error& e) {
    r.fail(n, fmt::format("{}: {}", what, e.what()));
  }
}

// `ids: 3` (one id) or `ids: [first, last]`.
std::pair<std::uint32_t, std::uint32_t> id_range(const Reader& r, const YAML::Node& n, const std::string& what) {
  if (n.IsSequence()) {
    if (n.size() != 2) r.fail(n, what + " must be an id or [first, last]");
    const auto a = static_cast<std::uint32_t>(r.whole(n[0], what + "[0]", 0, kLegacyMaxNeuron));
    const auto b = static_cast<std::uint32_t>(r.whole(n[1], what + "[1]", 0, kLegacyMaxNeuron));
    if (b < a) r.fail(n, fmt::format("{}: [{}, {}] is empty", what, a, b));
    return {a, b - a + 1};
  }
  return {static_cast<std::uint32_t>(r.whole(n, what, 0, kLegacyMaxNeuron)), 1};
}

void check_peer(const Reader& r, const YAML::Node& n, const std::string& what, const std::string& name,
                const Config& c) {
  if (c.peer(name)) return;
  std::vector<std::string> names;
  for (const auto& p : c.peers) names.push_back(p.name);
  r.unknown(n, what, name, "a peer", names);
}

}  // namespace

Config parse(const std::string& yaml, const std::string& source, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw Error(config::Position{source, e.mark.line + 1, e.mark.column + 1}, "not valid YAML: " + e.msg);
  }
  Reader r(source, base_dir);
  if (!root.IsMap() || !root["bridge"])
    throw Error(config::Position{source}, "a bridge configuration needs a 'bridge:' section (docs/bridge.md)");
  const YAML::Node b = r.map(root["bridge"], "bridge");
  Config c;
  c.source = source;
  const std::string role = b["role"] ? r.text(b["role"], "bridge.role") : (root["neurons"] ? "silicon" : "");
  if (role == "silicon") c.role = Role::kSilicon;
  else if (role == "synapse") c.role = Role::kSynapse;
  else if (role == "culture") c.role = Role::kCulture;
  else if (role.empty()) r.fail(b, "bridge.role is needed without a network: synapse or culture");
  else {
    r.unknown(b["role"], "bridge.role", role, "a role", {"silicon", "synapse", "culture"});
  }
  std::vector<std::string> known{"role", "listen", "site", "node", "peers", "events"};
  switch (c.role) {
    case Role::kSilicon:
      for (const char* k : {"window", "in", "out"}) known.emplace_back(k);
      break;
    case Role::kSynapse:
      for (const char* k : {"duration", "connectivity", "devices", "rule", "posts", "seed", "device", "levels", "table"})
        known.emplace_back(k);
      break;
    case Role::kCulture:
      for (const char* k : {"duration", "culture", "send_to"}) known.emplace_back(k);
      break;
  }
  r.keys(b, fmt::format("'bridge' (role {})", to_string(c.role)), known);
  if (c.role == Role::kSilicon) {
    if (!root["neurons"]) r.fail(b, "role silicon runs a network: the file needs 'neurons' (docs/config.md)");
    c.network = config::parse(yaml, source, base_dir);
  } else {
    // A synapse or culture site has no network of its own.
    for (const char* k : {"neurons", "inputs", "connections", "phases"})
      if (root[k]) r.fail(root[k], fmt::format("'{}' is for role silicon; a {} site has none", k, to_string(c.role)));
  }
  c.site = c.role == Role::kSilicon ? kLegacyAxon : c.role == Role::kSynapse ? kLegacySynapse : kLegacyDendrite;
  if (b["site"]) {
    const std::string s = r.text(b["site"], "bridge.site");
    if (s.size() != 1 || !is_legacy_sender(s[0]) || s[0] == kLegacyReady)
      r.fail(b["site"], fmt::format("bridge.site '{}' is not a site code: A (silicon neurons), S (synapses), D "
                                    "(biological)",
                                    s));
    c.site = s[0];
  }
  if (b["node"]) c.node = static_cast<std::uint16_t>(r.whole(b["node"], "bridge.node", 0, 65535));
  if (b["listen"]) c.listen = endpoint(r, b["listen"], "bridge.listen", kLegacyPort);
  if (b["events"]) c.events_file = r.path(b["events"], "bridge.events");
  if (b["duration"]) c.duration_s = r.quantity(b["duration"], "bridge.duration", Dim::kTime, 0, 1e12) / 1000;
  if (b["window"]) {
    const double ms = r.quantity(b["window"], "bridge.window", Dim::kTime, 0, 10'000);
    c.chunk_steps = static_cast<std::uint64_t>(std::llround(ms / c.network->timestep_ms));
    if (c.chunk_steps == 0) r.fail(b["window"], "bridge.window is shorter than a timestep");
  }

  if (!b["peers"]) r.fail(b, "bridge.peers is needed: the sites it talks to");
  r.map(b["peers"], "bridge.peers");
  r.no_repeats(b["peers"], "'bridge.peers'");
  for (const auto& kv : b["peers"]) {
    Peer p;
    p.name = r.name(kv.first, "a peer's name");
    p.at = r.at(kv.first);
    const std::string w = "bridge.peers." + p.name;
    r.map(kv.second, w);
    r.keys(kv.second, "'" + w + "'", {"address", "format", "max_rate", "deltas"});
    if (!kv.second["address"]) r.fail(kv.second, w + " needs 'address' (HOST:PORT)");
    p.address = endpoint(r, kv.second["address"], w + ".address", kLegacyPort);
    if (const auto f = kv.second["format"]) {
      const std::string s = r.text(f, w + ".format");
      if (s == "legacy") p.format = Format::kLegacy;
      else if (s == "framed") p.format = Format::kFramed;
      else r.fail(f, fmt::format("{}.format '{}' is neither legacy nor framed", w, s));
    }
    if (kv.second["max_rate"]) p.max_rate = r.quantity(kv.second["max_rate"], w + ".max_rate", Dim::kRate, 0, 1e8);
    if (kv.second["deltas"]) p.legacy_deltas = r.boolean(kv.second["deltas"], w + ".deltas");
    for (const auto& q : c.peers)
      if (q.address == p.address) r.fail(kv.second["address"], fmt::format("{}: {} is also peer '{}'", w, p.address.str(), q.name));
    c.peers.push_back(p);
  }
  if (c.peers.empty()) r.fail(b["peers"], "bridge.peers is empty");

  if (c.role == Role::kSilicon) {
    const auto& net = *c.network;
    if (const auto in = b["in"]) {
      r.seq(in, "bridge.in");
      for (std::size_t i = 0; i < in.size(); ++i) {
        const YAML::Node n = in[i];
        const std::string w = fmt::format("bridge.in[{}]", i);
        r.map(n, w);
        r.keys(n, w, {"peer", "ids", "input", "weight_channels"});
        InRoute x;
        x.at = r.at(n);
        if (!n["peer"] || !n["ids"] || !n["input"]) r.fail(n, w + " needs 'peer', 'ids' and 'input'");
        x.peer = r.text(n["peer"], w + ".peer");
        check_peer(r, n["peer"], w + ".peer", x.peer, c);
        std::tie(x.first_id, x.count) = id_range(r, n["ids"], w + ".ids");
        x.input = r.text(n["input"], w + ".input");
        const auto* g = net.input(x.input);
        if (!g) {
          std::vector<std::string> names;
          for (const auto& gi : net.inputs) names.push_back(gi.name);
          r.unknown(n["input"], w + ".input", x.input, "an input of the network", names);
        }
        if (n["weight_channels"])
          x.weight_channels = static_cast<unsigned>(r.whole(n["weight_channels"], w + ".weight_channels", 1, 256));
        if (static_cast<std::uint64_t>(x.count) * x.weight_channels > g->size)
          r.fail(n, fmt::format("{}: {} ids x {} weight channels need {} channels; input '{}' has {}", w, x.count,
                                x.weight_channels, std::uint64_t{x.count} * x.weight_channels, x.input, g->size));
        for (const auto& o : c.in)
          if (o.peer == x.peer && x.first_id < o.first_id + o.count && o.first_id < x.first_id + x.count)
            r.fail(n["ids"], fmt::format("{}: ids of '{}' overlap an earlier route's", w, x.peer));
        c.in.push_back(x);
      }
    }
    if (const auto out = b["out"]) {
      r.seq(out, "bridge.out");
      for (std::size_t i = 0; i < out.size(); ++i) {
        const YAML::Node n = out[i];
        const std::string w = fmt::format("bridge.out[{}]", i);
        r.map(n, w);
        r.keys(n, w, {"population", "peer", "first_id"});
        OutRoute x;
        x.at = r.at(n);
        if (!n["population"] || !n["peer"]) r.fail(n, w + " needs 'population' and 'peer'");
        x.population = r.text(n["population"], w + ".population");
        if (!net.population(x.population)) {
          std::vector<std::string> names;
          for (const auto& p : net.populations) names.push_back(p.name);
          r.unknown(n["population"], w + ".population", x.population, "a population", names);
        }
        x.peer = r.text(n["peer"], w + ".peer");
        check_peer(r, n["peer"], w + ".peer", x.peer, c);
        if (n["first_id"]) x.first_id = static_cast<std::uint32_t>(r.whole(n["first_id"], w + ".first_id", 0, kLegacyMaxNeuron));
        c.out.push_back(x);
      }
    }
  }

  if (c.role == Role::kSynapse) {
    if (!b["connectivity"]) r.fail(b, "role synapse needs 'connectivity': a file of lines 'pre, post, wordline, bitline'");
    const std::string file = r.path(b["connectivity"], "bridge.connectivity");
    try {
      c.connectivity = sites::load_connectivity(file);
    } catch (const sites::ConnectivityError& e) {
      r.fail(b["connectivity"], fmt::format("bridge.connectivity: {}", e.what()));
    }
    auto& s = c.synapse;
    if (const auto d = b["devices"]) {
      r.map(d, "bridge.devices");
      r.keys(d, "'bridge.devices'", {"r_min", "r_max", "r_initial", "pulses_up", "pulses_down", "nonlinearity_up",
                                     "nonlinearity_down", "c2c"});
      const auto ohm = [&](const char* k, double& dst) {
        if (d[k]) dst = r.number(d[k], std::string("bridge.devices.") + k + " (ohm)", 1, 1e12);
      };
      ohm("r_min", s.r_min_ohm);
      ohm("r_max", s.r_max_ohm);
      s.r_initial_ohm = s.r_min_ohm;
      ohm("r_initial", s.r_initial_ohm);
      if (d["pulses_up"]) s.pulses_up = static_cast<unsigned>(r.whole(d["pulses_up"], "bridge.devices.pulses_up", 1, 1'000'000));
      if (d["pulses_down"]) s.pulses_down = static_cast<unsigned>(r.whole(d["pulses_down"], "bridge.devices.pulses_down", 1, 1'000'000));
      if (d["nonlinearity_up"]) s.nonlinearity_up = r.number(d["nonlinearity_up"], "bridge.devices.nonlinearity_up", 0, 100);
      if (d["nonlinearity_down"]) s.nonlinearity_down = r.number(d["nonlinearity_down"], "bridge.devices.nonlinearity_down", 0, 100);
      if (d["c2c"]) s.c2c = r.number(d["c2c"], "bridge.devices.c2c", 0, 10);
      if (s.r_max_ohm <= s.r_min_ohm) r.fail(d, "bridge.devices: r_max must be above r_min");
      if (s.r_initial_ohm < s.r_min_ohm || s.r_initial_ohm > s.r_max_ohm) r.fail(d["r_initial"], "bridge.devices.r_initial is outside r_min..r_max");
    }
    if (b["seed"]) s.seed = r.whole(b["seed"], "bridge.seed", 0, UINT64_MAX);
    if (const auto ru = b["rule"]) {
      r.map(ru, "bridge.rule");
      r.keys(ru, "'bridge.rule'", {"type", "window", "high", "low", "history", "w_plus", "w_minus"});
      if (ru["type"]) {
        const std::string t = r.text(ru["type"], "bridge.rule.type");
        if (t == "rate") s.rule = sites::SiteRule::kRate;
        else if (t == "stdp") s.rule = sites::SiteRule::kStdp;
        else if (t == "none") s.rule = sites::SiteRule::kNone;
        else r.fail(ru["type"], fmt::format("bridge.rule.type '{}' is not rate, stdp or none", t));
      }
      const auto ticks = [&](const char* k, std::uint64_t& dst) {
        if (ru[k]) dst = static_cast<std::uint64_t>(std::llround(r.quantity(ru[k], std::string("bridge.rule.") + k, Dim::kTime, 0.05, 1e9) * 20));
      };
      ticks("window", s.rate_window);
      ticks("w_plus", s.stdp_pot_window);
      ticks("w_minus", s.stdp_dep_window);
      if (ru["high"]) s.rate_high = static_cast<unsigned>(r.whole(ru["high"], "bridge.rule.high", 0, 100000));
      if (ru["low"]) s.rate_low = static_cast<unsigned>(r.whole(ru["low"], "bridge.rule.low", 0, 100000));
      if (ru["history"]) s.history = static_cast<unsigned>(r.whole(ru["history"], "bridge.rule.history", 1, 100000));
    }
    if (!b["posts"]) r.fail(b, "role synapse needs 'posts': which peer each post-synaptic id belongs to");
    r.seq(b["posts"], "bridge.posts");
    for (std::size_t i = 0; i < b["posts"].size(); ++i) {
      const YAML::Node n = b["posts"][i];
      const std::string w = fmt::format("bridge.posts[{}]", i);
      r.map(n, w);
      r.keys(n, w, {"peer", "ids"});
      if (!n["peer"] || !n["ids"]) r.fail(n, w + " needs 'peer' and 'ids'");
      PostOwner o;
      o.at = r.at(n);
      o.peer = r.text(n["peer"], w + ".peer");
      check_peer(r, n["peer"], w + ".peer", o.peer, c);
      std::tie(o.first_id, o.count) = id_range(r, n["ids"], w + ".ids");
      c.posts.push_back(o);
    }
    for (const auto& e : c.connectivity) {
      const bool owned = std::any_of(c.posts.begin(), c.posts.end(), [&](const PostOwner& o) {
        return e.post >= o.first_id && e.post < o.first_id + o.count;
      });
      if (!owned)
        r.fail(b["posts"], fmt::format("post-synaptic id {} of the connectivity table belongs to no peer in "
                                       "bridge.posts",
                                       e.post));
    }
    try {
      sites::SynapseSite check(c.connectivity, s);
    } catch (const std::invalid_argument& e) {
      r.fail(b["devices"] ? b["devices"] : b, fmt::format("bridge: {}", e.what()));
    }
    // The synapses on a board (docs/bridge.md section 3.6).
    if (b["device"]) {
      c.synapse_device = r.text(b["device"], "bridge.device");
      try {
        parse_uri(c.synapse_device);
      } catch (const BoardError& e) {
        r.fail(b["device"], fmt::format("bridge.device: {}", e.what()));
      }
      if (b["levels"]) c.board_levels = static_cast<unsigned>(r.whole(b["levels"], "bridge.levels", 2, model::kMaxLevels));
      if (b["table"]) {
        try {
          c.board_tables = model::DeviceTables::from_yaml(r.path(b["table"], "bridge.table"));
        } catch (const std::runtime_error& e) {
          r.fail(b["table"], fmt::format("bridge.table: {}", e.what()));
        }
        if (b["levels"] && c.board_tables->levels != c.board_levels)
          r.fail(b["levels"], fmt::format("bridge.levels {} differs from the table's {}", c.board_levels,
                                          c.board_tables->levels));
        c.board_levels = c.board_tables->levels;
      }
      if (s.c2c > 0) r.fail(b["devices"]["c2c"], "bridge.devices.c2c: a board's synapses have no such noise; leave it out with bridge.device");
      const YAML::Node ru = b["rule"] ? b["rule"] : b;
      const auto window = [&](const char* k, std::uint64_t ticks) {
        if (ticks > std::uint64_t{model::kMaxWindow} * 20 + 10)
          r.fail(ru[k] ? ru[k] : ru, fmt::format("bridge.rule.{}: a board's windows are at most {} ms", k, model::kMaxWindow));
      };
      window("window", s.rate_window);
      window("w_plus", s.stdp_pot_window);
      window("w_minus", s.stdp_dep_window);
      if (s.rate_high > 255 || s.rate_low > 255) r.fail(ru, "bridge.rule: a board's rate thresholds are at most 255");
      std::vector<std::uint32_t> pres;
      for (const auto& e : c.connectivity)
        if (std::find(pres.begin(), pres.end(), e.pre) == pres.end()) pres.push_back(e.pre);
      if (s.rule == sites::SiteRule::kRate && pres.size() > model::kRateSlots)
        r.fail(b["connectivity"], fmt::format("bridge.connectivity: the rate rule on a board counts at most {} "
                                              "pre-synaptic ids (its rate slots); the table has {}",
                                              model::kRateSlots, pres.size()));
    } else {
      for (const char* k : {"levels", "table"})
        if (b[k]) r.fail(b[k], fmt::format("bridge.{} is for the synapses on a board: it needs bridge.device", k));
    }
  }

  if (c.role == Role::kCulture) {
    auto& p = c.culture;
    if (const auto cu = b["culture"]) {
      r.map(cu, "bridge.culture");
      r.keys(cu, "'bridge.culture'", {"neurons", "spontaneous_rate", "burst_rate", "burst_participation",
                                      "burst_spikes", "burst_duration", "burst_min_interval", "threshold_weight",
                                      "threshold_slope", "latency", "latency_jitter", "refractory", "report_psp",
                                      "seed"});
      const std::string w = "bridge.culture.";
      const auto us = [&](const char* k, std::uint64_t& dst) {
        if (cu[k]) dst = static_cast<std::uint64_t>(std::llround(r.quantity(cu[k], w + k, Dim::kTime, 0, 1e9) * 1000));
      };
      if (cu["neurons"]) p.neurons = static_cast<std::uint32_t>(r.whole(cu["neurons"], w + "neurons", 1, 1'000'000));
      if (cu["spontaneous_rate"]) p.spontaneous_hz = r.quantity(cu["spontaneous_rate"], w + "spontaneous_rate", Dim::kRate, 0, 1000);
      if (cu["burst_rate"]) p.burst_hz = r.quantity(cu["burst_rate"], w + "burst_rate", Dim::kRate, 0, 100);
      if (cu["burst_participation"]) p.burst_participation = r.number(cu["burst_participation"], w + "burst_participation", 0, 1);
      if (cu["burst_spikes"]) p.burst_spikes = r.number(cu["burst_spikes"], w + "burst_spikes", 1, 1000);
      us("burst_duration", p.burst_duration_us);
      us("burst_min_interval", p.burst_min_interval_us);
      if (cu["threshold_weight"]) p.threshold_weight = r.number(cu["threshold_weight"], w + "threshold_weight", 0, 255);
      if (cu["threshold_slope"]) p.threshold_slope = r.number(cu["threshold_slope"], w + "threshold_slope", 0.01, 1000);
      us("latency", p.latency_us);
      us("latency_jitter", p.latency_jitter_us);
      us("refractory", p.refractory_us);
      if (cu["report_psp"]) p.report_psp = r.boolean(cu["report_psp"], w + "report_psp");
      if (cu["seed"]) p.seed = r.whole(cu["seed"], w + "seed", 0, UINT64_MAX);
      try {
        sites::Culture check(p);
      } catch (const std::invalid_argument& e) {
        r.fail(cu, fmt::format("bridge.culture: {}", e.what()));
      }
    }
    if (!b["send_to"]) r.fail(b, "role culture needs 'send_to': the peer its events go to");
    c.culture_peer = r.text(b["send_to"], "bridge.send_to");
    check_peer(r, b["send_to"], "bridge.send_to", c.culture_peer, c);
  }
  if (c.role != Role::kSilicon && c.duration_s <= 0 && b["duration"])
    r.fail(b["duration"], "bridge.duration must be more than 0 (leave it out to run until stopped)");
  return c;
}

Config load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(config::Position{path}, "cannot open the configuration file");
  std::stringstream ss;
  ss << f.rdbuf();
  auto base = std::filesystem::path(path).parent_path();
  return parse(ss.str(), path, base.empty() ? "." : base.string());
}

}  // namespace spikelink::bridge
