// The FTDI layer (baud divisors, status bytes, requests) against the
// simulated FT2232H on a loopback board, and what can be checked of the
// libusb device without a board.
#include <doctest/doctest.h>
#include <libusb.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/loopback_port.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/ftdi.hpp"
#include "spikelink/usb.hpp"

namespace spikelink::usb::detail {
// host/src/usb_libusb.cpp: the message and kind for a libusb error code.
Error libusb_error(int code, const std::string& action, const std::string& device);
}  // namespace spikelink::usb::detail

using namespace spikelink;
using namespace std::chrono_literals;
using testing::LoopbackPort;

namespace {

constexpr std::uint64_t kClockHz = 24'000'000;

struct Rig {
  explicit Rig(std::uint64_t clocks_per_byte = 8, std::uint64_t delay = 16)
      : port(kClockHz, clocks_per_byte, delay), model(port), ch(model, ftdi::Port::kB) {}
  LoopbackPort port;
  sim::Ft2232hModel model;
  ftdi::Channel ch;
};

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed = 1) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * 7 + seed * 13 + (i >> 8)) & 0xFF);
  return v;
}

// Reads until `n` bytes came or `max_reads` transfers passed.
std::vector<std::uint8_t> read_n(ftdi::Channel& ch, std::size_t n, int max_reads = 1000) {
  std::vector<std::uint8_t> got;
  for (int i = 0; i < max_reads && got.size() < n; ++i) ch.read(got, 100ms);
  return got;
}

usb::ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const usb::Error& e) {
    return e.kind();
  }
  FAIL("no usb::Error thrown");
  return usb::ErrorKind::kIo;
}

}  // namespace

TEST_CASE("ftdi: baud divisors of 3, 12 and 1 Mbaud and 115200 are the hand-computed ones") {
  // 12 MHz / 4: n = 4, no eighths, 12 MHz select (wIndex bit 9), channel B.
  ftdi::BaudSetting s = ftdi::baud_setting(3'000'000, ftdi::Port::kB);
  CHECK(s.value == 0x0004);
  CHECK(s.index == 0x0202);
  CHECK(s.actual == 3'000'000.0);
  // Code 0: divide by 1.
  s = ftdi::baud_setting(12'000'000, ftdi::Port::kB);
  CHECK(s.value == 0x0000);
  CHECK(s.index == 0x0202);
  CHECK(s.actual == 12'000'000.0);
  s = ftdi::baud_setting(1'000'000, ftdi::Port::kA);
  CHECK(s.value == 0x000C);
  CHECK(s.index == 0x0201);
  CHECK(s.actual == 1'000'000.0);
  // 12e6 / 115200 = 104.17 -> 104 + 1/8 (833 eighths); 1/8 is code 3:
  // bits 14 and 15 of wValue. 96e6 / 833 = 115246.1 baud (+0.04 %).
  s = ftdi::baud_setting(115200, ftdi::Port::kB);
  CHECK(s.value == (104 | (3 << 14)));
  CHECK(s.value == 0xC068);
  CHECK(s.index == 0x0202);
  CHECK(s.actual == doctest::Approx(96e6 / 833).epsilon(1e-12));
  // Code 1: divide by 1.5.
  s = ftdi::baud_setting(8'000'000, ftdi::Port::kB);
  CHECK(s.value == 0x0001);
  CHECK(s.actual == 8'000'000.0);
}

TEST_CASE("ftdi: the eighths code's third bit goes to wIndex, and slow rates use the 3 MHz reference") {
  // 12e6 / (2 + 3/8) = 5052631.6: 3/8 is code 4 = 0b100, its bit 2 in wIndex bit 8.
  ftdi::BaudSetting s = ftdi::baud_setting(5'052'632, ftdi::Port::kB);
  CHECK(s.value == 0x0002);
  CHECK(s.index == 0x0302);
  CHECK(s.actual == doctest::Approx(12e6 * 8 / 19).epsilon(1e-12));
  // 300 baud is below 12 MHz / 16383.875 (732 baud): 3 MHz / 10000, wIndex bit 9 clear.
  s = ftdi::baud_setting(300, ftdi::Port::kB);
  CHECK(s.value == 10000);
  CHECK(s.index == 0x0002);
  CHECK(s.actual == 300.0);
}

