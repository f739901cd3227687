#include "framer/framer_sim.hpp"

#include <Vspl_link_framer.h>
#include <verilated.h>

#include "common/verilated_model.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <utility>

namespace spikelink::sim {

namespace {

// No frame takes anywhere near this long; hitting it means the RTL hung.
constexpr uint64_t kStuckCycles = 1'000'000;

class Stall {
 public:
  void set(uint32_t seed, unsigned percent) {
    rng_.seed(seed);
    percent_ = percent > 100 ? 100 : percent;
  }
  bool now() {
    if (percent_ == 0) return false;
    if (percent_ >= 100) return true;
    return dist_(rng_) < percent_;
  }
  bool forever() const { return percent_ >= 100; }

 private:
  std::mt19937 rng_{0};
  std::uniform_int_distribution<unsigned> dist_{0, 99};
  unsigned percent_ = 0;
};

}  // namespace

struct FramerSim::Impl : VerilatedModel<Vspl_link_framer> {
  Stall rx_stall;
  Stall tx_stall;
  std::vector<std::vector<uint8_t>> rx_frames;
  std::vector<uint8_t> rx_partial;
  std::vector<uint8_t> tx_wire;

  Impl() : VerilatedModel("framer sim") {
    top.clk_i = 0;
    top.rst_ni = 0;
    top.cnt_clr_i = 0;
    top.rx_valid_i = 0;
    top.tx_frame_valid_i = 0;
    top.rx_frame_ready_i = 0;
    top.tx_ready_i = 0;
    top.eval();
    for (int i = 0; i < 4; ++i) tick();
    top.rst_ni = 1;
    tick();
  }



  // One clock. Handshakes are sampled just before the rising edge, when the
  // outputs still show the state the edge acts on. Returns whether the
  // transmitter accepted the frame byte offered on its input.
  bool tick() {
    top.rx_frame_ready_i = rx_stall.now() ? 0 : 1;
    top.tx_ready_i = tx_stall.now() ? 0 : 1;
    top.clk_i = 0;
    top.eval();
    ctx.timeInc(1);

    const bool tx_accepted = top.rst_ni && top.tx_frame_valid_i && top.tx_frame_ready_o;
    if (top.rst_ni && top.rx_frame_valid_o && top.rx_frame_ready_i) {
      rx_partial.push_back(top.rx_frame_data_o);
      if (top.rx_frame_last_o) {
        rx_frames.push_back(std::move(rx_partial));
        rx_partial.clear();
      }
    }
    if (top.rst_ni && top.tx_valid_o && top.tx_ready_i) {
      tx_wire.push_back(top.tx_data_o);
    }

    top.clk_i = 1;
    top.eval();
    ctx.timeInc(1);
    ++cycles;
    return tx_accepted;
  }

  void check_progress(uint64_t since, const char* what) const {
    if (cycles - since > kStuckCycles) {
      throw std::runtime_error(std::string("framer sim: no progress while ") + what);
    }
  }
};

FramerSim::FramerSim(const std::string& fst_path) {
  if (!fst_path.empty()) {
    throw std::invalid_argument("FramerSim: this build of the framer model has no FST tracing (" +
                                fst_path + ")");
  }
  impl_ = std::make_unique<Impl>();
}

FramerSim::~FramerSim() = default;
FramerSim::FramerSim(FramerSim&&) noexcept = default;
FramerSim& FramerSim::operator=(FramerSim&&) noexcept = default;

void FramerSim::set_rx_ready_stall(uint32_t seed, unsigned percent) {
  impl_->rx_stall.set(seed, percent);
}

void FramerSim::set_tx_ready_stall(uint32_t seed, unsigned percent) {
  if (percent >= 100) {
    throw std::invalid_argument("FramerSim: a transmitter stalled for good never finishes a frame");
  }
  impl_->tx_stall.set(seed, percent);
}

void FramerSim::rx_bytes(std::span<const uint8_t> wire, unsigned gap_cycles) {
  auto& m = *impl_;
  for (const uint8_t byte : wire) {
    m.top.rx_data_i = byte;
    m.top.rx_valid_i = 1;
    m.tick();
    m.top.rx_valid_i = 0;
    for (unsigned i = 0; i < gap_cycles; ++i) m.tick();
  }
  if (m.rx_stall.forever()) return;
  const uint64_t since = m.cycles;
  while (m.top.rx_busy_o) {
    m.tick();
    m.check_progress(since, "draining received frames");
  }
}

std::vector<std::vector<uint8_t>> FramerSim::take_rx_frames() {
  return std::exchange(impl_->rx_frames, {});
}

std::vector<uint8_t> FramerSim::tx_frame(std::span<const uint8_t> raw) {
  if (raw.empty()) {
    throw std::invalid_argument("FramerSim::tx_frame: a frame needs at least one byte");
  }
  auto& m = *impl_;
  m.tx_wire.clear();
  const uint64_t since = m.cycles;
  size_t next = 0;
  while (next < raw.size()) {
    m.top.tx_frame_data_i = raw[next];
    m.top.tx_frame_last_i = next + 1 == raw.size() ? 1 : 0;
    m.top.tx_frame_valid_i = 1;
    if (m.tick()) ++next;
    m.check_progress(since, "offering a frame to the transmitter");
  }
  m.top.tx_frame_valid_i = 0;
  m.top.tx_frame_last_i = 0;
  while (m.top.tx_busy_o) {
    m.tick();
    m.check_progress(since, "sending a frame");
  }
  return std::exchange(m.tx_wire, {});
}

FramerCounters FramerSim::counters() const {
  const auto& t = impl_->top;
  FramerCounters c;
  c.rx_ok = t.cnt_rx_ok_o;
  c.rx_crc = t.cnt_rx_crc_o;
  c.rx_cobs = t.cnt_rx_cobs_o;
  c.rx_short = t.cnt_rx_short_o;
  c.rx_long = t.cnt_rx_long_o;
  c.rx_overflow = t.cnt_rx_overflow_o;
  c.rx_bytes_discarded = t.cnt_rx_bytes_discarded_o;
  c.tx_frames = t.cnt_tx_frames_o;
  c.tx_dropped_long = t.cnt_tx_dropped_long_o;
  return c;
}

uint64_t FramerSim::cycles() const { return impl_->cycles; }

}  // namespace spikelink::sim
