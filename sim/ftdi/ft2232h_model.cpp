#include "ftdi/ft2232h_model.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <thread>

namespace spikelink::sim {

// The chip's side of the protocol, written from the datasheet's view
// rather than shared with the host's ftdi layer, so the tests that run one
// against the other check both.
namespace {

constexpr std::uint8_t kReqReset = 0x00;
constexpr std::uint8_t kReqModemCtrl = 0x01;
constexpr std::uint8_t kReqSetFlowCtrl = 0x02;
constexpr std::uint8_t kReqSetBaudRate = 0x03;
constexpr std::uint8_t kReqSetData = 0x04;
constexpr std::uint8_t kReqPollModemStatus = 0x05;
constexpr std::uint8_t kReqSetEventChar = 0x06;
constexpr std::uint8_t kReqSetLatencyTimer = 0x09;
constexpr std::uint8_t kReqGetLatencyTimer = 0x0A;
constexpr std::uint8_t kReqSetBitmode = 0x0B;

constexpr std::uint8_t kEpOutA = 0x02;
constexpr std::uint8_t kEpInA = 0x81;
constexpr std::uint8_t kEpOutB = 0x04;
constexpr std::uint8_t kEpInB = 0x83;

constexpr std::size_t kStatusBytes = 2;
constexpr std::size_t kPacketData = Ft2232hModel::kPacketBytes - kStatusBytes;
constexpr std::uint8_t kModemLowNibble = 0x01;  // what H chips put in bits 0..3
constexpr std::uint8_t kLineOverrun = 0x02;
constexpr std::uint8_t kLineErrors = 0x1E;       // overrun, parity, framing, break
constexpr std::uint8_t kLineTxEmpty = 0x60;      // THRE | TEMT

constexpr std::uint64_t kMinSlice = 64;
constexpr std::uint64_t kMaxSlice = 1024;

std::string hex2(unsigned v) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%02x", v & 0xFFu);
  return s;
}

std::string hex4(unsigned v) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%04x", v & 0xFFFFu);
  return s;
}

[[noreturn]] void unsupported(const std::string& what) {
  throw usb::Error(usb::ErrorKind::kUnsupported, "FT2232H model: " + what);
}

// SET_BAUDRATE's divisor as the chip reads it: n = wValue bits 0..13, an
// eighths code in wValue bits 14..15 and wIndex bit 8, the 12 MHz reference
// (else 3 MHz) selected by wIndex bit 9. n + k/8 with n >= 2, or the
// special codes 0 (divide by 1) and 1 (divide by 1.5).
double decode_baud(std::uint16_t value, std::uint16_t index) {
  static constexpr std::array<unsigned, 8> kEighthsOfCode = {0, 4, 2, 1, 3, 5, 6, 7};
  const unsigned hi = (index >> 8) & 0x03u;
  const double ref = (hi & 0x02u) ? 12e6 : 3e6;
  const unsigned n = value & 0x3FFFu;
  const unsigned code = (value >> 14) | ((hi & 0x01u) << 2);
  const unsigned k = kEighthsOfCode[code];
  if (k == 0 && n == 0) return ref;
  if (k == 0 && n == 1) return ref / 1.5;
  if (n < 2) {
    unsupported("SET_BAUDRATE divisor " + std::to_string(n) + " + " + std::to_string(k) +
                "/8 is undefined (divisors below 2 must be 1 or 1.5)");
  }
  return ref * 8 / (n * 8 + k);
}

}  // namespace

Ft2232hModel::Ft2232hModel(ChannelPort& channel_b, std::string serial)
    : port_(channel_b), serial_(std::move(serial)) {
  last_packet_cycle_ = port_.cycles();
}

usb::DeviceInfo Ft2232hModel::info() const {
  usb::DeviceInfo i;
  i.vid = 0x0403;
  i.pid = 0x6010;
  i.bcd_device = 0x0700;
  i.serial = serial_;
  i.description = "Dual RS232-HS";
  i.location = "sim";
  return i;
}

Ft2232hModel::Lock Ft2232hModel::acquire() const {
  ++waiting_;
  Lock lk(m_);
  --waiting_;
  return lk;
}

void Ft2232hModel::let_waiters_in() const {
  while (waiting_.load() > 0) std::this_thread::yield();
}

std::uint64_t Ft2232hModel::latency_cycles() const {
  return std::max<std::uint64_t>(port_.clock_hz() * b_.latency_ms / 1000, 1);
}

