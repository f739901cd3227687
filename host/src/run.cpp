// Running a network configuration on a board (docs/config.md section 6).
#include "spikelink/run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace spikelink::run {

namespace {

using Clock = std::chrono::steady_clock;

// A CSV file written as the run goes (weights, state).
class CsvFile {
 public:
  CsvFile() = default;
  CsvFile(const std::string& path, const std::string& header) : path_(path) {
    f_ = std::fopen(path.c_str(), "w");
    if (!f_) throw spikes::Error(path + ": cannot create the file");
    line(header);
  }
  ~CsvFile() { close(); }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  CsvFile& operator=(CsvFile&& o) noexcept {
    close();
    f_ = o.f_;
    path_ = std::move(o.path_);
    o.f_ = nullptr;
    return *this;
  }
  explicit operator bool() const { return f_ != nullptr; }
  void line(const std::string& s) {
    if (f_ && (std::fputs(s.c_str(), f_) < 0 || std::fputc('\n', f_) == EOF))
      throw spikes::Error(path_ + ": write failed (disk full?)");
  }
  void flush() {
    if (f_ && std::fflush(f_) != 0) throw spikes::Error(path_ + ": write failed (disk full?)");
  }
  void close() {
    if (f_) std::fclose(f_);
    f_ = nullptr;
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// The populations' neuron ranges, to attribute spikes.
struct Ranges {
  std::vector<unsigned> first, size;
  int of(unsigned neuron) const {
    for (std::size_t i = 0; i < first.size(); ++i)
      if (neuron >= first[i] && neuron < first[i] + size[i]) return static_cast<int>(i);
    return -1;
  }
};

// Reads the levels of the plan's plastic synapses, a row range per source.
std::vector<std::uint8_t> read_levels(Board& b, const config::Plan& plan) {
  std::vector<std::uint8_t> out(plan.plastic.size(), 0);
  const unsigned N = b.identity().neurons;
  std::size_t i = 0;
  while (i < plan.plastic.size()) {
    std::size_t j = i;
    while (j < plan.plastic.size() && plan.plastic[j].source == plan.plastic[i].source) ++j;
    const unsigned s = plan.plastic[i].source;
    const unsigned lo = plan.plastic[i].neuron & ~1u, hi = plan.plastic[j - 1].neuron | 1u;
    const auto words = b.read_mem(proto::MemSpace::kWeights, s * (N / 2) + lo / 2, (hi - lo + 1) / 2);
    for (std::size_t k = i; k < j; ++k) {
      const unsigned n = plan.plastic[k].neuron - lo;
      const std::uint16_t w = words[n / 2];
      out[k] = static_cast<std::uint8_t>(model::level_of(static_cast<std::uint8_t>((n & 1) ? (w >> 8) : (w & 0xFF))));
    }
    i = j;
  }
  return out;
}

}  // namespace

Result run(Board& board, const config::Config& cfg, const config::Plan& plan, const Options& opt) {
  const auto wall0 = Clock::now();
  config::InputSchedule sched(cfg);  // input files are read (and checked) before the board is touched
  Result res;
  std::filesystem::create_directories(opt.out_dir);
  const auto file = [&](const std::string& name) { return (std::filesystem::path(opt.out_dir) / name).string(); };
  const char* ext = opt.spike_format == spikes::Format::kCsv ? ".csv" : ".spk";
  const auto timestep_us = static_cast<std::uint32_t>(std::max(1L, std::lround(cfg.timestep_ms * 1000)));
  res.files.spikes = file(std::string("spikes") + ext);
  res.files.inputs = file(std::string("inputs") + ext);
  spikes::Writer spike_out(res.files.spikes, spikes::Header{timestep_us, "neuron"});
  spikes::Writer input_out(res.files.inputs, spikes::Header{timestep_us, "input"});
  CsvFile weights_out, state_out;
  if (cfg.record.weights_every && !plan.plastic.empty()) {
    res.files.weights = file("weights.csv");
    std::string head = "time_ms";
    for (const auto& s : plan.plastic) head += "," + s.label;
    weights_out = CsvFile(res.files.weights, head);
  }
  Ranges pops;
  for (const auto& p : cfg.populations) {
    pops.first.push_back(p.first);
    pops.size.push_back(p.size);
  }
  std::vector<bool> recorded(cfg.populations.size(), cfg.record.spikes.empty());
  for (const auto& n : cfg.record.spikes)
    for (std::size_t i = 0; i < cfg.populations.size(); ++i)
      if (cfg.populations[i].name == n) recorded[i] = true;
  std::vector<std::pair<unsigned, unsigned>> state_ranges;  // first, size
  if (cfg.record.state_every && !cfg.record.state.empty()) {
    res.files.state = file("state.csv");
    state_out = CsvFile(res.files.state, "time_ms,neuron,population,v_mV,a_mV,refractory");
    for (const auto& n : cfg.record.state) {
      const auto* p = cfg.population(n);
      state_ranges.emplace_back(p->first, p->size);
    }
  }

  const std::uint64_t total = cfg.total_steps();
  std::uint64_t start = 0;
  for (const auto& p : cfg.phases) {
    PhaseResult pr;
    pr.name = p.name;
    pr.start = start;
    pr.steps = p.steps;
    pr.spikes.assign(cfg.populations.size(), 0);
    pr.input_events.assign(cfg.inputs.size(), 0);
    pr.responses.assign(cfg.responses.size(), {});
    res.phases.push_back(std::move(pr));
    start += p.steps;
  }

  // Load the network and set every neuron to rest.
  const unsigned N = board.identity().neurons;
  board.reset();
  board.load(plan.network);
  board.write_mem(proto::MemSpace::kNeuronState, 0, rest_state_words(plan.network, N));
  const std::uint64_t t0 = board.time();
  const auto pace0 = Clock::now();  // real time starts with the first timestep, after loading
  bool learning = plan.network.plasticity && plan.network.plasticity->learning;
  const bool plastic = plan.network.plasticity && plan.network.plasticity->plastic;

  // Responses: `from` spikes waiting for a `to` spike within their window.
  struct Trial {
    std::uint64_t t;
    std::size_t phase;
    bool hit;
  };
  std::vector<std::deque<Trial>> pending(cfg.responses.size());
  std::vector<int> resp_from, resp_to;
  for (const auto& r : cfg.responses) {
    for (std::size_t i = 0; i < cfg.populations.size(); ++i) {
      if (cfg.populations[i].name == r.from) resp_from.push_back(static_cast<int>(i));
      if (cfg.populations[i].name == r.to) resp_to.push_back(static_cast<int>(i));
    }
  }

  std::vector<proto::SpikeEvent> events, pulled(8192);
  std::vector<spikes::Spike> out_batch, in_batch;
  auto last_flush = Clock::now();
  const auto flush_all = [&] {
    spike_out.flush();
    input_out.flush();
    weights_out.flush();
    state_out.flush();
    last_flush = Clock::now();
  };
  const auto drain = [&] {
    for (;;) {
      const std::size_t n = board.pull(pulled);
      if (n == 0) break;
      if (opt.spikes_hook) {
        std::vector<proto::SpikeEvent> rel(pulled.begin(), pulled.begin() + static_cast<std::ptrdiff_t>(n));
        for (auto& e : rel) e.timestep -= t0;
        opt.spikes_hook(rel);
      }
      out_batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t t = pulled[i].timestep - t0;
        const unsigned neuron = pulled[i].address;
        const int pop = pops.of(neuron);
        const std::size_t ph = sched.phase_at(std::min(t, total ? total - 1 : 0));
        if (pop >= 0) {
          ++res.phases[ph].spikes[static_cast<std::size_t>(pop)];
          if (recorded[static_cast<std::size_t>(pop)]) out_batch.push_back({t, static_cast<std::uint16_t>(neuron)});
        } else {
          out_batch.push_back({t, static_cast<std::uint16_t>(neuron)});  // a neuron outside the network: keep it
        }
        for (std::size_t k = 0; k < cfg.responses.size(); ++k) {
          const auto& rc = cfg.responses[k];
          auto& q = pending[k];
          if (pop == resp_to[k]) {
            while (!q.empty() && q.front().t + rc.max_steps < t) q.pop_front();
            for (auto& tr : q) {
              if (tr.t + rc.min_steps > t) break;
              if (!tr.hit) {
                tr.hit = true;
                ++res.phases[tr.phase].responses[k].hits;
              }
            }
          }
          if (pop == resp_from[k]) {
            q.push_back({t, ph, false});
            ++res.phases[ph].responses[k].trials;
          }
        }
      }
      spike_out.write(out_batch);
      res.spikes_recorded += out_batch.size();
    }
    // Trials whose window has passed can no longer be hit: drop them, so a
    // silent `to` population does not make the queue grow with the run.
    const std::uint64_t now = board.time() - t0;
    for (std::size_t k = 0; k < cfg.responses.size(); ++k)
      while (!pending[k].empty() && pending[k].front().t + cfg.responses[k].max_steps < now) pending[k].pop_front();
  };
  const auto sample_state = [&](std::uint64_t t) {
    for (std::size_t r = 0; r < state_ranges.size(); ++r) {
      const auto [first, size] = state_ranges[r];
      const auto words = board.read_mem(proto::MemSpace::kNeuronState, first * 4, size * 4);
      for (unsigned i = 0; i < size; ++i) {
        const auto v = static_cast<std::int16_t>(words[4 * i]);
        state_out.line(fmt::format("{},{},{},{:.4f},{:.4f},{}", static_cast<double>(t) * cfg.timestep_ms, first + i,
                                   cfg.record.state[r], v / 256.0, words[4 * i + 1] / 256.0, words[4 * i + 2] & 0xFF));
      }
    }
  };
  const auto sample_weights = [&](std::uint64_t t, const std::vector<std::uint8_t>& levels) {
    std::string row = fmt::format("{}", static_cast<double>(t) * cfg.timestep_ms);
    for (std::size_t i = 0; i < levels.size(); ++i) row += fmt::format(",{}", levels[i]);
    weights_out.line(row);
  };

