// The bridge's wire formats and receive statistics (docs/bridge.md): the
// legacy 8-byte datagrams of the 2017 software, the framed format, and the
// sequence and delay bookkeeping of a receiver.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "spikelink/bridge_format.hpp"
#include "spikelink/bridge_stats.hpp"
#include "spikelink/crc32c.hpp"

using namespace spikelink::bridge;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string read_doc() {
  std::ifstream f(SPIKELINK_SOURCE_DIR "/docs/bridge.md");
  REQUIRE_MESSAGE(f.good(), "cannot open docs/bridge.md");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The bytes of the code block after `<!-- bridge-example NAME -->`: lines
// "offset: hex hex ...".
Bytes doc_example(const std::string& doc, const std::string& name) {
  const std::size_t at = doc.find("<!-- bridge-example " + name + " -->");
  REQUIRE_MESSAGE(at != std::string::npos, "docs/bridge.md has no example ", name);
  const std::size_t open = doc.find("```\n", at);
  REQUIRE(open != std::string::npos);
  const std::size_t close = doc.find("\n```", open + 3);
  REQUIRE(close != std::string::npos);
  std::istringstream block(doc.substr(open + 4, close - open - 4));
  Bytes out;
  std::string line;
  while (std::getline(block, line)) {
    const std::size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    CHECK(std::stoul(line.substr(0, colon), nullptr, 16) == out.size());
    std::istringstream hex(line.substr(colon + 1));
    std::string tok;
    while (hex >> tok) out.push_back(static_cast<std::uint8_t>(std::stoul(tok, nullptr, 16)));
  }
  return out;
}

Bytes as_vec(const std::array<std::uint8_t, kLegacyBytes>& a) { return Bytes(a.begin(), a.end()); }

// Rewrites the trailer so a hand-edited datagram is sound again.
void recrc(Bytes& d) {
  const std::size_t body = d.size() - kFramedTrailerBytes;
  const std::uint32_t c = spikelink::crc32c(std::span<const std::uint8_t>(d.data(), body));
  for (std::size_t i = 0; i < 4; ++i) d[body + i] = static_cast<std::uint8_t>(c >> (8 * i));
}

std::vector<Event> some_events(std::size_t n, std::uint64_t first_t = 0) {
  std::vector<Event> ev;
  for (std::size_t i = 0; i < n; ++i)
    ev.push_back({first_t + 1000 * i + (i * 7919 % 1000), static_cast<std::uint32_t>(i * 2654435761u),
                  static_cast<EventKind>(i % 3), static_cast<std::uint8_t>(i * 37)});
  return ev;
}

const FramedHeader kHeader{kFlagClockSynced, 'A', 2, 0x0123456789abcdefull, 42, 1764400000123456789ull};

}  // namespace

// ---------------------------------------------------------------------------
// Legacy

TEST_CASE("bridge legacy: packets of every sender code round trip") {
  for (const char sender : {kLegacyAxon, kLegacyDendrite, kLegacySynapse, kLegacyReady}) {
    for (const std::uint32_t neuron : {0u, 1u, 1234u, kLegacyMaxNeuron}) {
      for (const std::uint8_t b : {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{255}}) {
        const LegacyPacket p{sender, neuron, b, 0xFFFFF};
        const auto d = decode_legacy(encode_legacy(p));
        REQUIRE(d.status == LegacyStatus::kOk);
        CHECK(d.packet == p);
      }
    }
  }
}

TEST_CASE("bridge legacy: two big-endian words, byte for byte") {
  // 'D', neuron 0x123456, spontaneous action potential, tick 0x0ABCDE.
  CHECK(as_vec(encode_legacy({'D', 0x123456, kLegacySpontaneousAp, 0x0ABCDE})) ==
        Bytes{0x44, 0x12, 0x34, 0x56, 0x02, 0x0A, 0xBC, 0xDE});
  // 'A', neuron 1, PSP, tick 1.
  CHECK(as_vec(encode_legacy({'A', 1, kLegacyPsp, 1})) == Bytes{0x41, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01});
  // Decoding hand-written bytes: 'S', neuron 0xFFFFFF, weight 0x80, tick 0xFEDCBA (24 bits).
  const Bytes in{0x53, 0xFF, 0xFF, 0xFF, 0x80, 0xFE, 0xDC, 0xBA};
  const auto d = decode_legacy(in);
  REQUIRE(d.status == LegacyStatus::kOk);
  CHECK(d.packet == LegacyPacket{'S', 0xFFFFFF, 0x80, 0xFEDCBA});
  CHECK(kLegacyPort == 5005);
  CHECK(kLegacyTickUs == 50);
  CHECK(legacy_ticks_to_us(20000) == 1'000'000);
}

