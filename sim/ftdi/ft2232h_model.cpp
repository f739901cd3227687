#include "ftdi/ft2232h_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
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

std::uint8_t reverse_bits(std::uint8_t b) {
  b = static_cast<std::uint8_t>((b & 0xF0u) >> 4 | (b & 0x0Fu) << 4);
  b = static_cast<std::uint8_t>((b & 0xCCu) >> 2 | (b & 0x33u) << 2);
  return static_cast<std::uint8_t>((b & 0xAAu) >> 1 | (b & 0x55u) << 1);
}

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

// One IN packet: the two status bytes, then `data_bytes` from the front of
// `rx`. Both channels packetise through here.
void write_packet(std::deque<std::uint8_t>& rx, std::span<std::uint8_t> out, std::size_t data_bytes,
                  std::uint8_t modem, std::uint8_t line) {
  out[0] = modem;
  out[1] = line;
  std::copy_n(rx.begin(), data_bytes, out.begin() + kStatusBytes);
  rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(data_bytes));
}

}  // namespace

Ft2232hModel::Ft2232hModel(ChannelPort& channel_b, std::string serial)
    : port_(channel_b), serial_(std::move(serial)) {
  last_packet_cycle_ = port_.cycles();
}

Ft2232hModel::Ft2232hModel(ChannelPort& channel_b, ConfigPort& channel_a, std::string serial)
    : Ft2232hModel(channel_b, std::move(serial)) {
  config_ = &channel_a;
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
  write_packet(rx_, out, data_bytes, static_cast<std::uint8_t>(kModemLowNibble | modem_inputs_), line_status());
  pending_line_ = 0;
  last_packet_cycle_ = port_.cycles();
  ++counters_.packets;
  if (data_bytes == kPacketData) ++counters_.full_packets;
  if (data_bytes == 0) ++counters_.status_only_packets;
  counters_.bytes_to_host += data_bytes;
  rx_drained_.notify_all();
}

