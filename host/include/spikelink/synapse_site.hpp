// The synapse site of the 2017 bio-hybrid experiment in software
// (docs/sites.md): a connectivity table maps each synapse (pre, post) to a
// memristor at (wordline, bitline); a pre-synaptic spike is forwarded to its
// post partners with the synapse's weight byte, and post-synaptic events
// drive the learning rule (the final rate rule, or the STDP alternative)
// that pulses the devices. Pure library code: no sockets, no threads.
//
// Time is in ticks of 50 us, the legacy synapse site's clock.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace spikelink::sites {

inline constexpr std::uint64_t kTicksPerSecond = 20'000;  // ticks of 50 us
inline constexpr std::uint32_t kMaxNeuronId = 0xffffff;   // a packet's 24-bit neuron id

// One line `pre, post, wordline, bitline` of a connectivity table.
struct SynapseEntry {
  std::uint32_t pre = 0;
  std::uint32_t post = 0;
  unsigned wordline = 0;
  unsigned bitline = 0;
  friend bool operator==(const SynapseEntry&, const SynapseEntry&) = default;
};
using SynapseTable = std::vector<SynapseEntry>;

class ConnectivityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a connectivity table: one synapse a line, `pre, post, wordline,
// bitline` (decimal, commas, spaces allowed around them), '#' starts a
// comment, blank lines are skipped. Neuron ids are 0..2^24 - 1 (a packet's
// id field). A (pre, post) pair given twice is an error; two synapses may
// share a device (they then share its weight). Throws ConnectivityError
// "source:line: what".
SynapseTable parse_connectivity(std::string_view text, std::string_view source = "connectivity");
// Reads and parses a file; errors name the file and line.
SynapseTable load_connectivity(const std::string& path);

enum class SiteRule : std::uint8_t { kRate, kStdp, kNone };

struct SynapseSiteParams {
  // The weight byte is w = clip(round(255 (R - Rmin) / (Rmax - Rmin)), 0, 255)
  // (the 2017 software's mapping: the byte grows with the resistance).
  double r_min_ohm = 4000;
  double r_max_ohm = 9000;
  double r_initial_ohm = 4000;  // every device's state at the start (weight byte 0)
  // Devices: the bounded nonlinear pulse response of Querlioz et al. (the
  // model scripts/memristor-tables uses, same parameters) on the normalised
  // state x = (R - Rmin) / (Rmax - Rmin) in 0..1, which potentiation raises:
  //   dx+ = a+ exp(-b+ x),  dx- = a- exp(-b- (1 - x))
  // with a+ (a-) such that pulses_up (pulses_down) pulses take x from 0 to 1
  // (from 1 to 0).
  unsigned pulses_up = 40;
  unsigned pulses_down = 40;
  double nonlinearity_up = 3.0;  // b+, 0 = linear
  double nonlinearity_down = 3.0;
  // Cycle-to-cycle variability: each step is scaled by 1 + c2c u, u uniform
  // with mean 0 and standard deviation 1 (clamped at 0 so a pulse never moves
  // the wrong way). 0 = off.
  double c2c = 0.0;
  std::uint64_t seed = 1;

  SiteRule rule = SiteRule::kRate;
  // Rate rule: at a post event at tick t, c = the pre neuron's stored spikes
  // at t - rate_window + 1 .. t, among its last `history` spikes; c > rate_high
  // gives one potentiation pulse, c < rate_low one depression pulse.
  std::uint64_t rate_window = kTicksPerSecond;
  unsigned rate_high = 20;
  unsigned rate_low = 5;
  unsigned history = 100;
  // STDP (the alternative, off by default): at a post event at tick t, a
  // stored pre spike at t - stdp_pot_window .. t gives one potentiation pulse;
  // otherwise one at t + 1 .. t + stdp_dep_window (a pre spike the site
  // received before a post event timed earlier) gives one depression pulse.
  std::uint64_t stdp_pot_window = 2000;  // 100 ms
  std::uint64_t stdp_dep_window = 750;   // 37.5 ms
};

// A spike forwarded to a post neuron, with the synapse's weight byte.
struct Forward {
  std::uint32_t pre = 0;
  std::uint32_t post = 0;
  std::uint8_t weight = 0;
  std::uint64_t tick = 0;
  friend bool operator==(const Forward&, const Forward&) = default;
};

