#include "board/rtl_board.hpp"

#include <board/rtl_board_builds.hpp>  // generated: the verilated builds

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/harness.hpp"
#include "flash/spi_nor_flash.hpp"

namespace spikelink::sim {

namespace {

constexpr unsigned kMinClksPerBit = 4;
constexpr unsigned kResetCycles = 8;
// Without a flash the boot loader gives up at the first byte; with one, it
// takes about 17 clocks a byte of the blob.
constexpr std::uint64_t kBootCyclesNoFlash = 100'000;
constexpr std::uint64_t kBootCyclesPerFlashByte = 64;
// Bit times in board clocks are 32.32 fixed point: an integer add and
// compare per clock, and the fraction carries from bit to bit.
constexpr std::uint64_t kOne = std::uint64_t{1} << 32;

std::uint64_t bit_period(std::uint64_t clock_hz, double baud) {
  if (!(baud > 0) || !std::isfinite(baud)) throw std::invalid_argument("RtlBoard: baud must be positive");
  const double clocks = static_cast<double>(clock_hz) / baud;
  if (clocks > 1e9) throw std::invalid_argument("RtlBoard: baud too low for the board clock");
  return static_cast<std::uint64_t>(std::llround(clocks * static_cast<double>(kOne)));
}

std::string describe(const RtlBoardBuild& b) {
  std::ostringstream s;
  s << static_cast<double>(b.clock_hz) / 1e6 << " MHz, " << b.clks_per_bit << " clocks per bit ("
    << static_cast<double>(b.clock_hz) / b.clks_per_bit / 1e6 << " Mbaud), " << (b.plastic ? "plastic" : "static")
    << (b.trace ? ", traced" : "");
  return s.str();
}

// The FT2232H's UART in channel B, as the board sees it: a serialiser that
// drives the board's uart_rx_i and a receiver that samples its uart_tx_o,
// both at the FTDI's baud in board clocks.
struct FtdiUart {
  std::uint64_t period = 8 * kOne;  // board clocks per bit

  // Serialiser: the frame (start, data LSB first, stop) shifts out of bit 0.
  std::uint32_t tx_frame = 0;
  unsigned tx_bits = 0;  // bits left of the frame on the line
  std::uint64_t tx_acc = 0;  // time spent in the current bit

  // Receiver.
  enum class Rx : std::uint8_t { kHunt, kFrame, kWaitHigh };
  Rx rx = Rx::kHunt;
  std::uint64_t rx_t = 0;     // time since the start edge
  std::uint64_t rx_next = 0;  // when the next bit is sampled
  unsigned rx_bit = 0;
  std::uint32_t rx_shift = 0;
  std::uint64_t framing_errors = 0;

  // The line level towards the board for this clock; takes the next byte
  // when the line is free. Bytes follow each other with one stop bit and
  // the fraction of a clock that the last one left over.
  std::uint8_t tx_level(std::deque<std::uint8_t>& to_board) {
    if (tx_bits == 0) {
      if (to_board.empty()) {
        tx_acc = 0;
        return 1;
      }
      tx_frame = (1U << 9) | (std::uint32_t{to_board.front()} << 1);
      to_board.pop_front();
      tx_bits = 10;
    }
    const auto level = static_cast<std::uint8_t>(tx_frame & 1U);
    tx_acc += kOne;
    if (tx_acc >= period) {
      tx_acc -= period;
      tx_frame >>= 1;
      --tx_bits;
    }
    return level;
  }