std::size_t Ft2232hModel::bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                                    std::chrono::milliseconds /*timeout*/) {
  if (endpoint != kEpInB && endpoint != kEpInA) {
    unsupported("no bulk IN endpoint " + hex2(endpoint) + " (channel A reads 0x81, channel B 0x83)");
  }
  if (buf.empty() || buf.size() % kPacketBytes != 0) {
    throw usb::Error(usb::ErrorKind::kIo, "FT2232H model: bulk_read buffer of " + std::to_string(buf.size()) +
                                              " bytes is not a non-zero multiple of 512");
  }
  if (endpoint == kEpInA) {
    Lock lk = acquire();
    return a_bulk_read(buf);
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
  if (endpoint != kEpOutB && endpoint != kEpOutA) {
    unsupported("no bulk OUT endpoint " + hex2(endpoint) + " (channel A writes 0x02, channel B 0x04)");
  }
  Lock lk = acquire();
  if (endpoint == kEpOutA) {
    a_bulk_write(data);
    return;
  }
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
  if (!is_b) {
    if (what == 0 || what == 1) ca_.pending.clear();
    if (what == 0 || what == 2) {
      ca_.rx.clear();
      ca_.flush = false;
      ca_.last_packet_ns = ca_.ns;
    }
    return;
  }
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
      if (!is_b) {
        // MPSSE sets its pins with 0x80/0x82 (the mask is for the bit-bang
        // modes); entering or leaving it starts with every pin an input.
        ca_.pending.clear();
        a_reset_engine();
        ca_.mpsse.enabled = mode == 0x02;
      }
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

// ---- channel A: the MPSSE engine -----------------------------------------

void Ft2232hModel::a_advance(double ns) {
  ca_.frac_ns += ns;
  const double whole = std::floor(ca_.frac_ns);
  ca_.frac_ns -= whole;
  const auto w = static_cast<std::uint64_t>(whole);
  ca_.ns += w;
  if (config_ != nullptr) {
    if (SpiNorFlash* f = config_->flash()) f->advance_ns(w);
    config_->channel_a_time(ca_.ns);
  }
}

void Ft2232hModel::a_reset_engine() {
  MpsseState& m = ca_.mpsse;
  m.div5 = true;
  m.divisor = 0;
  m.sck_hz = 12e6 / 2;
  m.loopback = false;
  m.high_value = m.high_direction = 0;
  a_set_low(0, 0);  // every pin an input: CS and CRESET_B released
}

void Ft2232hModel::a_set_low(std::uint8_t value, std::uint8_t direction) {
  ca_.mpsse.low_value = value;
  ca_.mpsse.low_direction = direction;
  const bool creset_low = (direction & kPinCreset) != 0 && (value & kPinCreset) == 0;
  const bool cs_low = (direction & kPinFlashCs) != 0 && (value & kPinFlashCs) == 0;
  SpiNorFlash* f = config_ != nullptr ? config_->flash() : nullptr;
  // The model drives the flash's CS only while the FPGA is held in reset:
  // otherwise the FPGA owns the SPI bus (a_bus counts the conflict).
  const bool select = f != nullptr && cs_low && creset_low;
  if (!select && ca_.flash_selected) {
    f->deselect();
    ca_.flash_selected = false;
  }
  if (creset_low != ca_.creset_low) {
    ca_.creset_low = creset_low;
    if (creset_low) ++ca_.counters.creset_pulses;
    if (config_ != nullptr) config_->set_creset_b(!creset_low, ca_.ns);
  }
  if (select && !ca_.flash_selected) {
    f->select();
    ca_.flash_selected = true;
  }
}

std::uint8_t Ft2232hModel::a_read_low() const {
  const MpsseState& m = ca_.mpsse;
  // Inputs: MISO from the flash while it is selected, CDONE from the FPGA;
  // every other released line reads its pull-up.
  std::uint8_t in = 0xFF;
  if (ca_.flash_selected && !ca_.miso) in = static_cast<std::uint8_t>(in & ~kPinMiso);
  const bool cdone_high = config_ == nullptr || config_->cdone(ca_.ns);
  if (!cdone_high) in = static_cast<std::uint8_t>(in & ~kPinCdone);
  return static_cast<std::uint8_t>((m.low_value & m.low_direction) | (in & ~m.low_direction));
}

// `bits` SCK cycles on the SPI pins: `line` holds the MOSI bits in the order
// they go out (bit 7 first); returns the MISO bits in the low `bits` bits,
// the first one highest.
std::uint8_t Ft2232hModel::a_bus(std::uint8_t line, unsigned bits, bool& conflict) {
  const MpsseState& m = ca_.mpsse;
  const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xFFu : (1u << bits) - 1u);
  if ((m.low_direction & kPinMosi) == 0) line = 0xFF;  // a released MOSI reads its pull-up
  if (m.loopback) return static_cast<std::uint8_t>((line >> (8 - bits)) & mask);
  SpiNorFlash* f = config_ != nullptr ? config_->flash() : nullptr;
  const bool cs_low = (m.low_direction & kPinFlashCs) != 0 && (m.low_value & kPinFlashCs) == 0;
  if (f == nullptr || (m.low_direction & kPinSck) == 0 || !cs_low) return mask;  // nobody drives MISO
  if (!ca_.flash_selected) {
    // CS low while CRESET_B is released: the FPGA drives SCK and CS as well,
    // and what comes back is noise.
    conflict = true;
    ca_.garbage ^= ca_.garbage << 13;
    ca_.garbage ^= ca_.garbage >> 7;
    ca_.garbage ^= ca_.garbage << 17;
    return static_cast<std::uint8_t>(ca_.garbage & mask);
  }
  const std::uint8_t in = bits >= 8 ? f->transfer(line) : f->transfer_bits(line, bits);
  ca_.miso = (in & 1u) != 0;
  return in;
}

void Ft2232hModel::a_data_command(std::uint8_t op, std::span<const std::uint8_t> cmd, std::size_t n) {
  MpsseCounters& c = ca_.counters;
  const bool bit_mode = (op & 0x02) != 0;
  const bool write = (op & 0x10) != 0;
  const bool read = (op & 0x20) != 0;
  const bool lsb = (op & 0x08) != 0;
  // SPI mode 0: data out on the falling edge (bit 0 set), in on the rising
  // edge (bit 2 clear). Other edges reach the flash the same here, counted.
  if ((write && (op & 0x01) == 0) || (read && (op & 0x04) != 0)) ++c.edge_mismatches;
  const double period_ns = 1e9 / ca_.mpsse.sck_hz;
  const auto held = static_cast<std::uint8_t>((ca_.mpsse.low_value & kPinMosi) != 0 ? 0xFF : 0x00);
  bool conflict = false;
  if (bit_mode) {
    const auto bits = static_cast<unsigned>(n);
    const std::uint8_t out = write ? cmd[2] : held;
    const std::uint8_t in = a_bus(lsb ? reverse_bits(out) : out, bits, conflict);
    // MSB first: the bits shift in at bit 0; LSB first: at bit 7.
    if (read) ca_.rx.push_back(lsb ? reverse_bits(in) : in);
    c.spi_bits += bits;
    a_advance(period_ns * bits);
    c.clock_ns += static_cast<std::uint64_t>(period_ns * bits);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t out = write ? cmd[3 + i] : held;
      const std::uint8_t in = a_bus(lsb ? reverse_bits(out) : out, 8, conflict);
      if (read) ca_.rx.push_back(lsb ? reverse_bits(in) : in);
      a_advance(period_ns * 8);  // per byte, so a flash's BUSY can end inside a long read
    }
    c.spi_bytes += n;
    c.clock_ns += static_cast<std::uint64_t>(period_ns * 8 * static_cast<double>(n));
  }
  if (conflict) ++c.bus_conflicts;
}

