// The plumbing every role of the bridge shares (internal to the library):
// the socket, the peers (addresses, formats, rate limits, encoders),
// decoding with every drop counted, and the event log. docs/bridge.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "spikelink/bridge.hpp"

namespace spikelink::bridge::detail {

using Clock = std::chrono::steady_clock;

inline std::uint64_t realtime_ns() {
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
      // A framed peer that heard nothing for a second gets a heartbeat (a
      // datagram with no events): it carries the sequence number, so a
      // loss just before a quiet spell shows at once, and the clock.
      if (ps.out.empty() && ps.encoder && now - ps.last_sent_us >= 1'000'000) {
        for (const auto& dg : ps.encoder->encode({}, realtime_ns())) {
          if (sock_.send(ps.peer->address, dg)) ++st_.peers[ps.peer->name].datagrams_out;
          else ++st_.peers[ps.peer->name].send_failed;
        }
        ps.last_sent_us = now;
      }
      if (ps.out.empty()) continue;
      ps.last_sent_us = now;
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
    maybe_report();
  }

  // Calls cfg.progress with the statistics so far when its interval has passed.
  void maybe_report() {
    if (!cfg_.progress || cfg_.progress_every_s <= 0) return;
    const auto now = Clock::now();
    if (now - last_report_ < std::chrono::duration<double>(cfg_.progress_every_s)) return;
    last_report_ = now;
    st_.seconds = std::chrono::duration<double>(now - t0_).count();
    cfg_.progress(st_);
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
    std::uint64_t last_sent_us = 0;
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
      if (verdict == SeqTracker::Verdict::kDuplicate) {
        st_.duplicates_dropped += r.events.size();
        return;
      }
      if (verdict == SeqTracker::Verdict::kTooOld || verdict == SeqTracker::Verdict::kStaleSession) {
        st_.late_dropped += r.events.size();
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
  Clock::time_point last_report_ = Clock::now();
};

inline bool done(const Node& node, double duration_s, const std::atomic<bool>* stop) {
  if (stop && stop->load()) return true;
  return duration_s > 0 && static_cast<double>(node.now_us()) >= duration_s * 1e6;
}

}  // namespace spikelink::bridge::detail
