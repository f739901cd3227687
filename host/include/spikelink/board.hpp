// spikelink::Board: a board (or the simulated board, or the golden model
// behind the same link) opened by URI. One code path above usb::Device for
// every kind of device (docs/link.md, docs/board-api.md).
//
//   auto board = spikelink::Board::open("sim://");
//   board->load(net);
//   board->send(events);          // credit-paced, never overruns the board
//   board->step(1000);            // returns when the 1000 timesteps are done
//   std::vector<proto::SpikeEvent> out(4096);
//   out.resize(board->pull(out)); // spikes, in 64-bit monotonic board time
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "spikelink/core_model.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/neuron_params.hpp"
#include "spikelink/plasticity.hpp"
#include "spikelink/protocol.hpp"
#include "spikelink/usb.hpp"

namespace spikelink {

class BoardError : public std::runtime_error {
 public:
  enum class Kind {
    kIncompatible,  // not spikelink gateware, or a protocol this host does not speak
    kTimeout,       // no reply in time
    kRefused,       // the board answered ERROR or a non-ok ACK
    kDisconnected,  // the transport went away; data received before stays readable
    kUsage,         // the caller asked for something impossible
  };
  BoardError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct BoardOptions {
  std::chrono::milliseconds command_timeout{5000};  // wall time for one reply
  std::size_t ring_capacity = std::size_t{1} << 20; // spikes held for pull()
  // Events held host-side before send() blocks. Unbounded by default: in
  // step mode events wait for step(), so a bound would block send() for
  // good; bound it to cap memory when streaming in real time.
  std::size_t send_queue = SIZE_MAX;
  unsigned latency_ms = 1;                          // FTDI latency timer
  std::uint32_t baud = 3'000'000;                   // channel B line rate
  bool check_gateware = true;                       // refuse an incompatible board
};

// A network in register form: what load() writes (docs/neuron-model.md,
// docs/plasticity.md). Sources are inputs 0..E-1 then neurons.
struct Network {
  std::vector<model::NeuronRegs> neurons;  // neuron n's parameters; the rest of the board is zeroed
  std::vector<std::uint8_t> weights;       // [source][neuron] bytes (signed weights or {group, level});
                                           // empty: all zero
  struct Plasticity {
    bool plastic = false;   // synapse bytes are {group, level}
    bool learning = true;
    std::array<model::GroupConfig, model::kGroups> groups{};
    model::Variability variability;
    std::array<int, model::kRateSlots> rate_slots{-1, -1, -1, -1, -1, -1, -1, -1};  // source or -1
  };
  std::optional<Plasticity> plasticity;  // nullopt: leave the board's settings
};

// The words of memory space 2 that configure `p` (docs/plasticity.md §6).
std::vector<std::pair<std::uint32_t, std::uint16_t>> plasticity_words(const Network::Plasticity& p);

// Synapse bytes [source][neuron] as the weight space's 16-bit words (two
// synapses a word, the lower index in the low byte).
std::vector<std::uint16_t> weight_words(std::span<const std::uint8_t> bytes);

// The MEM writes that load `net` into a board with `neurons` neurons and
// `inputs` external inputs: what Board::load() sends. Throws BoardError
// (kUsage, naming `where`) when the network does not fit.
std::vector<proto::MemWrite> network_writes(const Network& net, std::size_t neurons, std::size_t inputs,
                                           const std::string& where = "the board");
// The same writes, then every neuron of the network set to rest (v =
// v_rest), as link frames with sequence numbers 0, 1, 2, ...: the network
// blob of a firmware image, which the gateware replays into its link at
// boot (docs/image-format.md section 3).
std::vector<std::uint8_t> network_blob(const Network& net, std::size_t neurons, std::size_t inputs);

// The neuron state words (memory space 3) of a board with `neurons` neurons
// with every neuron of `net` at rest (v = v_rest) and the rest zeroed: what
// a run writes after load() so that the network starts from rest.
std::vector<std::uint16_t> rest_state_words(const Network& net, std::size_t neurons);

// Counters for every stage that can drop or damage data, host and board.
struct HostCounters {
  ReceiverCounters rx;               // framing, sequence gaps, malformed frames from the board
  std::uint64_t ring_dropped = 0;    // received spikes lost: the pull ring was full
  std::uint64_t spikes_received = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t credit_probes = 0;
  std::uint64_t events_discarded_by_reset = 0;  // queued, not yet sent, when reset() was called
  std::uint64_t board_errors = 0;    // ERROR frames not answering a command of ours
  std::uint64_t line_errors = 0;     // FTDI: overrun, parity, framing, break
  std::uint64_t bytes_sent = 0;      // wire bytes to the board
  std::uint64_t bytes_received = 0;  // wire bytes from the board (status bytes stripped)
};

struct BoardCounters {
  HostCounters host;
  // Board counters by id (docs/link.md §2.1), as 64-bit totals since open:
  // the 32-bit board values are unwrapped, and a RESET does not lose them.
  std::array<std::uint64_t, proto::kNumCounterIds> board{};
  std::uint64_t board_counter(proto::CounterId id) const { return board.at(static_cast<std::size_t>(id)); }
};

// Every counter by name, the board's (docs/link.md section 2.1) then the
// host's ("host_..."), for reports and --json output.
std::vector<std::pair<std::string, std::uint64_t>> named_counters(const BoardCounters& c);

class Board {
 public:
  // sim://, sim://?phy=uart&baud=B, tcp://HOST:PORT, usb://, usb://VID:PID?serial=S,
  // model://. Identifies the board and refuses an incompatible one.
  static std::unique_ptr<Board> open(const std::string& uri, const BoardOptions& options = {});
  // Over any transport whose channel B carries the link.
  Board(std::unique_ptr<usb::Device> device, std::string uri, const BoardOptions& options = {});
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  const std::string& uri() const;
  const proto::Identify& identity() const;

