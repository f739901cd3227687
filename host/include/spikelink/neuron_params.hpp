// Neuron parameters: the core's fixed-point registers, and their mapping from
// the physical units other simulators use (docs/neuron-model.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spikelink::model {

// Register-level parameters of one neuron (memory space 0, eight words).
struct NeuronRegs {
  std::int16_t v_rest = 0;     // Q8.8 mV
  std::int16_t v_reset = 0;    // Q8.8 mV
  std::int16_t v_thresh = 0;   // Q8.8 mV
  std::uint16_t k_leak = 0;    // Q0.15; quantise() gives 0..32767, above overshoots rest
  std::uint8_t w_scale = 0;    // Q8.8 mV per weight unit
  std::uint8_t t_ref = 0;      // timesteps
  std::uint16_t a_inc = 0;     // Q8.8 mV
  std::uint16_t k_adapt = 0;   // Q0.16
  std::uint16_t reserved = 0;  // word 7: the core stores 0 (writes ignored, reads 0)
  friend bool operator==(const NeuronRegs&, const NeuronRegs&) = default;
};
inline constexpr unsigned kParamWords = 8;
inline constexpr std::uint16_t kMaxLeak = 32767;

// The eight 16-bit words of memory space 0 for one neuron, and back.
std::vector<std::uint16_t> to_words(const NeuronRegs& r);
NeuronRegs from_words(const std::uint16_t* words);

// A leaky integrate-and-fire neuron with spike-frequency adaptation (an
// adaptive threshold), in the units of PyNN's IF_curr_exp family.
struct LifParams {
  double tau_m = 20.0;       // ms, membrane time constant (> 0)
  double v_rest = -65.0;     // mV
  double v_reset = -65.0;    // mV
  double v_thresh = -50.0;   // mV
  double tau_refrac = 2.0;   // ms
  double a_jump = 0.0;       // mV added to the threshold per spike
  double tau_a = 100.0;      // ms, adaptation time constant (> 0 if a_jump > 0)
  double weight_unit = 0.25; // mV: the jump one weight unit causes
};

// One field's requested and realised value, in physical units.
struct Quantised {
  std::string name;
  double requested;
  double realised;
  double error() const { return realised - requested; }
};

struct Conversion {
  NeuronRegs regs;
  std::vector<Quantised> report;  // every field, with its quantisation error
};

// Converts physical parameters for a timestep of dt_ms. Throws
// std::invalid_argument naming the field that is out of the core's range.
Conversion quantise(const LifParams& p, double dt_ms = 1.0);

// The physical parameters a register set realises (inverse of quantise, exact).
LifParams realised(const NeuronRegs& r, double dt_ms = 1.0);

// A synaptic weight given as a jump in mV, as the nearest weight code for a
// neuron with this w_scale (clamped to -128..127), and what it realises.
std::int8_t weight_code(double jump_mv, std::uint8_t w_scale);
double weight_mv(std::int8_t code, std::uint8_t w_scale);

}  // namespace spikelink::model
