#include <doctest/doctest.h>

#include <array>
#include <set>
#include <stdexcept>

#include "../common/random_messages.hpp"
#include "spikelink/protocol.hpp"

using namespace spikelink;
using namespace spikelink::proto;

namespace {
std::vector<std::uint8_t> body_of(const Message& m) {
  std::vector<std::uint8_t> b(kMaxBody);
  b.resize(encode_body(m, b.data()));
  return b;
}
std::vector<SpikeEvent> decode_spikes(std::span<const std::uint8_t> body, std::uint64_t base) {
  std::vector<SpikeEvent> out;
  REQUIRE(decode_spike_body(body, base, out));
  return out;
}
}  // namespace

TEST_CASE("protocol: every command and reply type survives encode and parse") {
  testing::Rng rng(2);
  std::array<int, 16> seen{};
  for (int i = 0; i < 5000; ++i) {
    const Message m = testing::random_message(rng);
    if (std::holds_alternative<SpikeBatch>(m)) continue;
    const auto t = type_of(m);
    seen[static_cast<std::size_t>(t)]++;
    const auto body = body_of(m);
    CHECK(body.size() <= kMaxBody);
    const auto back = parse_body(t, body);
    REQUIRE(back.has_value());
    CHECK(*back == m);
  }
  for (unsigned t = 2; t <= 15; ++t) CHECK_MESSAGE(seen[t] > 0, "type ", t, " never generated");
}

TEST_CASE("protocol: bodies with the wrong length or unknown values are rejected") {
  const auto bad = [](FrameType t, std::vector<std::uint8_t> b) { return !parse_body(t, b).has_value(); };
  CHECK(bad(FrameType::kIdentifyReq, {0x00}));
  CHECK(bad(FrameType::kIdentify, std::vector<std::uint8_t>(kIdentifyBody - 1, 0)));
  CHECK(bad(FrameType::kIdentify, std::vector<std::uint8_t>(kIdentifyBody, 0)));  // wrong magic
  CHECK(bad(FrameType::kRegWrite, {}));
  CHECK(bad(FrameType::kRegWrite, {1, 2, 3, 4, 5}));
  CHECK(bad(FrameType::kRegRead, {0, 0, 0}));    // count 0
  CHECK(bad(FrameType::kRegRead, {0, 0, 62}));   // count over 61
  CHECK(bad(FrameType::kRegData, {1, 0, 0}));    // no values
  CHECK(bad(FrameType::kMemWrite, {9, 0, 0, 0, 0, 1, 2}));  // unknown space
  CHECK(bad(FrameType::kMemRead, {0, 0, 0, 0, 0, 122}));
  CHECK(bad(FrameType::kControl, {0x06, 0, 0, 0, 0}));      // unknown op
  CHECK(bad(FrameType::kControl, {0x01, 0, 0, 0}));
  CHECK(bad(FrameType::kControl, {0x01, 2, 0, 0, 0}));       // RESET takes 0 or 1
  CHECK(bad(FrameType::kAck, {0, 0x10, 0}));                 // unknown type
  CHECK(bad(FrameType::kAck, {0, 0x0A, 0x08}));              // unknown status
  CHECK(bad(FrameType::kCredit, {0, 0, 0}));
  CHECK(bad(FrameType::kCountersReq, {0, 0}));
  CHECK(bad(FrameType::kCounters, {0, 0, 1, 2, 3}));
  CHECK(bad(FrameType::kError, {0, 0, 0, 0, 0, 0}));
  CHECK(bad(static_cast<FrameType>(0x20), {}));
}

TEST_CASE("protocol: an Identify body from a newer minor version keeps its known fields") {
  Identify id;
  id.neurons = 256;
  id.inputs = 256;
  id.proto_minor = 3;
  auto body = body_of(id);
  body.push_back(0xAB);
  body.push_back(0xCD);
  const auto back = parse_body(FrameType::kIdentify, body);
  REQUIRE(back.has_value());
  CHECK(std::get<Identify>(*back) == id);
}