// Long enough to move `bytes_wanted` at the UART rate, so a read does not
// take a thousand tiny slices; short enough that a byte port (up to a byte
// a clock) cannot overshoot the RX buffer by much.
std::uint64_t Ft2232hModel::slice_for(std::size_t bytes_wanted) const {
  const double clocks_per_byte = std::max(1.0, static_cast<double>(port_.clock_hz()) * 10 / b_.baud);
  const double want = static_cast<double>(bytes_wanted) * clocks_per_byte;
  return std::clamp(static_cast<std::uint64_t>(want), kMinSlice, kMaxSlice);
}

void Ft2232hModel::run_board(std::uint64_t cycles) {
  const std::size_t tx_before = tx_.size();
  from_board_.clear();
  port_.run(cycles, tx_, from_board_);
  counters_.bytes_to_board += tx_before - tx_.size();
  counters_.bytes_from_board += from_board_.size();
  const std::size_t room = kRxBufferBytes - rx_.size();
  const std::size_t keep = std::min(room, from_board_.size());
  rx_.insert(rx_.end(), from_board_.begin(), from_board_.begin() + static_cast<std::ptrdiff_t>(keep));
  if ((b_.event_char & 0x100) != 0 &&
      std::find(from_board_.begin(), from_board_.begin() + static_cast<std::ptrdiff_t>(keep),
                static_cast<std::uint8_t>(b_.event_char & 0xFF)) != from_board_.begin() + static_cast<std::ptrdiff_t>(keep))
    event_flush_ = true;
  if (keep < from_board_.size()) {
    counters_.overrun_bytes += from_board_.size() - keep;
    ++counters_.overruns;
    pending_line_ |= kLineOverrun;
  }
}

std::uint8_t Ft2232hModel::line_status() const {
  return static_cast<std::uint8_t>(pending_line_ | (tx_.empty() ? kLineTxEmpty : 0));
}

void Ft2232hModel::emit_packet(std::span<std::uint8_t> out, std::size_t data_bytes) {
  out[0] = static_cast<std::uint8_t>(kModemLowNibble | modem_inputs_);
  out[1] = line_status();
  pending_line_ = 0;
  std::copy_n(rx_.begin(), data_bytes, out.begin() + kStatusBytes);
  rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(data_bytes));
  last_packet_cycle_ = port_.cycles();
  ++counters_.packets;
  if (data_bytes == kPacketData) ++counters_.full_packets;
  if (data_bytes == 0) ++counters_.status_only_packets;
  counters_.bytes_to_host += data_bytes;
  rx_drained_.notify_all();
}

std::size_t Ft2232hModel::bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                                    std::chrono::milliseconds /*timeout*/) {
  if (endpoint == kEpInA) unsupported("channel A is not attached: no bulk transfers on endpoint 0x81");
  if (endpoint != kEpInB) unsupported("no bulk IN endpoint " + hex2(endpoint) + " (channel B reads 0x83)");
  if (buf.empty() || buf.size() % kPacketBytes != 0) {
    throw usb::Error(usb::ErrorKind::kIo, "FT2232H model: bulk_read buffer of " + std::to_string(buf.size()) +
                                              " bytes is not a non-zero multiple of 512");
  }
  // The latency timer always ends a transfer in simulated time, so a read
  // returns whatever the wall-clock timeout; the timeout is not used.
  Lock lk = acquire();
  ++counters_.bulk_reads;
  reader_stalled_ = false;
  std::size_t n = 0;
  for (;;) {
    // A packet is sent as soon as it is full; the transfer goes on until
    // the host's buffer is full or a short packet ends it.
    while (rx_.size() >= kPacketData && n < buf.size()) {
      emit_packet(buf.subspan(n, kPacketBytes), kPacketData);
      n += kPacketBytes;
    }
    if (n == buf.size()) return n;
    if (event_flush_) {  // the event character arrived: send what is there now
      event_flush_ = false;
      if (!rx_.empty()) {
        const std::size_t bytes = rx_.size();
        emit_packet(buf.subspan(n, kPacketBytes), bytes);
        ++counters_.event_flushes;
        return n + kStatusBytes + bytes;
      }
      if (n > 0) return n;
    }
    const std::uint64_t now = port_.cycles();
    const std::uint64_t deadline = last_packet_cycle_ + latency_cycles();
    if (now >= deadline) {
      const std::size_t bytes = rx_.size();  // < kPacketData here
      emit_packet(buf.subspan(n, kPacketBytes), bytes);
      ++counters_.latency_flushes;
      return n + kStatusBytes + bytes;
    }
    run_board(std::min(slice_for(kPacketData - rx_.size()), deadline - now));
    lk.unlock();
    let_waiters_in();
    lk = acquire();
  }
}