TEST_CASE("ftdi: rates the chip cannot make within 3 % are refused") {
  CHECK_THROWS_AS(ftdi::baud_setting(10'000'000, ftdi::Port::kB), std::invalid_argument);  // 8 M and 12 M are 20 % off
  CHECK_THROWS_AS(ftdi::baud_setting(7'000'000, ftdi::Port::kB), std::invalid_argument);   // 6 M and 8 M are 14 % off
  CHECK_THROWS_AS(ftdi::baud_setting(13'000'000, ftdi::Port::kB), std::invalid_argument);
  CHECK_THROWS_AS(ftdi::baud_setting(150, ftdi::Port::kB), std::invalid_argument);  // below 3 MHz / 16383.875
  CHECK_THROWS_AS(ftdi::baud_setting(0, ftdi::Port::kB), std::invalid_argument);
  CHECK_THROWS_AS(ftdi::baud_setting(-9600, ftdi::Port::kB), std::invalid_argument);
  CHECK_NOTHROW(ftdi::baud_setting(12'300'000, ftdi::Port::kB));  // 2.4 % off 12 M
  try {
    ftdi::baud_setting(10'000'000, ftdi::Port::kB);
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("not possible") != std::string::npos);
  }
}

TEST_CASE("ftdi: the model decodes every divisor to the rate the host layer computed") {
  Rig r;
  for (double baud : {12e6, 8e6, 6e6, 5052632.0, 4e6, 3e6, 2e6, 1.5e6, 1e6, 921600.0, 460800.0, 230400.0, 115200.0,
                      57600.0, 38400.0, 19200.0, 9600.0, 4800.0, 1200.0, 733.0, 731.0, 300.0, 185.0}) {
    CAPTURE(baud);
    const double actual = r.ch.set_baud(baud);
    REQUIRE(!r.port.bauds().empty());
    CHECK(r.port.bauds().back() == doctest::Approx(actual).epsilon(1e-12));
    CHECK(std::abs(actual - baud) / baud <= 0.03);
  }
}

TEST_CASE("ftdi: open_uart resets, purges and sets latency, UART mode, 8N1, no flow control and the baud") {
  Rig r;
  r.port.inject(pattern(100));
  r.model.run_for(1000);
  r.model.control_out(ftdi::req::kSetData, 0x0107, ftdi::index_of(ftdi::Port::kB));  // 7O1, to be undone
  REQUIRE(r.model.rx_buffered() == 100);
  CHECK(r.ch.open_uart(3'000'000, 2) == 3'000'000.0);
  const auto st = r.model.channel_state(2);
  CHECK(st.latency_ms == 2);
  CHECK(st.bitmode == 0);
  CHECK(st.data == ftdi::kData8N1);
  CHECK(st.flow == 0);
  CHECK(st.baud == 3'000'000.0);
  CHECK(r.port.bauds().back() == 3'000'000.0);
  CHECK(r.model.rx_buffered() == 0);
  CHECK(r.ch.latency_timer() == 2);
  CHECK(r.ch.baud() == 3'000'000.0);
  CHECK_THROWS_AS(r.ch.open_uart(3'000'000, 0), std::invalid_argument);
  CHECK_THROWS_AS(r.ch.open_uart(3'000'000, 256), std::invalid_argument);
}

TEST_CASE("ft2232h model: a packet goes out when 510 bytes are buffered, and a short packet ends the transfer") {
  struct Case {
    std::size_t payload;
    std::size_t buffer;
    std::vector<std::size_t> packets;  // sizes of the packets of the one transfer
  };
  for (const Case& c : {Case{509, 4096, {511}}, Case{510, 4096, {512, 2}}, Case{510, 512, {512}},
                        Case{511, 4096, {512, 3}}, Case{1020, 4096, {512, 512, 2}}, Case{1021, 4096, {512, 512, 3}},
                        Case{1021, 1024, {512, 512}}}) {
    CAPTURE(c.payload);
    CAPTURE(c.buffer);
    LoopbackPort port(kClockHz, 1, 1);
    sim::Ft2232hModel model(port);
    const auto data = pattern(c.payload);
    port.inject(data);
    model.run_for(c.payload + 10);
    REQUIRE(model.rx_buffered() == c.payload);
    std::vector<std::uint8_t> buf(c.buffer);
    const std::size_t n = model.bulk_read(0x83, buf, 100ms);
    std::size_t expect = 0;
    for (std::size_t p : c.packets) expect += p;
    REQUIRE(n == expect);
    std::size_t off = 0;
    std::size_t k = 0;
    for (std::size_t p : c.packets) {
      CHECK(buf[off] == 0x01);  // modem status: low nibble 1, no lines asserted
      CHECK(buf[off + 1] == 0x60);  // line status: THRE | TEMT
      for (std::size_t i = off + 2; i < off + p; ++i, ++k) REQUIRE(buf[i] == data[k]);
      off += p;
    }
  }
}