TEST_CASE("bridge legacy: timestamps go out modulo 2^20 and come in with 24 bits") {
  // Sending: 20 bits, the higher ones dropped (the 2017 packer's mask).
  for (const std::uint32_t t : {0xFFFFFu, 0x100000u, 0x1ABCDEu, 0xFFFFFFu, 0xFFFFFFFFu}) {
    const auto bytes = encode_legacy({'A', 5, 1, t});
    const auto d = decode_legacy(bytes);
    REQUIRE(d.status == LegacyStatus::kOk);
    CHECK(d.packet.timestamp == (t & 0xFFFFF));
    CHECK(d.packet.type_or_weight == 1);  // the timestamp never spills into the type byte
  }
  // Receiving: all 24 bits of a sender that used them.
  const Bytes wide{0x41, 0x00, 0x00, 0x05, 0x01, 0xF0, 0x00, 0x01};
  CHECK(decode_legacy(wide).packet.timestamp == 0xF00001);
}

TEST_CASE("bridge legacy: each kind of malformed datagram has its own status") {
  for (const std::size_t n : {std::size_t{0}, std::size_t{7}, std::size_t{9}, std::size_t{1500}}) {
    CAPTURE(n);
    const Bytes d(n, 0x41);
    CHECK(decode_legacy(d).status == LegacyStatus::kWrongSize);
  }
  for (const std::uint8_t code : {std::uint8_t{0}, std::uint8_t{'a'}, std::uint8_t{'X'}, std::uint8_t{'B'},
                                  std::uint8_t{0xFF}}) {
    CAPTURE(code);
    const Bytes d{code, 0, 0, 1, 0, 0, 0, 1};
    CHECK(decode_legacy(d).status == LegacyStatus::kUnknownSender);
  }
  CHECK(to_string(LegacyStatus::kOk) != to_string(LegacyStatus::kWrongSize));
  CHECK(to_string(LegacyStatus::kWrongSize) != to_string(LegacyStatus::kUnknownSender));
  // The encoder refuses what it could not send faithfully.
  CHECK_THROWS_AS(encode_legacy({'X', 1, 0, 0}), std::invalid_argument);
  CHECK_THROWS_AS(encode_legacy({'A', 0x1000000, 0, 0}), std::invalid_argument);
}

TEST_CASE("bridge legacy: the weight byte at Rmin, Rmax, the middle, beyond, and other ranges") {
  CHECK(weight_byte(4000) == 0);
  CHECK(weight_byte(9000) == 255);
  CHECK(weight_byte(6500) == 128);  // 127.5 rounds away from zero
  CHECK(weight_byte(6490.196) == 127);
  CHECK(weight_byte(3000) == 0);    // below Rmin: clipped
  CHECK(weight_byte(0) == 0);
  CHECK(weight_byte(9001) == 255);  // above Rmax: clipped
  CHECK(weight_byte(1e9) == 255);
  CHECK(weight_byte(-1e9) == 0);
  // The earlier 2017 range.
  CHECK(weight_byte(3500, 3500, 15000) == 0);
  CHECK(weight_byte(15000, 3500, 15000) == 255);
  CHECK(weight_byte(9250, 3500, 15000) == 128);
  CHECK(weight_byte(4000, 3500, 15000) == 11);  // 255 * 500 / 11500 = 11.09
  // The inverse: the middle of each byte's resistances.
  CHECK(resistance_of_weight(0) == doctest::Approx(4000));
  CHECK(resistance_of_weight(255) == doctest::Approx(9000));
  CHECK(resistance_of_weight(51) == doctest::Approx(5000));
  CHECK(resistance_of_weight(255, 3500, 15000) == doctest::Approx(15000));
  for (unsigned w = 0; w < 256; ++w) {
    const auto b = static_cast<std::uint8_t>(w);
    CHECK(weight_byte(resistance_of_weight(b)) == b);
    CHECK(weight_byte(resistance_of_weight(b, 3500, 15000), 3500, 15000) == b);
  }
  CHECK_THROWS_AS(weight_byte(5000, 9000, 4000), std::invalid_argument);
  CHECK_THROWS_AS(weight_byte(5000, 4000, 4000), std::invalid_argument);
  CHECK_THROWS_AS(weight_byte(std::nan("")), std::invalid_argument);
}

