// spikelink bridge: the three roles over UDP (docs/bridge.md section 4).
#include "spikelink/bridge.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "spikelink/board.hpp"
#include "spikelink/run.hpp"
#include "bridge_node.hpp"

namespace spikelink::bridge {

namespace {

using namespace detail;

void run_silicon(const Config& cfg, const std::string& device, const std::string& out_dir,
                 const std::atomic<bool>* stop, Stats& st) {
  const auto& net = *cfg.network;
  auto board = Board::open(device);
  const auto plan = config::compile(net, config::shape_of(board->identity()), device);
  Node node(cfg, st);
  run::Options opt;
  opt.out_dir = out_dir;
  opt.paced = true;
  opt.chunk = cfg.chunk_steps;
  opt.stop = stop;
  struct Route {
    const InRoute* r;
    unsigned first_channel;
  };
  std::vector<Route> routes;
  for (const auto& r : cfg.in) routes.push_back({&r, net.input(r.input)->first});
  opt.inputs_hook = [&](std::uint64_t from, std::uint64_t, std::vector<proto::SpikeEvent>& events) {
    node.maybe_report();
    node.receive(std::chrono::microseconds(0), [&](const Incoming& e, const Peer& p) {
      for (const auto& [r, first] : routes) {
        if (r->peer != p.name || e.id < r->first_id || e.id >= r->first_id + r->count) continue;
        unsigned ch = first + (e.id - r->first_id) * r->weight_channels;
        if (r->weight_channels > 1) ch += static_cast<unsigned>(e.value) * r->weight_channels / 256;
        events.push_back({from, static_cast<std::uint16_t>(ch)});
        st.in_latency_us.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - e.at).count()));
        return;
      }
      ++st.peers[p.name].unrouted;
    });
  };
  struct Out {
    const OutRoute* r;
    unsigned first, size;
  };
  std::vector<Out> outs;
  for (const auto& r : cfg.out) {
    const auto* p = net.population(r.population);
    outs.push_back({&r, p->first, p->size});
  }
  const double us_per_step = net.timestep_ms * 1000;
  opt.spikes_hook = [&](std::span<const proto::SpikeEvent> spikes) {
    for (const auto& s : spikes) {
      bool routed = false;
      for (const auto& o : outs) {
        if (s.address < o.first || s.address >= o.first + o.size) continue;
        node.queue(o.r->peer, cfg.site, o.r->first_id + (s.address - o.first), 0,
                   static_cast<std::uint64_t>(static_cast<double>(s.timestep) * us_per_step));
        routed = true;
      }
      if (!routed) ++st.out_unrouted;
    }
    node.flush();
  };
  const auto r = run::run(*board, net, plan, opt);
  node.close_log();
  st.site["timesteps"] = r.timesteps;
  st.site["spikes_recorded"] = r.spikes_recorded;
  st.site["events_sent_to_board"] = r.events_sent;
  if (!r.failure.empty()) throw BoardError(BoardError::Kind::kDisconnected, r.failure);
}

void run_synapse(const Config& cfg, const std::atomic<bool>* stop, Stats& st) {
  sites::SynapseSite site(cfg.connectivity, cfg.synapse);
  Node node(cfg, st);
  const auto is_post = [&](std::uint32_t id) {
    return std::any_of(cfg.connectivity.begin(), cfg.connectivity.end(),
                       [&](const sites::SynapseEntry& e) { return e.post == id; });
  };
  const auto owner = [&](std::uint32_t post) -> const PostOwner* {
    for (const auto& o : cfg.posts)
      if (post >= o.first_id && post < o.first_id + o.count) return &o;
    return nullptr;
  };
  while (!done(node, cfg.duration_s, stop)) {
    node.receive(std::chrono::milliseconds(1), [&](const Incoming& e, const Peer& p) {
      const std::uint64_t tick = node.now_us() / kLegacyTickUs;  // the synapse site owns the clock
      std::vector<sites::Forward> fw;
      if (e.site == kLegacyAxon) {
        // A silicon neuron: the post of a synapse (its spikes teach) or a pre (its spikes are forwarded).
        fw = is_post(e.id) ? site.on_post_spike(e.id, tick) : site.on_pre(e.id, tick);
      } else if (e.site == kLegacyDendrite) {
        fw = site.on_post(e.id, e.value, tick);
      } else {
        ++st.peers[p.name].wrong_site;
        return;
      }
      for (const auto& f : fw) {
        const auto* o = owner(f.post);
        if (!o) {
          ++st.out_unrouted;
          continue;
        }
        node.queue(o->peer, cfg.site, f.post, f.weight, f.tick * kLegacyTickUs);
      }
    });
    node.flush();
  }
  node.close_log();
  const auto& c = site.counters();
  st.site = {{"pre_events", c.pre_events},     {"post_events", c.post_events},   {"forwards", c.forwards},
             {"pulses_pot", c.pulses_pot},     {"pulses_dep", c.pulses_dep},     {"unknown_pre", c.unknown_pre},
             {"unknown_post", c.unknown_post}, {"bad_type", c.bad_type}};
  for (const auto& e : cfg.connectivity)
    st.weights.push_back({fmt::format("{}->{}", e.pre, e.post), site.weight_byte(e.pre, e.post)});
}

