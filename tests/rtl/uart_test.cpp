// The UART PHY (rtl/link/spl_uart_rx.sv, spl_uart_tx.sv) in tests/rtl/
// uart_tb_top.sv, verilated at 4, 8 and 16 clocks per bit: loopback, exact
// transmitter timing, baud mismatch, glitches, framing errors, line noise.
#include <doctest/doctest.h>

#include <Vuart_tb_top_c16.h>
#include <Vuart_tb_top_c4.h>
#include <Vuart_tb_top_c8.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "common/harness.hpp"

namespace spikelink::rtl_test {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Line = std::vector<std::uint8_t>;  // the line level, one entry per clock

template <class Top, std::size_t kClksPerBit>
class UartBench {
 public:
  static constexpr std::size_t kClks = kClksPerBit;

  UartBench() {
    Top& t = h_.top();
    t.rst_ni = 0;
    t.clk_i = 0;
    t.loop_i = 0;
    t.line_i = 1;
    t.tx_valid_i = 0;
    t.tx_data_i = 0;
    h_.eval();
    h_.tick();
    h_.tick();
    t.rst_ni = 1;
    h_.tick();
  }

  // Drives line_i with `line`, one level per clock; collects what arrives.
  void drive(const Line& line) {
    Top& t = h_.top();
    t.loop_i = 0;
    for (const std::uint8_t level : line) {
      t.line_i = level;
      h_.tick();
      collect();
    }
  }
  void idle(std::size_t clocks) { drive(Line(clocks, 1)); }

  // Sends `bytes` through the transmitter into the receiver; valid is
  // offered on a clock with probability `offer` (1: back to back). Records
  // the transmitter's line, one level per clock.
  void loopback(const Bytes& bytes, double offer = 1.0, unsigned seed = 1) {
    Top& t = h_.top();
    t.loop_i = 1;
    std::mt19937 rng(seed);
    std::bernoulli_distribution offer_now(offer);
    std::size_t next = 0;
    const std::size_t tail = 30 * kClks;  // the last byte's frame, and idle
    std::size_t drained = 0;
    while (drained < tail) {
      if (next < bytes.size()) {
        t.tx_valid_i = offer_now(rng) ? 1 : 0;
        t.tx_data_i = bytes[next];
      } else {
        t.tx_valid_i = 0;
        ++drained;
      }
      bool taken = false;
      h_.tick([&] { taken = t.tx_valid_i && t.tx_ready_o; });
      if (taken) ++next;
      tx_line.push_back(t.tx_o);
      collect();
    }
  }

  Bytes received;
  unsigned errors = 0;
  bool both_at_once = false;
  Line tx_line;

 private:
  void collect() {
    const Top& t = h_.top();
    if (t.rx_valid_o) received.push_back(t.rx_data_o);
    if (t.rx_err_o) ++errors;
    if (t.rx_valid_o && t.rx_err_o) both_at_once = true;
  }

  sim::Harness<Top> h_{"uart tb"};
};

Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, 255);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(d(rng));
  return b;
}

// A frame's ten bit levels: start, data LSB first, stop.
std::array<std::uint8_t, 10> frame_bits(std::uint8_t byte, bool stop = true) {
  std::array<std::uint8_t, 10> bits{};
  bits[0] = 0;
  for (int i = 0; i < 8; ++i) bits[static_cast<std::size_t>(i + 1)] = (byte >> i) & 1;
  bits[9] = stop ? 1 : 0;
  return bits;
}

// An ideal transmitter whose bit lasts `clks_per_bit` clocks (fractional:
// a transmitter running at another baud), bytes back to back, after `lead`
// idle clocks and at the fractional phase `phase` (0..1) of a clock.
Line serialise(const Bytes& bytes, double clks_per_bit, std::size_t lead = 20, double phase = 0.0,
               const std::vector<bool>& bad_stop = {}) {
  Line line(lead, 1);
  std::vector<std::uint8_t> bits;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto f = frame_bits(bytes[i], i >= bad_stop.size() || !bad_stop[i]);
    bits.insert(bits.end(), f.begin(), f.end());
  }
  const auto clocks = static_cast<std::size_t>(std::ceil(static_cast<double>(bits.size()) * clks_per_bit + phase));
  for (std::size_t n = 0; n < clocks; ++n) {
    // The level the receiver's flop sees at this clock's edge.
    const double t = static_cast<double>(n) + phase;
    const auto bit = static_cast<std::size_t>(t / clks_per_bit);
    line.push_back(bit < bits.size() ? bits[bit] : 1);
  }
  return line;
}

// The line an exact transmitter of `clks` clocks per bit must produce for
// `bytes` back to back, from its first start bit on.
Line ideal_line(const Bytes& bytes, std::size_t clks) {
  Line line;
  for (const auto b : bytes) {
    for (const auto bit : frame_bits(b)) line.insert(line.end(), clks, bit);
  }
  return line;
}


