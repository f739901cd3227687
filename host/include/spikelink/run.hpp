// Running a network configuration on a board (docs/config.md section 6,
// docs/cli.md `spikelink run`): load it, drive its inputs phase by phase,
// and stream what it records to disk as the run goes, so that a run of
// hours keeps its memory flat and an interrupted run leaves valid files
// holding everything received until then.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "spikelink/board.hpp"
#include "spikelink/config.hpp"
#include "spikelink/spike_file.hpp"

namespace spikelink::run {

struct Options {
  std::string out_dir;  // created if missing; the files below go into it
  spikes::Format spike_format = spikes::Format::kCsv;
  std::uint64_t chunk = 100;  // timesteps per Board::step()
  // Called after every chunk (on the caller's thread).
  std::function<void(std::uint64_t done, std::uint64_t total, const std::string& phase)> progress;
  const std::atomic<bool>* stop = nullptr;  // set (by a signal handler) to end the run early
  // Real time: a window of timesteps is not started before its time on the
  // wall clock (one timestep per timestep_ms from the run's start), so that
  // a run keeps pace with other sites (the bridge). Off: as fast as it goes.
  bool paced = false;
  // Called before each window [from, to) is sent, to add events from
  // elsewhere (the bridge's remote spikes): channel and timestep relative to
  // the run's start, within the window. They are recorded as inputs.
  std::function<void(std::uint64_t from, std::uint64_t to, std::vector<proto::SpikeEvent>& events)> inputs_hook;
  // Called with each batch of output spikes as they arrive (neuron and
  // timestep relative to the run's start), before they are written.
  std::function<void(std::span<const proto::SpikeEvent> spikes)> spikes_hook;
};

struct PhaseResult {
  std::string name;
  std::uint64_t start = 0, steps = 0;  // timesteps from the run's start
  std::uint64_t completed = 0;         // timesteps of it that ran (less if interrupted)
  std::vector<std::uint64_t> spikes;        // per population
  std::vector<std::uint64_t> input_events;  // per input group
  std::vector<std::uint8_t> levels_before;  // per plastic synapse (plan.plastic order)
  std::vector<std::uint8_t> levels_after;
  struct Response {
    std::uint64_t trials = 0;  // `from` spikes in the phase
    std::uint64_t hits = 0;    // of them followed by a `to` spike in the window
    double fraction() const { return trials ? static_cast<double>(hits) / static_cast<double>(trials) : 0.0; }
  };
  std::vector<Response> responses;  // per configured response
};

struct Files {
  std::string spikes, inputs, weights, state, summary;  // empty: not written
};

struct Result {
  std::vector<PhaseResult> phases;
  std::uint64_t timesteps = 0;        // run
  std::uint64_t spikes_recorded = 0;  // written to the spike file
  std::uint64_t events_sent = 0;
  BoardCounters counters;             // at the end; only the host's when the board went away
  bool board_counters = false;        // the board's counters were read
  bool interrupted = false;
  std::string failure;                // the board went away or refused; what was received is on disk
  double wall_seconds = 0;
  Files files;
};

// Runs `cfg` (compiled into `plan` for this board) on `board`. Resets the
// board, loads the network, sets every neuron to rest, then steps phase by
// phase. Board errors during the run end it: the result says why and the
// files hold everything received before. Throws only for errors before the
// run starts (spikes::Error for the output files, BoardError while loading).
Result run(Board& board, const config::Config& cfg, const config::Plan& plan, const Options& options);

// The summary of a run as JSON text (what summary.json holds).
std::string summary_json(const config::Config& cfg, const config::Plan& plan, const Result& r,
                         const std::string& device);

}  // namespace spikelink::run
