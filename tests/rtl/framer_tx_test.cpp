// The transmitter: byte-identical COBS, long-frame drop, backpressure.
#include <doctest/doctest.h>

#include <random>

#include "framing_ref.hpp"

namespace spikelink::rtl_test {
namespace {

TEST_CASE("tx: 251-byte input is dropped and counted, 250 bytes are sent") {
  std::mt19937 rng(5);
  sim::FramerSim sim;
  CHECK(sim.tx_frame(random_body(rng, 251)).empty());
  CHECK(sim.tx_frame(random_body(rng, 400)).empty());
  CHECK(sim.counters() == sim::FramerCounters{.tx_dropped_long = 2});

  const Bytes longest = random_body(rng, 250);
  const Bytes wire = sim.tx_frame(longest);
  CHECK(wire == wire_frame(longest));
  CHECK(wire.size() == 256);
  CHECK(sim.counters() == sim::FramerCounters{.tx_frames = 1, .tx_dropped_long = 2});
}

TEST_CASE("tx: random frames are byte-identical to standard COBS") {
  std::mt19937 rng(99);
  sim::FramerSim sim;
  for (int i = 0; i < 300; ++i) {
    // Vary the zero density from none to mostly zeros.
    const unsigned zero_one_in = 1u + static_cast<unsigned>(i % 7) * 40u;
    const Bytes body = random_body(rng, random_len(rng, 1, kMaxBody), zero_one_in);
    CAPTURE(i);
    REQUIRE(sim.tx_frame(body) == wire_frame(body));
  }
  CHECK(sim.counters().tx_frames == 300);
}

TEST_CASE("tx: backpressure on the wire side loses nothing") {
  std::mt19937 rng(123);
  sim::FramerSim sim;
  sim.set_tx_ready_stall(17, 60);
  for (int i = 0; i < 100; ++i) {
    const Bytes body = random_body(rng, random_len(rng));
    REQUIRE(sim.tx_frame(body) == wire_frame(body));
  }
  CHECK(sim.counters() == sim::FramerCounters{.tx_frames = 100});
}

TEST_CASE("tx/rx: loopback through both directions") {
  std::mt19937 rng(31);
  sim::FramerSim sim;
  sim.set_rx_ready_stall(8, 20);
  std::vector<Bytes> bodies;
  for (int i = 0; i < 100; ++i) {
    bodies.push_back(random_body(rng, random_len(rng)));
    sim.rx_bytes(sim.tx_frame(bodies.back()));
  }
  CHECK(sim.take_rx_frames() == bodies);
  const auto c = sim.counters();
  CHECK(c.rx_ok == 100);
  CHECK(c.tx_frames == 100);
}

}  // namespace
}  // namespace spikelink::rtl_test
