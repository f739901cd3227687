// The RTL framer (rtl/link/, through Verilator) and the host codec (host/)
// must agree bit for bit: the same wire bytes from the same frame, the same
// frames and the same counters from the same, possibly damaged, byte stream.
#include <doctest/doctest.h>

#include <string>

#include "common/stream_fixture.hpp"
#include "framer/framer_sim.hpp"
#include "spikelink/framing.hpp"

using namespace spikelink;
using namespace spikelink::testing;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct HostResult {
  std::vector<Bytes> frames;
  FramingCounters counters;
};

HostResult host_decode(std::span<const std::uint8_t> wire, Rng& rng) {
  HostResult r;
  FrameDecoder d;
  std::size_t at = 0;
  while (at < wire.size()) {
    const auto n = std::min(wire.size() - at, uniform<std::size_t>(rng, 1, 512));
    d.feed(wire.subspan(at, n), [&](const RawFrame& f) {
      Bytes b{f.type, f.seq};
      b.insert(b.end(), f.body.begin(), f.body.end());
      r.frames.push_back(std::move(b));
    });
    at += n;
  }
  r.counters = d.counters();
  return r;
}

// Both decoders see the same bytes; RTL bytes arrive in random bursts with
// random idle clocks between bytes, as from a UART at various baud rates.
// The stream ends with an idle 0x00 so that no group stays open into the
// next call (the RTL keeps state across calls; each host decode starts anew).
std::vector<Bytes> check_same_decode(Bytes wire, Rng& rng, sim::FramerSim& rtl) {
  wire.push_back(0);
  const sim::FramerCounters before = rtl.counters();
  std::size_t at = 0;
  while (at < wire.size()) {
    const auto n = std::min(wire.size() - at, uniform<std::size_t>(rng, 1, 300));
    rtl.rx_bytes(std::span(wire).subspan(at, n), uniform<unsigned>(rng, 0, 3));
    at += n;
  }
  const auto rtl_frames = rtl.take_rx_frames();
  const auto host = host_decode(wire, rng);
  const sim::FramerCounters k = rtl.counters();

  REQUIRE(rtl_frames.size() == host.frames.size());
  for (std::size_t i = 0; i < host.frames.size(); ++i) CHECK(rtl_frames[i] == host.frames[i]);
  const auto d = [](std::uint32_t after, std::uint32_t b) { return static_cast<std::uint32_t>(after - b); };
  CHECK(d(k.rx_ok, before.rx_ok) == host.counters.frames_ok);
  CHECK(d(k.rx_crc, before.rx_crc) == host.counters.crc_errors);
  CHECK(d(k.rx_cobs, before.rx_cobs) == host.counters.cobs_errors);
  CHECK(d(k.rx_short, before.rx_short) == host.counters.short_frames);
  CHECK(d(k.rx_long, before.rx_long) == host.counters.long_frames);
  CHECK(d(k.rx_bytes_discarded, before.rx_bytes_discarded) == host.counters.bytes_discarded);
  CHECK(d(k.rx_overflow, before.rx_overflow) == 0);
  return rtl_frames;
}

// Header+body of every frame of a clean stream, in order.
std::vector<Bytes> frames_of(const SentStream& s) {
  std::vector<Bytes> out;
  FrameDecoder d;
  d.feed(s.wire, [&](const RawFrame& f) {
    Bytes b{f.type, f.seq};
    b.insert(b.end(), f.body.begin(), f.body.end());
    out.push_back(std::move(b));
  });
  return out;
}

// True if `got` is an in-order subsequence of `sent`: nothing delivered
// that was not sent, nothing changed.
bool is_subsequence(const std::vector<Bytes>& got, const std::vector<Bytes>& sent) {
  std::size_t j = 0;
  for (const auto& g : got) {
    while (j < sent.size() && sent[j] != g) ++j;
    if (j == sent.size()) return false;
    ++j;
  }
  return true;
}

