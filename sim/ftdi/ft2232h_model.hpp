// sim::Ft2232hModel: the FT2232H as the host sees it through usb::Device,
// with channel B's UART side attached to a ChannelPort (the simulated
// board). Time is the board's: the model runs the board in slices while the
// host reads (until a packet is full or the latency timer expires in
// simulated time) and while the host writes into a full buffer. Time never
// depends on the wall clock; the one wait is a writer's for a reading
// thread to drain a nearly full RX buffer (docs/usb.md).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <memory>
#include <vector>

#include "flash/spi_nor_flash.hpp"
#include "ftdi/channel_port.hpp"
#include "ftdi/simulated_fpga.hpp"
#include "spikelink/usb.hpp"

namespace spikelink::sim {

class Ft2232hModel : public usb::Device {
 public:
  static constexpr std::size_t kTxBufferBytes = 4096;  // host -> board
  static constexpr std::size_t kRxBufferBytes = 4096;  // board -> host
  static constexpr std::size_t kPacketBytes = 512;
  static constexpr unsigned kDefaultLatencyMs = 16;
  static constexpr double kDefaultBaud = 9600;  // the chip's rate before SET_BAUDRATE

  struct Counters {
    std::uint64_t bytes_from_host = 0;   // accepted by bulk_write into the TX buffer
    std::uint64_t bytes_to_board = 0;    // taken from the TX buffer by the board
    std::uint64_t bytes_from_board = 0;  // sent by the board (including those lost)
    std::uint64_t bytes_to_host = 0;     // data bytes in IN packets
    std::uint64_t overrun_bytes = 0;     // board bytes lost to a full RX buffer
    std::uint64_t overruns = 0;          // board-run slices that lost bytes
    std::uint64_t purged_to_board = 0;   // bytes dropped by RESET (purge / SIO reset)
    std::uint64_t purged_to_host = 0;
    std::uint64_t packets = 0;           // IN packets, status-only included
    std::uint64_t full_packets = 0;
    std::uint64_t status_only_packets = 0;
    std::uint64_t latency_flushes = 0;   // short packets sent because the latency timer expired
    std::uint64_t event_flushes = 0;     // short packets sent because the event character came
    std::uint64_t bulk_reads = 0;
    std::uint64_t bulk_writes = 0;
    std::uint64_t control_requests = 0;
  };

  // State the host has set through vendor requests, per channel.
  struct ChannelState {
    unsigned latency_ms = kDefaultLatencyMs;
    std::uint8_t bitmode = 0;
    std::uint8_t pin_mask = 0;
    double baud = kDefaultBaud;
    std::uint16_t data = 0x0008;  // SET_DATA wValue (8N1)
    std::uint16_t flow = 0;       // SET_FLOW_CTRL wIndex high byte
    std::uint8_t modem_ctrl = 0;  // DTR bit 0, RTS bit 1
    std::uint16_t event_char = 0; // SET_EVENT_CHAR wValue: char, bit 8 enable
  };

  // Channel A's MPSSE engine (docs/usb.md "Channel A: the MPSSE engine").
  // Every bulk transfer on channel A that moves data costs one high-speed
  // microframe of channel-A time: a host's write-then-read round trip is
  // at least two.
  static constexpr std::uint64_t kUsbTransferNs = 125'000;
  // iCEBreaker pins on ADBUS.
  static constexpr std::uint8_t kPinSck = 0x01;
  static constexpr std::uint8_t kPinMosi = 0x02;
  static constexpr std::uint8_t kPinMiso = 0x04;
  static constexpr std::uint8_t kPinFlashCs = 0x10;
  static constexpr std::uint8_t kPinCdone = 0x40;
  static constexpr std::uint8_t kPinCreset = 0x80;