TEST_CASE("ftdi: status bytes are stripped at every packet boundary") {
  for (std::size_t payload : {509u, 510u, 511u, 1020u, 1021u, 4000u}) {
    CAPTURE(payload);
    Rig r(1, 1);
    r.ch.open_uart(12'000'000, 16);
    const auto data = pattern(payload, static_cast<unsigned>(payload));
    r.port.inject(data);
    const auto got = read_n(r.ch, payload, 20);
    CHECK(got == data);
    const auto c = r.ch.counters();
    CHECK(c.bytes_read == payload);
    CHECK(c.overrun_errors == 0);
    CHECK(c.runt_packets == 0);
    // Every 510 data bytes make a full packet; the rest, if any, a short one.
    CHECK(c.packets - c.status_only_packets >= (payload + 509) / 510);
  }
}

TEST_CASE("ftdi: 4000 bytes written come back through the loopback board intact") {
  Rig r(8, 100);
  r.ch.open_uart(3'000'000, 2);
  const auto data = pattern(4000, 5);
  r.ch.write(data);
  const auto got = read_n(r.ch, data.size());
  CHECK(got == data);
  CHECK(r.port.received() == data);
  const auto mc = r.model.counters();
  CHECK(mc.bytes_from_host == 4000);
  CHECK(mc.bytes_to_board == 4000);
  CHECK(mc.bytes_to_host == 4000);
  CHECK(mc.overrun_bytes == 0);
  CHECK(r.ch.counters().bytes_written == 4000);
}

TEST_CASE("ftdi: idle reads give status-only packets and no data, one latency period each") {
  Rig r;
  r.ch.open_uart(3'000'000, 5);
  const std::uint64_t period = kClockHz * 5 / 1000;
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t before = r.model.cycles();
    std::vector<std::uint8_t> out;
    CHECK(r.ch.read(out, 100ms) == 0);
    CHECK(out.empty());
    CHECK(r.model.cycles() - before == period);
  }
  const auto c = r.ch.counters();
  CHECK(c.packets == 3);
  CHECK(c.status_only_packets == 3);
  CHECK(c.transfers == 3);
  CHECK(r.ch.modem_status().modem == 0x01);
  CHECK(r.ch.modem_status().line == 0x60);
  CHECK(r.model.counters().latency_flushes == 3);
}

TEST_CASE("ftdi: a few bytes arrive after the latency timer expires, in simulated time") {
  for (unsigned latency : {1u, 4u, 16u}) {
    CAPTURE(latency);
    Rig r(8, 16);
    r.ch.open_uart(3'000'000, latency);
    const std::uint64_t start = r.model.cycles();
    r.ch.write(std::vector<std::uint8_t>{1, 2, 3, 4, 5});
    std::vector<std::uint8_t> out;
    CHECK(r.ch.read(out, 100ms) == 5);
    CHECK(out == std::vector<std::uint8_t>{1, 2, 3, 4, 5});
    // The echo is back after about 60 clocks; the packet waits for the timer.
    CHECK(r.model.cycles() - start == kClockHz * latency / 1000);
    CHECK(r.model.counters().latency_flushes == 1);
  }
}

TEST_CASE("ftdi: the event character sends a packet as soon as it arrives, not at the latency timer") {
  Rig r(8, 16);
  r.ch.open_uart(3'000'000, 16);
  r.ch.set_event_char(std::uint8_t{0});
  const std::uint64_t start = r.model.cycles();
  r.ch.write(std::vector<std::uint8_t>{1, 2, 0, 4});
  std::vector<std::uint8_t> out;
  REQUIRE(r.ch.read(out, 100ms) >= 3);
  CHECK(out[0] == 1);
  CHECK(out[2] == 0);
  // Far sooner than the 16 ms timer: the echo of 0x00 flushed the buffer.
  CHECK(r.model.cycles() - start < kClockHz / 1000);
  CHECK(r.model.counters().event_flushes == 1);
  CHECK(r.model.counters().latency_flushes == 0);
  // Without it, the same bytes wait for the timer.
  r.ch.set_event_char(std::nullopt);
  const std::uint64_t again = r.model.cycles();
  r.ch.write(std::vector<std::uint8_t>{7, 0});
  out.clear();
  CHECK(r.ch.read(out, 100ms) == 2);
  CHECK(r.model.cycles() - again >= kClockHz * 16 / 1000 - kClockHz / 1000);
}

