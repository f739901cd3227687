// Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so that
// 0x00 can delimit frames on the wire (see docs/protocol.md, "Framing").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace spikelink::cobs {

// Worst-case encoded size of n bytes (without the delimiter).
constexpr std::size_t max_encoded_size(std::size_t n) { return n + n / 254 + 1; }

// Encodes `in` into `out` (at least max_encoded_size(in.size()) bytes) and
// returns the number of bytes written. Writes no delimiter.
std::size_t encode(std::span<const std::uint8_t> in, std::uint8_t* out);

// Decodes one COBS group (the bytes between two delimiters, none of them 0x00)
// into `out` (at least in.size() bytes). Returns the decoded length, or
// nullopt if a block runs past the end of the group.
std::optional<std::size_t> decode(std::span<const std::uint8_t> in, std::uint8_t* out);

}  // namespace spikelink::cobs