  std::uint64_t t = 0;
  std::size_t phase = SIZE_MAX;
  try {
    if (weights_out) sample_weights(0, read_levels(board, plan));
    if (state_out) sample_state(0);
    while (t < total) {
      if (opt.stop && opt.stop->load()) {
        res.interrupted = true;
        break;
      }
      const std::size_t p = sched.phase_at(t);
      if (p != phase) {
        phase = p;
        if (!plan.plastic.empty()) res.phases[p].levels_before = read_levels(board, plan);
        if (plastic && cfg.phases[p].learning != learning) {
          learning = cfg.phases[p].learning;
          const std::uint16_t mode = static_cast<std::uint16_t>(1 | (learning ? 2 : 0));
          board.write_mem(proto::MemSpace::kPlasticity, 0, std::span<const std::uint16_t>(&mode, 1));
        }
      }
      const std::uint64_t phase_end = res.phases[p].start + res.phases[p].steps;
      std::uint64_t window = std::max<std::uint64_t>(1, opt.chunk);
      if (opt.paced) {
        // Behind the wall clock (a slow device, a stalled machine): step
        // what is due in one go, so that the run catches up instead of
        // staying behind for good.
        const double due_ms = std::chrono::duration<double, std::milli>(Clock::now() - pace0).count();
        const auto due = static_cast<std::uint64_t>(due_ms / cfg.timestep_ms);
        if (due > t + window) window = due - t;
      }
      std::uint64_t next = std::min(t + window, phase_end);
      if (weights_out) next = std::min(next, (t / cfg.record.weights_every + 1) * cfg.record.weights_every);
      if (state_out) next = std::min(next, (t / cfg.record.state_every + 1) * cfg.record.state_every);

      if (opt.paced) {
        // Not before the window's time on the wall clock.
        const auto due = pace0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double, std::milli>(static_cast<double>(t) * cfg.timestep_ms));
        while (Clock::now() < due && !(opt.stop && opt.stop->load()))
          std::this_thread::sleep_for(std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(1)));
      }
      events.clear();
      sched.generate(t, next, events);
      if (opt.inputs_hook) {
        const std::size_t own = events.size();
        opt.inputs_hook(t, next, events);
        for (std::size_t i = own; i < events.size(); ++i)
          events[i].timestep = std::clamp(events[i].timestep, t, next - 1);
        std::stable_sort(events.begin(), events.end(),
                         [](const proto::SpikeEvent& a, const proto::SpikeEvent& b) { return a.timestep < b.timestep; });
      }
      in_batch.clear();
      for (auto& e : events) {
        in_batch.push_back({e.timestep, e.address});
        e.timestep += t0;
      }
      if (!events.empty()) board.send(events);
      board.step(next - t);
      // Recorded once their timesteps have run: a window cut short by a lost
      // board is not in the files.
      for (const auto& e : in_batch)
        for (std::size_t g = 0; g < cfg.inputs.size(); ++g)
          if (e.channel >= cfg.inputs[g].first && e.channel < cfg.inputs[g].first + cfg.inputs[g].size)
            ++res.phases[p].input_events[g];
      input_out.write(in_batch);
      res.events_sent += events.size();
      res.phases[p].completed += next - t;
      t = next;
      res.timesteps = t;
      drain();
      if (weights_out && t % cfg.record.weights_every == 0) sample_weights(t, read_levels(board, plan));
      if (state_out && t % cfg.record.state_every == 0) sample_state(t);
      if (t == phase_end && !plan.plastic.empty()) res.phases[p].levels_after = read_levels(board, plan);
      if (Clock::now() - last_flush > std::chrono::milliseconds(200)) flush_all();
      if (opt.progress) opt.progress(t, total, cfg.phases[p].name);
    }
    res.counters = board.counters();
    res.board_counters = true;
  } catch (const BoardError& e) {
    // The board went away or refused: what it sent before is in the host's
    // ring, and goes into the files before the error is reported.
    res.failure = e.what();
    try {
      drain();
    } catch (const std::exception&) {
    }
    res.counters.host = board.host_counters();
  } catch (const usb::Error& e) {
    res.failure = e.what();
    try {
      drain();
    } catch (const std::exception&) {
    }
    res.counters.host = board.host_counters();
  }
  spike_out.close();
  input_out.close();
  weights_out.close();
  state_out.close();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - wall0).count();
  res.files.summary = file("summary.json");
  {
    CsvFile summary(res.files.summary, summary_json(cfg, plan, res, board.uri()));  // one "line": the JSON
    summary.flush();
  }
  return res;
}