TEST_CASE("ftdi: an RX overrun loses bytes, is counted by the model and reported once in the line status") {
  Rig r(1, 1);
  r.ch.open_uart(12'000'000, 2);
  const auto data = pattern(12000, 3);
  // Nobody reads while the write runs the board: the echo fills the 4 KiB
  // RX buffer, the write waits its timeout for a reader, then the rest is lost.
  const auto t0 = std::chrono::steady_clock::now();
  r.ch.write(data, 20ms);
  CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);
  const auto mc = r.model.counters();
  CHECK(mc.overrun_bytes > 0);
  CHECK(mc.overruns > 0);
  std::vector<std::uint8_t> got;
  for (int i = 0; i < 100; ++i) {
    if (r.ch.read(got, 100ms) == 0 && r.model.tx_buffered() == 0 && r.port.in_flight() == 0) break;
  }
  const auto after = r.model.counters();
  CHECK(got.size() + after.overrun_bytes == data.size());
  CHECK(got.size() < data.size());
  REQUIRE(got.size() >= 4096);
  // What arrived is the start of the stream, then later bytes: in order.
  CHECK(std::equal(got.begin(), got.begin() + 4096, data.begin()));
  CHECK(r.ch.counters().overrun_errors >= 1);
  CHECK(r.ch.counters().overrun_errors <= after.overruns);
  // Reported, then cleared.
  std::vector<std::uint8_t> more;
  r.ch.read(more, 100ms);
  CHECK((r.ch.modem_status().line & ftdi::kLineOverrun) == 0);
}

TEST_CASE("ftdi: purging drops what is buffered in each direction") {
  Rig r;
  r.ch.open_uart(3'000'000, 2);
  r.port.inject(pattern(100));
  r.model.run_for(2000);
  REQUIRE(r.model.rx_buffered() == 100);
  r.ch.purge_board_to_host();
  CHECK(r.model.rx_buffered() == 0);
  std::vector<std::uint8_t> out;
  CHECK(r.ch.read(out, 100ms) == 0);

  r.ch.write(pattern(50));
  REQUIRE(r.model.tx_buffered() == 50);
  r.ch.purge_host_to_board();
  CHECK(r.model.tx_buffered() == 0);
  CHECK(r.ch.read(out, 100ms) == 0);
  CHECK(r.port.received().empty());
  CHECK(r.model.counters().purged_to_host == 100);
  CHECK(r.model.counters().purged_to_board == 50);
}

TEST_CASE("ftdi: modem and line status come from the packets and from POLL_MODEM_STATUS") {
  Rig r;
  r.ch.open_uart(3'000'000, 1);
  r.model.set_modem_inputs(ftdi::kModemCts | ftdi::kModemDsr);
  ftdi::Status s = r.ch.poll_modem_status();
  CHECK(s.modem == 0x31);
  CHECK(s.line == 0x60);
  r.model.set_modem_inputs(ftdi::kModemDcd);
  std::vector<std::uint8_t> out;
  r.ch.read(out, 100ms);
  CHECK(r.ch.modem_status().modem == 0x81);

  r.model.inject_line_status(ftdi::kLineParity | ftdi::kLineFraming | ftdi::kLineBreak);
  r.ch.read(out, 100ms);
  CHECK(r.ch.modem_status().line == (0x60 | ftdi::kLineParity | ftdi::kLineFraming | ftdi::kLineBreak));
  r.ch.read(out, 100ms);
  CHECK(r.ch.modem_status().line == 0x60);
  const auto c = r.ch.counters();
  CHECK(c.parity_errors == 1);
  CHECK(c.framing_errors == 1);
  CHECK(c.break_conditions == 1);
  CHECK(c.overrun_errors == 0);

  // While host bytes wait for the UART, THRE and TEMT are clear.
  r.ch.write(pattern(10));
  CHECK(r.ch.poll_modem_status().line == 0x00);
}

