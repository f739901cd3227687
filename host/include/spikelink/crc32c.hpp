// CRC-32C (Castagnoli), the checksum that ends every wire frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <boost/crc.hpp>

namespace spikelink {

// Reflected polynomial 0x1EDC6F41, init and final xor 0xFFFFFFFF.
// Chosen over CRC-32/IEEE for its larger Hamming distance at our frame
// lengths (HD 6 up to 5243 bits; a frame is at most 2032 bits).
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

inline std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  Crc32c crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// Value of crc32c("123456789"), the catalogue check value.
inline constexpr std::uint32_t kCrc32cCheck = 0xE3069283u;

}  // namespace spikelink