TEST_CASE("bridge legacy: 20-bit timestamps unwrap to 64 bits, deltas sum to absolute time") {
  TimestampUnwrapper u(20);
  CHECK(u.unwrap(0xFFF00) == 0xFFF00);
  CHECK(u.unwrap(0xFFFFF) == 0xFFFFF);
  CHECK(u.unwrap(0x00010) == 0x100010);   // across the wrap
  CHECK(u.unwrap(0xFFFF0) == 0xFFFF0);    // a late packet from before the wrap
  CHECK(u.unwrap(0x00020) == 0x100020);   // the reference did not move back
  CHECK(u.unwrap(0x7FFFF) == 0x17FFFF);   // just under half the modulus ahead
  CHECK(u.unwrap(0x0) == 0x100000);       // half or more ahead reads as late
  CHECK(u.unwrap(0xF0000) == 0x1F0000);
  CHECK(u.unwrap(0x00005) == 0x200005);   // across the next wrap
  // Many wraps in steps of 0.3 modulus.
  TimestampUnwrapper v(20);
  std::uint64_t t = 5;
  for (int i = 0; i < 100; ++i, t += 314572) CHECK(v.unwrap(static_cast<std::uint32_t>(t)) == t);
  // 24 bits, as a receiver of a sender that used them all.
  TimestampUnwrapper w(24);
  CHECK(w.unwrap(0xFFFFFF) == 0xFFFFFF);
  CHECK(w.unwrap(0x000001) == 0x1000001);
  CHECK_THROWS_AS(TimestampUnwrapper(0), std::invalid_argument);

  DeltaClock c;
  CHECK(c.add(10) == 10);
  CHECK(c.add(0) == 10);
  CHECK(c.add(0xFFFFF) == 10 + 0xFFFFF);
  CHECK(c.now() == 10 + 0xFFFFF);
}

TEST_CASE("bridge legacy: the doc's worked example matches the codec") {
  const Bytes ex = doc_example(read_doc(), "legacy");
  CHECK(ex == as_vec(encode_legacy({'S', 1234, 200, 0xABCDE})));
  const auto d = decode_legacy(ex);
  REQUIRE(d.status == LegacyStatus::kOk);
  CHECK(d.packet.type_or_weight == weight_byte(7921.6));
}

// ---------------------------------------------------------------------------
// Framed

TEST_CASE("bridge framed: batches of 0, 1 and the most events round trip") {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, kFramedMaxEvents}) {
    CAPTURE(n);
    const auto ev = some_events(n, 123456789);
    const Bytes d = encode_framed(kHeader, ev);
    CHECK(d.size() == framed_size(n));
    CHECK(d.size() <= kFramedMaxDatagram);
    const FramedDecoded got = decode_framed(d);
    REQUIRE(got.status == FramedStatus::kOk);
    CHECK(got.header == kHeader);
    CHECK(got.events == ev);
  }
  CHECK(kFramedMaxEvents == 89);
  CHECK(framed_size(kFramedMaxEvents) == 1468);
  CHECK(framed_size(kFramedMaxEvents + 1) > kFramedMaxDatagram);
  CHECK_THROWS_AS(encode_framed(kHeader, some_events(kFramedMaxEvents + 1)), std::invalid_argument);
  // Extreme field values survive.
  const FramedHeader h{0xFF, 0xFF, 0xFFFF, UINT64_MAX, UINT64_MAX, UINT64_MAX};
  const std::vector<Event> ev{{UINT64_MAX, UINT32_MAX, static_cast<EventKind>(0xFF), 0xFF}};
  const FramedDecoded got = decode_framed(encode_framed(h, ev));
  REQUIRE(got.status == FramedStatus::kOk);
  CHECK(got.header == h);
  CHECK(got.events == ev);
}

