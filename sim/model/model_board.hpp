// The board behind model://: the link layer of docs/link.md §1–§2 written in
// C++ over the golden neuron core (spikelink::model::Core). It takes wire
// bytes and gives wire bytes through sim::ChannelPort, exactly like the
// Verilated spikelink_top (sim::RtlBoard), so the host driver runs unchanged
// on either. Where the spec leaves a choice, docs/link.md "Model notes" says
// what this model does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "ftdi/channel_port.hpp"
#include "spikelink/core_model.hpp"
#include "spikelink/framing.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/protocol.hpp"
#include "spikelink/version.hpp"

namespace spikelink::sim {

// IDENTIFY's board id of the model board (the reference board is 1).
inline constexpr std::uint16_t kModelBoardId = 0xFFFE;

struct ModelBoardOptions {
  // 256 neurons, 256 inputs, an input FIFO (event credits) of 512 as
  // spikelink_top's EventCredits, an output FIFO of 256.
  model::CoreShape shape{.neurons = 256, .inputs = 256, .in_fifo = 512, .out_fifo = 256};
  std::uint64_t clock_hz = 24'000'000;
  // Clocks one timestep takes (step and real-time mode alike), at least 1:
  // STEP n takes at least n * step_cycles clocks of run().
  std::uint32_t step_cycles = 1;
  // Bytes to the host per clock, as the RTL's byte port (Ft2232hModel sizes
  // its slices for at most one a clock); 0: every byte the moment it is made.
  std::uint32_t tx_bytes_per_clock = 1;
  // IDENTIFY and registers 0x0002..0x0004.
  std::uint8_t gw_major = static_cast<std::uint8_t>(spikelink::kVersionMajor);
  std::uint8_t gw_minor = static_cast<std::uint8_t>(spikelink::kVersionMinor);
  std::uint8_t gw_patch = static_cast<std::uint8_t>(spikelink::kVersionPatch);
  std::uint16_t board_id = kModelBoardId;
  std::uint32_t build_hash = 0;
};

class ModelBoard : public ChannelPort {
 public:
  // Register addresses (docs/link.md §2).
  enum Reg : std::uint16_t {
    kRegMagic = 0x0000,
    kRegProtocol = 0x0001,
    kRegGateware = 0x0002,
    kRegBuildHash = 0x0003,
    kRegBoardId = 0x0004,
    kRegClockHz = 0x0005,
    kRegShape = 0x0006,
    kRegCaps = 0x0007,
    kRegTickCycles = 0x0010,
    kRegBeaconPeriod = 0x0011,
    kRegFlushCycles = 0x0012,
    kRegScratch = 0x0013,
    kRegStatus = 0x0020,
    kRegTime = 0x0021,
    kRegEventFree = 0x0022,
    kRegStepsOwed = 0x0023,
    kRegBootStatus = 0x0024,
    kRegCounter0 = 0x0100,
  };
  static constexpr unsigned kNumCounters = 48;        // ids 0..47
  static constexpr std::uint64_t kCreditTimeout = 16384;  // clocks, §1.2 (c)
  static constexpr std::uint32_t kCreditHysteresis = 64;  // event slots, §1.2 (b)
  static constexpr std::uint32_t kCaps = 0x7;  // real-time, step, plasticity
  static constexpr std::uint8_t kWeightBits = 8;

  explicit ModelBoard(ModelBoardOptions options = {});

  // ChannelPort.
  std::uint64_t clock_hz() const override { return opt_.clock_hz; }
  void set_baud(double) override {}  // a byte port: bytes leave as they are made
  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
           std::vector<std::uint8_t>& from_board) override;
  std::uint64_t cycles() const override { return now_; }

  // The gateware's boot loader (docs/image-format.md §3): the network
  // blob's frames enter the receive path as if the host had sent them, their
  // replies are dropped, and then the link forgets the sequence number it
  // expects, so the host's first frame starts a new sequence.
  void boot_stream(std::span<const std::uint8_t> blob);
  // BOOT_STATUS (register 0x0024, docs/link.md section 4.2) as the boot
  // loader would report it: 0 no image, 1 network loaded (boot_stream sets
  // it), 2 a valid image without a network, 3 a bad header.
  void set_boot_status(std::uint32_t status) { boot_status_ = status; }