TEST_CASE("ft2232h model: channel A keeps its own requests, and its bulk endpoints reach the MPSSE engine") {
  LoopbackPort port;
  sim::Ft2232hModel model(port);
  ftdi::Channel a(model, ftdi::Port::kA);
  a.set_latency_timer(3);
  CHECK(a.latency_timer() == 3);
  a.set_bitmode(ftdi::Bitmode::kMpsse, 0x0B);
  CHECK(model.channel_state(1).bitmode == 0x02);
  CHECK(model.channel_state(2).latency_ms == 16);  // channel B untouched
  // An invalid opcode and SEND_IMMEDIATE: FA AA (tests/unit/test_mpsse_model.cpp has the rest).
  const std::vector<std::uint8_t> cmd = {0xAA, 0x87};
  a.write(cmd);
  std::vector<std::uint8_t> out;
  a.read(out, 10ms);
  CHECK(out == std::vector<std::uint8_t>{0xFA, 0xAA});
  std::vector<std::uint8_t> buf(512);
  CHECK(kind_of([&] { model.bulk_read(0x85, buf, 10ms); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.bulk_write(0x06, buf, 10ms); }) == usb::ErrorKind::kUnsupported);
}

TEST_CASE("ft2232h model: unknown requests, channels and modes are refused") {
  LoopbackPort port;
  sim::Ft2232hModel model(port);
  std::array<std::uint8_t, 2> in{};
  CHECK(kind_of([&] { model.control_out(0x42, 0, 2); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.control_in(ftdi::req::kReadPins, 0, 2, in); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.control_in(ftdi::req::kSetBaudRate, 0, 2, in); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.control_out(ftdi::req::kSetLatencyTimer, 16, 3); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.control_out(ftdi::req::kSetLatencyTimer, 0, 2); }) == usb::ErrorKind::kUnsupported);
  CHECK(kind_of([&] { model.control_out(ftdi::req::kSetBaudRate, 0x4001, 0x0202); }) ==  // 1 + 1/2: undefined
        usb::ErrorKind::kUnsupported);
  ftdi::Channel b(model, ftdi::Port::kB);
  try {
    b.set_bitmode(ftdi::Bitmode::kMpsse);
    FAIL("MPSSE on channel B was accepted");
  } catch (const usb::Error& e) {
    CHECK(e.kind() == usb::ErrorKind::kUnsupported);
    const std::string msg = e.what();
    CHECK(msg.find("setting the bit mode") != std::string::npos);
    CHECK(msg.find("channel B of 0403:6010") != std::string::npos);
  }
  std::vector<std::uint8_t> odd(100);
  CHECK(kind_of([&] { model.bulk_read(0x83, odd, 10ms); }) == usb::ErrorKind::kIo);
  const usb::DeviceInfo info = model.info();
  CHECK(info.vid == 0x0403);
  CHECK(info.pid == 0x6010);
  CHECK(info.bcd_device == 0x0700);
  CHECK(info.serial == "SIM000001");
  CHECK(sim::Ft2232hModel(port, "SIM000042").info().serial == "SIM000042");
}

TEST_CASE("ft2232h model: a write the board does not take times out after its timeout of simulated time") {
  LoopbackPort port(kClockHz, 1'000'000'000, 1);  // the board takes a byte per 1e9 clocks
  sim::Ft2232hModel model(port);
  const std::uint64_t start = model.cycles();
  try {
    model.bulk_write(0x04, pattern(5000), 10ms);
    FAIL("the write did not time out");
  } catch (const usb::Error& e) {
    CHECK(e.kind() == usb::ErrorKind::kTimeout);
    CHECK(std::string(e.what()).find("of 5000 bytes sent") != std::string::npos);
  }
  const std::uint64_t waited = model.cycles() - start;
  CHECK(waited >= kClockHz / 100);
  CHECK(waited <= kClockHz / 100 + 2048);
  CHECK(model.tx_buffered() == sim::Ft2232hModel::kTxBufferBytes);
}

TEST_CASE("ftdi: a reader and a writer thread move 200 KB through the model while a third polls") {
  Rig r(8, 40);
  r.ch.open_uart(3'000'000, 2);
  const auto data = pattern(200'000, 9);
  std::vector<std::uint8_t> got;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (got.size() < data.size() && std::chrono::steady_clock::now() < give_up) r.ch.read(got, 100ms);
    done = true;
  });
  std::thread poller([&] {
    while (!done) {
      r.ch.poll_modem_status();
      std::this_thread::sleep_for(1ms);
    }
  });
  std::size_t off = 0;
  std::size_t chunk = 1;
  while (off < data.size()) {
    const std::size_t n = std::min(chunk, data.size() - off);
    r.ch.write(std::span(data).subspan(off, n));
    off += n;
    chunk = chunk * 3 % 7919 + 1;  // 1 byte .. 7.9 KB
  }
  reader.join();
  poller.join();
  CHECK(got.size() == data.size());
  CHECK(got == data);
  CHECK(r.ch.counters().overrun_errors == 0);
  CHECK(r.model.counters().overrun_bytes == 0);
}