  // --- control --------------------------------------------------------------
  // RESET (docs/link.md §1.1): neuron state, FIFOs, time (and with counters
  // the link counters). Time seen through this API stays monotonic. Events
  // queued by send() and not yet sent are discarded (and counted).
  void reset(bool link_counters = false);
  // Real-time mode: a timestep every tick_cycles board clocks (default 1 ms).
  void start(std::optional<std::uint32_t> tick_cycles = std::nullopt);
  void stop();
  // Runs n timesteps as fast as the board goes and returns when they are done
  // and every spike of them has been received. Events queued by send() for
  // those timesteps reach the board before the timesteps they are due in.
  void step(std::uint64_t n);
  // The board's time (completed timesteps) as last reported, 64-bit.
  std::uint64_t time() const;
  // Waits until the board reports time >= t (real-time mode).
  void wait_time(std::uint64_t t, std::chrono::milliseconds timeout);

  // --- registers and memories --------------------------------------------
  std::uint32_t read_reg(std::uint16_t addr);
  std::vector<std::uint32_t> read_regs(std::uint16_t addr, unsigned count);
  void write_reg(std::uint16_t addr, std::uint32_t value);
  void write_mem(proto::MemSpace space, std::uint32_t addr, std::span<const std::uint16_t> words);
  std::vector<std::uint16_t> read_mem(proto::MemSpace space, std::uint32_t addr, std::size_t count);
  void load(const Network& net);
  std::vector<std::uint8_t> read_weights();  // [source][neuron]
  // All of them, [source][neuron] as read_weights() gives them.
  void write_weights(std::span<const std::uint8_t> weights);
  std::vector<model::NeuronState> read_state();
  std::vector<model::NeuronRegs> read_params();

  // --- spikes ----------------------------------------------------------------
  // Queues input events (channel, timestep in this API's 64-bit time), in
  // time order across calls. Credit-paced: the board never gets more than
  // it has room for. Blocks while the host queue is full.
  void send(std::span<const proto::SpikeEvent> events);
  // Waits until every queued event has been taken by the board.
  void flush();
  // Received spikes go to the callback (on the I/O thread) when one is set,
  // else into the pull ring. Set it before traffic starts. The callback runs
  // with the driver's lock held: it must return quickly and must not call
  // this Board.
  void on_spikes(std::function<void(std::span<const proto::SpikeEvent>)> callback);
  std::size_t pull(std::span<proto::SpikeEvent> out);

  // --- counters ---------------------------------------------------------------
  BoardCounters counters();            // reads the board's counters
  HostCounters host_counters() const;  // host side only, no traffic
  // ERROR frames the board sent that answered no command (most recent last).
  std::vector<std::string> board_errors() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The host's understanding of a URI, shared with tools that list devices.
struct DeviceUri {
  std::string scheme;  // sim, tcp, usb, model
  std::string host;    // tcp
  std::uint16_t port = 0;
  std::uint16_t vid = 0x0403, pid = 0x6010;
  std::vector<std::pair<std::string, std::string>> query;
  std::string param(const std::string& key, const std::string& fallback = {}) const;
};
// Throws BoardError(kUsage) naming the part of the URI that is wrong.
DeviceUri parse_uri(const std::string& uri);

}  // namespace spikelink