  // `level` is the board's uart_tx_o after a clock edge (it changes only
  // at edges, so a start edge seen here happened at this edge exactly).
  // Bit k is sampled at the first clock at or past (k + 1/2) bit times
  // after the start edge.
  void rx_sample(std::uint8_t level, std::vector<std::uint8_t>& from_board) {
    switch (rx) {
      case Rx::kHunt:
        if (level == 0) {
          rx = Rx::kFrame;
          rx_t = 0;
          rx_next = period / 2;
          rx_bit = 0;
          rx_shift = 0;
        }
        return;
      case Rx::kFrame:
        rx_t += kOne;
        if (rx_t < rx_next) return;
        rx_next += period;
        if (rx_bit == 0 && level != 0) {
          rx = Rx::kHunt;  // the start bit is gone at its middle: a glitch
          return;
        }
        rx_shift |= std::uint32_t{level} << rx_bit;
        if (++rx_bit < 10) return;
        // The chip keeps a byte with a bad stop bit and flags it.
        from_board.push_back(static_cast<std::uint8_t>(rx_shift >> 1));
        if (level == 0) {
          ++framing_errors;
          rx = Rx::kWaitHigh;
        } else {
          rx = Rx::kHunt;
        }
        return;
      case Rx::kWaitHigh:
        if (level != 0) rx = Rx::kHunt;
        return;
    }
  }
};

}  // namespace

struct RtlBoard::Impl {
  virtual ~Impl() = default;
  virtual void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                   std::vector<std::uint8_t>& from_board) = 0;
  virtual std::uint64_t cycles() const = 0;
  virtual std::uint64_t boot_cycles() const = 0;
  virtual HarnessStats stats() const = 0;
  virtual bool tracing() const = 0;

  FtdiUart ftdi;
  double ftdi_baud = 0;
};

namespace {

template <class Top, bool kTrace>
class BoardImpl final : public RtlBoard::Impl {
 public:
  BoardImpl(const RtlBoardOptions& opt, TraceOptions trace)
      : uart_(opt.phy == RtlBoardOptions::Phy::kUart),
        h_("rtl board", std::move(trace)),
        flash_(opt.flash),
        flash_ps_per_clock_(1'000'000'000'000ULL / opt.clock_hz) {
    Top& t = h_.top();
    t.flash_miso_i = 1;
    t.board_id_i = opt.identity.board_id;
    t.gw_major_i = opt.identity.gw_major;
    t.gw_minor_i = opt.identity.gw_minor;
    t.gw_patch_i = opt.identity.gw_patch;
    t.build_hash_i = opt.identity.build_hash;
    t.clk_i = 0;
    t.rst_ni = 0;
    t.uart_rx_i = 1;
    t.byte_mode_i = uart_ ? 0 : 1;
    t.byte_rx_data_i = 0;
    t.byte_rx_valid_i = 0;
    t.byte_tx_ready_i = 1;
    h_.eval();
    for (unsigned i = 0; i < kResetCycles; ++i) h_.tick();
    t.rst_ni = 1;
    boot();
  }

  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
           std::vector<std::uint8_t>& from_board) override {
    typename Harness<Top, kTrace>::Timed timed(h_);
    if (uart_) {
      run_uart(cycles, to_board, from_board);
    } else {
      run_bytes(cycles, to_board, from_board);
    }
  }

  std::uint64_t cycles() const override { return h_.cycles() - kResetCycles - boot_cycles_; }
  std::uint64_t boot_cycles() const override { return boot_cycles_; }
  HarnessStats stats() const override {
    HarnessStats s = h_.stats();
    s.cycles = cycles();
    s.cycles_per_second = s.seconds > 0 ? static_cast<double>(s.cycles) / s.seconds : 0.0;
    return s;
  }
  bool tracing() const override { return h_.tracing(); }

 private:
  void run_bytes(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                 std::vector<std::uint8_t>& from_board) {
    Top& t = h_.top();
    for (std::uint64_t i = 0; i < cycles; ++i) {
      if (flash_ != nullptr) [[unlikely]] drive_flash(t);
      // A byte is offered only while the framer's receive ring has room for
      // a whole frame (byte_rx_ready_o, from the registers of the last edge):
      // a held-back byte waits in to_board, so the byte port never overflows.
      if (to_board.empty() || !t.byte_rx_ready_o) {
        t.byte_rx_valid_i = 0;
      } else {
        t.byte_rx_valid_i = 1;
        t.byte_rx_data_i = to_board.front();
        to_board.pop_front();
      }
      // byte_tx_ready_i is 1: valid at the edge is a byte taken.
      h_.tick([&] {
        if (t.byte_tx_valid_o) from_board.push_back(t.byte_tx_data_o);
      });
    }
  }

