#include "spikelink/ftdi.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace spikelink::ftdi {

namespace {

constexpr double kHighSpeedRef = 12e6;  // 120 MHz / 10
constexpr double kLegacyRef = 3e6;      // 48 MHz / 16
constexpr std::uint32_t kHighSpeedBit = 0x20000;
// Eighths of the divisor n + k/8: n is 14 bits, so at most 0x3FFF + 7/8.
constexpr std::uint32_t kMinEighths = 16;  // n = 2: below it only 1 and 1.5 exist
constexpr std::uint32_t kMaxEighths = 0x1FFFF;
// k/8 -> the 3-bit code the chip expects (0.5 is 1, 0.25 is 2, 0.125 is 3, ...).
constexpr std::array<std::uint32_t, 8> kFracCode = {0, 3, 2, 4, 1, 5, 6, 7};

struct Candidate {
  std::uint32_t encoded = 0;
  double actual = 0;
};

std::string fmt_baud(double b) {
  char s[48];
  std::snprintf(s, sizeof s, "%.0f", b);
  return s;
}

}  // namespace

BaudSetting baud_setting(double baud, Port port) {
  if (!(baud > 0) || !std::isfinite(baud)) {
    throw std::invalid_argument("baud rate " + fmt_baud(baud) + " is not a positive number");
  }
  Candidate best;
  bool have = false;
  auto consider = [&](std::uint32_t encoded, double actual) {
    if (!have || std::abs(actual - baud) < std::abs(best.actual - baud)) {
      best = {encoded, actual};
      have = true;
    }
  };
  // The 12 MHz reference first, so that on a tie (3 Mbaud is both 12 MHz / 4
  // and 3 MHz / 1) the high-speed encoding wins, as libftdi's does.
  for (const auto& [ref, hs] : {std::pair{kHighSpeedRef, kHighSpeedBit}, std::pair{kLegacyRef, 0u}}) {
    consider(hs | 0, ref);
    consider(hs | 1, ref / 1.5);
    const double eighths = std::clamp(std::round(ref * 8 / baud), double{kMinEighths}, double{kMaxEighths});
    const auto centre = static_cast<std::uint32_t>(eighths);
    for (std::uint32_t d = centre > kMinEighths ? centre - 1 : centre; d <= std::min(centre + 1, kMaxEighths); ++d) {
      consider(hs | (d >> 3) | (kFracCode[d & 7] << 14), ref * 8 / d);
    }
  }
  const double err = std::abs(best.actual - baud) / baud;
  if (err > kMaxBaudError) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f", err * 100);
    throw std::invalid_argument("baud rate " + fmt_baud(baud) + " is not possible on the FT2232H: the nearest it makes is " +
                                fmt_baud(best.actual) + " (" + pct +
                                " % off, at most 3 % is allowed). It makes 12000000, 8000000, and 12000000 / (n + k/8) "
                                "for n >= 2, down to 184 baud");
  }
  BaudSetting s;
  s.encoded = best.encoded;
  s.value = static_cast<std::uint16_t>(best.encoded & 0xFFFF);
  s.index = static_cast<std::uint16_t>(((best.encoded >> 8) & 0xFF00) | index_of(port));
  s.actual = best.actual;
  return s;
}

Channel::Channel(usb::Device& dev, Port port, std::size_t read_size) : dev_(dev), port_(port) {
  const std::size_t mps = std::max<std::size_t>(dev_.max_packet_size(), 1);
  const std::size_t packets = std::max<std::size_t>((read_size + mps - 1) / mps, 1);
  in_buf_.resize(packets * mps);
}

std::string Channel::where() const {
  const usb::DeviceInfo i = dev_.info();
  char ids[16];
  std::snprintf(ids, sizeof ids, "%04x:%04x", i.vid, i.pid);
  std::string s = std::string("channel ") + port_name(port_) + " of " + ids;
  if (!i.serial.empty()) s += " serial " + i.serial;
  if (!i.location.empty()) s += " at " + i.location;
  return s;
}

void Channel::rethrow(const usb::Error& e, const std::string& what) const {
  throw usb::Error(e.kind(), "ftdi: " + what + " (" + where() + "): " + e.what());
}

void Channel::control_out(const char* what, std::uint8_t request, std::uint16_t value, std::uint16_t index) {
  try {
    dev_.control_out(request, value, index);
  } catch (const usb::Error& e) {
    rethrow(e, what);
  }
}

double Channel::open_uart(double baud, unsigned latency_ms) {
  // Check what the caller can get wrong before touching the chip.
  const BaudSetting b = baud_setting(baud, port_);
  if (latency_ms < 1 || latency_ms > 255) {
    throw std::invalid_argument("latency timer " + std::to_string(latency_ms) + " ms is outside 1..255 ms");
  }
  reset();
  purge_board_to_host();
  purge_host_to_board();
  set_latency_timer(latency_ms);
  set_bitmode(Bitmode::kReset);
  set_data(kData8N1);
  set_flow_control(kFlowNone);
  control_out("setting the baud rate", req::kSetBaudRate, b.value, b.index);
  std::lock_guard lk(m_);
  baud_ = b.actual;
  return b.actual;
}

void Channel::reset() { control_out("resetting", req::kReset, kResetSio, index_of(port_)); }

void Channel::purge_host_to_board() {
  control_out("purging the host-to-board buffer", req::kReset, kResetPurgeHostToBoard, index_of(port_));
}

void Channel::purge_board_to_host() {
  control_out("purging the board-to-host buffer", req::kReset, kResetPurgeBoardToHost, index_of(port_));
}

