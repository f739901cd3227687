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

namespace spikelink::bridge {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t realtime_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// An event taken from a peer.
struct Incoming {
  char site = 0;
  std::uint32_t id = 0;
  std::uint8_t value = 0;  // legacy: event type or weight byte; framed: the event's value
  Clock::time_point at;    // when its datagram arrived
};

// The plumbing every role shares: the socket, the peers (their addresses,
// formats, rate limits, encoders), decoding with every drop counted, the
// event log.
class Node {
 public:
  Node(const Config& cfg, Stats& st) : cfg_(cfg), st_(st), sock_(cfg.listen), t0_(Clock::now()) {
    for (const auto& p : cfg.peers) {
      PeerState ps;
      ps.peer = &p;
      ps.limit = udp::RateLimit(p.max_rate, p.max_rate / 10);
      if (p.format == Format::kFramed)
        ps.encoder.emplace(static_cast<std::uint8_t>(cfg.site), cfg.node, random_session_id());
      peers_.push_back(std::move(ps));
      st_.peers[p.name];
    }
    if (!cfg.events_file.empty()) {
      log_.open(cfg.events_file);
      if (!log_) throw udp::Error(cfg.events_file + ": cannot create the event log");
      log_ << "time_us,dir,peer,site,id,value\n";
    }
  }

  udp::Endpoint local() const { return sock_.local(); }
  std::uint64_t now_us() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0_).count());
  }
  Clock::time_point start() const { return t0_; }

  // Takes every datagram waiting, waiting up to `wait` for the first, and
  // hands each accepted event to on_event(event, peer).
  template <class F>
  void receive(std::chrono::microseconds wait, F&& on_event) {
    for (;;) {
      auto d = sock_.receive(wait);
      if (!d) return;
      wait = std::chrono::microseconds(0);
      take(*d, on_event);
    }
  }

  void queue(const std::string& peer, char site, std::uint32_t id, std::uint8_t value, std::uint64_t t_us) {
    for (auto& ps : peers_) {
      if (ps.peer->name != peer) continue;
      ps.out.push_back({t_us, id, EventKind::kSpike, value});
      ps.out_site.push_back(site);
      return;
    }
  }

  void flush() {
    const std::uint64_t now = now_us();
    for (auto& ps : peers_) {
      if (ps.out.empty()) continue;
      auto& pc = st_.peers[ps.peer->name];
      const auto send = [&](std::span<const std::uint8_t> bytes) {
        if (sock_.send(ps.peer->address, bytes)) ++pc.datagrams_out;
        else ++pc.send_failed;
      };
      if (ps.peer->format == Format::kLegacy) {
        for (std::size_t i = 0; i < ps.out.size(); ++i) {
          const auto& e = ps.out[i];
          const std::uint64_t tick = e.t_us / kLegacyTickUs;
          std::uint64_t ts = tick;
          if (ps.peer->legacy_deltas) {
            ts = tick - std::min(tick, ps.last_tick);
            ps.last_tick = tick;
          }
          const auto bytes = encode_legacy(LegacyPacket{ps.out_site[i], e.channel, e.value,
                                                        static_cast<std::uint32_t>(ts & 0xFFFFFFFFu)});
          send(bytes);
        }
      } else {
        for (const auto& dg : ps.encoder->encode(ps.out, realtime_ns())) send(dg);
      }
      pc.events_out += ps.out.size();
      if (log_)
        for (std::size_t i = 0; i < ps.out.size(); ++i)
          log_ << fmt::format("{},out,{},{},{},{}\n", now, ps.peer->name, ps.out_site[i], ps.out[i].channel,
                              ps.out[i].value);
      ps.out.clear();
      ps.out_site.clear();
    }
  }

  void close_log() {
    if (log_) log_.flush();
  }

 private:
  struct PeerState {
    const Peer* peer = nullptr;
    udp::RateLimit limit;
    std::optional<FramedEncoder> encoder;
    std::vector<Event> out;
    std::vector<char> out_site;
    std::uint64_t last_tick = 0;
  };

  template <class F>
  void take(const udp::Datagram& d, F& on_event) {
    if (d.size > udp::kMaxDatagram) {
      ++st_.oversized;
      return;
    }
    PeerState* ps = nullptr;
    for (auto& p : peers_)
      if (p.peer->address == d.from) ps = &p;
    if (!ps) {
      ++st_.unknown_peer;
      return;
    }
    auto& pc = st_.peers[ps->peer->name];
    ++pc.datagrams_in;
    std::vector<Incoming> events;
    if (ps->peer->format == Format::kLegacy) {
      const auto r = decode_legacy(d.bytes);
      if (r.status != LegacyStatus::kOk) {
        ++st_.malformed;
        st_.receive.on_malformed(r.status);
        return;
      }
      if (r.packet.sender == kLegacyReady) return;  // a site saying it is up: nothing to route
      events.push_back({r.packet.sender, r.packet.neuron, r.packet.type_or_weight, d.at});
    } else {
      const auto r = decode_framed(d.bytes);
      if (r.status != FramedStatus::kOk) {
        ++st_.malformed;
        st_.receive.on_malformed(r.status);
        return;
      }
      const auto verdict = st_.receive.on_datagram(r.header, realtime_ns());
      if (verdict == SeqTracker::Verdict::kDuplicate || verdict == SeqTracker::Verdict::kTooOld ||
          verdict == SeqTracker::Verdict::kStaleSession) {
        st_.duplicates_dropped += r.events.size();
        return;
      }
      for (const auto& e : r.events) events.push_back({static_cast<char>(r.header.site), e.channel, e.value, d.at});
    }
    const std::uint64_t now = now_us();
    for (const auto& e : events) {
      ++pc.events_in;
      if (!ps->limit.allow(d.at)) {
        ++pc.rate_limited;
        continue;
      }
      if (log_) log_ << fmt::format("{},in,{},{},{},{}\n", now, ps->peer->name, e.site, e.id, e.value);
      on_event(e, *ps->peer);
    }
  }

  const Config& cfg_;
  Stats& st_;
  udp::Socket sock_;
  Clock::time_point t0_;
  std::vector<PeerState> peers_;
  std::ofstream log_;
};

bool done(const Node& node, double duration_s, const std::atomic<bool>* stop) {
  if (stop && stop->load()) return true;
  return duration_s > 0 && static_cast<double>(node.now_us()) >= duration_s * 1e6;
}

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
    case Role::kSynapse: run_synapse(cfg, stop, st); break;
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
                       {"restarts", c.restarts},
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
                   "events; {} outgoing events with no route\n",
                   unknown_peer, oversized, malformed, duplicates_dropped, out_unrouted);
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