void Ft2232hModel::bulk_write(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                              std::chrono::milliseconds timeout) {
  if (endpoint == kEpOutA) unsupported("channel A is not attached: no bulk transfers on endpoint 0x02");
  if (endpoint != kEpOutB) unsupported("no bulk OUT endpoint " + hex2(endpoint) + " (channel B writes 0x04)");
  Lock lk = acquire();
  ++counters_.bulk_writes;
  // A real chip NAKs while its buffer is full and the host gives up after
  // `timeout`; here that is `timeout` of simulated time with no byte taken.
  const std::uint64_t patience = std::max<std::uint64_t>(
      port_.clock_hz() * static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 1)) / 1000, 1);
  std::size_t done = 0;
  std::uint64_t progress_at = port_.cycles();
  for (;;) {
    const std::size_t take = std::min(kTxBufferBytes - tx_.size(), data.size() - done);
    tx_.insert(tx_.end(), data.begin() + static_cast<std::ptrdiff_t>(done),
               data.begin() + static_cast<std::ptrdiff_t>(done + take));
    done += take;
    counters_.bytes_from_host += take;
    if (take > 0) progress_at = port_.cycles();
    if (done == data.size()) return;
    if (port_.cycles() - progress_at >= patience) {
      throw usb::Error(usb::ErrorKind::kTimeout,
                       "FT2232H model: timeout writing to endpoint 0x04: the board took no byte for " +
                           std::to_string(timeout.count()) + " ms of simulated time (" + std::to_string(done) +
                           " of " + std::to_string(data.size()) + " bytes sent)");
    }
    if (!reader_stalled_ && rx_.size() > kRxBufferBytes - kMaxSlice) {
      // A host that reads drains the chip's RX buffer at USB speed, so a
      // real chip would not overrun here; the reading thread has just not
      // had its turn. Wait for it rather than run the board into an
      // overrun. A reader that does not come within `timeout` has stopped,
      // and then the RX buffer overruns as it would on the chip.
      if (!rx_drained_.wait_for(lk, timeout, [&] { return rx_.size() <= kRxBufferBytes - kMaxSlice; })) {
        reader_stalled_ = true;
      }
      continue;
    }
    run_board(slice_for(data.size() - done));
    lk.unlock();
    let_waiters_in();
    lk = acquire();
  }
}

Ft2232hModel::ChannelState& Ft2232hModel::channel(std::uint16_t index, std::uint8_t request) {
  switch (index & 0xFF) {
    case 1: return a_;
    case 2: return b_;
    default:
      unsupported("request " + hex2(request) + " for channel " + std::to_string(index & 0xFF) +
                  " (wIndex low byte: 1 = A, 2 = B)");
  }
}

void Ft2232hModel::reset_channel(bool is_b, std::uint16_t what) {
  if (what > 2) unsupported("RESET wValue " + std::to_string(what) + " (0 reset, 1 and 2 purge)");
  if (!is_b) return;  // channel A has no buffers while it is not attached
  if (what == 0 || what == 1) {
    counters_.purged_to_board += tx_.size();
    tx_.clear();
  }
  if (what == 0 || what == 2) {
    counters_.purged_to_host += rx_.size();
    rx_.clear();
    last_packet_cycle_ = port_.cycles();
    rx_drained_.notify_all();
  }
  if (what == 0) pending_line_ = 0;
}

