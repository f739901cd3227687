#include "spikelink/mpsse.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace spikelink::mpsse {

namespace {
constexpr double kBaseHz = 60e6;  // divide-by-5 off
}

double sck_for_divisor(std::uint16_t div) { return kBaseHz / (2.0 * (div + 1.0)); }

std::uint16_t divisor_for(double hz) {
  if (!(hz > 0)) return 0xFFFF;
  const double d = std::ceil(kBaseHz / (2.0 * hz) - 1.0 - 1e-9);
  return static_cast<std::uint16_t>(std::clamp(d, 0.0, 65535.0));
}

void Batch::length(std::size_t n) {
  const auto l = static_cast<std::uint16_t>(n - 1);
  out_.push_back(static_cast<std::uint8_t>(l & 0xFF));
  out_.push_back(static_cast<std::uint8_t>(l >> 8));
}

void Batch::set_low(std::uint8_t value, std::uint8_t direction) {
  out_.insert(out_.end(), {op::kSetLow, value, direction});
}

void Batch::read_low() {
  out_.push_back(op::kReadLow);
  ++answer_;
}

void Batch::write(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kMaxTransfer);
    out_.push_back(op::kWriteBytesNeg);
    length(n);
    out_.insert(out_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    clocks_ += 8 * n;
    data = data.subspan(n);
  }
}

void Batch::transfer(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kMaxTransfer);
    out_.push_back(op::kTransferBytes);
    length(n);
    out_.insert(out_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    clocks_ += 8 * n;
    answer_ += n;
    data = data.subspan(n);
  }
}

void Batch::read(std::size_t n) {
  while (n > 0) {
    const std::size_t k = std::min(n, kMaxTransfer);
    out_.push_back(op::kReadBytesPos);
    length(k);
    clocks_ += 8 * k;
    answer_ += k;
    n -= k;
  }
}

void Batch::clock_bits(std::uint64_t clocks) {
  std::uint64_t bytes = (clocks + 7) / 8;
  while (bytes > 0) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, kMaxTransfer));
    out_.push_back(op::kClockBytes);
    length(k);
    clocks_ += 8 * k;
    bytes -= k;
  }
}

void Batch::clear() {
  out_.clear();
  answer_ = 0;
  clocks_ = 0;
}

Engine::Engine(usb::Device& dev, ftdi::Port port) : ch_(dev, port, 65536) {}

void Engine::open(double sck_hz, std::uint8_t value, std::uint8_t direction) {
  ch_.reset();
  ch_.purge_board_to_host();
  ch_.purge_host_to_board();
  ch_.set_latency_timer(1);
  ch_.set_bitmode(ftdi::Bitmode::kReset);
  ch_.set_bitmode(ftdi::Bitmode::kMpsse);
  open_ = true;
  // Synchronise: an invalid opcode must come back as FA <op>, and nothing
  // else may be waiting in the engine's output.
  Batch sync;
  sync.raw(0xAA);
  sync.raw(op::kSendImmediate);
  std::vector<std::uint8_t> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (got.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    if (got.empty()) ch_.write(sync.bytes());
    ch_.read(got, std::chrono::milliseconds(100));
  }
  if (got.size() < 2 || got[got.size() - 2] != op::kBadCommandReply || got.back() != 0xAA) {
    open_ = false;
    throw Error(fmt::format("mpsse: the engine on channel {} does not answer (sent AA, got {} bytes{}): is this an "
                            "FT2232H, and is its channel in use by another program?",
                            ftdi::port_name(ch_.port()), got.size(),
                            got.empty() ? "" : fmt::format(", first {:02x}", got[0])));
  }
  const std::uint16_t div = divisor_for(sck_hz);
  sck_hz_ = sck_for_divisor(div);
  Batch setup;
  setup.raw(op::kDiv5Off);
  setup.raw(op::kAdaptiveOff);
  setup.raw(op::kThreePhaseOff);
  setup.raw(op::kLoopbackOff);
  setup.raw(op::kClockDivisor);
  setup.raw(static_cast<std::uint8_t>(div & 0xFF));
  setup.raw(static_cast<std::uint8_t>(div >> 8));
  setup.set_low(value, direction);
  run(setup);
}

void Engine::close() {
  if (!open_) return;
  open_ = false;
  ch_.set_bitmode(ftdi::Bitmode::kReset);
}

std::vector<std::uint8_t> Engine::run(const Batch& b, std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> out;
  if (b.empty()) return out;
  ++stats_.batches;
  // One bulk OUT transfer per 64 KiB, SEND_IMMEDIATE at the end when the
  // batch reads, so its answer leaves the chip without waiting for the
  // latency timer. The engine parses a stream: a command may straddle two
  // transfers.
  std::vector<std::uint8_t> bytes = b.bytes();
  if (b.answer_bytes() > 0) bytes.push_back(op::kSendImmediate);
  constexpr std::size_t kChunk = 1 << 16;
  for (std::size_t off = 0; off < bytes.size(); off += kChunk) {
    const std::size_t n = std::min(kChunk, bytes.size() - off);
    ch_.write(std::span<const std::uint8_t>(bytes).subspan(off, n), timeout);
    ++stats_.usb_writes;
    stats_.bytes_out += n;
  }
  if (b.answer_bytes() == 0) return out;
  out.reserve(b.answer_bytes());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < b.answer_bytes()) {
    const std::size_t before = out.size();
    ch_.read(out, std::chrono::milliseconds(50));
    if (out.size() > before) ++stats_.usb_reads;
    if (std::chrono::steady_clock::now() > deadline) break;
  }
  stats_.bytes_in += out.size();
  if (out.size() != b.answer_bytes())
    throw Error(fmt::format("mpsse: channel {} answered {} of {} bytes within {} ms{}", ftdi::port_name(ch_.port()),
                            out.size(), b.answer_bytes(), timeout.count(),
                            out.size() >= 2 && out[out.size() - 2] == op::kBadCommandReply
                                ? " (it reports an invalid command)"
                                : ""));
  return out;
}

}  // namespace spikelink::mpsse
