#include <doctest/doctest.h>

#include <deque>
#include <tuple>

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
    CreditTracker credits;
    CHECK(credits.events_available() == 0);
    CHECK(credits.commands_available() == 1);
    // A board model: a FIFO of `cap` events, processing frames in order.
    std::deque<std::pair<std::uint8_t, std::uint32_t>> link;  // frames in flight to the board
    // The board holds events from an earlier session: IDENTIFY's capacity
    // is not free space.
    std::uint32_t fifo = uniform<std::uint32_t>(rng, 0, cap);
    std::uint8_t seq = 0;
    std::uint64_t overruns = 0;
    std::optional<Credit> pending_credit;
    credits.on_sent(seq, 0, 1);  // IDENTIFY_REQ
    link.emplace_back(seq++, 0);
    for (int step = 0; step < 2000; ++step) {
      const auto avail = credits.events_available();
      CHECK(avail >= 0);
      CHECK(credits.commands_available() >= 0);
      if (avail > 0 && !credits.window_full()) {
        const auto n = static_cast<std::uint32_t>(uniform<std::int64_t>(rng, 1, std::min<std::int64_t>(avail, 122)));
        credits.on_sent(seq, n, 0);
        if (uniform<unsigned>(rng, 0, 19) != 0) link.emplace_back(seq, n);  // 5% of frames lost on the way
        ++seq;
      } else if (link.empty() && credits.in_flight() > 0 && credits.probe_allowed()) {
        credits.on_sent(seq, 0, 0);  // credit probe after a quiet spell
        link.emplace_back(seq++, 0);
      }
      // Board processes up to 2 frames and drains some events.
      for (int k = 0; k < 2 && !link.empty(); ++k) {
        auto [s, n] = link.front();
        link.pop_front();
        if (fifo + n > cap) ++overruns;
        fifo = std::min<std::uint32_t>(cap, fifo + n);
        pending_credit = Credit{s, 0, 2};
      }
      fifo -= std::min<std::uint32_t>(fifo, uniform<std::uint32_t>(rng, 0, 40));
      // The board's report (some are lost) gives its free space when sent.
      if (pending_credit && uniform<unsigned>(rng, 0, 9) < 7) {
        pending_credit->event_free = static_cast<std::uint16_t>(cap - fifo);
        credits.on_credit(*pending_credit);
        pending_credit.reset();
      }
    }
    CHECK(overruns == 0);
    CHECK(credits.has_report());
  }
}

TEST_CASE("link: when every frame in flight is lost, a credit probe reopens the window") {
  CreditTracker credits;
  credits.on_sent(0, 0, 1);
  credits.on_credit(Credit{0, 1000, 2});
  REQUIRE(credits.events_available() == 1000);
  std::uint8_t seq = 1;
  while (!credits.window_full()) credits.on_sent(seq++, 5, 0);  // all lost
  CHECK(credits.in_flight() == kMaxInFlightFrames - 1);
  CHECK(credits.events_available() == 1000 - 5 * static_cast<std::int64_t>(kMaxInFlightFrames - 1));
  // The board keeps reporting the last frame it saw: nothing changes.
  credits.on_credit(Credit{0, 1000, 2});
  CHECK(credits.window_full());
  REQUIRE(credits.probe_allowed());
  credits.on_sent(seq, 0, 0);
  CHECK_FALSE(credits.probe_allowed());
  credits.on_credit(Credit{seq, 1000, 2});  // the board names the probe
  CHECK(credits.in_flight() == 0);
  CHECK(credits.events_available() == 1000);
  CHECK_FALSE(credits.window_full());
}

TEST_CASE("link: command credits follow the same accounting") {
  CreditTracker credits;
  CHECK(credits.commands_available() == 1);
  credits.on_sent(0, 0, 1);
  CHECK(credits.commands_available() == 0);
  credits.on_credit(Credit{0, 0, 2});
  CHECK(credits.commands_available() == 2);
  credits.on_sent(1, 0, 1);
  credits.on_sent(2, 10, 0);
  credits.on_sent(3, 0, 1);
  CHECK(credits.commands_available() == 0);
  credits.on_credit(Credit{1, 100, 1});  // frame 1 processed, its command still queued
  CHECK(credits.commands_available() == 0);
  CHECK(credits.events_available() == 90);
  credits.on_credit(Credit{3, 100, 2});
  CHECK(credits.commands_available() == 2);
  CHECK(credits.events_available() == 100);
}

TEST_CASE("link: sequence gaps of 127 are losses, 128 and more are resyncs") {
  const auto frame = [](std::uint8_t seq) {
    std::vector<std::uint8_t> w;
    append_wire_frame(std::vector<std::uint8_t>{0x02, seq}, w);
    return w;
  };
  for (const auto& [next, lost, resync] :
       std::vector<std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>>{{128, 127, 0}, {129, 0, 1}, {0, 0, 1}, {2, 1, 0}}) {
    Receiver rx;
    Collected c;
    rx.feed(frame(0), c);
    rx.feed(frame(next), c);
    CAPTURE(int{next});
    CHECK(rx.counters().seq_lost == lost);
    CHECK(rx.counters().seq_resync == resync);
  }
}

TEST_CASE("link: a difference of exactly 2^31 unwraps backwards") {
  TimeUnwrapper u;
  CHECK(u.unwrap(0x80000000u) == 0x80000000ull);
  CHECK(u.unwrap(0x00000000u) == 0x00000000ull);
  CHECK(u.unwrap(0x7FFFFFFFu) == 0x7FFFFFFFull);
  CHECK(u.unwrap(0xFFFFFFFFu) == 0x0FFFFFFFFull);  // d = 2^31: backwards would be below 0
}

TEST_CASE("link: a host's receiver counts frames only a host may send as malformed") {
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  tx.append(RegWrite{{{1, 2}}}, wire);
  tx.append(Ack{0, FrameType::kRegWrite, Status::kOk}, wire);
  tx.append(SpikeBatch{5, {{5, 1}}}, wire);
  tx.append(Control{ControlOp::kStop, 0}, wire);
  Receiver from_board(Sender::kBoard);
  Collected c;
  from_board.feed(wire, c);
  CHECK(c.got.size() == 2);
  CHECK(from_board.counters().malformed == 2);
  Receiver from_host(Sender::kHost);
  Collected h;
  from_host.feed(wire, h);
  CHECK(h.got.size() == 3);
  CHECK(from_host.counters().malformed == 1);
}