std::size_t Ft2232hModel::a_execute(std::span<const std::uint8_t> cmd) {
  MpsseState& m = ca_.mpsse;
  MpsseCounters& c = ca_.counters;
  const std::uint8_t op = cmd[0];
  const auto have = [&](std::size_t k) { return cmd.size() >= k; };
  const auto bad = [&]() -> std::size_t {
    ++c.bad_commands;
    ca_.rx.push_back(0xFA);
    ca_.rx.push_back(op);
    return 1;
  };
  const auto set_clock = [&] { m.sck_hz = (m.div5 ? 12e6 : 60e6) / (2.0 * (m.divisor + 1)); };
  if ((op & 0x80) == 0) {
    // Data shifting: bit 4 write, bit 5 read, bit 1 bits (else bytes),
    // bit 3 LSB first, bits 0 and 2 the edges. TMS (bit 6) is not modelled.
    if ((op & 0x40) != 0 || (op & 0x30) == 0) return bad();
    const std::size_t data = (op & 0x10) != 0 ? 1 : 0;
    if ((op & 0x02) != 0) {
      if (!have(2 + data)) return 0;
      ++c.commands;
      a_data_command(op, cmd, std::size_t{cmd[1]} + 1u);
      return 2 + data;
    }
    if (!have(3)) return 0;
    const std::size_t n = (std::size_t{cmd[1]} | std::size_t{cmd[2]} << 8) + 1;
    const std::size_t total = 3 + data * n;
    if (!have(total)) return 0;
    ++c.commands;
    a_data_command(op, cmd, n);
    return total;
  }
  switch (op) {
    case 0x80:
    case 0x82:
      if (!have(3)) return 0;
      ++c.commands;
      if (op == 0x80) {
        a_set_low(cmd[1], cmd[2]);
      } else {
        m.high_value = cmd[1];
        m.high_direction = cmd[2];
      }
      return 3;
    case 0x81:
      ++c.commands;
      ca_.rx.push_back(a_read_low());
      return 1;
    case 0x83:  // nothing is wired to ACBUS: released lines read their pull-ups
      ++c.commands;
      ca_.rx.push_back(static_cast<std::uint8_t>((m.high_value & m.high_direction) | ~m.high_direction));
      return 1;
    case 0x84:
    case 0x85:
      ++c.commands;
      m.loopback = op == 0x84;
      return 1;
    case 0x86:
      if (!have(3)) return 0;
      ++c.commands;
      m.divisor = static_cast<std::uint16_t>(cmd[1] | cmd[2] << 8);
      set_clock();
      return 3;
    case 0x87:
      ++c.commands;
      ca_.flush = true;
      return 1;
    case 0x8A:
    case 0x8B:
      ++c.commands;
      m.div5 = op == 0x8B;
      set_clock();
      return 1;
    case 0x8C:  // three-phase clocking on / off, adaptive clocking on / off:
    case 0x8D:  // accepted, no effect on SPI mode 0 here
    case 0x96:
    case 0x97:
      ++c.commands;
      return 1;
    case 0x8E:
    case 0x8F: {
      const std::size_t len = op == 0x8E ? 2 : 3;
      if (!have(len)) return 0;
      ++c.commands;
      const std::uint64_t bits =
          op == 0x8E ? std::uint64_t{cmd[1]} + 1 : (std::uint64_t{cmd[1]} | std::uint64_t{cmd[2]} << 8) * 8 + 8;
      if (ca_.flash_selected) {  // a selected flash sees the clocks (MOSI held)
        const auto held = static_cast<std::uint8_t>((m.low_value & kPinMosi) != 0 ? 0xFF : 0x00);
        bool conflict = false;
        for (std::uint64_t left = bits; left > 0;) {
          const auto k = static_cast<unsigned>(std::min<std::uint64_t>(left, 8));
          a_bus(held, k, conflict);
          left -= k;
        }
      }
      c.clock_only_bits += bits;
      const double ns = 1e9 / m.sck_hz * static_cast<double>(bits);
      a_advance(ns);
      c.clock_ns += static_cast<std::uint64_t>(ns);
      return len;
    }
    default:
      return bad();
  }
}