TEST_CASE("protocol: encoders refuse what one frame cannot carry") {
  std::array<std::uint8_t, kMaxBody> buf{};
  CHECK_THROWS_AS(encode_body(RegWrite{}, buf.data()), std::invalid_argument);
  RegWrite big;
  big.items.resize(kMaxRegWrites + 1);
  CHECK_THROWS_AS(encode_body(big, buf.data()), std::invalid_argument);
  CHECK_THROWS_AS(encode_body(RegRead{0, 0}, buf.data()), std::invalid_argument);
  MemWrite mw;
  mw.words.resize(kMaxMemWords + 1);
  CHECK_THROWS_AS(encode_body(mw, buf.data()), std::invalid_argument);
  const std::vector<SpikeEvent> bad_addr{{5, 0x1000}};
  CHECK_THROWS_AS(encode_spike_body(0, bad_addr, buf.data()), std::invalid_argument);
  const std::vector<SpikeEvent> unsorted{{5, 1}, {4, 2}};
  CHECK_THROWS_AS(encode_spike_body(0, unsorted, buf.data()), std::invalid_argument);
  // A gap no frame can carry: nothing is encoded (and nothing overruns).
  const std::vector<SpikeEvent> far{{UINT64_MAX - 100, 1}};
  const auto r = encode_spike_body(0, far, buf.data());
  CHECK(r.consumed == 0);
  CHECK(r.body_size == kSpikeBatchHeader);
  // 14 + 121 * 4095 = 495509 is the longest gap one frame carries.
  const std::vector<SpikeEvent> longest{{495'509, 2}};
  CHECK(encode_spike_body(0, longest, buf.data()).consumed == 1);
  CHECK(encode_spike_body(0, longest, buf.data()).body_size == kMaxBody);
  const std::vector<SpikeEvent> too_long{{495'510, 2}};
  CHECK(encode_spike_body(0, too_long, buf.data()).consumed == 0);
  const std::vector<SpikeEvent> before_base{{5, 1}};
  CHECK_THROWS_AS(encode_spike_body(6, before_base, buf.data()), std::invalid_argument);
}

TEST_CASE("protocol: spike records, worked example") {
  // Base 1000; spikes at 1000 (addr 7), 1003 (addr 0x123), 1020 (addr 1).
  const std::vector<SpikeEvent> ev{{1000, 7}, {1003, 0x123}, {1020, 1}};
  std::array<std::uint8_t, kMaxBody> buf{};
  const auto r = encode_spike_body(1000, ev, buf.data());
  CHECK(r.consumed == 3);
  const std::vector<std::uint8_t> expect{
      0xE8, 0x03, 0x00, 0x00,  // base 1000
      0x07, 0x00,              // dt 0, addr 7
      0x23, 0x31,              // dt 3, addr 0x123
      0x11, 0xF0,              // advance 17 (gap 17 > 14)
      0x01, 0x00,              // dt 0, addr 1
  };
  CHECK(std::vector<std::uint8_t>(buf.begin(), buf.begin() + static_cast<long>(r.body_size)) == expect);
  CHECK(decode_spikes(expect, 1000) == ev);
}

TEST_CASE("protocol: spike bodies pack 122 records, gaps cost advance records") {
  std::array<std::uint8_t, kMaxBody> buf{};
  std::vector<SpikeEvent> same(200, SpikeEvent{42, 3});
  auto r = encode_spike_body(42, same, buf.data());
  CHECK(r.consumed == kMaxSpikeRecords);
  CHECK(r.body_size == kMaxBody);

  // A gap of 10000 needs three advances (4095 + 4095 + 1810) and the spike.
  std::vector<SpikeEvent> sparse;
  for (std::uint64_t i = 1; i <= 100; ++i) sparse.push_back({i * 10000, 1});
  r = encode_spike_body(0, sparse, buf.data());
  CHECK(r.consumed == 30);  // 30 events x 4 records = 120 <= 122 < 124
  const auto back = decode_spikes({buf.data(), r.body_size}, 0);
  CHECK(back == std::vector<SpikeEvent>(sparse.begin(), sparse.begin() + 30));
}

TEST_CASE("protocol: random spike bodies round trip exactly") {
  testing::Rng rng(3);
  std::array<std::uint8_t, kMaxBody> buf{};
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t base = testing::uniform<std::uint64_t>(rng, 0, 1ull << 40);
    const auto ev = testing::random_events(rng, testing::uniform<std::size_t>(rng, 0, 300), base);
    const auto r = encode_spike_body(base, ev, buf.data());
    CHECK(r.body_size <= kMaxBody);
    if (!ev.empty()) CHECK(r.consumed >= 1);
    // Stopping early means the next event (at most 6 records) did not fit.
    if (r.consumed < ev.size()) CHECK(r.body_size > kMaxBody - 2 * 6);
    const auto back = decode_spikes({buf.data(), r.body_size}, base);
    CHECK(back == std::vector<SpikeEvent>(ev.begin(), ev.begin() + static_cast<long>(r.consumed)));
  }
}

TEST_CASE("protocol: odd-length spike bodies are malformed") {
  std::vector<SpikeEvent> out;
  CHECK_FALSE(decode_spike_body(std::vector<std::uint8_t>{1, 2, 3}, 0, out));
  CHECK_FALSE(decode_spike_body(std::vector<std::uint8_t>{1, 2, 3, 4, 5}, 0, out));
  CHECK(out.empty());
}

TEST_CASE("protocol: every link counter and frame type has its own name") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kNumLinkCounters; ++i) {
    const auto n = to_string(static_cast<CounterId>(i));
    CHECK(n != "unknown_counter");
    names.insert(n);
  }
  CHECK(names.size() == kNumLinkCounters);
  CHECK(to_string(static_cast<CounterId>(kNumLinkCounters)) == "unknown_counter");
  std::set<std::string_view> types;
  for (unsigned t = 1; t <= 15; ++t) types.insert(to_string(static_cast<FrameType>(t)));
  CHECK(types.size() == 15);
  CHECK(types.count("UNKNOWN") == 0);
}