// A damaged copy of `s.wire`: flips, zeros, insertions, deletions, lost
// delimiters, garbage runs (some over-long), in random places.
Bytes damage(const SentStream& s, Rng& rng, unsigned events) {
  Bytes w = s.wire;
  for (unsigned e = 0; e < events && !w.empty(); ++e) {
    const auto pos = uniform<std::size_t>(rng, 0, w.size() - 1);
    switch (uniform<unsigned>(rng, 0, 6)) {
      case 0: w[pos] ^= static_cast<std::uint8_t>(1u << uniform<unsigned>(rng, 0, 7)); break;
      case 1: w[pos] = 0; break;
      case 2: w.insert(w.begin() + static_cast<long>(pos), uniform<std::uint8_t>(rng, 0, 255)); break;
      case 3: w.erase(w.begin() + static_cast<long>(pos)); break;
      case 4: {
        const auto z = std::find(w.begin() + static_cast<long>(pos), w.end(), 0);
        if (z != w.end()) w.erase(z);
        break;
      }
      case 5: {
        const auto g = random_bytes(rng, uniform<std::size_t>(rng, 1, 80), uniform<unsigned>(rng, 0, 20));
        w.insert(w.begin() + static_cast<long>(pos), g.begin(), g.end());
        break;
      }
      default: {
        const Bytes run(uniform<std::size_t>(rng, 250, 700), uniform<std::uint8_t>(rng, 1, 255));
        w.insert(w.begin() + static_cast<long>(pos), run.begin(), run.end());
        break;
      }
    }
  }
  return w;
}

}  // namespace

TEST_CASE("framer: RTL encoder output equals the host encoder's on 3000 random frames") {
  sim::FramerSim rtl;
  Rng rng(100);
  rtl.set_tx_ready_stall(7, 30);
  std::size_t zero_heavy = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes hb;
    if (i % 3 == 0) {
      // Real messages, as the board would send them.
      Transmitter tx;
      Bytes wire;
      tx.append(random_message(rng, uniform<std::uint64_t>(rng, 0, 1ull << 33)), wire);
      FrameDecoder d;
      d.feed(wire, [&](const RawFrame& f) {
        hb = {f.type, f.seq};
        hb.insert(hb.end(), f.body.begin(), f.body.end());
      });
    } else {
      const unsigned zeros = i % 7 == 0 ? 0 : uniform<unsigned>(rng, 0, 90);
      if (zeros > 50) ++zero_heavy;
      hb = random_bytes(rng, uniform<std::size_t>(rng, 2, 250), zeros);
    }
    Bytes expect;
    append_wire_frame(hb, expect);
    const Bytes got = rtl.tx_frame(hb);
    REQUIRE_MESSAGE(got == expect, "frame ", i, " of ", hb.size(), " bytes");
  }
  CHECK(zero_heavy > 100);
  CHECK(rtl.counters().tx_frames == 3000);
  CHECK(rtl.counters().tx_dropped_long == 0);
}

TEST_CASE("framer: frames of every length 2..250, all-zero and all-non-zero, encode identically") {
  sim::FramerSim rtl;
  for (std::size_t n = 2; n <= 250; ++n) {
    for (std::uint8_t fill : {std::uint8_t{0}, std::uint8_t{0x5A}}) {
      const Bytes hb(n, fill);
      Bytes expect;
      append_wire_frame(hb, expect);
      CHECK(rtl.tx_frame(hb) == expect);
    }
  }
}

TEST_CASE("framer: an over-long frame is refused by both sides") {
  sim::FramerSim rtl;
  const Bytes big(251, 0x11);
  Bytes wire;
  CHECK_THROWS(append_wire_frame(big, wire));
  CHECK(rtl.tx_frame(big).empty());
  CHECK(rtl.counters().tx_dropped_long == 1);
  // and the encoder still works afterwards
  Bytes expect;
  append_wire_frame(Bytes{0x02, 0x07}, expect);
  CHECK(rtl.tx_frame(Bytes{0x02, 0x07}) == expect);
}

TEST_CASE("framer: clean streams decode to the same frames in RTL and host") {
  sim::FramerSim rtl;
  Rng rng(101);
  for (int round = 0; round < 8; ++round) {
    const SentStream s = make_stream(rng, 250);
    check_same_decode(s.wire, rng, rtl);
  }
  CHECK(rtl.counters().rx_ok == 2000);
}

