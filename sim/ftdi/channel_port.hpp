// The FPGA side of an FT2232H channel in the simulator: what sim::Ft2232hModel
// drives. Implementations: sim::RtlBoard (the Verilated spikelink_top, on its
// byte port or its UART pins), sim::ModelBoard (the C++ link model and the
// golden core, for model://) and test loopbacks. See docs/link.md.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace spikelink::sim {

class ChannelPort {
 public:
  virtual ~ChannelPort() = default;
  // The board's clock: the FTDI model converts its latency timer and baud
  // rate to board clocks with it.
  virtual std::uint64_t clock_hz() const = 0;
  // The FTDI's UART rate (from the SET_BAUDRATE divisor, as the chip
  // computes it). A bit-accurate port sends and samples at this rate;
  // a byte port ignores it.
  virtual void set_baud(double baud) = 0;
  // Runs the board for `cycles` clocks. Bytes from the host are taken from
  // the front of `to_board` as fast as the line takes them; bytes the board
  // sends are appended to `from_board`.
  virtual void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                   std::vector<std::uint8_t>& from_board) = 0;
  // Clocks run since construction.
  virtual std::uint64_t cycles() const = 0;
};

}  // namespace spikelink::sim

namespace spikelink::sim {

class SpiNorFlash;

// The board side of the FT2232H's channel A in MPSSE mode, as the
// iCEBreaker wires it (docs/usb.md): the SPI flash on ADBUS0..2 and 4, the
// FPGA's CDONE on ADBUS6 and CRESET_B on ADBUS7. Times are channel A's
// simulated time in ns.
class ConfigPort {
 public:
  virtual ~ConfigPort() = default;
  // The flash on the SPI pins; nullptr if there is none.
  virtual SpiNorFlash* flash() = 0;
  // CRESET_B's level changed: low holds the FPGA in reset, the rising edge
  // starts its configuration from flash.
  virtual void set_creset_b(bool high, std::uint64_t now_ns) = 0;
  // CDONE's level at `now_ns` (high: configured).
  virtual bool cdone(std::uint64_t now_ns) const = 0;
  // Channel A's time moved on to `now_ns` (a configuration in progress may
  // end on this clock before it ends on channel B's).
  virtual void channel_a_time(std::uint64_t /*now_ns*/) {}
};

}  // namespace spikelink::sim