// Decodes a line sampled once per clock by an exact receiver of `clks`
// clocks per bit: every bit must hold its level for all its clocks and
// every stop bit must be high. `ok` turns false on the first violation.
Bytes decode_exact(const Line& line, std::size_t clks, bool& ok) {
  Bytes out;
  ok = true;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] != 0) {
      ++i;
      continue;
    }
    if (i + 10 * clks > line.size()) {
      ok = false;  // a frame cut short
      break;
    }
    std::uint8_t byte = 0;
    for (std::size_t bit = 0; bit < 10; ++bit) {
      const std::uint8_t level = line[i + bit * clks];
      for (std::size_t k = 0; k < clks; ++k) {
        if (line[i + bit * clks + k] != level) ok = false;
      }
      if (bit == 0 && level != 0) ok = false;
      if (bit >= 1 && bit <= 8) byte = static_cast<std::uint8_t>(byte | (level << (bit - 1)));
      if (bit == 9 && level != 1) ok = false;
    }
    out.push_back(byte);
    i += 10 * clks;
  }
  return out;
}

using U4 = UartBench<Vuart_tb_top_c4, 4>;
using U8 = UartBench<Vuart_tb_top_c8, 8>;
using U16 = UartBench<Vuart_tb_top_c16, 16>;

template <class U>
void loopback_back_to_back() {
  CAPTURE(U::kClks);
  U u;
  const Bytes bytes = random_bytes(1000, static_cast<unsigned>(U::kClks));
  u.loopback(bytes);
  CHECK(u.received == bytes);
  CHECK(u.errors == 0);
  CHECK_FALSE(u.both_at_once);
  // The line idles high, then carries exactly the ideal frames, one stop
  // bit each and no clock between them, then idles high again.
  const auto first = std::find(u.tx_line.begin(), u.tx_line.end(), std::uint8_t{0});
  REQUIRE(first != u.tx_line.end());
  const Line got(first, u.tx_line.end());
  Line want = ideal_line(bytes, U::kClks);
  REQUIRE(got.size() >= want.size());
  want.resize(got.size(), 1);
  CHECK(got == want);
}

template <class U>
void loopback_with_gaps() {
  CAPTURE(U::kClks);
  U u;
  const Bytes bytes = random_bytes(300, static_cast<unsigned>(100 + U::kClks));
  u.loopback(bytes, 0.02, 5);
  CHECK(u.received == bytes);
  CHECK(u.errors == 0);
  bool ok = false;
  CHECK(decode_exact(u.tx_line, U::kClks, ok) == bytes);
  CHECK(ok);
}

template <class U>
void glitches_ignored() {
  CAPTURE(U::kClks);
  U u;
  std::mt19937 rng(static_cast<unsigned>(U::kClks));
  const std::size_t c = U::kClks;
  // Isolated low pulses of 1 .. c/2 clocks (up to half a bit), a bit time
  // or more apart (closer pulses add up to a start bit).
  std::uniform_int_distribution<std::size_t> len(1, c / 2);
  std::uniform_int_distribution<std::size_t> gap(c, 3 * c);
  const Bytes bytes = random_bytes(100, 3);
  Line line(10, 1);
  for (const auto b : bytes) {
    for (int g = 0; g < 5; ++g) {
      line.insert(line.end(), len(rng), 0);
      line.insert(line.end(), gap(rng), 1);
    }
    // A real byte a bit time after the last glitch.
    line.insert(line.end(), c, 1);
    for (const auto bit : frame_bits(b)) line.insert(line.end(), c, bit);
  }
  u.drive(line);
  u.idle(2 * c);
  CHECK(u.received == bytes);
  CHECK(u.errors == 0);
}

template <class U>
void framing_errors() {
  CAPTURE(U::kClks);
  U u;
  std::mt19937 rng(static_cast<unsigned>(U::kClks) + 11);
  std::bernoulli_distribution bad(0.3);
  const std::size_t c = U::kClks;
  std::uniform_int_distribution<std::size_t> gap(1, 2 * c);
  const Bytes bytes = random_bytes(400, 17);
  Bytes good;
  unsigned bad_count = 0;
  Line line(10, 1);
  for (const auto b : bytes) {
    const bool is_bad = bad(rng);
    for (const auto bit : frame_bits(b, !is_bad)) line.insert(line.end(), c, bit);
    if (is_bad) {
      ++bad_count;
      // The line must return high before the receiver hunts again.
      line.insert(line.end(), gap(rng), 1);
    } else {
      good.push_back(b);
    }
  }
  u.drive(line);
  u.idle(2 * c);
  CHECK(bad_count > 50);
  CHECK(u.errors == bad_count);
  CHECK(u.received == good);
  CHECK_FALSE(u.both_at_once);

  // A break (line low for many bit times) is one framing error, and the
  // byte after it arrives.
  const unsigned before = u.errors;
  u.drive(Line(50 * c, 0));
  u.idle(c);
  u.drive(serialise(Bytes{0x5A}, static_cast<double>(c), 0));
  u.idle(2 * c);
  CHECK(u.errors == before + 1);
  REQUIRE_FALSE(u.received.empty());
  CHECK(u.received.back() == 0x5A);
  CHECK(u.received.size() == good.size() + 1);
}

}  // namespace

