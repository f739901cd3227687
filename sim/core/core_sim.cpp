#include "core/core_sim.hpp"

#include <Vspl_core.h>
#include <verilated.h>

#include "common/verilated_model.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace spikelink::sim {

namespace {

// A timestep takes well under 100k clocks even with every queued event due;
// waiting longer than this for the core means the RTL hung.
constexpr uint64_t kStuckCycles = 10'000'000;

constexpr uint32_t kParamWords = CoreSim::kNeurons * 8;
constexpr uint32_t kWeightWords = (CoreSim::kInputs + CoreSim::kNeurons) * CoreSim::kNeurons / 2;

}  // namespace

struct CoreSim::Impl : VerilatedModel<Vspl_core> {
  bool out_ready = true;
  std::vector<CoreSpike> spikes;

  Impl() : VerilatedModel("core sim") {
    top.clk_i = 0;
    top.rst_ni = 0;
    top.mem_req_i = 0;
    top.in_valid_i = 0;
    top.out_ready_i = 1;
    top.clear_i = 0;
    top.step_i = 0;
    top.rt_enable_i = 0;
    top.eval();
    for (int i = 0; i < 4; ++i) tick();
    top.rst_ni = 1;
    tick();
  }



  // One clock. Handshakes are sampled just before the rising edge, when the
  // outputs show the state the edge acts on. Returns whether the core granted
  // the memory request offered on this clock.
  bool tick() {
    top.out_ready_i = out_ready ? 1 : 0;
    top.clk_i = 0;
    top.eval();
    ctx.timeInc(1);

    const bool granted = top.rst_ni && top.mem_req_i && top.mem_gnt_o;
    if (top.rst_ni && top.out_valid_o && top.out_ready_i) {
      spikes.push_back(CoreSpike{top.out_time_o, static_cast<uint16_t>(top.out_neuron_o)});
    }

    top.clk_i = 1;
    top.eval();
    ctx.timeInc(1);
    ++cycles;
    return granted;
  }

  void check_progress(uint64_t since, const char* what) const {
    if (cycles - since > kStuckCycles) {
      throw std::runtime_error(std::string("core sim: no progress while ") + what);
    }
  }

  // Offers the request set up on the port until the core grants it.
  void access(const char* what) {
    const uint64_t since = cycles;
    top.mem_req_i = 1;
    while (!tick()) check_progress(since, what);
    top.mem_req_i = 0;
  }

  void check_space(unsigned space) const {
    if (space > 3) throw std::invalid_argument("CoreSim: memory space " + std::to_string(space) + " does not exist");
  }

  // Runs until no timestep is running or owed and, while the output is ready,
  // every report has been collected.
  void settle(const char* what) {
    // Stuck means no timestep completed and no report left for a long time,
    // however long the whole run is.
    uint64_t since = cycles;
    uint32_t last_time = top.time_o;
    std::size_t last_spikes = spikes.size();
    while (top.busy_o || (out_ready && !top.out_empty_o)) {
      tick();
      if (top.time_o != last_time || spikes.size() != last_spikes) {
        since = cycles;
        last_time = top.time_o;
        last_spikes = spikes.size();
      }
      check_progress(since, what);
    }
  }
};

CoreSim::CoreSim(const std::string& fst_path) {
  if (!fst_path.empty()) {
    throw std::invalid_argument("CoreSim: this build of the core model has no FST tracing (" + fst_path + ")");
  }
  impl_ = std::make_unique<Impl>();
  const std::vector<uint16_t> zeros(kWeightWords, 0);
  write_mem_burst(0, 0, std::span(zeros).first(kParamWords));
  write_mem_burst(1, 0, zeros);
  clear();
}

CoreSim::~CoreSim() = default;
CoreSim::CoreSim(CoreSim&&) noexcept = default;
CoreSim& CoreSim::operator=(CoreSim&&) noexcept = default;

void CoreSim::write_mem(unsigned space, uint32_t addr, uint16_t data) {
  write_mem_burst(space, addr, std::span(&data, 1));
}