std::string summary_json(const config::Config& cfg, const config::Plan& plan, const Result& r,
                         const std::string& device) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["network"] = cfg.name;
  j["config"] = cfg.source;
  j["device"] = device;
  j["seed"] = cfg.seed;
  j["timestep_ms"] = cfg.timestep_ms;
  j["timesteps"] = r.timesteps;
  j["wall_seconds"] = r.wall_seconds;
  j["speed_x_real_time"] =
      r.wall_seconds > 0 ? static_cast<double>(r.timesteps) * cfg.timestep_ms / 1000.0 / r.wall_seconds : 0.0;
  j["interrupted"] = r.interrupted;
  j["failure"] = r.failure.empty() ? ordered_json(nullptr) : ordered_json(r.failure);
  // Where the network sits on the board: spike files name neurons and
  // input channels by number.
  ordered_json layout_pops = ordered_json::array(), layout_inputs = ordered_json::array();
  for (const auto& p : cfg.populations)
    layout_pops.push_back({{"name", p.name}, {"first_neuron", p.first}, {"size", p.size}});
  for (const auto& g : cfg.inputs)
    layout_inputs.push_back({{"name", g.name}, {"first_channel", g.first}, {"size", g.size}});
  j["layout"] = {{"populations", layout_pops}, {"inputs", layout_inputs}};
  ordered_json phases = ordered_json::array();
  for (const auto& p : r.phases) {
    ordered_json x;
    x["name"] = p.name;
    x["start_ms"] = static_cast<double>(p.start) * cfg.timestep_ms;
    x["duration_ms"] = static_cast<double>(p.steps) * cfg.timestep_ms;
    x["completed_ms"] = static_cast<double>(p.completed) * cfg.timestep_ms;
    ordered_json spikes, rates, inputs;
    const double secs = static_cast<double>(p.completed) * cfg.timestep_ms / 1000.0;
    for (std::size_t i = 0; i < cfg.populations.size(); ++i) {
      spikes[cfg.populations[i].name] = p.spikes[i];
      rates[cfg.populations[i].name] =
          secs > 0 ? static_cast<double>(p.spikes[i]) / secs / cfg.populations[i].size : 0.0;
    }
    for (std::size_t i = 0; i < cfg.inputs.size(); ++i) inputs[cfg.inputs[i].name] = p.input_events[i];
    x["spikes"] = spikes;
    x["rate_hz"] = rates;
    x["input_events"] = inputs;
    ordered_json weights = ordered_json::array();
    for (std::size_t s = 0; s < plan.plastic.size(); ++s) {
      if (s >= p.levels_before.size()) break;
      ordered_json w;
      w["synapse"] = plan.plastic[s].label;
      w["before_level"] = p.levels_before[s];
      w["before_mV"] = p.levels_before[s] * plan.plastic[s].mv_per_level;
      if (s < p.levels_after.size()) {
        w["after_level"] = p.levels_after[s];
        w["after_mV"] = p.levels_after[s] * plan.plastic[s].mv_per_level;
      }
      weights.push_back(w);
    }
    x["weights"] = weights;
    ordered_json resp = ordered_json::array();
    for (std::size_t k = 0; k < cfg.responses.size(); ++k) {
      const auto& rc = cfg.responses[k];
      resp.push_back({{"from", rc.from},
                      {"to", rc.to},
                      {"window_ms", {rc.min_steps * cfg.timestep_ms, rc.max_steps * cfg.timestep_ms}},
                      {"trials", p.responses[k].trials},
                      {"hits", p.responses[k].hits},
                      {"fraction", p.responses[k].fraction()}});
    }
    x["responses"] = resp;
    phases.push_back(x);
  }
  j["phases"] = phases;
  ordered_json counters;
  for (const auto& [name, v] : named_counters(r.counters)) {
    // The board's counters are unknown when it went away before they were read.
    if (!r.board_counters && name.rfind("host_", 0) != 0) counters[name] = nullptr;
    else counters[name] = v;
  }
  j["counters"] = counters;
  j["board_counters_read"] = r.board_counters;
  ordered_json q = ordered_json::array();
  for (const auto& x : plan.quantisation)
    q.push_back({{"what", x.what}, {"requested", x.requested}, {"realised", x.realised}, {"unit", x.unit}});
  j["quantisation"] = q;
  j["files"] = {{"spikes", r.files.spikes},
                {"inputs", r.files.inputs},
                {"weights", r.files.weights.empty() ? ordered_json(nullptr) : ordered_json(r.files.weights)},
                {"state", r.files.state.empty() ? ordered_json(nullptr) : ordered_json(r.files.state)}};
  return j.dump(2);
}

}  // namespace spikelink::run
