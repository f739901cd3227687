// mpsse: the FT2232H's Multi-Protocol Synchronous Serial Engine as an SPI
// master with GPIO, on one channel of a usb::Device (a real board through
// libusb, or sim::Ft2232hModel). Commands are batched: a Batch collects
// MPSSE opcodes and knows how many bytes they answer, Engine::run sends the
// batch in one bulk OUT transfer, ends it with SEND_IMMEDIATE when it reads,
// and collects the answer. See docs/flashing.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "spikelink/ftdi.hpp"
#include "spikelink/usb.hpp"

namespace spikelink::mpsse {

namespace op {
inline constexpr std::uint8_t kWriteBytesNeg = 0x11;   // bytes out, MSB first, on the falling edge
inline constexpr std::uint8_t kReadBytesPos = 0x20;    // bytes in, sampled on the rising edge
inline constexpr std::uint8_t kTransferBytes = 0x31;   // out on falling, in on rising (SPI mode 0)
inline constexpr std::uint8_t kSetLow = 0x80;          // ADBUS value, direction
inline constexpr std::uint8_t kReadLow = 0x81;
inline constexpr std::uint8_t kLoopbackOn = 0x84;
inline constexpr std::uint8_t kLoopbackOff = 0x85;
inline constexpr std::uint8_t kClockDivisor = 0x86;
inline constexpr std::uint8_t kSendImmediate = 0x87;
inline constexpr std::uint8_t kDiv5Off = 0x8A;         // 60 MHz base clock
inline constexpr std::uint8_t kDiv5On = 0x8B;          // 12 MHz base clock
inline constexpr std::uint8_t kThreePhaseOff = 0x8D;
inline constexpr std::uint8_t kClockBytes = 0x8F;      // (n + 1) x 8 clocks, no data
inline constexpr std::uint8_t kAdaptiveOff = 0x97;
inline constexpr std::uint8_t kBadCommandReply = 0xFA;  // the engine's answer to an invalid opcode
}  // namespace op

inline constexpr std::size_t kMaxTransfer = 65536;  // bytes per data command

// The SCK the divisor gives: 60 MHz / (2 (div + 1)).
double sck_for_divisor(std::uint16_t div);
// The divisor for the fastest SCK at or below `hz` (at least 60 MHz / 131072).
std::uint16_t divisor_for(double hz);

class Batch {
 public:
  void set_low(std::uint8_t value, std::uint8_t direction);
  void read_low();                                   // answers 1 byte
  void write(std::span<const std::uint8_t> data);    // SPI out only
  void transfer(std::span<const std::uint8_t> data); // answers data.size() bytes
  void read(std::size_t n);                          // answers n bytes (MOSI held)
  // n clocks' worth of waiting (rounded up to whole bytes of 8 clocks).
  void clock_bits(std::uint64_t clocks);
  void raw(std::uint8_t byte) { out_.push_back(byte); }

  const std::vector<std::uint8_t>& bytes() const { return out_; }
  std::size_t answer_bytes() const { return answer_; }
  std::uint64_t clocks() const { return clocks_; }  // SCK cycles this batch spends
  bool empty() const { return out_.empty(); }
  void clear();

 private:
  void length(std::size_t n);
  std::vector<std::uint8_t> out_;
  std::size_t answer_ = 0;
  std::uint64_t clocks_ = 0;
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Stats {
  std::uint64_t batches = 0;
  std::uint64_t usb_writes = 0;  // bulk OUT transfers
  std::uint64_t usb_reads = 0;   // bulk IN transfers that returned data
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
};

class Engine {
 public:
  Engine(usb::Device& dev, ftdi::Port port = ftdi::Port::kA);

  // Resets the channel, enters MPSSE mode, checks that the engine answers
  // (an invalid opcode must come back as FA xx), sets SCK to the fastest
  // rate at or below `sck_hz` and ADBUS to `value`/`direction`. Throws
  // Error naming the channel when the engine does not answer.
  void open(double sck_hz, std::uint8_t value, std::uint8_t direction);
  // Back to the chip's default mode (bitmode reset): every pin an input.
  void close();
  bool is_open() const { return open_; }

  // Sends the batch (split into transfers of at most 64 KiB) and returns
  // its answer. Throws Error on a short or malformed answer.
  std::vector<std::uint8_t> run(const Batch& b, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

  double sck_hz() const { return sck_hz_; }
  const Stats& stats() const { return stats_; }
  ftdi::Channel& channel() { return ch_; }

 private:
  ftdi::Channel ch_;
  bool open_ = false;
  double sck_hz_ = 0;
  Stats stats_{};
  std::vector<std::uint8_t> in_;
};

}  // namespace spikelink::mpsse