  struct MpsseCounters {
    std::uint64_t bulk_writes = 0;         // bulk OUT transfers on channel A
    std::uint64_t bulk_reads = 0;          // bulk IN transfers on channel A
    std::uint64_t data_reads = 0;          // ... of them that carried data
    std::uint64_t bytes_from_host = 0;
    std::uint64_t bytes_to_host = 0;       // answer bytes, status bytes not counted
    std::uint64_t packets = 0;
    std::uint64_t status_only_packets = 0;
    std::uint64_t latency_flushes = 0;     // reads that waited for the latency timer
    std::uint64_t commands = 0;            // MPSSE opcodes executed
    std::uint64_t bad_commands = 0;        // answered FA <op>
    std::uint64_t spi_bytes = 0;           // bytes clocked by data commands
    std::uint64_t spi_bits = 0;            // bits clocked by bit commands
    std::uint64_t clock_only_bits = 0;     // 0x8E / 0x8F
    std::uint64_t edge_mismatches = 0;     // data commands not in SPI mode 0 (0x10, 0x30, 0x24, ...)
    std::uint64_t bus_conflicts = 0;       // data commands with flash CS low while CRESET_B was released
    std::uint64_t creset_pulses = 0;       // CRESET_B driven low
    std::uint64_t dropped_not_mpsse = 0;   // bytes written while channel A was not in MPSSE mode
    std::uint64_t usb_ns = 0;              // channel-A time spent on USB transfer overhead
    std::uint64_t clock_ns = 0;            // ... clocking SCK
    std::uint64_t round_trips() const { return bulk_writes + bulk_reads; }
  };
  struct MpsseState {
    bool enabled = false;  // SET_BITMODE 0x02
    bool div5 = true;      // 12 MHz base clock (0x8B), the chip's default
    std::uint16_t divisor = 0;
    double sck_hz = 6e6;
    std::uint8_t low_value = 0, low_direction = 0;   // ADBUS
    std::uint8_t high_value = 0, high_direction = 0; // ACBUS
    bool loopback = false;
  };

  explicit Ft2232hModel(ChannelPort& channel_b, std::string serial = "SIM000001");
  // Channel A's pins reach `channel_a` (flash, CRESET_B, CDONE).
  Ft2232hModel(ChannelPort& channel_b, ConfigPort& channel_a, std::string serial = "SIM000001");

  usb::DeviceInfo info() const override;
  void control_out(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                   std::span<const std::uint8_t> data = {}) override;
  std::size_t control_in(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                         std::span<std::uint8_t> data) override;
  void bulk_write(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                  std::chrono::milliseconds timeout) override;
  std::size_t bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                        std::chrono::milliseconds timeout) override;
  std::size_t max_packet_size() const override { return kPacketBytes; }

  // The board's clocks run so far (simulated time).
  std::uint64_t cycles() const;
  Counters counters() const;
  // channel 1 = A, 2 = B
  ChannelState channel_state(int channel) const;
  std::size_t rx_buffered() const;  // board bytes waiting for the host
  std::size_t tx_buffered() const;  // host bytes waiting for the board

  // Runs the board for `cycles` clocks with no host transfer, as time
  // passes on a real board between transfers.
  void run_for(std::uint64_t cycles);
  // The board-driven modem inputs (kModemCts | kModemDsr | kModemRi |
  // kModemDcd, bits 4..7 of the first status byte). Default 0: unconnected.
  void set_modem_inputs(std::uint8_t bits);
  // Line-status error bits (parity 0x04, framing 0x08, break 0x10) for the
  // next IN packet, as the UART would report them.
  void inject_line_status(std::uint8_t bits);

  // Channel A: simulated time (ns since construction), counters, engine state.
  std::uint64_t channel_a_ns() const;
  MpsseCounters channel_a_counters() const;
  MpsseState mpsse_state() const;
  // Lets `ns` of channel-A time pass with no transfer (a flash operation's
  // BUSY time runs out, the FPGA configures).
  void advance_channel_a(std::uint64_t ns);
  // CDONE as channel A would read it now (0x81 bit 6 with ADBUS6 an input).
  bool cdone() const;
  // Runs `f` holding the model's lock (inspecting the boards and the flash
  // while another thread may be in a transfer).
  template <class F>
  decltype(auto) locked(F&& f) const {
    Lock lk = acquire();
    return f();
  }

 private:
  struct ChannelA {
    MpsseState mpsse{};
    std::vector<std::uint8_t> pending;  // host bytes not yet a whole command
    std::deque<std::uint8_t> rx;        // answers for the host
    bool flush = false;                 // SEND_IMMEDIATE: send what is there at the next read
    std::uint64_t ns = 0;
    double frac_ns = 0;
    std::uint64_t last_packet_ns = 0;
    bool flash_selected = false;        // the model has CS low on the flash
    bool creset_low = false;
    bool miso = true;                   // last level seen on ADBUS2
    std::uint64_t garbage = 0x2545F4914F6CDD1Dull;  // what a bus conflict reads
    MpsseCounters counters{};
  };
  void a_advance(double ns);
  void a_bulk_write(std::span<const std::uint8_t> data);
  std::size_t a_bulk_read(std::span<std::uint8_t> buf);
  std::size_t a_execute(std::span<const std::uint8_t> cmd);  // bytes used; 0: incomplete
  void a_data_command(std::uint8_t op, std::span<const std::uint8_t> cmd, std::size_t n);
  std::uint8_t a_bus(std::uint8_t mosi, unsigned bits, bool& conflict);
  void a_set_low(std::uint8_t value, std::uint8_t direction);
  std::uint8_t a_read_low() const;
  void a_reset_engine();
  ConfigPort* config_ = nullptr;
  ChannelA ca_{};