void Ft2232hModel::a_bulk_write(std::span<const std::uint8_t> data) {
  MpsseCounters& c = ca_.counters;
  ++c.bulk_writes;
  c.bytes_from_host += data.size();
  a_advance(static_cast<double>(kUsbTransferNs));
  c.usb_ns += kUsbTransferNs;
  if (!ca_.mpsse.enabled) {
    c.dropped_not_mpsse += data.size();  // no UART or FIFO is attached to channel A
    return;
  }
  // The engine parses a stream: a command may straddle two transfers.
  ca_.pending.insert(ca_.pending.end(), data.begin(), data.end());
  std::size_t off = 0;
  while (off < ca_.pending.size()) {
    const std::size_t used = a_execute(std::span<const std::uint8_t>(ca_.pending).subspan(off));
    if (used == 0) break;
    off += used;
  }
  ca_.pending.erase(ca_.pending.begin(), ca_.pending.begin() + static_cast<std::ptrdiff_t>(off));
}

std::size_t Ft2232hModel::a_bulk_read(std::span<std::uint8_t> buf) {
  MpsseCounters& c = ca_.counters;
  ++c.bulk_reads;
  // The chip sends at once what SEND_IMMEDIATE asked for or what fills a
  // packet; anything else waits for the latency timer.
  const bool now = !ca_.rx.empty() && (ca_.flush || ca_.rx.size() >= kPacketData);
  if (!now) {
    const std::uint64_t deadline = ca_.last_packet_ns + std::uint64_t{a_.latency_ms} * 1'000'000;
    if (ca_.ns < deadline) a_advance(static_cast<double>(deadline - ca_.ns));
    ++c.latency_flushes;
  }
  if (!ca_.rx.empty()) {
    a_advance(static_cast<double>(kUsbTransferNs));
    c.usb_ns += kUsbTransferNs;
    ++c.data_reads;
  }
  const auto modem = kModemLowNibble;
  const auto line = kLineTxEmpty;
  std::size_t n = 0;
  while (ca_.rx.size() >= kPacketData && n < buf.size()) {
    write_packet(ca_.rx, buf.subspan(n, kPacketBytes), kPacketData, modem, line);
    n += kPacketBytes;
    ++c.packets;
    c.bytes_to_host += kPacketData;
  }
  if (n < buf.size() && (n == 0 || !ca_.rx.empty())) {
    const std::size_t k = ca_.rx.size();  // < kPacketData here
    write_packet(ca_.rx, buf.subspan(n, kPacketBytes), k, modem, line);
    n += kStatusBytes + k;
    ++c.packets;
    if (k == 0) ++c.status_only_packets;
    c.bytes_to_host += k;
  }
  if (ca_.rx.empty()) ca_.flush = false;
  ca_.last_packet_ns = ca_.ns;
  return n;
}

std::uint64_t Ft2232hModel::channel_a_ns() const {
  Lock lk = acquire();
  return ca_.ns;
}

Ft2232hModel::MpsseCounters Ft2232hModel::channel_a_counters() const {
  Lock lk = acquire();
  return ca_.counters;
}

Ft2232hModel::MpsseState Ft2232hModel::mpsse_state() const {
  Lock lk = acquire();
  return ca_.mpsse;
}

void Ft2232hModel::advance_channel_a(std::uint64_t ns) {
  Lock lk = acquire();
  a_advance(static_cast<double>(ns));
}

bool Ft2232hModel::cdone() const {
  Lock lk = acquire();
  return config_ != nullptr && config_->cdone(ca_.ns);
}

// ---- SimulatedDevice -----------------------------------------------------

SimulatedDevice::SimulatedDevice(std::unique_ptr<ChannelPort> port, std::string serial)
    : flash_(std::make_unique<SpiNorFlash>()), fpga_(std::move(port), *flash_), ftdi_(fpga_, fpga_, std::move(serial)) {}

SimulatedDevice::SimulatedDevice(SimulatedFpgaOptions options, SimulatedFpga::Factory factory, std::string serial,
                                 std::unique_ptr<SpiNorFlash> flash)
    : flash_(flash ? std::move(flash) : std::make_unique<SpiNorFlash>()),
      fpga_(options, std::move(factory), *flash_),
      ftdi_(fpga_, fpga_, std::move(serial)) {}

}  // namespace spikelink::sim