TEST_CASE("framer: damaged streams give the same frames and the same counters in RTL and host") {
  sim::FramerSim rtl;
  Rng rng(102);
  std::uint64_t frames_total = 0;
  for (int round = 0; round < 24; ++round) {
    const SentStream s = make_stream(rng, 200);
    const Bytes w = damage(s, rng, uniform<unsigned>(rng, 1, 40));
    const auto got = check_same_decode(w, rng, rtl);
    frames_total += s.frames.size();
    CHECK(is_subsequence(got, frames_of(s)));
  }
  const auto k = rtl.counters();
  CHECK(k.rx_ok > frames_total / 2);
  CHECK(k.rx_crc > 0);
  CHECK(k.rx_cobs > 0);
  CHECK(k.rx_long > 0);
  CHECK(k.rx_short > 0);
}

TEST_CASE("framer: pure garbage gives the same counters in RTL and host") {
  sim::FramerSim rtl;
  Rng rng(103);
  for (int round = 0; round < 10; ++round) {
    const Bytes g = random_bytes(rng, 20000, uniform<unsigned>(rng, 0, 30));
    check_same_decode(g, rng, rtl);
  }
}

TEST_CASE("framer: with the consumer stalling half the time, nothing is lost or changed") {
  sim::FramerSim rtl;
  rtl.set_rx_ready_stall(5, 50);
  Rng rng(104);
  // A wire byte every 4 clocks (a UART gives one every 10 or more) against
  // a consumer that takes one on half the clocks: the consumer keeps up on
  // average and the 512-byte receive ring absorbs its stalls.
  const SentStream s = make_stream(rng, 200);
  rtl.rx_bytes(s.wire, 3);
  const auto got = rtl.take_rx_frames();
  const auto host = host_decode(s.wire, rng);
  CHECK(got == host.frames);
  CHECK(rtl.counters().rx_overflow == 0);
}

TEST_CASE("framer: a stalled consumer makes the RTL count overflows, and the host sees them as lost frames") {
  sim::FramerSim rtl;
  rtl.set_rx_ready_stall(1, 100);
  Rng rng(105);
  const SentStream s = make_stream(rng, 40);
  rtl.rx_bytes(s.wire, 0);
  rtl.set_rx_ready_stall(1, 0);
  rtl.rx_bytes({}, 0);
  const auto got = rtl.take_rx_frames();
  const auto k = rtl.counters();

  // What was delivered is a subsequence of what was sent; every other frame
  // is counted as an overflow with all of its bytes.
  std::size_t next = 0;
  std::size_t dropped_bytes = 0;
  Bytes delivered_wire;
  for (const auto& f : s.frames) {
    const auto hb = [&] {
      Bytes b;
      FrameDecoder d;
      d.feed(std::span(s.wire).subspan(f.wire_begin, f.wire_end - f.wire_begin), [&](const RawFrame& r) {
        b = {r.type, r.seq};
        b.insert(b.end(), r.body.begin(), r.body.end());
      });
      return b;
    }();
    if (next < got.size() && got[next] == hb) {
      ++next;
      delivered_wire.insert(delivered_wire.end(), s.wire.begin() + static_cast<long>(f.wire_begin),
                            s.wire.begin() + static_cast<long>(f.wire_end));
    } else {
      dropped_bytes += f.wire_end - f.wire_begin - 1;
    }
  }
  CHECK(next == got.size());
  CHECK(got.size() >= 2);
  CHECK(got.size() < s.frames.size());  // 40 frames do not fit 512 bytes
  CHECK(k.rx_ok == got.size());
  CHECK(k.rx_overflow == s.frames.size() - got.size());
  CHECK(k.rx_bytes_discarded == dropped_bytes);

  // The host link layer above sees exactly those losses in the sequence
  // numbers (all but a loss at the very end, which nothing follows).
  Receiver rx;
  Collected c;
  rx.feed(delivered_wire, c);
  CHECK(c.got.size() == got.size());
  std::size_t last_kept = 0;
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    if (std::any_of(c.got.begin(), c.got.end(), [&](const auto& g) { return g.first == s.frames[i].seq; })) last_kept = i;
  }
  const std::size_t first_kept = c.got.front().first;
  CHECK(rx.counters().seq_lost == (last_kept - first_kept + 1) - got.size());
}
