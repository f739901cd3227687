// Memristive plasticity: the device model (levels, step tables, variability)
// and the learning rules of docs/plasticity.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace spikelink::model {

inline constexpr unsigned kMaxLevels = 64;
inline constexpr unsigned kGroups = 4;
inline constexpr unsigned kRateSlots = 8;
inline constexpr unsigned kRateHistory = 21;  // enough to decide "more than 20"
// W+, W- and the rate window are 14-bit: the RTL's 15-bit timestamps are
// invalidated at 16384 timesteps old, which no window can then reach.
inline constexpr std::uint16_t kMaxWindow = 16383;

enum class Rule : std::uint8_t { kStatic = 0, kStdp = 1, kRate = 2 };

// A group's step tables: the step of one pulse from each level, Q4.4 levels.
struct DeviceTables {
  unsigned levels = kMaxLevels;
  std::array<std::uint8_t, kMaxLevels> pot{};
  std::array<std::uint8_t, kMaxLevels> dep{};
  // Reads the YAML written by scripts/memristor-tables. Throws
  // std::runtime_error naming the file, line and column of what is wrong.
  static DeviceTables from_yaml(const std::string& path);
  // Every step `q` sixteenths of a level (a linear device).
  static DeviceTables linear(unsigned levels, std::uint8_t q);
};

struct GroupConfig {
  Rule rule = Rule::kStatic;
  bool inhibitory = false;
  DeviceTables tables = DeviceTables::linear(kMaxLevels, 16);
  // The windows are 0..kMaxWindow timesteps.
  std::uint16_t w_plus = 100;   // STDP: pre at t_post - w_plus .. t_post potentiates
  std::uint16_t w_minus = 37;   // STDP: post at t_pre - w_minus .. t_pre - 1 depresses
  std::uint16_t rate_window = 1000;
  std::uint8_t rate_high = 20;  // more than this many pre spikes in the window: potentiate
  std::uint8_t rate_low = 5;    // fewer than this: depress
};

struct Variability {
  std::uint8_t d2d_amp = 0;  // 0: off
  std::uint32_t d2d_seed = 0;
  std::uint8_t c2c_amp = 0;  // 0: off (and rounding is to nearest)
  std::uint32_t c2c_seed = 1;
};

// The synapse byte in plastic mode: group in bits 7..6, level in 5..0.
constexpr std::uint8_t synapse_byte(unsigned group, unsigned level) {
  return static_cast<std::uint8_t>((group << 6) | (level & 63));
}
constexpr unsigned group_of(std::uint8_t b) { return b >> 6; }
constexpr unsigned level_of(std::uint8_t b) { return b & 63u; }

// The 32-bit Galois LFSR of the cycle-to-cycle noise, `steps` steps on.
std::uint32_t lfsr_advance(std::uint32_t state, unsigned steps = 16);
// The fixed device-to-device offset of synapse (s, n), in 1/16 level.
int d2d_offset(unsigned s, unsigned n, std::uint32_t seed, std::uint8_t amp);

// One programming pulse on a synapse at `level`; returns the new level.
// `lfsr` is advanced when cycle-to-cycle noise is on.
unsigned pulse(unsigned level, bool potentiate, const DeviceTables& t, const Variability& v, unsigned s, unsigned n,
               std::uint32_t& lfsr);

}  // namespace spikelink::model
