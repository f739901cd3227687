// The receiver: every error counter, idle fill, throughput and backpressure.
#include <doctest/doctest.h>

#include <random>

#include "framing_ref.hpp"

namespace spikelink::rtl_test {
namespace {

const Bytes kBody{0x42, 0x07, 0x00, 0x10, 0x20};

TEST_CASE("rx: idle fill between and around frames is ignored") {
  sim::FramerSim sim;
  Bytes stream(5, 0x00);
  append(stream, wire_frame(kBody));
  append(stream, Bytes(3, 0x00));
  append(stream, wire_frame(kBody));
  sim.rx_bytes(stream);
  CHECK(sim.take_rx_frames() == std::vector<Bytes>{kBody, kBody});
  CHECK(sim.counters() == sim::FramerCounters{.rx_ok = 2});
}

TEST_CASE("rx: delimiter inside a block counts cobs") {
  sim::FramerSim sim;
  // Code 0x09 promises eight bytes; the delimiter comes after three.
  sim.rx_bytes(Bytes{0x09, 0x11, 0x22, 0x33, 0x00});
  CHECK(sim.take_rx_frames().empty());
  CHECK(sim.counters() == sim::FramerCounters{.rx_cobs = 1, .rx_bytes_discarded = 4});
}

TEST_CASE("rx: raw frame under six bytes counts short") {
  sim::FramerSim sim;
  // Decodes to 11 22 00 33 44: five bytes, a valid COBS group.
  sim.rx_bytes(Bytes{0x03, 0x11, 0x22, 0x03, 0x33, 0x44, 0x00});
  // A lone code byte decodes to nothing.
  sim.rx_bytes(Bytes{0x01, 0x00});
  CHECK(sim.take_rx_frames().empty());
  CHECK(sim.counters() == sim::FramerCounters{.rx_short = 2, .rx_bytes_discarded = 7});
}

TEST_CASE("rx: corrupted body or CRC counts crc") {
  sim::FramerSim sim;
  Bytes raw = raw_frame(kBody);
  raw[1] ^= 0x40;
  Bytes bad_body = cobs_encode(raw);
  bad_body.push_back(0);
  raw = raw_frame(kBody);
  raw.back() ^= 0x01;
  Bytes bad_crc = cobs_encode(raw);
  bad_crc.push_back(0);
  sim.rx_bytes(bad_body);
  sim.rx_bytes(bad_crc);
  CHECK(sim.take_rx_frames().empty());
  const uint32_t discarded = static_cast<uint32_t>(bad_body.size() + bad_crc.size() - 2);
  CHECK(sim.counters() == sim::FramerCounters{.rx_crc = 2, .rx_bytes_discarded = discarded});
}

TEST_CASE("rx: group over 255 bytes counts long and skips to the delimiter") {
  sim::FramerSim sim;
  Bytes stream(300, 0x5A);
  stream.push_back(0x00);
  append(stream, wire_frame(kBody));
  sim.rx_bytes(stream);
  CHECK(sim.take_rx_frames() == std::vector<Bytes>{kBody});
  CHECK(sim.counters() ==
        sim::FramerCounters{.rx_ok = 1, .rx_long = 1, .rx_bytes_discarded = 300});
}

TEST_CASE("rx: a 255-byte group is not long, a 256-byte one is") {
  sim::FramerSim sim;
  // 255 bytes of 0x01 decode to 254 zeros: a bad CRC, not a long frame.
  Bytes stream(255, 0x01);
  stream.push_back(0x00);
  append(stream, Bytes(256, 0x01));
  stream.push_back(0x00);
  sim.rx_bytes(stream);
  CHECK(sim.counters() == sim::FramerCounters{.rx_crc = 1, .rx_long = 1,
                                              .rx_bytes_discarded = 255 + 256});
}

TEST_CASE("rx: every counter from one crafted stream") {
  sim::FramerSim sim;
  Bytes stream{0x00, 0x00};                              // idle
  append(stream, wire_frame(kBody));                      // ok
  append(stream, Bytes{0x05, 0x11, 0x00});                // cobs (2 bytes)
  append(stream, Bytes{0x02, 0x11, 0x01, 0x00});          // short (3 bytes)
  Bytes raw = raw_frame(kBody);
  raw[0] ^= 0x80;
  Bytes bad = cobs_encode(raw);
  append(stream, bad);                                    // crc
  stream.push_back(0x00);
  append(stream, Bytes(260, 0x33));                       // long (260 bytes)
  stream.push_back(0x00);
  append(stream, wire_frame(kBody));                      // ok
  sim.rx_bytes(stream);
  CHECK(sim.take_rx_frames() == std::vector<Bytes>{kBody, kBody});

  ReferenceRx ref;
  ref.feed(stream);
  const auto c = sim.counters();
  CHECK(c == ref.counters);
  CHECK(c.rx_ok == 2);
  CHECK(c.rx_cobs == 1);
  CHECK(c.rx_short == 1);
  CHECK(c.rx_crc == 1);
  CHECK(c.rx_long == 1);
  CHECK(c.rx_bytes_discarded == 2 + 3 + bad.size() + 260);

  // The last counter needs a stalled consumer: five 100-byte frames take 505
  // of the 512 ring bytes (a length byte each), so the sixth cannot fit.
  sim.set_rx_ready_stall(1, 100);
  const Bytes body100(100, 0x77);
  for (int i = 0; i < 6; ++i) sim.rx_bytes(wire_frame(body100));
  CHECK(sim.counters().rx_ok == 2 + 5);
  CHECK(sim.counters().rx_overflow == 1);
}

TEST_CASE("rx: back-to-back frames with no gap are all delivered") {
  std::mt19937 rng(7);
  std::vector<Bytes> bodies;
  Bytes stream;
  for (int i = 0; i < 200; ++i) {
    // Mostly short frames: those stress the hand-over between slots most.
    const size_t len = i % 4 == 0 ? random_len(rng) : random_len(rng, 2, 12);
    bodies.push_back(random_body(rng, len));
    append(stream, wire_frame(bodies.back()));
  }
  sim::FramerSim sim;
  sim.rx_bytes(stream, 0);
  CHECK(sim.take_rx_frames() == bodies);
  CHECK(sim.counters() == sim::FramerCounters{.rx_ok = 200});
  // One byte per clock in, so the stream must take hardly longer than its
  // length plus draining the last frame.
  CHECK(sim.cycles() < stream.size() + 300);
}

TEST_CASE("rx: gaps and random backpressure lose nothing") {
  std::mt19937 rng(11);
  std::vector<Bytes> bodies;
  Bytes stream;
  for (int i = 0; i < 100; ++i) {
    bodies.push_back(random_body(rng, random_len(rng)));
    append(stream, wire_frame(bodies.back()));
  }
  for (const unsigned percent : {10u, 50u}) {
    CAPTURE(percent);
    sim::FramerSim sim;
    sim.set_rx_ready_stall(percent, percent);
    // A consumer that is busy half the time needs a sender at half speed or less.
    sim.rx_bytes(stream, percent >= 50 ? 2 : 1);
    CHECK(sim.take_rx_frames() == bodies);
    CHECK(sim.counters() == sim::FramerCounters{.rx_ok = 100});
  }
}

TEST_CASE("rx: overflow when frame_ready_i is stalled long") {
  // The ring holds 512 bytes; a stored frame takes one length byte plus
  // header+body, and needs room for its CRC while it is being written.
  sim::FramerSim sim;
  sim.set_rx_ready_stall(3, 100);
  std::vector<Bytes> stored;
  for (uint8_t i = 1; i <= 5; ++i) stored.push_back(Bytes(100, i));  // 505 bytes
  Bytes stream;
  for (const auto& body : stored) append(stream, wire_frame(body));
  const Bytes too_big(100, 0xEE);
  const Bytes wire_too_big = wire_frame(too_big);
  append(stream, wire_too_big);                  // needs 105 of the 7 left
  const Bytes fits{0x0F, 0x0F};                  // needs exactly the 7 left
  append(stream, wire_frame(fits));
  const Bytes wire_no_room = wire_frame(Bytes{0x0E, 0x0E});
  append(stream, wire_no_room);                  // needs 7 of the 4 left
  sim.rx_bytes(stream);
  stored.push_back(fits);

  auto counters = sim.counters();
  CHECK(counters.rx_ok == 6);
  CHECK(counters.rx_overflow == 2);
  CHECK(counters.rx_bytes_discarded == wire_too_big.size() - 1 + wire_no_room.size() - 1);
  CHECK(sim.take_rx_frames().empty());

  // Release the consumer: the stored frames come out, in order.
  sim.set_rx_ready_stall(3, 0);
  sim.rx_bytes({});
  CHECK(sim.take_rx_frames() == stored);
  // All the room is free again.
  stream.clear();
  for (int i = 0; i < 5; ++i) append(stream, wire_frame(too_big));
  sim.set_rx_ready_stall(4, 100);
  sim.rx_bytes(stream);
  sim.set_rx_ready_stall(4, 0);
  sim.rx_bytes({});
  CHECK(sim.take_rx_frames() == std::vector<Bytes>(5, too_big));
  CHECK(sim.counters().rx_overflow == 2);
}

TEST_CASE("rx: counters and frames match the reference on damaged streams") {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<unsigned> kind(0, 9);
  std::uniform_int_distribution<unsigned> any_byte(0, 255);
  Bytes stream;
  for (int i = 0; i < 400; ++i) {
    Bytes wire = wire_frame(random_body(rng, random_len(rng, 2, 60)));
    switch (kind(rng)) {
      case 0:  // one byte changed anywhere, the delimiter included
        wire[std::uniform_int_distribution<size_t>(0, wire.size() - 1)(rng)] =
            static_cast<uint8_t>(any_byte(rng));
        break;
      case 1:  // one byte lost
        wire.erase(wire.begin() +
                   std::uniform_int_distribution<std::ptrdiff_t>(
                       0, static_cast<std::ptrdiff_t>(wire.size()) - 1)(rng));
        break;
      case 2:  // line noise
        wire = Bytes(std::uniform_int_distribution<size_t>(1, 300)(rng));
        for (auto& b : wire) b = static_cast<uint8_t>(any_byte(rng));
        break;
      case 3:  // idle fill
        wire.insert(wire.begin(), 3, 0x00);
        break;
      default:
        break;
    }
    append(stream, wire);
  }
  stream.push_back(0x00);

  ReferenceRx ref;
  ref.feed(stream);
  sim::FramerSim sim;
  sim.rx_bytes(stream);
  CHECK(sim.take_rx_frames() == ref.frames);
  CHECK(sim.counters() == ref.counters);
  CHECK(ref.counters.rx_cobs + ref.counters.rx_crc + ref.counters.rx_short > 0);
}

}  // namespace
}  // namespace spikelink::rtl_test
