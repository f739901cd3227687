#include <doctest/doctest.h>

#include "../common/stream_fixture.hpp"
#include "spikelink/link_codec.hpp"

using namespace spikelink;
using namespace spikelink::proto;
using namespace spikelink::testing;

TEST_CASE("link: every message type round trips with its sequence number") {
  Rng rng(20);
  const SentStream s = make_stream(rng, 255);
  Collected c;
  Receiver rx;
  rx.feed(s.wire, c);
  REQUIRE(c.got.size() == s.frames.size());
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    CHECK(c.got[i].first == static_cast<std::uint8_t>(i));
    CHECK(c.got[i].second == s.frames[i].msg);
  }
}

TEST_CASE("link: sequence numbers wrap, and lost frames are counted across the wrap") {
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (int i = 0; i < 600; ++i) {
    const std::size_t b = wire.size();
    tx.append(Control{ControlOp::kStep, static_cast<std::uint32_t>(i)}, wire);
    spans.emplace_back(b, wire.size());
  }
  CHECK(tx.next_seq() == static_cast<std::uint8_t>(600));
  // Drop frames 250..259 (across seq 255 -> 0) and 400.
  std::vector<std::uint8_t> lossy;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if ((i >= 250 && i < 260) || i == 400) continue;
    lossy.insert(lossy.end(), wire.begin() + static_cast<long>(spans[i].first),
                 wire.begin() + static_cast<long>(spans[i].second));
  }
  Receiver rx;
  Collected c;
  rx.feed(lossy, c);
  CHECK(c.got.size() == 589);
  CHECK(rx.counters().seq_lost == 11);
  CHECK(rx.counters().seq_resync == 0);
}

TEST_CASE("link: a sequence that jumps backwards is a resync, not a loss") {
  Transmitter a, b;
  std::vector<std::uint8_t> wire;
  for (int i = 0; i < 10; ++i) a.append(IdentifyReq{}, wire);
  b.append(IdentifyReq{}, wire);  // a peer that restarted at seq 0
  b.append(IdentifyReq{}, wire);
  Receiver rx;
  Collected c;
  rx.feed(wire, c);
  CHECK(rx.counters().seq_lost == 0);
  CHECK(rx.counters().seq_resync == 1);
  CHECK(c.got.size() == 12);
}

TEST_CASE("link: spike streams split into frames and come back identical") {
  Rng rng(21);
  const auto ev = random_events(rng, 10000, 123456);
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  const std::size_t frames = tx.append_spikes(ev, wire);
  CHECK(frames == tx.frames_sent());
  CHECK(tx.events_sent() == ev.size());
  CHECK(frames >= ev.size() / kMaxSpikeRecords);

  struct All {
    std::vector<SpikeEvent> ev;
    void on_spikes(std::uint64_t, std::span<const SpikeEvent> e, std::uint8_t) { ev.insert(ev.end(), e.begin(), e.end()); }
    void on_message(const Message&, std::uint8_t) { FAIL("only spikes expected"); }
  } all;
  Receiver rx;
  rx.feed(wire, all);
  CHECK(all.ev == ev);
  CHECK(rx.counters().spike_events == ev.size());
}

TEST_CASE("link: board time wraps at 2^32 and host time stays 64-bit and monotonic") {
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  std::vector<SpikeEvent> ev;
  // Straddle two wraps: 2^32 - 100 ... 2^32 + 100, then 2^33 - 5 ... 2^33 + 5.
  const std::uint64_t w1 = std::uint64_t{1} << 32;
  for (std::uint64_t t = w1 - 100; t < w1 + 100; t += 3) ev.push_back({t, 1});
  for (std::uint64_t t = w1 - 100 + 200; t < 2 * w1 + 5; t += 0x3FFFFFFF) ev.push_back({t, 2});
  for (std::uint64_t t = 2 * w1 - 5; t < 2 * w1 + 5; ++t) ev.push_back({t, 3});
  std::sort(ev.begin(), ev.end(), [](auto& a, auto& b) { return a.timestep < b.timestep; });
  tx.append_spikes(ev, wire);

  struct All {
    std::vector<SpikeEvent> ev;
    void on_spikes(std::uint64_t, std::span<const SpikeEvent> e, std::uint8_t) { ev.insert(ev.end(), e.begin(), e.end()); }
    void on_message(const Message&, std::uint8_t) {}
  } all;
  Receiver rx;
  rx.feed(wire, all);
  // The first batch's base is below 2^32, so the unwrapper starts in epoch 0.
  CHECK(all.ev == ev);
}

