// The simulated board behind sim://: the Verilated spikelink_top
// (rtl/top/spikelink_top.sv, docs/link.md §4) as the FPGA side of the
// FT2232H's channel B. Two attachments:
//
//  - byte port (sim://): byte_mode_i = 1, host bytes enter byte_rx at up to
//    one per clock, every output byte is taken (byte_tx_ready_i = 1);
//  - UART pins (sim://?phy=uart): byte_mode_i = 0, a model of the FTDI's
//    UART drives uart_rx_i bit by bit and samples uart_tx_o mid-bit, both
//    at the FTDI's baud measured in board clocks (fractional bit times are
//    accumulated, so a baud that does not divide the clock is modelled, and
//    a baud that differs from the gateware's gives garbage as on a board).
//
// The gateware's bit time is the top's ClksPerBit parameter, fixed when the
// model is verilated, so sim/board/CMakeLists.txt verilates a few builds
// (SPIKELINK_SIM_BOARD_BUILDS: clock, clocks per bit, plasticity), each
// twice: fast, and with FST tracing. RtlBoard picks the build that matches
// its options, the trace build only when a trace is asked for (fst_path,
// or SIGUSR1 with SPIKELINK_TRACE_FILE / SPIKELINK_TRACE_SIGNAL set; see
// docs/testing.md). No Verilator header is visible here.
//
// The board boots in the constructor: after reset the gateware's boot
// loader reads the SPI flash (RtlBoardOptions::flash, a sim::SpiNorFlash on
// the top's flash pins; none: MISO pulled up, no image) and replays a
// network blob it finds into the link (docs/link.md §4.2). The board is
// handed over once the loader is done, as a board is powered before the
// host opens it; cycles() counts from there (boot_cycles() says how long
// the boot took).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ftdi/channel_port.hpp"

namespace spikelink::sim {

class SpiNorFlash;

// The gateware's identity inputs (spikelink_top board_id_i, gw_*_i,
// build_hash_i): IDENTIFY and registers 0x0002-0x0004. The defaults are what
// the verilated top reported when these were parameters: board 0, gateware
// 0.1.0, build hash 0.
struct RtlBoardIdentity {
  std::uint16_t board_id = 0;
  std::uint8_t gw_major = 0;
  std::uint8_t gw_minor = 1;
  std::uint8_t gw_patch = 0;
  std::uint32_t build_hash = 0;
};

struct RtlBoardOptions {
  enum class Phy { kByte, kUart };
  Phy phy = Phy::kByte;
  // UART only: the gateware's rate (ClksPerBit = round(clock_hz / baud),
  // at least 4) and the FTDI side's rate until set_baud() changes it.
  double baud = 3'000'000;
  std::uint64_t clock_hz = 24'000'000;
  std::string fst_path;  // empty: no trace (unless SIGUSR1 tracing is armed)
  bool plastic = true;   // the core with the learning engine
  RtlBoardIdentity identity;
  // The flash on the gateware's flash pins, read by its boot loader (not
  // owned; must outlive the board). Null: no flash (MISO reads 1).
  SpiNorFlash* flash = nullptr;
};

// A verilated build of spikelink_top (sim/board/CMakeLists.txt).
struct RtlBoardBuild {
  std::uint64_t clock_hz;
  unsigned clks_per_bit;
  bool plastic;
  bool trace;
};

struct RtlBoardStats {
  std::uint64_t cycles = 0;
  double seconds = 0;  // inside run(), wall clock
  double cycles_per_second = 0;
  double cpu_seconds = 0;  // inside run(), this thread's CPU time
};

class RtlBoard : public ChannelPort {
 public:
  using Options = RtlBoardOptions;
  using Phy = RtlBoardOptions::Phy;

  // Resets the top. Throws std::invalid_argument when the options ask for
  // less than 4 clocks per bit (the message suggests a clock) or for a
  // combination that has no verilated build (it lists those there are).
  explicit RtlBoard(Options options = {});
  ~RtlBoard() override;
  RtlBoard(const RtlBoard&) = delete;
  RtlBoard& operator=(const RtlBoard&) = delete;

  // ChannelPort.
  std::uint64_t clock_hz() const override;
  void set_baud(double baud) override;
  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
           std::vector<std::uint8_t>& from_board) override;
  std::uint64_t cycles() const override;
  // Clocks from reset until the boot loader was done (before cycles()).
  std::uint64_t boot_cycles() const;

  const Options& options() const { return opt_; }
  // The gateware's bit time (UART), 0 on the byte port.
  unsigned clks_per_bit() const { return clks_per_bit_; }
  double ftdi_baud() const;
  // Bytes the FTDI-side receiver got with a low stop bit (UART only). They
  // are delivered all the same, as the chip does (it flags them in its
  // status bytes).
  std::uint64_t ftdi_framing_errors() const;
  bool tracing() const;
  RtlBoardStats stats() const;

  // The builds this binary has.
  static std::vector<RtlBoardBuild> builds();

  struct Impl;

 private:
  Options opt_;
  unsigned clks_per_bit_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spikelink::sim