void Channel::set_latency_timer(unsigned ms) {
  if (ms < 1 || ms > 255) {
    throw std::invalid_argument("latency timer " + std::to_string(ms) + " ms is outside 1..255 ms");
  }
  control_out("setting the latency timer", req::kSetLatencyTimer, static_cast<std::uint16_t>(ms), index_of(port_));
}

void Channel::set_event_char(std::optional<std::uint8_t> c) {
  control_out("setting the event character", req::kSetEventChar, c ? static_cast<std::uint16_t>(0x100 | *c) : 0,
              index_of(port_));
}

unsigned Channel::latency_timer() {
  std::array<std::uint8_t, 1> v{};
  std::size_t n = 0;
  try {
    n = dev_.control_in(req::kGetLatencyTimer, 0, index_of(port_), v);
  } catch (const usb::Error& e) {
    rethrow(e, "reading the latency timer");
  }
  if (n != 1) {
    throw usb::Error(usb::ErrorKind::kIo, "ftdi: reading the latency timer (" + where() + "): the device answered " +
                                              std::to_string(n) + " bytes, expected 1");
  }
  return v[0];
}

void Channel::set_bitmode(Bitmode mode, std::uint8_t pin_mask) {
  control_out("setting the bit mode", req::kSetBitmode,
              static_cast<std::uint16_t>(static_cast<unsigned>(mode) << 8 | pin_mask), index_of(port_));
}

void Channel::set_data(std::uint16_t value) {
  control_out("setting the data format", req::kSetData, value, index_of(port_));
}

void Channel::set_flow_control(std::uint16_t flow) {
  control_out("setting flow control", req::kSetFlowCtrl, 0, static_cast<std::uint16_t>(flow | index_of(port_)));
}

double Channel::set_baud(double baud) {
  const BaudSetting b = baud_setting(baud, port_);
  control_out("setting the baud rate", req::kSetBaudRate, b.value, b.index);
  std::lock_guard lk(m_);
  baud_ = b.actual;
  return b.actual;
}

void Channel::set_modem_control(bool dtr, bool rts) {
  const auto levels = static_cast<std::uint16_t>((dtr ? kModemDtr : 0) | (rts ? kModemRts : 0));
  control_out("setting DTR/RTS", req::kModemCtrl, static_cast<std::uint16_t>(((kModemDtr | kModemRts) << 8) | levels),
              index_of(port_));
}

void Channel::write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) {
  try {
    dev_.bulk_write(out_endpoint(port_), data, timeout);
  } catch (const usb::Error& e) {
    rethrow(e, "writing " + std::to_string(data.size()) + " bytes");
  }
  std::lock_guard lk(m_);
  counters_.bytes_written += data.size();
}

std::size_t Channel::read(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout) {
  std::size_t n = 0;
  try {
    n = dev_.bulk_read(in_endpoint(port_), in_buf_, timeout);
  } catch (const usb::Error& e) {
    rethrow(e, "reading");
  }
  if (n == 0) return 0;
  // Status bytes head every packet of the transfer, not just its first.
  const std::size_t mps = dev_.max_packet_size();
  LineCounters c;
  c.transfers = 1;
  Status last{};
  bool have_status = false;
  const std::size_t before = out.size();
  for (std::size_t off = 0; off < n; off += mps) {
    const std::size_t len = std::min(mps, n - off);
    ++c.packets;
    if (len < kStatusBytes) {
      ++c.runt_packets;
      continue;
    }
    last = {in_buf_[off], in_buf_[off + 1]};
    have_status = true;
    if (last.line & kLineOverrun) ++c.overrun_errors;
    if (last.line & kLineParity) ++c.parity_errors;
    if (last.line & kLineFraming) ++c.framing_errors;
    if (last.line & kLineBreak) ++c.break_conditions;
    if (len == kStatusBytes) ++c.status_only_packets;
    const auto first = in_buf_.begin() + static_cast<std::ptrdiff_t>(off + kStatusBytes);
    out.insert(out.end(), first, in_buf_.begin() + static_cast<std::ptrdiff_t>(off + len));
  }
  const std::size_t got = out.size() - before;
  c.bytes_read = got;
  std::lock_guard lk(m_);
  if (have_status) status_ = last;
  counters_.bytes_read += c.bytes_read;
  counters_.transfers += c.transfers;
  counters_.packets += c.packets;
  counters_.status_only_packets += c.status_only_packets;
  counters_.runt_packets += c.runt_packets;
  counters_.overrun_errors += c.overrun_errors;
  counters_.parity_errors += c.parity_errors;
  counters_.framing_errors += c.framing_errors;
  counters_.break_conditions += c.break_conditions;
  return got;
}

Status Channel::poll_modem_status() {
  std::array<std::uint8_t, 2> v{};
  std::size_t n = 0;
  try {
    n = dev_.control_in(req::kPollModemStatus, 0, index_of(port_), v);
  } catch (const usb::Error& e) {
    rethrow(e, "polling the modem status");
  }
  if (n != 2) {
    throw usb::Error(usb::ErrorKind::kIo, "ftdi: polling the modem status (" + where() + "): the device answered " +
                                              std::to_string(n) + " bytes, expected 2");
  }
  std::lock_guard lk(m_);
  status_ = {v[0], v[1]};
  return status_;
}

Status Channel::modem_status() const {
  std::lock_guard lk(m_);
  return status_;
}

LineCounters Channel::counters() const {
  std::lock_guard lk(m_);
  return counters_;
}

double Channel::baud() const {
  std::lock_guard lk(m_);
  return baud_;
}

}  // namespace spikelink::ftdi