TEST_CASE("link: the unwrapper takes the nearest 64-bit time") {
  TimeUnwrapper u;
  CHECK(u.unwrap(0xFFFFFFF0u) == 0xFFFFFFF0u);
  CHECK(u.unwrap(0x00000010u) == 0x100000010ull);
  CHECK(u.unwrap(0x7FFFFFFFu) == 0x17FFFFFFFull);
  CHECK(u.unwrap(0x00000020u) == 0x100000020ull);  // backwards but near: same epoch
  CHECK(u.unwrap(0x90000000u) == 0x090000000ull);  // 0x70000020 back is nearer than forward
  CHECK(u.unwrap(0x00000020u) == 0x100000020ull);
  CHECK(u.unwrap(0x7FFFFFF0u) == 0x17FFFFFF0ull);
  CHECK(u.unwrap(0xF0000000u) == 0x1F0000000ull);
  CHECK(u.unwrap(0x10000000u) == 0x210000000ull);
  TimeUnwrapper fresh;
  CHECK(fresh.unwrap(5) == 5);
  CHECK(fresh.unwrap(0xFFFFFFFFu) == 0xFFFFFFFFu);  // not before time 0: forward
}

TEST_CASE("link: a frame with a good CRC but a bad body is counted, not delivered") {
  std::vector<std::uint8_t> wire;
  append_wire_frame(std::vector<std::uint8_t>{0x0A, 0x00, 0x09, 0, 0, 0, 0}, wire);  // unknown control op
  append_wire_frame(std::vector<std::uint8_t>{0x01, 0x01, 0x00}, wire);              // spike body too short
  append_wire_frame(std::vector<std::uint8_t>{0x77, 0x02}, wire);                    // unknown type
  Transmitter tx;
  std::vector<std::uint8_t> good;
  Receiver rx;
  Collected c;
  rx.feed(wire, c);
  CHECK(c.got.empty());
  CHECK(rx.counters().malformed == 3);
  CHECK(rx.counters().framing.frames_ok == 3);
}

TEST_CASE("link: credits never let the host overrun the board, whatever is lost") {
  Rng rng(22);
  for (int trial = 0; trial < 200; ++trial) {
    const auto cap = uniform<std::uint16_t>(rng, 16, 512);
    CreditTracker credits(cap, 4);
    // A board model: a FIFO of `cap` events, processing frames in order.
    std::deque<std::pair<std::uint8_t, std::uint32_t>> link;  // frames in flight to the board
    std::uint32_t fifo = 0;
    std::uint8_t seq = 0;
    std::uint64_t overruns = 0;
    std::optional<Credit> pending_credit;
    for (int step = 0; step < 2000; ++step) {
      // Host sends while credit allows (window of in-flight frames < 128).
      const auto avail = credits.events_available();
      CHECK(avail >= 0);
      if (avail > 0 && !credits.window_full()) {
        const auto n = static_cast<std::uint32_t>(uniform<std::int64_t>(rng, 1, std::min<std::int64_t>(avail, 122)));
        credits.on_sent(seq, n, 0);
        if (uniform<unsigned>(rng, 0, 19) != 0) link.emplace_back(seq, n);  // 5% of frames lost on the way
        ++seq;
      }
      // Board processes up to 2 frames and drains some events.
      for (int k = 0; k < 2 && !link.empty(); ++k) {
        auto [s, n] = link.front();
        link.pop_front();
        if (fifo + n > cap) ++overruns;
        fifo = std::min<std::uint32_t>(cap, fifo + n);
        pending_credit = Credit{s, static_cast<std::uint16_t>(cap - fifo), 4};
      }
      fifo -= std::min<std::uint32_t>(fifo, uniform<std::uint32_t>(rng, 0, 40));
      // The board's credit report arrives (some are lost); it reflects the
      // fifo at the time it is sent.
      if (pending_credit && uniform<unsigned>(rng, 0, 9) < 7) {
        pending_credit->event_free = static_cast<std::uint16_t>(cap - fifo);
        credits.on_credit(*pending_credit);
        pending_credit.reset();
      }
    }
    CHECK(overruns == 0);
  }
}
