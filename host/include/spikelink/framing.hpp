// Framing: raw frames <-> the byte stream (COBS + 0x00 delimiter + CRC-32C).
// The streaming decoder takes bytes in chunks of any size, resynchronises at
// the next delimiter after any damage, and counts every byte and frame it
// throws away. rtl/link/spl_frame_rx.sv applies the same rules, counter for
// counter (docs/protocol.md, "Framing").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "spikelink/cobs.hpp"
#include "spikelink/crc32c.hpp"
#include "spikelink/protocol.hpp"

namespace spikelink {

struct FramingCounters {
  std::uint64_t bytes_in = 0;         // every byte fed, delimiters included
  std::uint64_t frames_ok = 0;        // delivered
  std::uint64_t crc_errors = 0;       // well-formed COBS, wrong CRC
  std::uint64_t cobs_errors = 0;      // a block ran past its delimiter
  std::uint64_t short_frames = 0;     // decoded to fewer than 6 bytes
  std::uint64_t long_frames = 0;      // more than 255 bytes before a delimiter
  std::uint64_t bytes_discarded = 0;  // non-delimiter bytes of undelivered frames
  friend bool operator==(const FramingCounters&, const FramingCounters&) = default;
};

// One frame as delivered: header (type, seq) and body, CRC checked and removed.
struct RawFrame {
  std::uint8_t type;
  std::uint8_t seq;
  std::span<const std::uint8_t> body;
};

// Encodes header+body (2..250 bytes) as wire bytes appended to `out`:
// COBS(header + body + CRC-32C little-endian) followed by 0x00.
void append_wire_frame(std::span<const std::uint8_t> header_and_body, std::vector<std::uint8_t>& out);

class FrameDecoder {
 public:
  // Feeds a chunk; calls on_frame(const RawFrame&) for each good frame.
  // The RawFrame's body is valid only during the call.
  template <class OnFrame>
  void feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame);

  const FramingCounters& counters() const { return counters_; }
  // Bytes of a frame begun but not yet delimited.
  std::size_t pending() const { return pending_; }

 private:
  template <class OnFrame>
  void finish_group(const std::uint8_t* group, std::size_t n, OnFrame& on_frame);

  FramingCounters counters_;
  std::array<std::uint8_t, proto::kMaxEncodedGroup> group_{};
  std::size_t pending_ = 0;   // bytes of the current group seen so far
  bool overlong_ = false;     // current group passed kMaxEncodedGroup
  std::array<std::uint8_t, proto::kMaxEncodedGroup> raw_{};
};

template <class OnFrame>
void FrameDecoder::finish_group(const std::uint8_t* group, std::size_t n, OnFrame& on_frame) {
  if (n == 0) return;  // idle fill between delimiters
  const auto decoded = cobs::decode({group, n}, raw_.data());
  if (!decoded) {
    ++counters_.cobs_errors;
    counters_.bytes_discarded += n;
    return;
  }
  const std::size_t len = *decoded;
  if (len < proto::kMinRawFrame) {
    ++counters_.short_frames;
    counters_.bytes_discarded += n;
    return;
  }
  Crc32c crc;
  crc.process_bytes(raw_.data(), len - proto::kCrcSize);
  std::uint32_t got;
  const std::uint8_t* c = raw_.data() + len - proto::kCrcSize;
  got = static_cast<std::uint32_t>(c[0]) | (static_cast<std::uint32_t>(c[1]) << 8) |
        (static_cast<std::uint32_t>(c[2]) << 16) | (static_cast<std::uint32_t>(c[3]) << 24);
  if (crc.checksum() != got) {
    ++counters_.crc_errors;
    counters_.bytes_discarded += n;
    return;
  }
  ++counters_.frames_ok;
  on_frame(RawFrame{raw_[0], raw_[1],
                    std::span<const std::uint8_t>(raw_.data() + proto::kHeaderSize,
                                                  len - proto::kMinRawFrame)});
}

template <class OnFrame>
void FrameDecoder::feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
  counters_.bytes_in += bytes.size();
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (p < end) {
    const auto* delim =
        static_cast<const std::uint8_t*>(std::memchr(p, 0, static_cast<std::size_t>(end - p)));
    const std::uint8_t* stop = delim ? delim : end;
    const auto run = static_cast<std::size_t>(stop - p);
    if (overlong_) {
      counters_.bytes_discarded += run;
    } else if (pending_ + run > proto::kMaxEncodedGroup) {
      overlong_ = true;
      ++counters_.long_frames;
      counters_.bytes_discarded += pending_ + run;
    } else if (delim && pending_ == 0) {
      finish_group(p, run, on_frame);  // whole frame in this chunk: no copy
    } else {
      std::memcpy(group_.data() + pending_, p, run);
      pending_ += run;
      if (delim) finish_group(group_.data(), pending_, on_frame);
    }
    if (!delim) {
      if (overlong_) pending_ = 0;
      return;
    }
    pending_ = 0;
    overlong_ = false;
    p = delim + 1;
  }
}

}  // namespace spikelink