  using Lock = std::unique_lock<std::mutex>;
  Lock acquire() const;
  void let_waiters_in() const;
  void run_board(std::uint64_t cycles);
  std::uint64_t slice_for(std::size_t bytes_wanted) const;
  std::uint64_t latency_cycles() const;
  void emit_packet(std::span<std::uint8_t> out, std::size_t data_bytes);
  std::uint8_t line_status() const;
  ChannelState& channel(std::uint16_t index, std::uint8_t request);
  void reset_channel(bool is_b, std::uint16_t what);

  ChannelPort& port_;
  std::string serial_;
  mutable std::mutex m_;
  // Threads that want m_: one running the board releases it between slices
  // and lets them in first (std::mutex is not fair).
  mutable std::atomic<int> waiting_{0};
  ChannelState a_{};
  ChannelState b_{};
  std::deque<std::uint8_t> tx_;  // host -> board
  std::deque<std::uint8_t> rx_;  // board -> host
  std::vector<std::uint8_t> from_board_;
  std::uint8_t pending_line_ = 0;  // error bits for the next packet
  bool event_flush_ = false;       // the event character came: send now
  std::uint8_t modem_inputs_ = 0;
  std::uint64_t last_packet_cycle_ = 0;  // the latency timer restarts here
  std::condition_variable rx_drained_;   // a packet went to the host
  bool reader_stalled_ = false;  // a writer waited its timeout for a reader in vain
  Counters counters_{};
};

// The FT2232H model together with the simulated FPGA (the board on its
// channel B) and the SPI flash on its channel A, owned as one usb::Device:
// what sim://, model:// and the tests open. docs/sim-flash.md.
class SimulatedDevice final : public usb::Device {
 public:
  // A fixed board, configured at power-on; CRESET_B stops it and, if the
  // flash then holds a valid image, starts the same board again.
  explicit SimulatedDevice(std::unique_ptr<ChannelPort> port, std::string serial = "SIM000001");
  // The FPGA makes a fresh board with `factory` each time it configures
  // (options.boot_from_flash: from the flash at power-on, else the build's
  // own gateware). `flash` defaults to an erased W25Q128JV.
  SimulatedDevice(SimulatedFpgaOptions options, SimulatedFpga::Factory factory, std::string serial,
                  std::unique_ptr<SpiNorFlash> flash = nullptr);
  usb::DeviceInfo info() const override { return ftdi_.info(); }
  void control_out(std::uint8_t r, std::uint16_t v, std::uint16_t i, std::span<const std::uint8_t> d) override {
    ftdi_.control_out(r, v, i, d);
  }
  std::size_t control_in(std::uint8_t r, std::uint16_t v, std::uint16_t i, std::span<std::uint8_t> d) override {
    return ftdi_.control_in(r, v, i, d);
  }
  void bulk_write(std::uint8_t ep, std::span<const std::uint8_t> d, std::chrono::milliseconds t) override {
    ftdi_.bulk_write(ep, d, t);
  }
  std::size_t bulk_read(std::uint8_t ep, std::span<std::uint8_t> b, std::chrono::milliseconds t) override {
    return ftdi_.bulk_read(ep, b, t);
  }
  // Simulated time and the chip's counters (benchmarks, diagnostics).
  const Ft2232hModel& model() const { return ftdi_; }
  Ft2232hModel& model() { return ftdi_; }

  // The flash on channel A. Use it between transfers (or in model().locked()).
  SpiNorFlash& flash() { return *flash_; }
  // CDONE at channel A's time.
  bool cdone() const { return ftdi_.cdone(); }
  // Why the FPGA did (or did not) configure, the last time it tried.
  std::string boot_diagnostic() const {
    return ftdi_.locked([&] { return fpga_.diagnostic(); });
  }
  SimulatedFpga::Status fpga_status() const {
    return ftdi_.locked([&] { return fpga_.status(); });
  }
  std::uint64_t channel_a_ns() const { return ftdi_.channel_a_ns(); }
  Ft2232hModel::MpsseCounters channel_a_counters() const { return ftdi_.channel_a_counters(); }

 private:
  std::unique_ptr<SpiNorFlash> flash_;
  SimulatedFpga fpga_;
  Ft2232hModel ftdi_;
};

}  // namespace spikelink::sim
