#include "spikelink/cobs.hpp"

#include <cstring>

namespace spikelink::cobs {

std::size_t encode(std::span<const std::uint8_t> in, std::uint8_t* out) {
  std::size_t code_at = 0;  // where the current block's code byte goes
  std::size_t w = 1;
  std::uint8_t code = 1;
  const std::size_t n = in.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = in[i];
    if (b == 0) {
      out[code_at] = code;
      code_at = w++;
      code = 1;
      continue;
    }
    out[w++] = b;
    // A full 254-byte block closes without an implied zero. A new block
    // starts only if input follows, so 254 bytes encode to exactly 255.
    if (++code == 0xFF && i + 1 < n) {
      out[code_at] = code;
      code_at = w++;
      code = 1;
    }
  }
  out[code_at] = code;
  return w;
}

std::optional<std::size_t> decode(std::span<const std::uint8_t> in, std::uint8_t* out) {
  std::size_t r = 0;
  std::size_t w = 0;
  const std::size_t n = in.size();
  while (r < n) {
    const std::size_t code = in[r];
    if (code == 0 || r + code > n) return std::nullopt;
    std::memcpy(out + w, in.data() + r + 1, code - 1);
    w += code - 1;
    r += code;
    if (code != 0xFF && r < n) out[w++] = 0;
  }
  return w;
}

}  // namespace spikelink::cobs
