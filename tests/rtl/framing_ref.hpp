// Test-side reference of the framing rules (docs/protocol.md), written
// independently of the RTL and of the host codec, bit by bit and byte by
// byte, so that the RTL is checked against the rules and not against itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "framer/framer_sim.hpp"

namespace doctest {
template <>
struct StringMaker<spikelink::sim::FramerCounters> {
  static String convert(const spikelink::sim::FramerCounters& c) {
    std::ostringstream os;
    os << "{ok " << c.rx_ok << ", crc " << c.rx_crc << ", cobs " << c.rx_cobs << ", short "
       << c.rx_short << ", long " << c.rx_long << ", overflow " << c.rx_overflow
       << ", discarded " << c.rx_bytes_discarded << ", tx_frames " << c.tx_frames
       << ", tx_dropped_long " << c.tx_dropped_long << "}";
    return os.str().c_str();
  }
};
template <>
struct StringMaker<std::vector<uint8_t>> {
  static String convert(const std::vector<uint8_t>& v) {
    std::ostringstream os;
    os << "[" << v.size() << " bytes:";
    for (const uint8_t b : v) os << ' ' << std::hex << static_cast<unsigned>(b);
    os << "]";
    return os.str().c_str();
  }
};
template <>
struct StringMaker<std::vector<std::vector<uint8_t>>> {
  static String convert(const std::vector<std::vector<uint8_t>>& v) {
    std::ostringstream os;
    os << "[" << v.size() << " frames, lengths:";
    for (const auto& f : v) os << ' ' << f.size();
    os << "]";
    return os.str().c_str();
  }
};
}  // namespace doctest

namespace spikelink::rtl_test {

using Bytes = std::vector<uint8_t>;

inline constexpr uint32_t kCrcResidue = 0xB798B438u;
inline constexpr size_t kMaxBody = 250;  // header+body
inline constexpr size_t kMinRaw = 6;     // header+body+CRC

// CRC-32C register update, bit by bit, without init or final inversion.
inline uint32_t crc32c_update(uint32_t crc, std::span<const uint8_t> data) {
  for (const uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
  }
  return crc;
}

inline uint32_t crc32c(std::span<const uint8_t> data) {
  return ~crc32c_update(0xFFFFFFFFu, data);
}

// header+body followed by its CRC-32C, little-endian.
inline Bytes raw_frame(std::span<const uint8_t> header_body) {
  Bytes raw(header_body.begin(), header_body.end());
  const uint32_t crc = crc32c(header_body);
  for (int i = 0; i < 4; ++i) raw.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  return raw;
}

// Standard COBS. A block that fills at 254 data bytes is closed with 0xFF and
// a new block is opened only if more data follows.
inline Bytes cobs_encode(std::span<const uint8_t> in) {
  Bytes out{0};
  size_t code_at = 0;
  uint8_t code = 1;
  for (const uint8_t byte : in) {
    if (code == 0xFF) {
      out[code_at] = code;
      code_at = out.size();
      out.push_back(0);
      code = 1;
    }
    if (byte == 0) {
      out[code_at] = code;
      code_at = out.size();
      out.push_back(0);
      code = 1;
    } else {
      out.push_back(byte);
      ++code;
    }
  }
  out[code_at] = code;
  return out;
}

// What goes on the wire for one header+body: COBS(raw) then the delimiter.
inline Bytes wire_frame(std::span<const uint8_t> header_body) {
  Bytes wire = cobs_encode(raw_frame(header_body));
  wire.push_back(0);
  return wire;
}

inline void append(Bytes& to, std::span<const uint8_t> more) {
  to.insert(to.end(), more.begin(), more.end());
}

// The receive rules, group by group, as the host decoder applies them.
class ReferenceRx {
 public:
  void feed(std::span<const uint8_t> wire) {
    for (const uint8_t byte : wire) feed(byte);
  }

  void feed(uint8_t byte) {
    if (byte == 0) {
      if (!discarding_ && !group_.empty()) close_group();
      discarding_ = false;
      group_.clear();
      return;
    }
    if (discarding_) {
      ++counters.rx_bytes_discarded;
      return;
    }
    group_.push_back(byte);
    if (group_.size() > 255) {
      ++counters.rx_long;
      counters.rx_bytes_discarded += static_cast<uint32_t>(group_.size());
      group_.clear();
      discarding_ = true;
    }
  }

  sim::FramerCounters counters;
  std::vector<Bytes> frames;

 private:
  void close_group() {
    Bytes raw;
    size_t at = 0;
    while (at < group_.size()) {
      const size_t code = group_[at];
      if (at + code > group_.size()) {
        reject(counters.rx_cobs);
        return;
      }
      raw.insert(raw.end(), group_.begin() + static_cast<std::ptrdiff_t>(at + 1),
                 group_.begin() + static_cast<std::ptrdiff_t>(at + code));
      at += code;
      if (at < group_.size() && code != 0xFF) raw.push_back(0);
    }
    if (raw.size() < kMinRaw) {
      reject(counters.rx_short);
    } else if (crc32c_update(0xFFFFFFFFu, raw) != kCrcResidue) {
      reject(counters.rx_crc);
    } else {
      ++counters.rx_ok;
      raw.resize(raw.size() - 4);
      frames.push_back(std::move(raw));
    }
  }

  void reject(uint32_t& counter) {
    ++counter;
    counters.rx_bytes_discarded += static_cast<uint32_t>(group_.size());
  }

  Bytes group_;
  bool discarding_ = false;
};

// header+body of the given length; about one byte in `zero_one_in` is zero.
inline Bytes random_body(std::mt19937& rng, size_t len, unsigned zero_one_in = 8) {
  std::uniform_int_distribution<unsigned> byte(1, 255);
  std::uniform_int_distribution<unsigned> pick(0, zero_one_in - 1);
  Bytes out(len);
  for (auto& b : out) b = pick(rng) == 0 ? uint8_t{0} : static_cast<uint8_t>(byte(rng));
  return out;
}

inline size_t random_len(std::mt19937& rng, size_t lo = 2, size_t hi = kMaxBody) {
  return std::uniform_int_distribution<size_t>(lo, hi)(rng);
}

}  // namespace spikelink::rtl_test
