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

#include "ftdi/channel_port.hpp"
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

  explicit Ft2232hModel(ChannelPort& channel_b, std::string serial = "SIM000001");

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

 private:
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

// The FT2232H model together with the board on its channel B, owned as one
// usb::Device: what sim://, model:// and the tests open.
class SimulatedDevice final : public usb::Device {
 public:
  explicit SimulatedDevice(std::unique_ptr<ChannelPort> port, std::string serial = "SIM000001")
      : port_(std::move(port)), ftdi_(*port_, std::move(serial)) {}
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

 private:
  std::unique_ptr<ChannelPort> port_;
  Ft2232hModel ftdi_;
};

}  // namespace spikelink::sim