  void run_uart(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                std::vector<std::uint8_t>& from_board) {
    Top& t = h_.top();
    for (std::uint64_t i = 0; i < cycles; ++i) {
      if (flash_ != nullptr) [[unlikely]] drive_flash(t);
      t.uart_rx_i = ftdi.tx_level(to_board);
      h_.tick();
      ftdi.rx_sample(t.uart_tx_o, from_board);
    }
  }

  // Runs the clock until the boot loader lets the host in (byte_rx_ready_o
  // rises: the loader is done and the link idle, in either PHY mode).
  void boot() {
    Top& t = h_.top();
    const std::uint64_t limit =
        flash_ != nullptr ? kBootCyclesNoFlash + kBootCyclesPerFlashByte * flash_->size() : kBootCyclesNoFlash;
    const std::uint64_t start = h_.cycles();
    while (!t.byte_rx_ready_o) {
      if (h_.cycles() - start > limit) throw std::runtime_error("RtlBoard: the gateware's boot loader did not finish");
      if (flash_ != nullptr) drive_flash(t);
      h_.tick();
    }
    boot_cycles_ = h_.cycles() - start;
  }

  // The flash's pins for the coming edge, from the top's outputs of the
  // last one. Only while CS is low (and at its rising edge) does the flash
  // see them; its clock is brought up to date then.
  void drive_flash(Top& t) {
    const bool cs_n = t.flash_csn_o != 0;
    if (cs_n && !flash_selected_) return;
    flash_selected_ = !cs_n;
    const std::uint64_t now = h_.cycles();
    const std::uint64_t ps = (now - flash_cycle_) * flash_ps_per_clock_ + flash_ps_rest_;
    flash_cycle_ = now;
    flash_ps_rest_ = ps % 1000;
    if (ps >= 1000) flash_->advance_ns(ps / 1000);
    t.flash_miso_i = flash_->pins(cs_n, t.flash_sck_o != 0, t.flash_mosi_o != 0) ? 1 : 0;
  }

  bool uart_;
  Harness<Top, kTrace> h_;
  SpiNorFlash* flash_;
  std::uint64_t flash_ps_per_clock_;
  bool flash_selected_ = false;    // CS was low at the last edge
  std::uint64_t flash_cycle_ = 0;  // the flash's time is that of this clock
  std::uint64_t flash_ps_rest_ = 0;
  std::uint64_t boot_cycles_ = 0;
};

std::unique_ptr<RtlBoard::Impl> make_impl(const RtlBoardBuild& b, const RtlBoardOptions& opt, TraceOptions trace) {
#define SPIKELINK_MAKE_BOARD(TOP, HZ, CLKS, PLASTIC, TRACED)                                        \
  if (b.clock_hz == (HZ) && b.clks_per_bit == (CLKS) && b.plastic == (PLASTIC) && b.trace == (TRACED)) { \
    return std::make_unique<BoardImpl<TOP, TRACED>>(opt, std::move(trace));                         \
  }
  SPIKELINK_BOARD_BUILDS(SPIKELINK_MAKE_BOARD)
#undef SPIKELINK_MAKE_BOARD
  throw std::logic_error("RtlBoard: no model for build " + describe(b));
}

}  // namespace

std::vector<RtlBoardBuild> RtlBoard::builds() {
  std::vector<RtlBoardBuild> v;
#define SPIKELINK_LIST_BOARD(TOP, HZ, CLKS, PLASTIC, TRACED) v.push_back(RtlBoardBuild{HZ, CLKS, PLASTIC, TRACED});
  SPIKELINK_BOARD_BUILDS(SPIKELINK_LIST_BOARD)
#undef SPIKELINK_LIST_BOARD
  return v;
}

