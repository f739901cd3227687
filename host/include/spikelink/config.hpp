// Network configurations (docs/config.md): a network described in YAML, in
// physical units, checked with every mistake reported at its file:line:column,
// and compiled for a board's shape into the register form Board::load()
// writes, with the input spike trains generated as the run goes.
//
//   auto cfg = spikelink::config::load("examples/paper-ltp-ltd.yaml");
//   auto board = spikelink::Board::open("sim://");
//   auto plan = spikelink::config::compile(cfg, spikelink::config::shape_of(board->identity()), "sim://");
//   board->load(plan.network);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "spikelink/board.hpp"
#include "spikelink/neuron_params.hpp"
#include "spikelink/plasticity.hpp"
#include "spikelink/protocol.hpp"

namespace spikelink::config {

// Where something is in a configuration file (1-based; 0 when unknown).
struct Position {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column", or "file" alone
};

// A mistake in a configuration: what() is "file:line:column: message".
class Error : public std::runtime_error {
 public:
  Error(Position where, const std::string& message);
  const Position& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  Position where_;
  std::string message_;
};

// A group of neurons on the board: neurons first .. first + size - 1.
struct Population {
  std::string name;
  unsigned size = 1;
  unsigned first = 0;           // assigned in declaration order
  model::LifParams params;      // physical units
  model::Conversion realised;   // the registers and each field's quantisation error
  Position at;
};

// A spike-train generator for an input group's channels.
struct Generator {
  enum class Kind { kOff, kRegular, kPoisson, kBursting, kFile };
  Kind kind = Kind::kOff;
  double rate_hz = 0;            // regular, poisson; bursting: bursts per second (Poisson)
  double start_ms = 0;           // regular: the first spike, from the phase's start
  unsigned burst_spikes = 1;     // bursting: spikes in a burst
  double burst_interval_ms = 5;  // bursting: between spikes of a burst
  std::string file;              // file: a spike file (absolute path), times from the run's start
  Position at;
};

// External inputs on the board: channels first .. first + size - 1.
struct InputGroup {
  std::string name;
  unsigned size = 1;
  unsigned first = 0;  // assigned in declaration order
  Generator generator;
  Position at;
};

struct Device {
  std::string name;
  model::DeviceTables tables;
  Position at;
};

struct Plasticity {
  model::Rule rule = model::Rule::kStatic;
  std::string device;  // a devices entry; empty: linear, one level a pulse
  std::uint16_t w_plus = 100, w_minus = 37, window = 1000;  // timesteps
  std::uint8_t high = 20, low = 5;
  Position at;
};

struct Connection {
  std::string from, to;  // an input group or a population; a population
  bool from_input = false;
  enum class Pattern { kOneToOne, kAllToAll, kFixedProbability, kList };
  Pattern pattern = Pattern::kAllToAll;
  double probability = 1.0;
  std::vector<std::pair<unsigned, unsigned>> pairs;  // list: (pre, post) indices within the groups
  double weight = 0;          // in the unit below; negative: inhibitory
  bool weight_in_levels = false;  // levels of a plastic synapse (else mV)
  Plasticity plasticity;
  Position at;
};

struct Phase {
  std::string name;
  std::uint64_t steps = 0;
  std::map<std::string, Generator> inputs;  // overrides for this phase, by input group
  bool learning = true;
  Position at;
};

struct Response {
  std::string from, to;  // populations
  unsigned min_steps = 1, max_steps = 10;  // a `to` spike this many timesteps after a `from` spike
  Position at;
};

struct Record {
  std::vector<std::string> spikes;     // populations; empty: all
  std::uint64_t weights_every = 0;     // timesteps between weight samples of plastic synapses; 0: off
  std::vector<std::string> state;      // populations whose neuron state is sampled
  std::uint64_t state_every = 0;
};

struct Config {
  std::string source;  // the file
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  double timestep_ms = 1.0;
  std::vector<Population> populations;
  std::vector<InputGroup> inputs;
  std::vector<Device> devices;
  std::vector<Connection> connections;
  std::vector<Phase> phases;  // at least one
  Record record;
  std::vector<Response> responses;
  model::Variability variability;

  std::uint64_t total_steps() const;
  const Population* population(const std::string& name) const;
  const InputGroup* input(const std::string& name) const;
  unsigned neurons_used() const;
  unsigned inputs_used() const;
};

// Parses and checks a configuration (everything that does not depend on
// the board). `source` names it in errors; relative file names in it are
// relative to `base_dir`. Throws Error.
Config parse(const std::string& yaml, const std::string& source, const std::string& base_dir = ".");
Config load(const std::string& path);

// What compile() needs to know about the board.
struct BoardShape {
  unsigned neurons = 256;
  unsigned inputs = 256;
  unsigned levels = 64;  // conductance levels; 0: the board has no plasticity
};
BoardShape shape_of(const proto::Identify& id);

// A plastic synapse, followed for the weight record.
struct Synapse {
  unsigned source = 0;      // board source (input channel, or E + neuron)
  unsigned neuron = 0;
  std::size_t connection = 0;
  std::string label;        // "pacemaker[0]->middle[0]"
  double mv_per_level = 0;  // the weight one level realises at this neuron
};

// One quantised value: "population.tau_m", "connections[2].weight".
struct Quantisation {
  std::string what;
  double requested = 0, realised = 0;
  std::string unit;
};

struct Plan {
  Network network;                         // what Board::load() writes
  std::vector<Quantisation> quantisation;  // every converted value
  std::vector<Synapse> plastic;            // the plastic synapses, in source then neuron order
  unsigned synapses = 0;                   // non-zero synapses written
};

// Compiles for a board; throws Error at the position of what does not fit
// (too many neurons or inputs, plasticity on a board without it, more than
// four distinct synapse groups, more than eight rate-rule sources).
Plan compile(const Config& cfg, const BoardShape& shape, const std::string& device_name);

// The input spikes of a run, generated a window at a time so that a run of
// hours needs no more memory than one window. Deterministic for a seed.
class InputSchedule {
 public:
  explicit InputSchedule(const Config& cfg);
  // Appends the events of timesteps [from, to) (relative to the run's start,
  // in time order) to `out`, as (channel, timestep) with timesteps relative
  // to the run's start. Windows must be asked for in order, without gaps.
  void generate(std::uint64_t from, std::uint64_t to, std::vector<proto::SpikeEvent>& out);
  // Phase index of timestep t.
  std::size_t phase_at(std::uint64_t t) const;

 private:
  struct Stream {
    const InputGroup* group = nullptr;
    Generator gen;
    std::vector<double> next_ms;        // per channel: its next spike (ms from the run's start)
    std::vector<double> base_ms;        // regular: the phase's first spike; bursting: the current burst's start
    std::vector<double> next_burst_ms;  // bursting: the next burst's start in its Poisson process
    std::vector<std::uint64_t> count;   // regular: spikes so far; bursting: spikes of the current burst
    std::vector<std::mt19937_64> rng;  // per channel: a channel's train does not depend on the windows asked for
    std::vector<proto::SpikeEvent> file;  // file: the whole train, in time order
    std::size_t cursor = 0;
  };
  void enter_phase(Stream& s, std::size_t phase);
  void schedule_next(Stream& s, unsigned ch);

  const Config* cfg_;
  std::vector<std::uint64_t> phase_start_;  // and the run's end last
  std::vector<Stream> streams_;
  std::size_t phase_ = SIZE_MAX;
  std::uint64_t done_ = 0;
};

}  // namespace spikelink::config