TEST_CASE("bridge framed: the encoder splits a large batch and numbers every datagram") {
  FramedEncoder enc('S', 7, 0xfeedull);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, kFramedMaxEvents, kFramedMaxEvents + 1,
                              std::size_t{1000}}) {
    CAPTURE(n);
    const auto ev = some_events(n);
    const std::uint64_t first = enc.next_seq();
    const auto dgrams = enc.encode(ev, 5000);
    CHECK(dgrams.size() == std::max<std::size_t>(1, (n + kFramedMaxEvents - 1) / kFramedMaxEvents));
    std::vector<Event> all;
    for (std::size_t i = 0; i < dgrams.size(); ++i) {
      CHECK(dgrams[i].size() <= kFramedMaxDatagram);
      const FramedDecoded d = decode_framed(dgrams[i]);
      REQUIRE(d.status == FramedStatus::kOk);
      CHECK(d.header.seq == first + i);
      CHECK(d.header.session == 0xfeedull);
      CHECK(d.header.site == 'S');
      CHECK(d.header.node == 7);
      CHECK(d.header.send_ns == 5000);
      if (i + 1 < dgrams.size()) CHECK(d.events.size() == kFramedMaxEvents);
      all.insert(all.end(), d.events.begin(), d.events.end());
    }
    CHECK(all == ev);
    CHECK(enc.next_seq() == first + dgrams.size());
  }
  CHECK(random_session_id() != 0);
  CHECK(random_session_id() != random_session_id());
}

TEST_CASE("bridge framed: every flipped bit or byte of a full datagram is refused") {
  const Bytes good = encode_framed(kHeader, some_events(kFramedMaxEvents));
  std::size_t magic = 0, crc = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned mask = 1; mask <= 0x100; mask <<= 1) {
      Bytes bad = good;
      bad[i] ^= static_cast<std::uint8_t>(mask == 0x100 ? 0xFF : mask);  // each bit, then the whole byte
      const FramedStatus s = decode_framed(bad).status;
      CAPTURE(i);
      CAPTURE(mask);
      REQUIRE(s != FramedStatus::kOk);
      if (i < 4) {
        CHECK(s == FramedStatus::kBadMagic);
        ++magic;
      } else {
        CHECK(s == FramedStatus::kBadCrc);
        ++crc;
      }
    }
  }
  CHECK(magic == 4 * 9);
  CHECK(crc == (good.size() - 4) * 9);
}

TEST_CASE("bridge framed: truncated, extended and foreign datagrams are refused") {
  const Bytes good = encode_framed(kHeader, some_events(3));
  for (std::size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    const FramedStatus s = decode_framed(std::span<const std::uint8_t>(good.data(), n)).status;
    CHECK(s == (n < kFramedHeaderBytes + kFramedTrailerBytes ? FramedStatus::kTooShort : FramedStatus::kBadCrc));
  }
  Bytes longer = good;
  longer.push_back(0);
  CHECK(decode_framed(longer).status == FramedStatus::kBadCrc);
  // A legacy datagram on the framed port.
  CHECK(decode_framed(as_vec(encode_legacy({'A', 1, 0, 1}))).status == FramedStatus::kTooShort);
  Bytes foreign(200, 0);
  CHECK(decode_framed(foreign).status == FramedStatus::kBadMagic);
}

TEST_CASE("bridge framed: a sound datagram of another version or a wrong count has its own status") {
  Bytes v2 = encode_framed(kHeader, some_events(2));
  v2[4] = 2;
  recrc(v2);
  CHECK(decode_framed(v2).status == FramedStatus::kUnsupportedVersion);

  for (const std::uint16_t count : {std::uint16_t{1}, std::uint16_t{3}, std::uint16_t{0xFFFF}}) {
    CAPTURE(count);
    Bytes c = encode_framed(kHeader, some_events(2));
    c[6] = static_cast<std::uint8_t>(count);
    c[7] = static_cast<std::uint8_t>(count >> 8);
    recrc(c);
    CHECK(decode_framed(c).status == FramedStatus::kBadCount);
  }
  // Event bytes that are not a whole event.
  Bytes odd = encode_framed(kHeader, some_events(1));
  odd.insert(odd.begin() + static_cast<std::ptrdiff_t>(kFramedHeaderBytes), std::uint8_t{0});
  recrc(odd);
  CHECK(decode_framed(odd).status == FramedStatus::kBadCount);

  // Every status has its own name, to count each kind.
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < kFramedStatusCount; ++i) names.push_back(to_string(static_cast<FramedStatus>(i)));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}

