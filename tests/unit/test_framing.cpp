#include <doctest/doctest.h>

#include <string>

#include "../common/stream_fixture.hpp"
#include "spikelink/framing.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

ReceiverCounters decode(std::span<const std::uint8_t> wire, Collected& c) {
  Receiver rx;
  rx.feed(wire, c);
  return rx.counters();
}

std::uint64_t errors(const FramingCounters& f) {
  return f.crc_errors + f.cobs_errors + f.short_frames + f.long_frames;
}

}  // namespace

TEST_CASE("framing: CRC-32C check value") {
  const std::string s = "123456789";
  CHECK(crc32c({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}) == kCrc32cCheck);
}

TEST_CASE("framing: worked example, an IDENTIFY_REQ with sequence 0") {
  std::vector<std::uint8_t> wire;
  append_wire_frame(std::vector<std::uint8_t>{0x02, 0x00}, wire);
  // raw: 02 00 | CRC-32C(02 00) little-endian; COBS: 02 02 | 05 crc0..3 | 00
  const std::uint32_t crc = crc32c(std::vector<std::uint8_t>{0x02, 0x00});
  REQUIRE(wire.size() == 8);
  CHECK(wire[0] == 0x02);
  CHECK(wire[1] == 0x02);
  CHECK(wire[2] == 0x05);
  CHECK(wire[7] == 0x00);
  for (int i = 0; i < 4; ++i) CHECK(wire[3 + static_cast<std::size_t>(i)] == static_cast<std::uint8_t>(crc >> (8 * i)));
}

TEST_CASE("framing: random frames decode intact whatever the chunking") {
  Rng rng(10);
  const SentStream s = make_stream(rng, 250);
  Collected whole;
  const auto cw = decode(s.wire, whole);
  CHECK(cw.framing.frames_ok == 250);
  CHECK(errors(cw.framing) == 0);
  CHECK(cw.framing.bytes_discarded == 0);
  CHECK(cw.seq_lost == 0);
  CHECK(cw.malformed == 0);
  CHECK(whole.got.size() == 250);
  CHECK(only_true_frames(s, whole));

  for (int trial = 0; trial < 20; ++trial) {
    Receiver rx;
    Collected c;
    std::size_t at = 0;
    while (at < s.wire.size()) {
      const std::size_t n = std::min(s.wire.size() - at, trial == 0 ? 1 : uniform<std::size_t>(rng, 1, 700));
      rx.feed({s.wire.data() + at, n}, c);
      at += n;
    }
    CHECK(rx.counters() == cw);
    CHECK(c.got == whole.got);
  }
}

TEST_CASE("framing: a flipped bit costs exactly the frame it hits") {
  Rng rng(11);
  const SentStream s = make_stream(rng, 60);
  for (int trial = 0; trial < 500; ++trial) {
    auto wire = s.wire;
    // Not the first or last: only a frame between two others shows as a gap.
    const auto fi = uniform<std::size_t>(rng, 1, s.frames.size() - 2);
    const auto& f = s.frames[fi];
    const auto pos = uniform<std::size_t>(rng, f.wire_begin, f.wire_end - 2);  // not the delimiter
    const auto bit = static_cast<std::uint8_t>(1u << uniform<unsigned>(rng, 0, 7));
    if ((wire[pos] ^ bit) == 0) continue;  // becoming a delimiter is tested below
    wire[pos] ^= bit;
    Collected c;
    const auto k = decode(wire, c);
    std::string why;
    CHECK_MESSAGE(only_true_frames(s, c, &why), why);
    CHECK(k.framing.frames_ok == s.frames.size() - 1);
    CHECK(errors(k.framing) == 1);
    CHECK(k.framing.crc_errors + k.framing.cobs_errors + k.framing.short_frames == 1);
    CHECK(k.framing.bytes_discarded == f.wire_end - f.wire_begin - 1);
    CHECK(k.seq_lost == 1);
  }
}

TEST_CASE("framing: a byte turned into 0x00 splits one frame and costs only that frame") {
  Rng rng(12);
  const SentStream s = make_stream(rng, 40);
  for (int trial = 0; trial < 300; ++trial) {
    auto wire = s.wire;
    const auto fi = uniform<std::size_t>(rng, 1, s.frames.size() - 2);
    const auto& f = s.frames[fi];
    const auto pos = uniform<std::size_t>(rng, f.wire_begin, f.wire_end - 2);
    wire[pos] = 0;
    Collected c;
    const auto k = decode(wire, c);
    CHECK(only_true_frames(s, c));
    CHECK(k.framing.frames_ok == s.frames.size() - 1);
    // Two pieces, unless the zero sits at either end of the frame.
    const std::size_t pieces = (pos == f.wire_begin || pos == f.wire_end - 2) ? 1 : 2;
    CHECK(errors(k.framing) == pieces);
    CHECK(k.framing.bytes_discarded == f.wire_end - f.wire_begin - 2);
    CHECK(k.seq_lost == 1);
  }
}

