// Cycle-accurate simulation of the neuron core (rtl/core/spl_core).
//
// Drives the core's host memory port, input events and control, and collects
// output spikes, one clock at a time. The Verilated model stays inside the
// implementation, so users need no Verilator headers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace spikelink::sim {

// The core's counters (32-bit, wrapping; zero after reset and after clear()).
struct CoreCounters {
  uint32_t in_dropped = 0;
  uint32_t out_dropped = 0;
  uint32_t late = 0;
  uint32_t acc_saturated = 0;
  uint32_t tick_overrun = 0;
  uint32_t spikes = 0;
  uint32_t events = 0;
  uint32_t sops = 0;
  uint32_t pulses_pot = 0;      // plasticity pulses applied (docs/plasticity.md)
  uint32_t pulses_dep = 0;
  uint32_t rate_unslotted = 0;  // rate-rule evaluations skipped: the source has no slot

  friend bool operator==(const CoreCounters&, const CoreCounters&) = default;
};

struct CoreSpike {
  uint32_t time;
  uint16_t neuron;

  friend bool operator==(const CoreSpike&, const CoreSpike&) = default;
};

class CoreSim {
 public:
  static constexpr unsigned kNeurons = 256;
  static constexpr unsigned kInputs = 256;

  // Resets the core, zeroes every parameter and weight, and clears it.
  // The fast model has no tracing: a non-empty fst_path throws
  // std::invalid_argument rather than silently writing nothing.
  explicit CoreSim(const std::string& fst_path = {});
  ~CoreSim();
  CoreSim(const CoreSim&) = delete;
  CoreSim& operator=(const CoreSim&) = delete;
  CoreSim(CoreSim&&) noexcept;
  CoreSim& operator=(CoreSim&&) noexcept;

  // One 16-bit word of a memory space (docs/neuron-model.md): 0 parameters
  // (n*8+p), 1 weights (s*128+n/2), 2 plasticity (docs/plasticity.md),
  // 3 state (n*4+{0 v, 1 a, 2 r}). The core
  // grants an access only between timesteps; these wait for that.
  void write_mem(unsigned space, uint32_t addr, uint16_t data);
  uint16_t read_mem(unsigned space, uint32_t addr);
  // Consecutive addresses from addr, one word per clock.
  void write_mem_burst(unsigned space, uint32_t addr, std::span<const uint16_t> words);

  // Offers one input event for timestep target_time (the core keeps its low
  // 16 bits). False if the input FIFO was full: dropped and counted.
  bool push_input(uint16_t channel, uint32_t target_time);

  // Step mode: runs n timesteps back to back and returns when the core is
  // idle and (while the output is ready) every output spike is collected.
  void step(uint32_t n);
  // Real-time mode: a timestep starts every tick_cycles clocks, for `cycles`
  // clocks; then the mode is switched off and the core finishes the timestep
  // that runs and any that overran ticks still owe.
  // Starts n timesteps and returns at once (step() waits for them); with
  // run_cycles() a test can act in the middle of a timestep.
  void start_steps(uint32_t n);
  void run_cycles(uint64_t n);
  void run_realtime(uint32_t tick_cycles, uint64_t cycles);
  // clear_i: zeroes state, accumulators, FIFOs, pending recurrent spikes,
  // counters and time (parameters and weights stay). Also forgets the
  // spikes collected and not yet taken.
  void clear();

  uint32_t time() const;  // completed timesteps
  // With ready false the core's output FIFO fills and then drops reports.
  void set_out_ready(bool ready);
  std::vector<CoreSpike> take_spikes();  // collected output spikes, in order
  CoreCounters counters() const;
  uint64_t cycles() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spikelink::sim