TEST_CASE("usb: libusb errors say what happened and what to do") {
  const std::string dev = "0403:6010 (bus-port 1-2.3)";
  usb::Error e = usb::detail::libusb_error(LIBUSB_ERROR_ACCESS, "opening", dev);
  CHECK(e.kind() == usb::ErrorKind::kAccess);
  CHECK(std::string(e.what()).rfind(
            "permission denied opening USB device 0403:6010 (bus-port 1-2.3): install the udev rule: "
            "sudo cp scripts/udev/53-spikelink.rules /etc/udev/rules.d/ && sudo udevadm control --reload && replug",
            0) == 0);
  e = usb::detail::libusb_error(LIBUSB_ERROR_BUSY, "claiming interface 1 of", dev);
  CHECK(e.kind() == usb::ErrorKind::kBusy);
  CHECK(std::string(e.what()).find("another program holds it") != std::string::npos);
  CHECK(std::string(e.what()).find("interface 1") != std::string::npos);
  CHECK(usb::detail::libusb_error(LIBUSB_ERROR_NO_DEVICE, "reading from endpoint 0x83 of", dev).kind() ==
        usb::ErrorKind::kDisconnected);
  CHECK(usb::detail::libusb_error(LIBUSB_ERROR_TIMEOUT, "writing to endpoint 0x04 of", dev).kind() ==
        usb::ErrorKind::kTimeout);
  CHECK(usb::detail::libusb_error(LIBUSB_ERROR_NOT_FOUND, "claiming interface 1 of", dev).kind() ==
        usb::ErrorKind::kNotFound);
  CHECK(usb::detail::libusb_error(LIBUSB_ERROR_NOT_SUPPORTED, "detaching the kernel driver from", dev).kind() ==
        usb::ErrorKind::kUnsupported);
  e = usb::detail::libusb_error(LIBUSB_ERROR_IO, "sending request 0x03 to", dev);
  CHECK(e.kind() == usb::ErrorKind::kIo);
  CHECK(std::string(e.what()).find("LIBUSB_ERROR_IO") != std::string::npos);
  CHECK(std::string(e.what()).find(dev) != std::string::npos);
}

TEST_CASE("usb: the udev rule the error names exists and covers the FT2232H and FT232H") {
  std::ifstream f(std::string(SPIKELINK_SOURCE_DIR) + "/scripts/udev/53-spikelink.rules");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string rules = ss.str();
  for (const char* pid : {"6010", "6014"}) {
    CAPTURE(pid);
    CHECK(rules.find(std::string("ATTR{idProduct}==\"") + pid + "\"") != std::string::npos);
  }
  CHECK(rules.find("ATTR{idVendor}==\"0403\"") != std::string::npos);
  CHECK(rules.find("MODE=\"0660\"") != std::string::npos);
  CHECK(rules.find("GROUP=\"plugdev\"") != std::string::npos);
  CHECK(rules.find("TAG+=\"uaccess\"") != std::string::npos);
}

TEST_CASE("usb: enumerate and open_libusb answer without a board") {
  std::vector<usb::DeviceInfo> boards;
  try {
    boards = usb::enumerate(ftdi::kVid, ftdi::kPidFt2232h);
  } catch (const usb::Error& e) {
    const std::string msg = e.what();
    REQUIRE(msg.rfind("cannot initialise libusb", 0) == 0);
    MESSAGE("skipped: libusb cannot start in this environment (" << msg << ")");
    return;
  }
  for (const auto& b : boards) {
    CHECK(b.vid == ftdi::kVid);
    CHECK(b.pid == ftdi::kPidFt2232h);
    CHECK(!b.location.empty());
  }
  // No device has product id 0 under FTDI's vendor id.
  CHECK(usb::enumerate(ftdi::kVid, 0x0000).empty());
  try {
    usb::open_libusb(ftdi::kVid, 0x0000, "", 1);
    FAIL("open_libusb found a device 0403:0000");
  } catch (const usb::Error& e) {
    CHECK(e.kind() == usb::ErrorKind::kNotFound);
    CHECK(std::string(e.what()).find("no USB device 0403:0000 found") != std::string::npos);
  }
}
