#include "spikelink/link_codec.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

namespace spikelink {

std::uint64_t TimeUnwrapper::unwrap(std::uint32_t wire) {
  if (!last_) {
    last_ = wire;
    return wire;
  }
  const std::uint64_t last = *last_;
  const auto d = static_cast<std::uint32_t>(wire - static_cast<std::uint32_t>(last));
  std::uint64_t v;
  if (d < 0x80000000u) {
    v = last + d;
  } else {
    const std::uint64_t back = (std::uint64_t{1} << 32) - d;
    v = back <= last ? last - back : last + d;  // nothing lies before time 0
  }
  last_ = v;
  return v;
}

std::uint8_t Transmitter::put(std::span<const std::uint8_t> header_and_body, std::vector<std::uint8_t>& wire) {
  append_wire_frame(header_and_body, wire);
  ++frames_;
  return seq_++;
}

std::uint8_t Transmitter::append(const proto::Message& m, std::vector<std::uint8_t>& wire) {
  std::array<std::uint8_t, proto::kHeaderSize + proto::kMaxBody> buf;
  if (const auto* batch = std::get_if<proto::SpikeBatch>(&m)) {
    buf[0] = static_cast<std::uint8_t>(proto::FrameType::kSpikes);
    buf[1] = seq_;
    const auto r = proto::encode_spike_body(batch->timestep, batch->events, buf.data() + 2);
    if (r.consumed != batch->events.size()) {
      throw std::invalid_argument("protocol: spike batch does not fit one frame; use append_spikes");
    }
    events_ += r.consumed;
    const std::uint8_t s = put({buf.data(), 2 + r.body_size}, wire);
    if (hook_) hook_(s, r.consumed);
    return s;
  }
  buf[0] = static_cast<std::uint8_t>(proto::type_of(m));
  buf[1] = seq_;
  const std::size_t n = proto::encode_body(m, buf.data() + 2);
  const std::uint8_t s = put({buf.data(), 2 + n}, wire);
  if (hook_) hook_(s, 0);
  return s;
}

std::size_t Transmitter::append_spikes_bounded(std::span<const proto::SpikeEvent> events,
                                               std::vector<std::uint8_t>& wire, std::size_t max_frames) {
  std::array<std::uint8_t, proto::kHeaderSize + proto::kMaxBody> buf;
  std::size_t done = 0;
  for (std::size_t f = 0; f < max_frames && done < events.size(); ++f) {
    buf[0] = static_cast<std::uint8_t>(proto::FrameType::kSpikes);
    buf[1] = seq_;
    const auto rest = events.subspan(done);
    const auto r = proto::encode_spike_body(rest.front().timestep, rest, buf.data() + 2);
    done += r.consumed;
    events_ += r.consumed;
    const std::uint8_t s = put({buf.data(), 2 + r.body_size}, wire);
    if (hook_) hook_(s, r.consumed);
  }
  return done;
}

std::size_t Transmitter::append_spikes(std::span<const proto::SpikeEvent> events, std::vector<std::uint8_t>& wire,
                                       std::optional<std::uint64_t> beacon_time) {
  if (events.empty()) {
    if (!beacon_time) return 0;
    append(proto::SpikeBatch{*beacon_time, {}}, wire);
    return 1;
  }
  const std::uint64_t before = frames_;
  append_spikes_bounded(events, wire, SIZE_MAX);
  return static_cast<std::size_t>(frames_ - before);
}

void Receiver::track_seq(std::uint8_t seq) {
  if (expected_ && seq != *expected_) {
    const auto gap = static_cast<std::uint8_t>(seq - *expected_);
    if (gap < 128) {
      counters_.seq_lost += gap;
    } else {
      ++counters_.seq_resync;
    }
  }
  expected_ = static_cast<std::uint8_t>(seq + 1);
}

namespace {
// True if frame `s` was sent at or before `last` (serial arithmetic, 8 bits).
bool at_or_before(std::uint8_t s, std::uint8_t last) { return static_cast<std::uint8_t>(last - s) < 128; }
}  // namespace

std::int64_t CreditTracker::events_available() const {
  std::int64_t v = event_free_;
  for (const auto& s : sent_) v -= s.events;
  return v;
}

std::int64_t CreditTracker::commands_available() const {
  std::int64_t v = command_free_;
  for (const auto& s : sent_) v -= s.commands;
  return v;
}

void CreditTracker::on_sent(std::uint8_t seq, std::uint32_t events, std::uint32_t commands) {
  sent_.push_back({seq, events, commands});
}

void CreditTracker::on_credit(const proto::Credit& c) {
  while (!sent_.empty() && at_or_before(sent_.front().seq, c.last_seq)) sent_.pop_front();
  event_free_ = c.event_free;
  command_free_ = c.command_free;
  reported_ = true;
}

}  // namespace spikelink