TEST_CASE("bridge framed: reserved bytes, unknown flags and kinds are passed over") {
  Bytes d = encode_framed(kHeader, some_events(2));
  d[5] |= 0x80;       // an unknown flag
  d[9] = 0x11;        // reserved
  d[12] = 0x22;       // reserved
  d[40 + 12] = 0x7E;  // an unknown kind
  d[40 + 14] = 0x33;  // reserved in an event
  recrc(d);
  const FramedDecoded got = decode_framed(d);
  REQUIRE(got.status == FramedStatus::kOk);
  CHECK(got.header.flags == (kFlagClockSynced | 0x80));
  CHECK(got.header.seq == kHeader.seq);
  CHECK(static_cast<unsigned>(got.events[0].kind) == 0x7E);
  CHECK(got.events[1] == some_events(2)[1]);
}

TEST_CASE("bridge framed: the doc's worked example matches the codec byte for byte") {
  const Bytes ex = doc_example(read_doc(), "framed");
  const std::vector<Event> ev{{1'000'000, 7, EventKind::kSpike, kLegacySpontaneousAp},
                              {1'000'050, 3, EventKind::kWeight, 128}};
  CHECK(ex == encode_framed(kHeader, ev));
  const FramedDecoded got = decode_framed(ex);
  REQUIRE(got.status == FramedStatus::kOk);
  CHECK(got.header == kHeader);
  CHECK(got.events == ev);
  CHECK(read_doc().find("CRC-32C 0x1bfabf8a") != std::string::npos);
  CHECK(spikelink::crc32c(std::span<const std::uint8_t>(ex.data(), ex.size() - 4)) == 0x1bfabf8au);
}

// ---------------------------------------------------------------------------
// Sequence tracking

TEST_CASE("bridge stats: datagrams in order lose nothing") {
  SeqTracker t;
  for (std::uint64_t s = 0; s < 5000; ++s) CHECK(t.on(9, s) == SeqTracker::Verdict::kInOrder);
  const SeqCounts c = t.total();
  CHECK(c == SeqCounts{.received = 5000});
  CHECK(t.highest() == 4999);
  CHECK(t.session() == 9);
}

TEST_CASE("bridge stats: a gap is lost, a late fill is reordered and no longer lost") {
  SeqTracker t;
  for (const std::uint64_t s : {0ull, 1ull, 2ull, 5ull, 6ull}) t.on(1, s);
  CHECK(t.total().lost == 2);
  CHECK(t.on(1, 3) == SeqTracker::Verdict::kFill);
  CHECK(t.total().lost == 1);
  CHECK(t.total().reordered == 1);
  CHECK(t.on(1, 3) == SeqTracker::Verdict::kDuplicate);
  CHECK(t.on(1, 7) == SeqTracker::Verdict::kInOrder);
  CHECK(t.total() == SeqCounts{.received = 8, .lost = 1, .duplicates = 1, .reordered = 1});
}

TEST_CASE("bridge stats: duplicates are counted and change nothing else") {
  SeqTracker t;
  for (std::uint64_t s = 0; s < 100; ++s) {
    t.on(1, s);
    if (s % 10 == 0) CHECK(t.on(1, s) == SeqTracker::Verdict::kDuplicate);
    if (s >= 50 && s % 10 == 0) CHECK(t.on(1, s - 40) == SeqTracker::Verdict::kDuplicate);
  }
  CHECK(t.total() == SeqCounts{.received = 100 + 10 + 5, .duplicates = 15});
}

TEST_CASE("bridge stats: a burst of reordering ends with nothing lost") {
  std::vector<std::uint64_t> order(20000);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(7);
  // Shuffle within blocks of 300: every datagram within the window of its place.
  for (std::size_t b = 0; b < order.size(); b += 300)
    std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(b),
                 order.begin() + static_cast<std::ptrdiff_t>(std::min(b + 300, order.size())), rng);
  SeqTracker t;
  std::uint64_t fills = 0, highest = 0;
  bool first = true;
  for (const std::uint64_t s : order) {
    const bool late = !first && s < highest;
    fills += late;
    highest = first ? s : std::max(highest, s);
    first = false;
    CHECK(t.on(3, s) == (late ? SeqTracker::Verdict::kFill : SeqTracker::Verdict::kInOrder));
  }
  const SeqCounts c = t.total();
  CHECK(c.received == 20000);
  CHECK(c.lost == 0);
  CHECK(c.reordered == fills);
  CHECK(fills > 10000);
  CHECK(c.duplicates == 0);
  CHECK(c.too_old == 0);
}

