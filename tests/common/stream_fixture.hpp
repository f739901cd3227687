// A stream of random frames with the messages that went into it, and a
// receiver-side collector, for corruption tests.
#pragma once

#include <map>
#include <vector>

#include "random_messages.hpp"
#include "spikelink/link_codec.hpp"

namespace spikelink::testing {

struct SentFrame {
  std::uint8_t seq;
  proto::Message msg;
  std::size_t wire_begin;  // offset of the frame's first byte in the stream
  std::size_t wire_end;    // one past its 0x00 delimiter
};

struct SentStream {
  std::vector<std::uint8_t> wire;
  std::vector<SentFrame> frames;
};

// `n` random frames (n <= 255 so sequence numbers are unique).
inline SentStream make_stream(Rng& rng, std::size_t n) {
  SentStream s;
  Transmitter tx;
  std::uint64_t t = uniform<std::uint64_t>(rng, 0, 1u << 30);
  for (std::size_t i = 0; i < n; ++i) {
    t += uniform<std::uint64_t>(rng, 0, 3000);
    proto::Message m = random_message(rng, t);
    if (auto* b = std::get_if<proto::SpikeBatch>(&m); b && !b->events.empty()) t = b->events.back().timestep;
    const std::size_t begin = s.wire.size();
    const std::uint8_t seq = tx.append(m, s.wire);
    s.frames.push_back({seq, std::move(m), begin, s.wire.size()});
  }
  return s;
}

struct Collected {
  std::vector<std::pair<std::uint8_t, proto::Message>> got;
  void on_spikes(std::uint64_t base, std::span<const proto::SpikeEvent> ev, std::uint8_t seq) {
    got.emplace_back(seq, proto::SpikeBatch{base, {ev.begin(), ev.end()}});
  }
  void on_message(const proto::Message& m, std::uint8_t seq) { got.emplace_back(seq, m); }
};

// True if every delivered frame is, byte for byte, a frame that was sent
// with that sequence number, and they arrive in order.
inline bool only_true_frames(const SentStream& s, const Collected& c, std::string* why = nullptr) {
  std::map<std::uint8_t, std::size_t> by_seq;
  for (std::size_t i = 0; i < s.frames.size(); ++i) by_seq[s.frames[i].seq] = i;
  std::size_t last = 0;
  bool first = true;
  for (const auto& [seq, m] : c.got) {
    auto it = by_seq.find(seq);
    if (it == by_seq.end() || !(s.frames[it->second].msg == m) || (!first && it->second <= last)) {
      if (why) *why = "frame with seq " + std::to_string(seq) + " is not what was sent";
      return false;
    }
    last = it->second;
    first = false;
  }
  return true;
}

}  // namespace spikelink::testing
