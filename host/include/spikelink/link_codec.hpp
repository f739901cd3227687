// The link codec: messages <-> wire bytes with sequence numbers, 64-bit time
// and credits. One codec serves a board and the simulator alike; it never
// touches a transport (see docs/protocol.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "spikelink/framing.hpp"
#include "spikelink/protocol.hpp"

namespace spikelink {

// Turns the wire's 32-bit board time into 64-bit host time. Successive
// timestamps differ by less than 2^31 timesteps (the board sends a time
// beacon at least every 2^30), so the nearest 64-bit value is the right one.
class TimeUnwrapper {
 public:
  std::uint64_t unwrap(std::uint32_t wire);
  void reset() { last_.reset(); }
  std::optional<std::uint64_t> last() const { return last_; }

 private:
  std::optional<std::uint64_t> last_;
};

// Encodes messages with this direction's sequence numbers.
class Transmitter {
 public:
  // Appends one frame; returns its sequence number.
  std::uint8_t append(const proto::Message& m, std::vector<std::uint8_t>& wire);
  // Appends events (sorted by timestep) as spike batches of up to 122
  // records; returns the number of frames written. Empty input writes one
  // empty batch at `beacon_time` (a time beacon) when given, else nothing.
  std::size_t append_spikes(std::span<const proto::SpikeEvent> events, std::vector<std::uint8_t>& wire,
                            std::optional<std::uint64_t> beacon_time = std::nullopt);
  // As append_spikes, but at most `max_frames` frames; returns events consumed.
  std::size_t append_spikes_bounded(std::span<const proto::SpikeEvent> events,
                                    std::vector<std::uint8_t>& wire, std::size_t max_frames);

  std::uint8_t next_seq() const { return seq_; }
  std::uint64_t frames_sent() const { return frames_; }
  std::uint64_t events_sent() const { return events_; }
  // Called after each frame with (seq, spike events in it).
  void set_sent_hook(std::function<void(std::uint8_t, std::size_t)> hook) { hook_ = std::move(hook); }

 private:
  std::uint8_t put(std::span<const std::uint8_t> header_and_body, std::vector<std::uint8_t>& wire);

  std::uint8_t seq_ = 0;
  std::uint64_t frames_ = 0;
  std::uint64_t events_ = 0;
  std::function<void(std::uint8_t, std::size_t)> hook_;
};

struct ReceiverCounters {
  FramingCounters framing;
  std::uint64_t seq_lost = 0;    // frames missing between sequence numbers
  std::uint64_t seq_resync = 0;  // sequence jumped backwards (peer reset)
  std::uint64_t malformed = 0;   // good CRC, but unknown type or invalid body
  std::uint64_t spike_events = 0;
  friend bool operator==(const ReceiverCounters&, const ReceiverCounters&) = default;
};

// Decodes the byte stream into messages. Handler needs:
//   void on_spikes(std::uint64_t base, std::span<const proto::SpikeEvent>, std::uint8_t seq);
//   void on_message(const proto::Message&, std::uint8_t seq);
// `from` is the peer: a host's receiver takes frames from the board
// (Sender::kBoard) and counts host-only types as malformed; kEither takes
// both (test tools, protocol analysers).
class Receiver {
 public:
  explicit Receiver(proto::Sender from = proto::Sender::kEither) : from_(from) {}

  template <class Handler>
  void feed(std::span<const std::uint8_t> bytes, Handler& handler);

  ReceiverCounters counters() const {
    ReceiverCounters c = counters_;
    c.framing = framing_.counters();
    return c;
  }
  const TimeUnwrapper& time() const { return time_; }
  // The board's time restarted (a RESET): the next value is taken as is.
  void reset_time() { time_.reset(); }

 private:
  void track_seq(std::uint8_t seq);

  proto::Sender from_;
  FrameDecoder framing_;
  ReceiverCounters counters_;
  TimeUnwrapper time_;
  std::optional<std::uint8_t> expected_;
  std::vector<proto::SpikeEvent> events_;
};

template <class Handler>
void Receiver::feed(std::span<const std::uint8_t> bytes, Handler& handler) {
  framing_.feed(bytes, [&](const RawFrame& f) {
    track_seq(f.seq);
    if (f.type == static_cast<std::uint8_t>(proto::FrameType::kSpikes)) {
      const auto wire_time = proto::spike_body_time(f.body);
      if (!wire_time) {
        ++counters_.malformed;
        return;
      }
      const std::uint64_t base = time_.unwrap(*wire_time);
      events_.clear();
      proto::decode_spike_body(f.body, base, events_);
      counters_.spike_events += events_.size();
      handler.on_spikes(base, std::span<const proto::SpikeEvent>(events_), f.seq);
      return;
    }
    const auto type = static_cast<proto::FrameType>(f.type);
    if (from_ != proto::Sender::kEither && proto::sender_of(type) != from_) {
      ++counters_.malformed;
      return;
    }
    auto m = proto::parse_body(type, f.body);
    if (!m) {
      ++counters_.malformed;
      return;
    }
    handler.on_message(*m, f.seq);
  });
}

// Host-side credit accounting (docs/protocol.md, "Flow control"). The board
// reports, in each CREDIT frame, the last host frame it processed and its
// free slots after it; the host subtracts what it sent since. Lost frames in
// either direction cannot leak or invent credit.
//
// Before the board's first CREDIT report the host may send one command (the
// IDENTIFY_REQ, which the board answers with IDENTIFY and then CREDIT) and no
// spikes. IDENTIFY's capacities are sizes, not free space: a board can hold
// events from an earlier session.
//
// When frames are lost for good, no report will name them; the driver then
// sends a credit probe (an empty SPIKES frame: no credit, one place in the
// window that is kept for it). The board's report of the probe covers every
// frame before it.
class CreditTracker {
 public:
  CreditTracker() = default;

  std::int64_t events_available() const;
  std::int64_t commands_available() const;
  void on_sent(std::uint8_t seq, std::uint32_t events, std::uint32_t commands);
  void on_credit(const proto::Credit& c);
  std::size_t in_flight() const { return sent_.size(); }
  // True when no frame carrying spikes or a command may be sent until a
  // CREDIT report arrives (the last place is the probe's).
  bool window_full() const { return sent_.size() + 1 >= proto::kMaxInFlightFrames; }
  // True when a credit probe may be sent.
  bool probe_allowed() const { return sent_.size() < proto::kMaxInFlightFrames; }
  bool has_report() const { return reported_; }

 private:
  struct Sent {
    std::uint8_t seq;
    std::uint32_t events;
    std::uint32_t commands;
  };
  std::int64_t event_free_ = 0;
  std::int64_t command_free_ = 1;
  bool reported_ = false;
  std::deque<Sent> sent_;
};

}  // namespace spikelink