  // Inspection (tests, the sim server's diagnostics).
  const model::Core& core() const { return core_; }
  const ModelBoardOptions& options() const { return opt_; }
  proto::Identify identify() const;
  // A register as REG_READ returns it; nullopt if `addr` is not a register.
  std::optional<std::uint32_t> read_register(std::uint32_t addr) const;
  // Counter `id` (0..47) as COUNTERS returns it.
  std::uint32_t counter(unsigned id) const;
  std::uint32_t event_free() const { return opt_.shape.in_fifo - in_fifo_used_; }
  std::uint32_t steps_owed() const { return steps_owed_; }
  bool real_time() const { return real_time_; }
  bool timestep_running() const { return running_; }
  bool busy() const { return running_ || steps_owed_ > 0 || ticks_owed_ > 0; }
  bool batch_open() const { return batch_open_; }
  // Output spikes not yet sent: in the output FIFO or the open batch.
  bool spikes_pending() const { return batch_open_ || !out_fifo_.empty(); }
  // Bytes made and not yet sent (at tx_bytes_per_clock).
  std::size_t tx_pending() const { return txq_.size(); }
  // True while a memory command waits for the core to be idle (the board
  // then reads no further byte).
  bool waiting_for_core() const { return held_.has_value(); }

 private:
  struct Frame {
    std::uint8_t type = 0;
    std::uint8_t seq = 0;
    std::vector<std::uint8_t> body;
  };

  // Receiving (§1.1).
  bool read_frame(std::deque<std::uint8_t>& to_board);
  void process(const Frame& f);
  bool body_valid(const Frame& f) const;
  void on_spikes(const Frame& f);
  void on_reg_write(const Frame& f);
  void on_reg_read(const Frame& f);
  void on_mem_write(const Frame& f);
  void on_mem_read(const Frame& f);
  void on_control(const Frame& f);
  void on_counters_req(const Frame& f);
  bool write_register(std::uint32_t addr, std::uint32_t value);
  std::uint32_t space_size(std::uint8_t space) const;
  void reset(bool counters_too);

  // Time (§1.1 CONTROL, §1.3).
  std::optional<std::uint64_t> next_event() const;
  bool service();  // everything due at now_; true if anything happened
  std::uint64_t next_tick() const { return last_tick_ + std::max<std::uint32_t>(1, tick_cycles_); }
  void complete_timestep();

  // Sending (§1.2, §1.3).
  void emit(const proto::Message& m);  // a frame, in order, into the tx queue
  void send(const proto::Message& m);  // a reply, ERROR or CREDIT: closes the batch first
  void transmit(std::uint64_t clocks);  // the tx queue's bytes that leave in `clocks`
  void send_error(proto::Status code, std::uint8_t ref_seq, std::uint8_t ref_type, std::uint32_t detail);
  void send_credit();
  void add_spike(const model::CoreSpike& s);
  void close_batch();
  bool core_idle() const { return !busy(); }

  ModelBoardOptions opt_;
  model::Core core_;
  std::deque<std::uint8_t>* in_ = nullptr;     // to_board during run()
  std::vector<std::uint8_t>* out_ = nullptr;  // from_board during run()
  std::uint64_t now_ = 0;

  // Receive side.
  FrameDecoder decoder_;
  std::vector<std::uint8_t> chunk_;
  std::optional<Frame> decoded_;
  std::optional<Frame> held_;  // a memory command waiting for the core
  std::optional<std::uint8_t> expected_seq_;
  FramingCounters framing_base_;  // framing counters at the last RESET 1
  std::uint32_t rx_seq_lost_ = 0;
  std::uint32_t rx_malformed_ = 0;
  std::uint32_t bad_address_ = 0;

  // Credits.
  std::optional<std::uint8_t> last_seq_;   // last host frame processed
  std::optional<std::uint64_t> unreported_since_;  // clock of the first frame no CREDIT named
  std::uint32_t last_reported_free_;
  std::uint32_t in_fifo_used_ = 0;  // the core's input FIFO entries (mirrored)
  std::uint64_t recurrent_prev_ = 0;  // spikes of the last timestep: swept by the next

  // Timesteps.
  bool real_time_ = false;
  std::uint64_t last_tick_ = 0;    // START or the last tick: the divider counts from it
  std::uint64_t ticks_owed_ = 0;  // real-time ticks not yet started
  std::uint32_t steps_owed_ = 0;
  bool running_ = false;
  std::uint64_t step_end_ = 0;
  std::uint32_t tick_overrun_ = 0;  // the model's ticks (model::Core has no divider)

  // Registers.
  std::uint32_t tick_cycles_;
  std::uint32_t beacon_period_ = 1000;
  std::uint32_t flush_cycles_ = 1024;
  std::uint32_t scratch_ = 0;
  std::uint32_t boot_status_ = 0;

  // Transmit side.
  std::deque<model::CoreSpike> out_fifo_;  // the core's output FIFO (shape.out_fifo entries)
  std::uint32_t out_dropped_ = 0;          // output spikes lost to a full FIFO (real-time mode)
  std::deque<std::uint8_t> txq_;           // bytes made, not yet sent
  std::vector<std::uint8_t> frame_;
  Transmitter tx_;
  std::uint64_t tx_base_ = 0;  // tx frames at the last RESET 1
  bool batch_open_ = false;
  proto::SpikeBatch batch_;
  std::uint64_t batch_last_join_ = 0;
  std::uint64_t last_beacon_time_ = 0;
};

}  // namespace spikelink::sim