void Ft2232hModel::control_out(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                               std::span<const std::uint8_t> /*data*/) {
  Lock lk = acquire();
  ++counters_.control_requests;
  ChannelState& ch = channel(index, request);
  const bool is_b = &ch == &b_;
  switch (request) {
    case kReqReset:
      reset_channel(is_b, value);
      return;
    case kReqModemCtrl: {
      const auto mask = static_cast<std::uint8_t>((value >> 8) & 0x03);
      ch.modem_ctrl = static_cast<std::uint8_t>((ch.modem_ctrl & ~mask) | (value & mask));
      return;
    }
    case kReqSetFlowCtrl: {
      const auto flow = static_cast<std::uint16_t>(index >> 8);
      if (flow & ~0x07u) unsupported("SET_FLOW_CTRL flags " + hex2(flow));
      ch.flow = flow;
      return;
    }
    case kReqSetBaudRate: {
      const double baud = decode_baud(value, index);
      ch.baud = baud;
      if (is_b) port_.set_baud(baud);
      return;
    }
    case kReqSetData: {
      const unsigned bits = value & 0xFFu;
      const unsigned parity = (value >> 8) & 0x07u;
      const unsigned stop = (value >> 11) & 0x03u;
      if ((bits != 7 && bits != 8) || parity > 4 || stop > 2) {
        unsupported("SET_DATA wValue " + hex4(value) + " (7 or 8 data bits, parity 0..4, stop 0..2)");
      }
      ch.data = value;
      return;
    }
    case kReqSetEventChar:
      // wValue: the character, bit 8 enables it. A byte equal to it from
      // the board sends the buffer at once instead of at the latency timer.
      if (value > 0x1FF) unsupported("SET_EVENT_CHAR wValue " + hex4(value));
      ch.event_char = value;
      return;
    case kReqSetLatencyTimer: {
      const unsigned ms = value & 0xFFu;
      if (ms < 1 || value > 0xFF) unsupported("latency timer " + std::to_string(value) + " ms (1..255)");
      ch.latency_ms = ms;
      return;
    }
    case kReqSetBitmode: {
      const auto mode = static_cast<std::uint8_t>(value >> 8);
      static constexpr std::array<std::uint8_t, 7> kModes = {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x40};
      if (std::find(kModes.begin(), kModes.end(), mode) == kModes.end()) unsupported("bit mode " + hex2(mode));
      if (is_b && mode != 0x00) {
        unsupported("bit mode " + hex2(mode) + " on channel B: the model implements only UART (bit mode 0x00) there");
      }
      ch.bitmode = mode;
      ch.pin_mask = static_cast<std::uint8_t>(value & 0xFF);
      return;
    }
    default:
      unsupported("vendor OUT request " + hex2(request) + " is not implemented");
  }
}

std::size_t Ft2232hModel::control_in(std::uint8_t request, std::uint16_t /*value*/, std::uint16_t index,
                                     std::span<std::uint8_t> data) {
  Lock lk = acquire();
  ++counters_.control_requests;
  ChannelState& ch = channel(index, request);
  const bool is_b = &ch == &b_;
  std::array<std::uint8_t, 2> answer{};
  std::size_t len = 0;
  switch (request) {
    case kReqPollModemStatus:
      answer = {static_cast<std::uint8_t>(kModemLowNibble | (is_b ? modem_inputs_ : 0)),
                is_b ? line_status() : kLineTxEmpty};
      len = 2;
      break;
    case kReqGetLatencyTimer:
      answer[0] = static_cast<std::uint8_t>(ch.latency_ms);
      len = 1;
      break;
    default:
      unsupported("vendor IN request " + hex2(request) + " is not implemented");
  }
  const std::size_t n = std::min(len, data.size());
  std::copy_n(answer.begin(), n, data.begin());
  return n;
}

std::uint64_t Ft2232hModel::cycles() const {
  Lock lk = acquire();
  return port_.cycles();
}

Ft2232hModel::Counters Ft2232hModel::counters() const {
  Lock lk = acquire();
  return counters_;
}

Ft2232hModel::ChannelState Ft2232hModel::channel_state(int channel) const {
  Lock lk = acquire();
  return channel == 1 ? a_ : b_;
}

std::size_t Ft2232hModel::rx_buffered() const {
  Lock lk = acquire();
  return rx_.size();
}

std::size_t Ft2232hModel::tx_buffered() const {
  Lock lk = acquire();
  return tx_.size();
}

void Ft2232hModel::run_for(std::uint64_t cycles) {
  Lock lk = acquire();
  while (cycles > 0) {
    const std::uint64_t s = std::min(cycles, kMaxSlice);
    run_board(s);
    cycles -= s;
    lk.unlock();
    let_waiters_in();
    lk = acquire();
  }
}

void Ft2232hModel::set_modem_inputs(std::uint8_t bits) {
  Lock lk = acquire();
  modem_inputs_ = static_cast<std::uint8_t>(bits & 0xF0);
}

void Ft2232hModel::inject_line_status(std::uint8_t bits) {
  Lock lk = acquire();
  pending_line_ |= static_cast<std::uint8_t>(bits & kLineErrors);
}

}  // namespace spikelink::sim
