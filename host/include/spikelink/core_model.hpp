// The golden model of the neuron core: bit-exact with rtl/core/, timestep for
// timestep (docs/neuron-model.md). model:// devices will run on it.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "spikelink/neuron_params.hpp"
#include "spikelink/plasticity.hpp"

namespace spikelink::model {

// Rows (recurrent spikes and input events) swept in one timestep at most.
inline constexpr std::size_t kMaxDeliveries = 511;

struct CoreShape {
  unsigned neurons = 256;
  unsigned inputs = 256;
  unsigned in_fifo = 256;
  unsigned out_fifo = 256;
};

struct NeuronState {
  std::int16_t v = 0;
  std::uint16_t a = 0;
  std::uint8_t r = 0;
  friend bool operator==(const NeuronState&, const NeuronState&) = default;
};

struct CoreCounters {
  std::uint64_t in_dropped = 0;
  std::uint64_t out_dropped = 0;
  std::uint64_t late = 0;
  std::uint64_t acc_saturated = 0;
  std::uint64_t tick_overrun = 0;
  std::uint64_t spikes = 0;
  std::uint64_t events = 0;
  std::uint64_t sops = 0;
  std::uint64_t pulses_pot = 0;      // plasticity: potentiation pulses applied
  std::uint64_t pulses_dep = 0;      // plasticity: depression pulses applied
  std::uint64_t rate_unslotted = 0;  // rate-rule evaluations skipped: the source has no slot
  friend bool operator==(const CoreCounters&, const CoreCounters&) = default;
};

struct CoreSpike {
  std::uint64_t time = 0;
  std::uint16_t neuron = 0;
  friend bool operator==(const CoreSpike&, const CoreSpike&) = default;
};

// Memory spaces of the core's host port (docs/neuron-model.md).
enum class Space : unsigned { kParams = 0, kWeights = 1, kPlasticity = 2, kState = 3 };

class Core {
 public:
  explicit Core(CoreShape shape = {});

  const CoreShape& shape() const { return shape_; }
  unsigned sources() const { return shape_.inputs + shape_.neurons; }

  void set_params(unsigned n, const NeuronRegs& r);
  NeuronRegs params(unsigned n) const { return params_.at(n); }
  // Source s: input channel s (< inputs) or neuron s - inputs.
  void set_weight(unsigned s, unsigned n, std::int8_t w);
  std::int8_t weight(unsigned s, unsigned n) const { return weights_.at(s * shape_.neurons + n); }
  void set_state(unsigned n, const NeuronState& st) { state_.at(n) = st; }
  NeuronState state(unsigned n) const { return state_.at(n); }

  // The host port: 16-bit words of a memory space, as the RTL maps them.
  void write_mem(Space space, std::uint32_t addr, std::uint16_t word);
  std::uint16_t read_mem(Space space, std::uint32_t addr) const;

  // An input spike on `channel` for timestep `target` (low 16 bits are
  // what the core keeps). False if the input FIFO was full: dropped, counted.
  bool push_input(std::uint16_t channel, std::uint32_t target);

  // Runs n timesteps.
  void step(std::uint32_t n = 1);
  std::uint64_t time() const { return time_; }

  // With ready false the output FIFO fills and then drops (counted); the
  // spikes still act inside the core.
  void set_out_ready(bool ready);
  std::vector<CoreSpike> take_spikes();

  // Zeroes state, accumulators, FIFOs, pending recurrent spikes, spikes not
  // yet taken and counters; time 0. Parameters and weights stay.
  void clear();

  const CoreCounters& counters() const { return counters_; }

  // Plasticity (docs/plasticity.md). In plastic mode a synapse byte is
  // {group, level} and weighs sign * 2 * level; with learning on, the
  // groups' rules move levels after every timestep. Spike histories are
  // recorded in every mode.
  void set_plastic(bool on);
  bool plastic() const { return plastic_; }
  void set_group(unsigned g, const GroupConfig& c);
  const GroupConfig& group(unsigned g) const { return groups_.at(g); }
  void set_variability(const Variability& v);
  void set_learning(bool on) { learning_ = on; }  // freeze (false) and resume (true)
  // Rate-rule history slot k follows `source` (or none, with -1), from an
  // empty history. A source's slot is the lowest slot that follows it; a
  // higher slot following the same source records nothing.
  void set_rate_slot(unsigned k, int source);
  int rate_slot(unsigned k) const { return slot_source_.at(k); }
  bool learning() const { return learning_; }
  const Variability& variability() const { return variability_; }

 private:
  void sweep(unsigned source);
  void update_neurons();
  int slot_of(unsigned source) const;  // the source's rate slot, or -1
  void record_deliveries();
  void learn();
  void write_plasticity(std::uint32_t addr, std::uint16_t word);
  std::uint16_t read_plasticity(std::uint32_t addr) const;
  std::int8_t effective(std::uint8_t byte) const;

  CoreShape shape_;
  std::vector<NeuronRegs> params_;
  std::vector<std::int8_t> weights_;  // [source][neuron]
  std::vector<NeuronState> state_;
  std::vector<std::int16_t> acc_;
  struct Input {
    std::uint16_t channel;
    std::uint16_t target;
  };
  std::deque<Input> in_fifo_;
  std::vector<std::uint16_t> recurrent_;  // spiked in the previous timestep
  std::vector<std::uint16_t> spiked_now_;
  std::vector<CoreSpike> out_fifo_;       // held while not ready
  std::vector<CoreSpike> out_taken_;      // delivered to the consumer
  bool out_ready_ = true;
  std::uint64_t time_ = 0;
  CoreCounters counters_;

  bool plastic_ = false;
  bool learning_ = true;
  std::array<GroupConfig, kGroups> groups_{};
  std::array<std::int8_t, 256> byte_weight_{};  // plastic mode: byte -> weight
  Variability variability_;
  std::uint32_t lfsr_ = 1;
  std::vector<std::uint16_t> delivered_;        // sources swept this timestep, in order
  std::vector<std::int64_t> last_pre_;          // per source: last delivery timestep
  std::vector<std::int64_t> last_post_;         // per neuron: last spike timestep
  std::array<int, kRateSlots> slot_source_{};
  std::array<std::deque<std::int64_t>, kRateSlots> slot_history_{};
};

}  // namespace spikelink::model
