// A culture emulator (docs/sites.md): a seeded, deterministic stand-in for
// the biological site of the 2017 bio-hybrid experiment, a small culture of
// neurons on a microelectrode array. Each neuron (one electrode channel)
// fires spontaneously, the culture fires network bursts, and a stimulus (a
// spike from the silicon site through a memristive synapse, carrying the
// synapse's weight byte) evokes an action potential with a probability that
// grows with the weight. Pure library code: no sockets, no threads, no
// clock of its own; the caller drives time.
//
// Time is in microseconds: the culture has no natural grid, and a bridge can
// convert to any (the synapse site's 50 us ticks, a board's timesteps).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace spikelink::sites {

// The legacy biological site's event types (word 1, bits 31..24).
enum class CultureEventType : std::uint8_t {
  kPsp = 0,          // a stimulus that did not evoke an action potential
  kEvoked = 1,       // a stimulated action potential
  kSpontaneous = 2,  // a spontaneous action potential (background or burst)
};

struct CultureEvent {
  std::uint64_t t_us = 0;
  std::uint32_t neuron = 0;
  CultureEventType type = CultureEventType::kSpontaneous;
  friend bool operator==(const CultureEvent&, const CultureEvent&) = default;
};

struct CultureParams {
  std::uint32_t neurons = 60;  // channels; 60 is a standard MEA
  // Background: each neuron fires as a Poisson process at this rate (outside
  // its refractory periods), independently of the others.
  double spontaneous_hz = 2.0;
  // Network bursts, `burst_hz` on average: the interval between two bursts'
  // starts is burst_min_interval_us plus an exponential (cultures fall quiet
  // for a while after a burst). In a burst each neuron takes part with
  // probability `burst_participation` and then fires
  // 1 + Poisson(burst_spikes - 1) spikes at uniform times in the burst.
  double burst_hz = 0.2;
  double burst_participation = 0.8;
  double burst_spikes = 4.0;
  std::uint64_t burst_duration_us = 100'000;
  std::uint64_t burst_min_interval_us = 1'000'000;  // at least burst_duration_us, below 1 / burst_hz
  // Stimulation: a stimulus of weight byte w evokes an action potential with
  // probability p(w), a logistic in w through p(threshold_weight) ~ 0.5 with
  // width `threshold_slope` (weight units), rescaled so that p(0) = 0 and
  // p(255) = 1 exactly. The spike comes latency_us +- latency_jitter_us
  // (uniform) after the stimulus.
  double threshold_weight = 128.0;
  double threshold_slope = 16.0;
  std::uint64_t latency_us = 5'000;
  std::uint64_t latency_jitter_us = 1'000;  // at most latency_us
  // After an action potential a neuron neither fires nor responds for this
  // long. A neuron whose evoked spike is pending (in its latency) is
  // refractory too.
  std::uint64_t refractory_us = 5'000;
  // A stimulus that evokes nothing is reported as a type 0 event (PSP) at the
  // stimulus time, as the legacy biological site did; the synapse site's rate
  // rule learns from those.
  bool report_psp = true;
  std::uint64_t seed = 1;
};

struct CultureCounters {
  std::uint64_t stimuli = 0;             // accepted stimuli
  std::uint64_t evoked = 0;              // type 1 events
  std::uint64_t psp = 0;                 // stimuli that evoked nothing (reported or not)
  std::uint64_t refractory_stimuli = 0;  // stimuli that found their neuron refractory (also counted in psp)
  std::uint64_t spontaneous = 0;         // type 2 events
  std::uint64_t bursts = 0;              // bursts started
  std::uint64_t suppressed = 0;          // spontaneous or burst spikes that fell in a refractory period
  std::uint64_t unknown_neuron = 0;      // stimuli of a neuron >= neurons, ignored
  std::uint64_t late_stimuli = 0;        // stimuli timed before the present, taken at the present
};

class Culture {
 public:
  // Throws std::invalid_argument for parameters out of range.
  explicit Culture(const CultureParams& params);

  // A stimulus of `neuron` with a synapse's weight byte at time t_us. The
  // culture is first brought to t_us (what happens up to and at t_us comes
  // before the stimulus); a stimulus timed before the present (the latest
  // advance_to or stimulus) is taken at the present and counted as late.
  void stimulate(std::uint32_t neuron, std::uint8_t weight, std::uint64_t t_us);
  // Every event up to and including t_us not returned before, in time order.
  // The events and their order depend only on the seed and the stimuli (their
  // order, neurons, weights and times), not on how time is cut into calls.
  std::vector<CultureEvent> advance_to(std::uint64_t t_us);

  // The probability that a stimulus of weight byte w evokes a spike in a
  // neuron that is not refractory.
  double evoke_probability(std::uint8_t w) const { return p_evoke_[w]; }
  std::uint64_t now_us() const { return now_; }
  const CultureParams& params() const { return params_; }
  const CultureCounters& counters() const { return counters_; }

 private:
  struct Pending {
    std::uint64_t t_us;
    std::uint32_t neuron;
    CultureEventType type;
    bool committed;  // an evoked spike: already decided, fires whatever the refractory state
    bool operator>(const Pending& o) const;
  };
  struct Rng {
    std::uint64_t s;
    std::uint64_t next();
    double uniform();  // [0, 1)
  };

  void run_until(std::uint64_t t_us);  // generates internal events up to and including t_us
  void start_burst(std::uint64_t t_us);
  double burst_gap_s() const;
  void candidate(std::uint64_t t_us, std::uint32_t neuron, CultureEventType type, bool committed);
  std::uint64_t exp_interval(Rng& rng, double rate_hz, std::uint64_t min_us) const;

  CultureParams params_;
  CultureCounters counters_;
  std::array<double, 256> p_evoke_{};
  std::uint64_t now_ = 0;
  std::uint64_t next_burst_ = 0;
  Rng burst_rng_{};
  std::vector<Rng> spont_rng_;
  std::vector<Rng> stim_rng_;
  std::vector<std::uint64_t> refractory_end_;
  // Each neuron's next background spike, a min-heap of (time, neuron).
  std::priority_queue<std::pair<std::uint64_t, std::uint32_t>, std::vector<std::pair<std::uint64_t, std::uint32_t>>,
                      std::greater<>>
      spont_;
  // Burst spikes and evoked spikes to come.
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::vector<CultureEvent> out_;  // events generated, not yet returned (time order)
};

}  // namespace spikelink::sites