TEST_CASE("bridge stats: a datagram older than the window is too old, not a fill") {
  SeqTracker t;
  t.on(1, 0);
  t.on(1, 2000);  // 1999 lost, one jump
  CHECK(t.total().lost == 1999);
  CHECK(t.total().jumps == 1);
  CHECK(t.on(1, 2000 - SeqTracker::kWindow) == SeqTracker::Verdict::kTooOld);
  CHECK(t.on(1, 2000 - SeqTracker::kWindow + 1) == SeqTracker::Verdict::kFill);
  CHECK(t.total() == SeqCounts{.received = 4, .lost = 1998, .reordered = 1, .too_old = 1, .jumps = 1});
}

TEST_CASE("bridge stats: a huge jump counts its gap, flags it and tracking goes on") {
  SeqTracker t;
  for (std::uint64_t s = 0; s < 6; ++s) t.on(1, s);
  const std::uint64_t big = std::uint64_t{1} << 62;
  CHECK(t.on(1, big) == SeqTracker::Verdict::kInOrder);
  CHECK(t.total().lost == big - 6);
  CHECK(t.total().jumps == 1);
  CHECK(t.on(1, 3) == SeqTracker::Verdict::kTooOld);  // the old numbers are gone from the window
  CHECK(t.on(1, big + 2) == SeqTracker::Verdict::kInOrder);
  CHECK(t.on(1, big + 1) == SeqTracker::Verdict::kFill);
  CHECK(t.on(1, big) == SeqTracker::Verdict::kDuplicate);
  CHECK(t.on(1, 2 * big) == SeqTracker::Verdict::kInOrder);
  CHECK(t.total().jumps == 2);
  CHECK(t.highest() == 2 * big);
  CHECK(t.total().lost == 2 * big + 1 - 10);  // 0 .. 2 big less the 10 distinct numbers received
}

TEST_CASE("bridge stats: a restarted sender is a new session, late datagrams of the old one are stale") {
  SeqTracker t;
  for (std::uint64_t s = 0; s < 100; ++s) t.on(0xA, s);
  t.on(0xA, 105);  // 100..104 lost before the restart
  CHECK(t.on(0xB, 1) == SeqTracker::Verdict::kRestart);  // 0 of the new session lost (so far)
  CHECK(t.session() == 0xB);
  CHECK(t.session_counts() == SeqCounts{.received = 1, .lost = 1});
  CHECK(t.on(0xA, 101) == SeqTracker::Verdict::kStaleSession);  // does not flip back
  CHECK(t.on(0xB, 0) == SeqTracker::Verdict::kFill);
  CHECK(t.on(0xB, 2) == SeqTracker::Verdict::kInOrder);
  CHECK(t.session_counts() == SeqCounts{.received = 4, .reordered = 1, .stale_session = 1});
  CHECK(t.total() == SeqCounts{.received = 105, .lost = 5, .reordered = 1, .restarts = 1, .stale_session = 1});
  // A third run, then the first one's id again: another restart (only the last one is remembered).
  CHECK(t.on(0xC, 0) == SeqTracker::Verdict::kRestart);
  CHECK(t.on(0xB, 3) == SeqTracker::Verdict::kStaleSession);
  CHECK(t.on(0xA, 0) == SeqTracker::Verdict::kRestart);
  CHECK(t.total().restarts == 3);
}

TEST_CASE("bridge stats: a session joined late is counted from its first number seen") {
  SeqTracker early;
  early.on(1, 10);  // within the first window: 0..9 were lost
  CHECK(early.total().lost == 10);
  CHECK(early.on(1, 0) == SeqTracker::Verdict::kFill);
  SeqTracker late;
  late.on(1, 50000);  // a receiver started long after its sender
  CHECK(late.total().lost == 0);
  CHECK(late.on(1, 49999) == SeqTracker::Verdict::kTooOld);
  CHECK(late.on(1, 50001) == SeqTracker::Verdict::kInOrder);
  SeqTracker merged = early;
  merged.merge(late);
  CHECK(merged.total().received == early.total().received + late.total().received);
  CHECK(merged.total().lost == 9);
  CHECK(merged.session_counts() == early.session_counts());
}

// ---------------------------------------------------------------------------
// Delay