RtlBoard::RtlBoard(Options options) : opt_(std::move(options)) {
  const bool uart = opt_.phy == Phy::kUart;
  if (opt_.clock_hz == 0) throw std::invalid_argument("RtlBoard: clock_hz must be positive");
  if (uart) {
    const std::uint64_t period = bit_period(opt_.clock_hz, opt_.baud);
    clks_per_bit_ = static_cast<unsigned>((period + kOne / 2) / kOne);
    if (clks_per_bit_ < kMinClksPerBit) {
      const double need = kMinClksPerBit * opt_.baud;
      std::ostringstream s;
      s << "RtlBoard: " << opt_.baud / 1e6 << " Mbaud at a " << static_cast<double>(opt_.clock_hz) / 1e6
        << " MHz clock is " << clks_per_bit_ << " clocks per bit; the gateware's UART needs at least "
        << kMinClksPerBit << ". Run the board at " << std::ceil(need / 1e6) << " MHz or more (clock_hz = "
        << static_cast<std::uint64_t>(std::ceil(need)) << ", for example 48000000 for 12 Mbaud)";
      throw std::invalid_argument(s.str());
    }
  }

  TraceOptions trace = TraceOptions::from_env(opt_.fst_path);
  const RtlBoardBuild want{opt_.clock_hz, clks_per_bit_, opt_.plastic, trace.requested()};
  const auto available = builds();
  const RtlBoardBuild* pick = nullptr;
  for (const auto& b : available) {
    if (b.clock_hz == want.clock_hz && b.plastic == want.plastic && b.trace == want.trace &&
        (!uart || b.clks_per_bit == want.clks_per_bit)) {
      pick = &b;
      break;
    }
  }
  if (pick == nullptr) {
    std::ostringstream s;
    s << "RtlBoard: no verilated build of spikelink_top for " << static_cast<double>(opt_.clock_hz) / 1e6 << " MHz";
    if (uart) s << ", " << clks_per_bit_ << " clocks per bit";
    s << ", " << (opt_.plastic ? "plastic" : "static") << (want.trace ? ", traced" : "")
      << ". Builds in this binary:";
    for (const auto& b : available) s << "\n  " << describe(b);
    s << "\nAdd one to SPIKELINK_SIM_BOARD_BUILDS (sim/board/CMakeLists.txt).";
    throw std::invalid_argument(s.str());
  }
  impl_ = make_impl(*pick, opt_, std::move(trace));
  if (uart) set_baud(opt_.baud);
}

RtlBoard::~RtlBoard() = default;

std::uint64_t RtlBoard::clock_hz() const { return opt_.clock_hz; }

void RtlBoard::set_baud(double baud) {
  if (opt_.phy != Phy::kUart) return;  // a byte port has no line rate
  impl_->ftdi.period = bit_period(opt_.clock_hz, baud);
  impl_->ftdi_baud = baud;
}

void RtlBoard::run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                   std::vector<std::uint8_t>& from_board) {
  impl_->run(cycles, to_board, from_board);
}

std::uint64_t RtlBoard::cycles() const { return impl_->cycles(); }
std::uint64_t RtlBoard::boot_cycles() const { return impl_->boot_cycles(); }
double RtlBoard::ftdi_baud() const { return impl_->ftdi_baud; }
std::uint64_t RtlBoard::ftdi_framing_errors() const { return impl_->ftdi.framing_errors; }
bool RtlBoard::tracing() const { return impl_->tracing(); }

RtlBoardStats RtlBoard::stats() const {
  const HarnessStats h = impl_->stats();
  return RtlBoardStats{h.cycles, h.seconds, h.cycles_per_second, h.cpu_seconds};
}

}  // namespace spikelink::sim