TEST_CASE("uart: loopback of random bytes back to back at 4, 8 and 16 clocks per bit") {
  loopback_back_to_back<U4>();
  loopback_back_to_back<U8>();
  loopback_back_to_back<U16>();
}

TEST_CASE("uart: transmitter with gaps between bytes idles high and frames exactly") {
  loopback_with_gaps<U4>();
  loopback_with_gaps<U8>();
  loopback_with_gaps<U16>();
}

TEST_CASE("uart: receiver tolerates a 2 percent baud mismatch at 8 clocks per bit") {
  const Bytes bytes = random_bytes(1000, 23);
  for (const double ratio : {0.98, 1.02}) {
    for (const double phase : {0.0, 0.3, 0.7}) {
      CAPTURE(ratio);
      CAPTURE(phase);
      U8 u;
      // A sender at ratio × the receiver's baud: bits of 8 / ratio clocks.
      u.drive(serialise(bytes, 8.0 / ratio, 20, phase));
      u.idle(40);
      CHECK(u.received == bytes);
      CHECK(u.errors == 0);
    }
  }
}

TEST_CASE("uart: a 10 percent baud mismatch gives errors, not silence") {
  // The test above must be able to fail: far outside the tolerance the
  // receiver reads garbage.
  const Bytes bytes = random_bytes(300, 29);
  U8 u;
  u.drive(serialise(bytes, 8.0 / 1.10));
  u.idle(40);
  CHECK(u.received != bytes);
}

TEST_CASE("uart: low pulses up to half a bit are ignored as glitches") {
  glitches_ignored<U4>();
  glitches_ignored<U8>();
  glitches_ignored<U16>();
}

TEST_CASE("uart: a byte with a low stop bit is dropped and counted, the next byte arrives") {
  framing_errors<U4>();
  framing_errors<U8>();
  framing_errors<U16>();
}

TEST_CASE("uart: one-clock spikes inside bits are outvoted by the majority") {
  std::mt19937 rng(31);
  std::bernoulli_distribution hit(0.5);
  const Bytes bytes = random_bytes(500, 37);
  auto run = [&](auto u, std::size_t c) {
    CAPTURE(c);
    Line line = serialise(bytes, static_cast<double>(c));
    // At most one flipped clock per bit, anywhere in the bit.
    std::uniform_int_distribution<std::size_t> where(0, c - 1);
    const std::size_t lead = 20;
    unsigned flips = 0;
    for (std::size_t bit = 0; bit < bytes.size() * 10; ++bit) {
      if (!hit(rng)) continue;
      const std::size_t at = lead + bit * c + where(rng);
      line[at] ^= 1;
      ++flips;
    }
    u.drive(line);
    u.idle(2 * c);
    CHECK(flips > 2000);
    CHECK(u.received == bytes);
    CHECK(u.errors == 0);
  };
  run(U8{}, 8);
  run(U16{}, 16);
}

TEST_CASE("uart: after a burst of line noise the receiver recovers within a frame time") {
  auto run = [](auto u, std::size_t c) {
    CAPTURE(c);
    std::mt19937 rng(static_cast<unsigned>(41 + c));
    std::uniform_int_distribution<std::size_t> run_len(1, 2 * c);
    Line noise;
    std::uint8_t level = 0;
    while (noise.size() < 5000) {
      noise.insert(noise.end(), run_len(rng), level);
      level ^= 1;
    }
    u.drive(noise);
    // Noise decodes to something: bytes, errors or both.
    CHECK(u.received.size() + u.errors > 0);
    // A frame time of idle ends whatever the receiver was in.
    u.idle(11 * c);
    const std::size_t before = u.received.size();
    const unsigned errors_before = u.errors;
    const Bytes bytes = random_bytes(200, 43);
    u.drive(serialise(bytes, static_cast<double>(c), 0));
    u.idle(2 * c);
    CHECK(Bytes(u.received.begin() + static_cast<std::ptrdiff_t>(before), u.received.end()) == bytes);
    CHECK(u.errors == errors_before);
  };
  run(U4{}, 4);
  run(U8{}, 8);
  run(U16{}, 16);
}

}  // namespace spikelink::rtl_test