void run_culture(const Config& cfg, const std::atomic<bool>* stop, Stats& st) {
  sites::Culture culture(cfg.culture);
  Node node(cfg, st);
  while (!done(node, cfg.duration_s, stop)) {
    node.receive(std::chrono::microseconds(500), [&](const Incoming& e, const Peer& p) {
      if (e.site != kLegacySynapse && e.site != kLegacyAxon) {
        ++st.peers[p.name].wrong_site;
        return;
      }
      culture.stimulate(e.id, e.value, node.now_us());
    });
    for (const auto& ev : culture.advance_to(node.now_us()))
      node.queue(cfg.culture_peer, cfg.site, ev.neuron, static_cast<std::uint8_t>(ev.type), ev.t_us);
    node.flush();
  }
  node.close_log();
  const auto& c = culture.counters();
  st.site = {{"stimuli", c.stimuli},       {"evoked", c.evoked},         {"psp", c.psp},
             {"refractory_stimuli", c.refractory_stimuli},            {"spontaneous", c.spontaneous},
             {"bursts", c.bursts},         {"suppressed", c.suppressed}, {"unknown_neuron", c.unknown_neuron},
             {"late_stimuli", c.late_stimuli}};
}

}  // namespace

Stats run_bridge(const Config& cfg, const std::string& device, const std::string& out_dir,
                 const std::atomic<bool>* stop) {
  Stats st;
  st.role = to_string(cfg.role);
  const auto t0 = Clock::now();
  switch (cfg.role) {
    case Role::kSilicon: run_silicon(cfg, device, out_dir, stop, st); break;
    case Role::kSynapse:
      if (cfg.synapse_device.empty()) run_synapse(cfg, stop, st);
      else detail::run_synapse_board(cfg, stop, st);  // docs/bridge.md section 3.6
      break;
    case Role::kCulture: run_culture(cfg, stop, st); break;
  }
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return st;
}