uint16_t CoreSim::read_mem(unsigned space, uint32_t addr) {
  auto& m = *impl_;
  m.check_space(space);
  m.top.mem_we_i = 0;
  m.top.mem_space_i = static_cast<uint8_t>(space);
  m.top.mem_addr_i = static_cast<uint16_t>(addr);
  m.access("reading core memory");
  // The word arrives with rvalid on the clock after the grant, which is the
  // state the last edge left.
  if (!m.top.mem_rvalid_o) throw std::logic_error("core sim: read granted without rvalid");
  return static_cast<uint16_t>(m.top.mem_rdata_o);
}

void CoreSim::write_mem_burst(unsigned space, uint32_t addr, std::span<const uint16_t> words) {
  auto& m = *impl_;
  m.check_space(space);
  m.top.mem_we_i = 1;
  m.top.mem_space_i = static_cast<uint8_t>(space);
  for (const uint16_t w : words) {
    m.top.mem_addr_i = static_cast<uint16_t>(addr++);
    m.top.mem_wdata_i = w;
    m.access("writing core memory");
  }
  m.top.mem_we_i = 0;
}

bool CoreSim::push_input(uint16_t channel, uint32_t target_time) {
  auto& m = *impl_;
  if (channel >= kInputs) throw std::invalid_argument("CoreSim::push_input: channel out of range");
  m.top.in_channel_i = static_cast<uint8_t>(channel);
  m.top.in_time_i = static_cast<uint16_t>(target_time);
  m.top.in_valid_i = 1;
  // Sampled before the edge, like the FIFO does: full now means dropped.
  m.top.clk_i = 0;
  m.top.eval();
  const bool accepted = !m.top.in_full_o;
  m.tick();
  m.top.in_valid_i = 0;
  return accepted;
}

void CoreSim::step(uint32_t n) {
  if (n == 0) return;
  auto& m = *impl_;
  m.top.step_count_i = n;
  m.top.step_i = 1;
  m.tick();
  m.top.step_i = 0;
  m.settle("stepping");
}

void CoreSim::start_steps(uint32_t n) {
  if (n == 0) return;
  auto& m = *impl_;
  m.top.step_count_i = n;
  m.top.step_i = 1;
  m.tick();
  m.top.step_i = 0;
}

void CoreSim::run_cycles(uint64_t n) {
  auto& m = *impl_;
  for (uint64_t i = 0; i < n; ++i) m.tick();
}

void CoreSim::run_realtime(uint32_t tick_cycles, uint64_t cycles) {
  auto& m = *impl_;
  m.top.tick_cycles_i = tick_cycles;
  m.top.rt_enable_i = 1;
  for (uint64_t i = 0; i < cycles; ++i) m.tick();
  m.top.rt_enable_i = 0;
  m.settle("finishing real-time timesteps");
}

void CoreSim::clear() {
  auto& m = *impl_;
  m.top.clear_i = 1;
  m.tick();
  m.top.clear_i = 0;
  m.settle("clearing");
  m.spikes.clear();
}

uint32_t CoreSim::time() const { return impl_->top.time_o; }

void CoreSim::set_out_ready(bool ready) { impl_->out_ready = ready; }

std::vector<CoreSpike> CoreSim::take_spikes() { return std::exchange(impl_->spikes, {}); }

CoreCounters CoreSim::counters() const {
  const auto& t = impl_->top;
  CoreCounters c;
  c.in_dropped = t.cnt_in_dropped_o;
  c.out_dropped = t.cnt_out_dropped_o;
  c.late = t.cnt_late_o;
  c.acc_saturated = t.cnt_acc_saturated_o;
  c.tick_overrun = t.cnt_tick_overrun_o;
  c.spikes = t.cnt_spikes_o;
  c.events = t.cnt_events_o;
  c.sops = t.cnt_sops_o;
  c.pulses_pot = t.cnt_pulses_pot_o;
  c.pulses_dep = t.cnt_pulses_dep_o;
  c.rate_unslotted = t.cnt_rate_unslotted_o;
  return c;
}

uint64_t CoreSim::cycles() const { return impl_->cycles; }

}  // namespace spikelink::sim
