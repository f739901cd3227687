#include "spikelink/framing.hpp"

#include <stdexcept>

namespace spikelink {

void append_wire_frame(std::span<const std::uint8_t> header_and_body, std::vector<std::uint8_t>& out) {
  const std::size_t n = header_and_body.size();
  if (n < proto::kHeaderSize || n > proto::kHeaderSize + proto::kMaxBody) {
    throw std::invalid_argument("framing: header and body must be 2..250 bytes");
  }
  std::array<std::uint8_t, proto::kMaxRawFrame> raw;
  std::memcpy(raw.data(), header_and_body.data(), n);
  const std::uint32_t crc = crc32c(header_and_body);
  for (std::size_t i = 0; i < proto::kCrcSize; ++i) raw[n + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  const std::size_t at = out.size();
  out.resize(at + proto::kMaxWireFrame);
  const std::size_t enc = cobs::encode({raw.data(), n + proto::kCrcSize}, out.data() + at);
  out[at + enc] = 0;
  out.resize(at + enc + 1);
}

}  // namespace spikelink