std::string Stats::json() const {
  nlohmann::ordered_json j;
  j["role"] = role;
  j["seconds"] = seconds;
  nlohmann::ordered_json peers_j;
  for (const auto& [name, p] : peers) {
    peers_j[name] = {{"datagrams_in", p.datagrams_in}, {"events_in", p.events_in},
                     {"datagrams_out", p.datagrams_out}, {"events_out", p.events_out},
                     {"rate_limited", p.rate_limited}, {"send_failed", p.send_failed},
                     {"unrouted", p.unrouted}, {"wrong_site", p.wrong_site}};
  }
  j["peers"] = peers_j;
  nlohmann::ordered_json senders = nlohmann::ordered_json::array();
  for (const auto& [id, p] : receive.peers()) {
    const auto c = p.seq.total();
    const auto d = p.delay.summary();
    senders.push_back({{"site", std::string(1, static_cast<char>(id.site))},
                       {"node", id.node},
                       {"datagrams", c.received},
                       {"lost", c.lost},
                       {"duplicates", c.duplicates},
                       {"reordered", c.reordered},
                       {"too_old", c.too_old},
                       {"jumps", c.jumps},
                       {"restarts", c.restarts},
                       {"stale_session", c.stale_session},
                       {"delay_us", {{"p50", static_cast<double>(d.p50_ns) / 1000},
                                     {"p99", static_cast<double>(d.p99_ns) / 1000},
                                     {"max", static_cast<double>(d.max_ns) / 1000},
                                     {"jitter", d.jitter_ns / 1000}}}});
  }
  j["senders"] = senders;
  // Keys for scripts: "legacy_wrong_size", "framed_bad_crc", ...
  const auto key = [](const char* format, std::string_view what) {
    std::string k = format;
    k += '_';
    for (const char c : what) k += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_';
    return k;
  };
  nlohmann::ordered_json bad;
  for (std::size_t i = 1; i < kLegacyStatusCount; ++i)
    bad[key("legacy", to_string(static_cast<LegacyStatus>(i)))] = receive.malformed(static_cast<LegacyStatus>(i));
  for (std::size_t i = 1; i < kFramedStatusCount; ++i)
    bad[key("framed", to_string(static_cast<FramedStatus>(i)))] = receive.malformed(static_cast<FramedStatus>(i));
  j["dropped"] = {{"unknown_peer", unknown_peer},
                  {"oversized", oversized},
                  {"malformed", malformed},
                  {"malformed_by_kind", bad},
                  {"duplicate_events", duplicates_dropped},
                  {"late_events", late_dropped},
                  {"out_unrouted", out_unrouted}};
  j["in_latency_us"] = {{"count", in_latency_us.count()},
                        {"p50", in_latency_us.at_rank((in_latency_us.count() + 1) / 2)},
                        {"p99", in_latency_us.at_rank((in_latency_us.count() * 99 + 99) / 100)},
                        {"max", in_latency_us.max()}};
  j["site"] = site;
  nlohmann::ordered_json w = nlohmann::ordered_json::array();
  for (const auto& [label, byte] : weights) w.push_back({{"synapse", label}, {"weight_byte", byte}});
  j["weights"] = w;
  return j.dump(2);
}

std::string Stats::report() const {
  std::string s = fmt::format("bridge ({}) ran {:.1f} s\n", role, seconds);
  for (const auto& [name, p] : peers)
    s += fmt::format("  peer {:<12} in {} events ({} datagrams), out {} events ({} datagrams); dropped: {} over "
                     "the rate limit, {} unrouted, {} wrong site; {} sends failed\n",
                     name, p.events_in, p.datagrams_in, p.events_out, p.datagrams_out, p.rate_limited, p.unrouted,
                     p.wrong_site, p.send_failed);
  for (const auto& [id, p] : receive.peers()) {
    const auto c = p.seq.total();
    const auto d = p.delay.summary();
    s += fmt::format("  from site {} node {}: {} datagrams, {} lost, {} duplicates, {} reordered, {} restarts; "
                     "delay p50 {:.0f} us, p99 {:.0f} us, max {:.0f} us, jitter {:.0f} us\n",
                     static_cast<char>(id.site), id.node, c.received, c.lost, c.duplicates, c.reordered, c.restarts,
                     static_cast<double>(d.p50_ns) / 1000, static_cast<double>(d.p99_ns) / 1000,
                     static_cast<double>(d.max_ns) / 1000, d.jitter_ns / 1000);
  }
  s += fmt::format("  dropped datagrams: {} from unknown addresses, {} oversized, {} malformed; {} duplicate "
                   "events, {} too late to tell (older than the window, or of a past session); {} outgoing events "
                   "with no route\n",
                   unknown_peer, oversized, malformed, duplicates_dropped, late_dropped, out_unrouted);
  if (in_latency_us.count())
    s += fmt::format("  arrival to the board: p50 {} us, p99 {} us, max {} us\n",
                     in_latency_us.at_rank((in_latency_us.count() + 1) / 2),
                     in_latency_us.at_rank((in_latency_us.count() * 99 + 99) / 100), in_latency_us.max());
  if (!site.empty()) {
    s += "  site:";
    for (const auto& [k, v] : site) s += fmt::format(" {} {},", k, v);
    s.back() = '\n';
  }
  for (const auto& [label, byte] : weights) s += fmt::format("  synapse {} weight byte {}\n", label, byte);
  return s;
}

}  // namespace spikelink::bridge
