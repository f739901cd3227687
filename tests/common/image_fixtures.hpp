// Test data for firmware images: a bitstream shaped like icepack's output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace spikelink::test {

// icepack's layout: FF 00, a NUL-terminated comment, 00 FF, the sync word
// 7E AA 99 7E, then configuration data (here pseudo-random bytes, with no
// second sync word). `bytes` >= 40.
inline std::vector<std::uint8_t> fake_bitstream(std::size_t bytes, unsigned seed) {
  std::vector<std::uint8_t> b;
  b.reserve(bytes);
  b.push_back(0xFF);
  b.push_back(0x00);
  for (const char c : std::string_view("spikelink test bitstream")) b.push_back(static_cast<std::uint8_t>(c));
  constexpr std::uint8_t tail[] = {0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E};
  for (const std::uint8_t c : tail) b.push_back(c);
  std::mt19937 rng(seed);
  while (b.size() < bytes) {
    auto v = static_cast<std::uint8_t>(rng());
    if (v == 0x7E) v = 0x7D;  // keep the sync word unique
    b.push_back(v);
  }
  b.resize(bytes);
  return b;
}

}  // namespace spikelink::test
