// Known answers: the CRC-32C check value and COBS vectors, end to end through
// the RTL transmitter and receiver.
#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <numeric>
#include <string_view>

#include "framing_ref.hpp"

namespace spikelink::rtl_test {
namespace {

Bytes iota_bytes(uint8_t first, size_t count) {
  Bytes out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

uint32_t crc_field(const Bytes& wire_decoded_raw) {
  const size_t n = wire_decoded_raw.size();
  uint32_t crc = 0;
  for (size_t i = 0; i < 4; ++i) crc |= uint32_t{wire_decoded_raw[n - 4 + i]} << (8 * i);
  return crc;
}

TEST_CASE("reference: CRC-32C check value and residue") {
  constexpr std::string_view check = "123456789";
  const Bytes data(check.begin(), check.end());
  CHECK(crc32c(data) == 0xE3069283u);
  CHECK(crc32c_update(0xFFFFFFFFu, raw_frame(data)) == kCrcResidue);
}

TEST_CASE("reference: COBS encoder gives the published vectors") {
  Bytes v7 = iota_bytes(1, 254);
  Bytes v7_enc{0xFF};
  append(v7_enc, v7);

  Bytes v8{0x00};
  append(v8, iota_bytes(1, 254));
  Bytes v8_enc{0x01, 0xFF};
  append(v8_enc, iota_bytes(1, 254));

  Bytes v9 = iota_bytes(1, 255);
  Bytes v9_enc{0xFF};
  append(v9_enc, iota_bytes(1, 254));
  append(v9_enc, Bytes{0x02, 0xFF});

  Bytes v10 = iota_bytes(2, 254);
  v10.push_back(0x00);
  Bytes v10_enc{0xFF};
  append(v10_enc, iota_bytes(2, 254));
  append(v10_enc, Bytes{0x01, 0x01});

  Bytes v11 = iota_bytes(3, 253);
  append(v11, Bytes{0x00, 0x01});
  Bytes v11_enc{0xFE};
  append(v11_enc, iota_bytes(3, 253));
  append(v11_enc, Bytes{0x02, 0x01});

  CHECK(cobs_encode(Bytes{0x00}) == Bytes{0x01, 0x01});
  CHECK(cobs_encode(Bytes{0x00, 0x00}) == Bytes{0x01, 0x01, 0x01});
  CHECK(cobs_encode(Bytes{0x00, 0x11, 0x00}) == Bytes{0x01, 0x02, 0x11, 0x01});
  CHECK(cobs_encode(Bytes{0x11, 0x22, 0x00, 0x33}) == Bytes{0x03, 0x11, 0x22, 0x02, 0x33});
  CHECK(cobs_encode(Bytes{0x11, 0x22, 0x33, 0x44}) == Bytes{0x05, 0x11, 0x22, 0x33, 0x44});
  CHECK(cobs_encode(Bytes{0x11, 0x00, 0x00, 0x00}) == Bytes{0x02, 0x11, 0x01, 0x01, 0x01});
  CHECK(cobs_encode(v7) == v7_enc);
  CHECK(cobs_encode(v8) == v8_enc);
  CHECK(cobs_encode(v9) == v9_enc);
  CHECK(cobs_encode(v10) == v10_enc);
  CHECK(cobs_encode(v11) == v11_enc);
}

TEST_CASE("tx: CRC-32C of 123456789 is 0xE3069283") {
  sim::FramerSim sim;
  constexpr std::string_view check = "123456789";
  const Bytes body(check.begin(), check.end());
  const Bytes wire = sim.tx_frame(body);
  // No zero in the body, and none in E3 06 92 83: one block, code 14.
  const Bytes expected{0x0E, '1', '2', '3', '4', '5', '6', '7', '8', '9',
                       0x83, 0x92, 0x06, 0xE3, 0x00};
  CHECK(wire == expected);
  CHECK(crc_field(Bytes(wire.begin() + 1, wire.end() - 1)) == 0xE3069283u);
}

// Full wire bytes worked out by hand from the published COBS vectors with the
// frame's CRC appended (an independent script computed the CRCs).
TEST_CASE("tx/rx: published COBS vectors as full frames, literal wire bytes") {
  struct Vector {
    Bytes header_body;
    Bytes wire;
  };
  const Vector vectors[] = {
      {{0x00}, {0x01, 0x05, 0x51, 0x53, 0x7D, 0x52, 0x00}},
      {{0x00, 0x00}, {0x01, 0x01, 0x05, 0xD2, 0x77, 0x61, 0xF1, 0x00}},
      {{0x00, 0x11, 0x00}, {0x01, 0x02, 0x11, 0x05, 0x8C, 0xCA, 0x03, 0x4C, 0x00}},
      {{0x11, 0x22, 0x00, 0x33}, {0x03, 0x11, 0x22, 0x06, 0x33, 0x1E, 0x43, 0xDE, 0xF1, 0x00}},
      {{0x11, 0x00, 0x00, 0x00}, {0x02, 0x11, 0x01, 0x01, 0x05, 0x42, 0x50, 0x46, 0x7C, 0x00}},
      {{0x11, 0x22, 0x33, 0x44}, {0x09, 0x11, 0x22, 0x33, 0x44, 0xE2, 0xC9, 0x25, 0x20, 0x00}},
  };
  sim::FramerSim sim;
  for (const auto& v : vectors) {
    CAPTURE(v.header_body.size());
    CHECK(wire_frame(v.header_body) == v.wire);
    CHECK(sim.tx_frame(v.header_body) == v.wire);
    sim.rx_bytes(v.wire);
    const auto frames = sim.take_rx_frames();
    if (v.header_body.size() >= 2) {
      REQUIRE(frames.size() == 1);
      CHECK(frames[0] == v.header_body);
    } else {
      // Raw frame of 5 bytes: below the 6-byte minimum.
      CHECK(frames.empty());
    }
  }
  const auto c = sim.counters();
  CHECK(c.tx_frames == 6);
  CHECK(c.rx_ok == 5);
  CHECK(c.rx_short == 1);
  CHECK(c.rx_bytes_discarded == 6);
}

TEST_CASE("tx/rx: published vectors and longer ones with their CRC, against the reference") {
  Bytes v8{0x00};
  append(v8, iota_bytes(1, 249));
  Bytes v11 = iota_bytes(3, 247);
  append(v11, Bytes{0x00, 0x01});
  const Bytes bodies[] = {
      {0x00, 0x00},
      {0x00, 0x11, 0x00},
      {0x11, 0x22, 0x00, 0x33},
      {0x11, 0x00, 0x00, 0x00},
      iota_bytes(1, 250),
      v8,
      v11,
      Bytes(250, 0x00),
  };
  sim::FramerSim sim;
  for (const auto& body : bodies) {
    CAPTURE(body.size());
    const Bytes wire = sim.tx_frame(body);
    CHECK(wire == wire_frame(body));
    CHECK(wire.size() == body.size() + 4 + 2);
    sim.rx_bytes(wire);
    const auto frames = sim.take_rx_frames();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == body);
  }
  CHECK(sim.counters().rx_ok == std::size(bodies));
}

TEST_CASE("tx/rx: 254-byte raw frame without a zero is a single 0xFF block") {
  // Find a 250-byte body of non-zero bytes whose CRC has no zero byte either.
  Bytes body;
  for (uint8_t salt = 1;; ++salt) {
    body = Bytes(250);
    for (size_t i = 0; i < body.size(); ++i) {
      body[i] = static_cast<uint8_t>(1 + (i * 7 + salt) % 255);
    }
    const Bytes raw = raw_frame(body);
    if (std::find(raw.begin(), raw.end(), uint8_t{0}) == raw.end()) break;
  }
  const Bytes raw = raw_frame(body);
  Bytes expected{0xFF};
  append(expected, raw);
  expected.push_back(0x00);
  REQUIRE(expected.size() == 256);

  sim::FramerSim sim;
  CHECK(sim.tx_frame(body) == expected);
  sim.rx_bytes(expected);
  const auto frames = sim.take_rx_frames();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == body);
  CHECK(sim.counters().rx_ok == 1);
  CHECK(sim.counters().rx_bytes_discarded == 0);
}

}  // namespace
}  // namespace spikelink::rtl_test