TEST_CASE("bridge stats: histogram buckets tile the range within 1/64 of their value") {
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < LogHistogram::kBuckets; ++i) {
    CAPTURE(i);
    REQUIRE(LogHistogram::bucket_low(i) == next);
    const std::uint64_t lo = LogHistogram::bucket_low(i), hi = LogHistogram::bucket_high(i);
    CHECK(LogHistogram::bucket_of(lo) == i);
    CHECK(LogHistogram::bucket_of(hi) == i);
    CHECK(static_cast<double>(hi - lo + 1) <= std::max(1.0, static_cast<double>(lo) / 64.0));
    next = hi + 1;
  }
  CHECK(next == std::uint64_t{1} << LogHistogram::kTopBits);
  CHECK(LogHistogram::bucket_of(UINT64_MAX) == LogHistogram::kBuckets - 1);
  LogHistogram h;
  h.record(std::uint64_t{1} << 50);
  CHECK(h.max() == std::uint64_t{1} << 50);
  CHECK(h.at_rank(1) == std::uint64_t{1} << 50);  // clamped to the exact extreme
}

TEST_CASE("bridge stats: delay percentiles of known distributions within the histogram's resolution") {
  // Uniform 1 us .. 10 ms in 1 us steps, shuffled: p50 = 5 ms, p99 = 9.9 ms exactly.
  std::vector<std::int64_t> d(10000);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::int64_t>(i + 1) * 1000;
  std::mt19937_64 rng(1);
  std::shuffle(d.begin(), d.end(), rng);
  DelayRecorder r;
  const std::uint64_t send0 = 1764400000000000000ull;
  for (std::size_t i = 0; i < d.size(); ++i) r.record(send0 + i, send0 + i + static_cast<std::uint64_t>(d[i]));
  const auto s = r.summary();
  CHECK(s.count == 10000);
  CHECK(s.negative == 0);
  CHECK(std::abs(static_cast<double>(s.p50_ns) - 5e6) <= 5e6 / 128);
  CHECK(std::abs(static_cast<double>(s.p99_ns) - 9.9e6) <= 9.9e6 / 128);
  CHECK(s.min_ns == 1000);
  CHECK(s.max_ns == 10'000'000);
  CHECK(s.mean_ns == doctest::Approx(5000.5e3));
  CHECK(s.spread_ns == s.p99_ns - 1000);

  // A long-tailed distribution (log-normal around 400 us): every quantile
  // against the exact nearest-rank value.
  std::lognormal_distribution<double> ln(std::log(400e3), 0.8);
  std::vector<std::int64_t> v(50000);
  DelayRecorder l;
  for (auto& x : v) {
    x = static_cast<std::int64_t>(ln(rng));
    l.record_delay(x);
  }
  std::sort(v.begin(), v.end());
  for (const double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    CAPTURE(q);
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()) - 1e-6));
    const double exact = static_cast<double>(v[rank - 1]);
    CHECK(std::abs(static_cast<double>(l.quantile(q)) - exact) <= exact / 128 + 1);
  }
  CHECK(l.quantile(1.0) == v.back());
  CHECK(l.quantile(0.0) == v.front());

  // Small values are exact.
  DelayRecorder small;
  for (std::int64_t x : {5, 1, 3, 2, 4}) small.record_delay(x);
  CHECK(small.quantile(0.5) == 3);
  CHECK(small.quantile(0.99) == 5);
}