TEST_CASE("framing: deleted and inserted bytes cost the frame they hit") {
  Rng rng(13);
  const SentStream s = make_stream(rng, 40);
  for (int trial = 0; trial < 400; ++trial) {
    auto wire = s.wire;
    const auto fi = uniform<std::size_t>(rng, 1, s.frames.size() - 2);
    const auto& f = s.frames[fi];
    const auto pos = uniform<std::size_t>(rng, f.wire_begin, f.wire_end - 2);
    const bool insert = trial % 2 == 0;
    if (insert) {
      wire.insert(wire.begin() + static_cast<long>(pos), uniform<std::uint8_t>(rng, 1, 255));
    } else {
      wire.erase(wire.begin() + static_cast<long>(pos));
    }
    Collected c;
    const auto k = decode(wire, c);
    CHECK(only_true_frames(s, c));
    CHECK(k.framing.frames_ok == s.frames.size() - 1);
    CHECK(errors(k.framing) == 1);
    CHECK(k.seq_lost == 1);
  }
}

TEST_CASE("framing: a lost delimiter merges two frames and costs both") {
  Rng rng(14);
  const SentStream s = make_stream(rng, 40);
  for (std::size_t fi = 1; fi + 2 < s.frames.size(); ++fi) {
    auto wire = s.wire;
    wire.erase(wire.begin() + static_cast<long>(s.frames[fi].wire_end - 1));
    Collected c;
    const auto k = decode(wire, c);
    CHECK(only_true_frames(s, c));
    CHECK(k.framing.frames_ok == s.frames.size() - 2);
    const std::size_t merged = s.frames[fi + 1].wire_end - s.frames[fi].wire_begin - 2;
    if (merged > proto::kMaxEncodedGroup) {
      CHECK(k.framing.long_frames == 1);
    } else {
      CHECK(k.framing.cobs_errors + k.framing.crc_errors + k.framing.short_frames == 1);
    }
    CHECK(k.framing.bytes_discarded == merged);
    CHECK(k.seq_lost == 2);
  }
}

TEST_CASE("framing: garbage between frames costs at most the next frame") {
  Rng rng(15);
  const SentStream s = make_stream(rng, 80);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::uint8_t> wire;
    std::size_t injections = 0;
    for (const auto& f : s.frames) {
      if (uniform<unsigned>(rng, 0, 9) == 0) {
        const auto g = random_bytes(rng, uniform<std::size_t>(rng, 1, 600), uniform<unsigned>(rng, 0, 30));
        wire.insert(wire.end(), g.begin(), g.end());
        ++injections;
      }
      wire.insert(wire.end(), s.wire.begin() + static_cast<long>(f.wire_begin),
                  s.wire.begin() + static_cast<long>(f.wire_end));
    }
    Collected c;
    const auto k = decode(wire, c);
    CHECK(only_true_frames(s, c));
    CHECK(k.framing.frames_ok + injections >= s.frames.size());
    if (injections > 0) CHECK(errors(k.framing) >= 1);
  }
}

TEST_CASE("framing: truncation keeps every complete frame and delivers no partial one") {
  Rng rng(16);
  const SentStream s = make_stream(rng, 30);
  for (const auto& f : s.frames) {
    for (std::size_t cut = f.wire_begin + 1; cut < f.wire_end; cut += 7) {
      FrameDecoder d;
      std::size_t n = 0;
      d.feed({s.wire.data(), cut}, [&](const RawFrame&) { ++n; });
      CHECK(n == static_cast<std::size_t>(&f - s.frames.data()));
      CHECK(d.pending() == cut - f.wire_begin);
      CHECK(d.counters().bytes_discarded == 0);
    }
  }
}

TEST_CASE("framing: over-long groups are dropped whole, then decoding resumes") {
  Rng rng(17);
  const SentStream s = make_stream(rng, 5);
  std::vector<std::uint8_t> wire(1000, 0x55);  // no delimiter for 1000 bytes
  wire.push_back(0);
  wire.insert(wire.end(), s.wire.begin(), s.wire.end());
  // also split the long run across feeds
  Receiver rx;
  Collected c;
  rx.feed({wire.data(), 300}, c);
  rx.feed({wire.data() + 300, wire.size() - 300}, c);
  const auto k = rx.counters();
  CHECK(k.framing.long_frames == 1);
  CHECK(k.framing.bytes_discarded == 1000);
  CHECK(k.framing.frames_ok == 5);
  CHECK(only_true_frames(s, c));
}

TEST_CASE("framing: idle delimiters are not errors, short groups are") {
  std::vector<std::uint8_t> wire{0, 0, 0, 0x03, 0x11, 0x22, 0, 0};
  FrameDecoder d;
  d.feed(wire, [](const RawFrame&) { FAIL("no frame expected"); });
  CHECK(d.counters().short_frames == 1);
  CHECK(d.counters().bytes_discarded == 3);
  CHECK(d.counters().bytes_in == wire.size());
}

TEST_CASE("framing: frames of every legal length, and none longer") {
  Rng rng(18);
  for (std::size_t n = 2; n <= 250; ++n) {
    const auto hb = random_bytes(rng, n, 20);
    std::vector<std::uint8_t> wire;
    append_wire_frame(hb, wire);
    CHECK(wire.size() == n + 4 + 2);
    FrameDecoder d;
    std::vector<std::uint8_t> got;
    d.feed(wire, [&](const RawFrame& f) {
      got = {f.type, f.seq};
      got.insert(got.end(), f.body.begin(), f.body.end());
    });
    CHECK(got == hb);
  }
  std::vector<std::uint8_t> wire;
  CHECK_THROWS_AS(append_wire_frame(std::vector<std::uint8_t>(251, 1), wire), std::invalid_argument);
  CHECK_THROWS_AS(append_wire_frame(std::vector<std::uint8_t>(1, 1), wire), std::invalid_argument);
}