struct SynapseSiteCounters {
  std::uint64_t pre_events = 0;    // spikes accepted by on_pre
  std::uint64_t post_events = 0;   // events accepted by on_post
  std::uint64_t forwards = 0;      // spikes forwarded (one per synapse)
  std::uint64_t pulses_pot = 0;    // potentiation pulses (a pulse at the bound counts too)
  std::uint64_t pulses_dep = 0;    // depression pulses
  std::uint64_t unknown_pre = 0;   // on_pre of a neuron that is no synapse's pre: dropped
  std::uint64_t unknown_post = 0;  // on_post of a neuron the table does not name: dropped
  std::uint64_t bad_type = 0;      // on_post with a type other than 0, 1, 2: dropped
};

class SynapseSite {
 public:
  // Throws std::invalid_argument for bad parameters.
  SynapseSite(const SynapseTable& table, const SynapseSiteParams& params = {});

  // A spike of neuron `pre` from the silicon site ('A'): stored in its
  // history and forwarded along each of its synapses with the weight byte.
  // Never changes a weight.
  std::vector<Forward> on_pre(std::uint32_t pre, std::uint64_t tick);
  // An event of neuron `post` from the biological site ('D'), typed as the
  // legacy format: 0 PSP, 1 evoked action potential, 2 spontaneous. Types 0
  // and 2 trigger the learning rule on the synapses onto `post`; types 1 and 2
  // are spikes: stored in the neuron's history and forwarded along the
  // synapses from it (a chain silicon -> culture -> silicon), as on_pre does.
  std::vector<Forward> on_post(std::uint32_t post, std::uint8_t type, std::uint64_t tick);
  // A spike of a silicon post neuron: an action potential with no stimulus
  // type, taken as type 2 (it both triggers the rule and is a spike).
  std::vector<Forward> on_post_spike(std::uint32_t post, std::uint64_t tick) { return on_post(post, 2, tick); }

  // The weight byte, resistance and normalised state of synapse (pre, post);
  // throw std::out_of_range for a synapse the table does not have.
  std::uint8_t weight_byte(std::uint32_t pre, std::uint32_t post) const;
  double resistance(std::uint32_t pre, std::uint32_t post) const;
  void set_resistance(std::uint32_t pre, std::uint32_t post, double ohm);  // clamped to Rmin..Rmax
  // One programming pulse on the synapse's device, as the rule gives them.
  void pulse(std::uint32_t pre, std::uint32_t post, bool potentiate);
  // The rate rule's count for `pre` at `tick` (its stored spikes in the window).
  unsigned rate_count(std::uint32_t pre, std::uint64_t tick) const;

  double amplitude_up() const { return a_up_; }
  double amplitude_down() const { return a_down_; }
  // The latest tick seen on any event: the site's clock.
  std::uint64_t now() const { return now_; }
  const SynapseTable& table() const { return table_; }
  const SynapseSiteParams& params() const { return params_; }
  const SynapseSiteCounters& counters() const { return counters_; }

 private:
  struct History {  // a ring of the last `history` spike ticks
    std::vector<std::uint64_t> ticks;
    std::size_t head = 0;
    std::size_t size = 0;
  };
  struct Synapse {
    std::uint32_t pre, post;
    std::size_t device;
  };

  std::size_t synapse_index(std::uint32_t pre, std::uint32_t post) const;
  void store(std::uint32_t neuron, std::uint64_t tick);
  std::vector<Forward> forward(std::uint32_t pre, std::uint64_t tick);
  void learn(std::uint32_t post, std::uint64_t tick);
  void apply_pulse(std::size_t device, bool potentiate);
  double noise();

  SynapseTable table_;
  SynapseSiteParams params_;
  SynapseSiteCounters counters_;
  double a_up_ = 0, a_down_ = 0;
  std::vector<Synapse> synapses_;
  std::vector<double> devices_;  // x per (wordline, bitline), in first-use order
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> by_pair_;
  std::unordered_map<std::uint32_t, std::vector<std::size_t>> by_pre_, by_post_;  // synapse indices, table order
  std::unordered_map<std::uint32_t, History> history_;  // the neurons that are some synapse's pre
  std::uint64_t rng_;
  std::uint64_t now_ = 0;
};

// a such that `pulses` steps of x += a exp(-b x) take x from 0 to at least 1,
// and pulses - 1 do not (scripts/memristor-tables' amplitude(), by the same
// bisection).
double querlioz_amplitude(unsigned pulses, double nonlinearity);

}  // namespace spikelink::sites