TEST_CASE("bridge stats: negative delays (clocks that disagree) keep their order and spread") {
  // A receiver clock 2 ms behind: delays 0.1..1 ms become -1.9..-1 ms.
  DelayRecorder r;
  for (std::uint64_t i = 1; i <= 10; ++i) r.record(1'000'000'000 + 2'000'000, 1'000'000'000 + i * 100'000);
  const auto s = r.summary();
  CHECK(s.negative == 10);
  CHECK(s.min_ns == -1'900'000);
  CHECK(s.max_ns == -1'000'000);
  CHECK(std::abs(static_cast<double>(s.p50_ns) + 1.5e6) <= 1.5e6 / 128);
  CHECK(s.spread_ns == s.p99_ns - s.min_ns);
  CHECK(std::abs(static_cast<double>(s.spread_ns) - 0.9e6) <= 2e6 / 128);
  // Mixed signs: the quantiles run through zero.
  DelayRecorder m;
  for (std::int64_t x = -50; x <= 49; ++x) m.record_delay(x * 1000);
  CHECK(m.quantile(0.51) == 0);  // rank 51 of -50000 .. 49000
  CHECK(m.quantile(0.0) == -50000);
  CHECK(m.quantile(0.5) == doctest::Approx(-1000).epsilon(1.0 / 128));
  CHECK(m.quantile(0.49) == doctest::Approx(-2000).epsilon(1.0 / 128));
  CHECK(m.quantile(0.02) == doctest::Approx(-49000).epsilon(1.0 / 128));
}

TEST_CASE("bridge stats: RFC 3550 jitter of a constant and of an alternating delay") {
  DelayRecorder c;
  for (int i = 0; i < 100; ++i) c.record_delay(777'000);
  CHECK(c.summary().jitter_ns == 0.0);
  DelayRecorder a;
  for (int i = 0; i < 500; ++i) a.record_delay(i % 2 ? 3'000'000 : 1'000'000);
  CHECK(a.summary().jitter_ns == doctest::Approx(2'000'000).epsilon(1e-6));  // |D| = 2 ms every time
}

TEST_CASE("bridge stats: merged delay recorders give the quantiles of all their delays") {
  DelayRecorder a, b, all;
  for (std::int64_t i = 0; i < 1000; ++i) {
    a.record_delay(i * 1000);
    all.record_delay(i * 1000);
    b.record_delay(-i * 500);
    all.record_delay(-i * 500);
  }
  a.merge(b);
  for (const double q : {0.0, 0.25, 0.5, 0.75, 0.99, 1.0}) CHECK(a.quantile(q) == all.quantile(q));
  const auto s = a.summary();
  CHECK(s.count == 2000);
  CHECK(s.min_ns == -499'500);
  CHECK(s.max_ns == 999'000);
  CHECK(s.mean_ns == doctest::Approx(all.summary().mean_ns));
  CHECK(s.jitter_ns == doctest::Approx((1000.0 * 1000 + 500.0 * 1000) / 2000).epsilon(0.01));  // 1 us and 0.5 us
}

TEST_CASE("bridge stats: a receiver's peers, malformed datagrams and report") {
  ReceiveStats rx;
  FramedEncoder a('A', 1, 0x1111), d('D', 1, 0x2222);
  std::uint64_t now = 1764400000000000000ull;
  for (int i = 0; i < 50; ++i) {
    for (const auto& dg : a.encode(some_events(3), now)) {
      const FramedDecoded got = decode_framed(dg);
      if (i != 10) rx.on_datagram(got.header, now + 400'000);  // datagram 10 lost
    }
    for (const auto& dg : d.encode({}, now)) rx.on_datagram(decode_framed(dg).header, now + 1'000'000);
    now += 1'000'000;
  }
  const Bytes short_one(10, 0);
  rx.on_malformed(decode_framed(short_one).status);
  rx.on_malformed(FramedStatus::kBadCrc);
  rx.on_malformed(FramedStatus::kBadCrc);
  rx.on_malformed(decode_legacy(short_one).status);
  REQUIRE(rx.peers().size() == 2);
  const auto& pa = rx.peers().at(PeerId{'A', 1});
  CHECK(pa.seq.total() == SeqCounts{.received = 49, .lost = 1});
  CHECK(pa.delay.summary().p50_ns == 400'000);
  CHECK(rx.peers().at(PeerId{'D', 1}).seq.total() == SeqCounts{.received = 50});
  CHECK(rx.malformed(FramedStatus::kBadCrc) == 2);
  CHECK(rx.malformed(FramedStatus::kTooShort) == 1);
  CHECK(rx.malformed(LegacyStatus::kWrongSize) == 1);

  const std::string rep = rx.report();
  CHECK(rep.find("peer A/1 session 0000000000001111: received 49, lost 1 (2.00 %)") != std::string::npos);
  CHECK(rep.find("p50 0.400 ms") != std::string::npos);
  CHECK(rep.find("peer D/1") != std::string::npos);
  CHECK(rep.find("malformed: 1 too short, 2 bad CRC, 1 legacy wrong size") != std::string::npos);

  ReceiveStats twice = rx;
  twice.merge(rx);
  CHECK(twice.peers().at(PeerId{'A', 1}).seq.total().received == 98);
  CHECK(twice.peers().at(PeerId{'A', 1}).delay.count() == 98);
  CHECK(twice.malformed(FramedStatus::kBadCrc) == 4);
}
