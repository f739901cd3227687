// A harness for one Verilated model: it owns the VerilatedContext and the
// model, steps the clock, counts cycles, reports cycles and cycles/s, and
// writes an FST trace only on request (docs/testing.md, "Waveforms").
//
// Every model is built twice: a fast build (no tracing compiled in, what
// tests and benchmarks run) and a trace build (--trace-fst). Harness<Top,
// false> drives a fast build and refuses a trace request; Harness<Top, true>
// drives a trace build and traces when asked:
//   - TraceOptions::fst_path: from the first clock into that file;
//   - TraceOptions::on_signal: each SIGUSR1 toggles tracing; each time it
//     turns on it opens a new file (signal_path, then signal_path with .2,
//     .3, ... before .fst), and each time it turns off it closes the file,
//     so the waveform can be opened while the simulation runs on.
// A user of the harness picks the build with TraceOptions::requested():
// the trace build only when a trace is asked for.
//
// Outputs are read between the falling and the rising edge (tick's
// callback) when a handshake is sampled, so what is read is what the edge
// acts on. clk_i is the clock port of every top in this project.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace spikelink::sim {

struct TraceOptions {
  std::string fst_path;     // trace from the start into this file
  bool on_signal = false;   // SIGUSR1 toggles tracing
  std::string signal_path;  // the file SIGUSR1 traces into

  static constexpr const char* kDefaultSignalPath = "spikelink_trace.fst";

  bool requested() const { return !fst_path.empty() || on_signal; }

  // fst_path as given; SIGUSR1 tracing when SPIKELINK_TRACE_FILE (the file)
  // or SPIKELINK_TRACE_SIGNAL (any value: the default file) is set.
  static TraceOptions from_env(std::string fst_path = {}) {
    TraceOptions t;
    t.fst_path = std::move(fst_path);
    const char* file = std::getenv("SPIKELINK_TRACE_FILE");
    if (file != nullptr && *file != '\0') {
      t.on_signal = true;
      t.signal_path = file;
    } else if (std::getenv("SPIKELINK_TRACE_SIGNAL") != nullptr) {
      t.on_signal = true;
      t.signal_path = kDefaultSignalPath;
    }
    return t;
  }
};

struct HarnessStats {
  std::uint64_t cycles = 0;
  double seconds = 0;  // time spent running (Harness::Timed), else since construction
  double cycles_per_second = 0;
  // CPU time of the running thread inside Harness::Timed (0 without): on a
  // shared machine cycles / cpu_seconds is the model's own speed.
  double cpu_seconds = 0;
};

namespace detail {

// SIGUSR1s received. A lock-free atomic is safe to touch in a handler.
inline std::atomic<unsigned> g_trace_toggles{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);

extern "C" inline void on_trace_signal(int /*sig*/) { g_trace_toggles.fetch_add(1, std::memory_order_relaxed); }

inline void install_trace_signal() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = on_trace_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, nullptr);
    return true;
  }();
  (void)installed;
}

// "dir/x.fst", n -> "dir/x.n.fst" (n > 1).
inline std::string numbered_path(const std::string& path, unsigned n) {
  if (n <= 1) return path;
  const std::string suffix = ".fst";
  const bool has_suffix = path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  const std::string stem = has_suffix ? path.substr(0, path.size() - suffix.size()) : path;
  return stem + "." + std::to_string(n) + suffix;
}

// The fast build's stand-in for the trace writer, so that it needs none of
// the FST code at link time.
struct NoTrace {};

// traceEverOn must be set before the model is built.
struct Context : VerilatedContext {
  explicit Context(bool trace) { traceEverOn(trace); }
};

}  // namespace detail

template <class Top, bool kTrace = false>
class Harness {
 public:
  explicit Harness(const char* name, TraceOptions trace = {}) : name_(name), trace_(std::move(trace)) {
    if constexpr (!kTrace) {
      if (trace_.requested()) {
        throw std::invalid_argument(std::string(name_) +
                                    ": the fast build of the model has no tracing; use the trace build");
      }
    } else {
      if (trace_.on_signal) {
        if (trace_.signal_path.empty()) trace_.signal_path = TraceOptions::kDefaultSignalPath;
        seen_toggles_ = detail::g_trace_toggles.load(std::memory_order_relaxed);
        detail::install_trace_signal();
      }
      if (!trace_.fst_path.empty()) open_trace(trace_.fst_path);
    }
  }

  ~Harness() {
    top_->final();
    if constexpr (kTrace) close_trace();
    if (std::getenv("SPIKELINK_SIM_STATS") != nullptr) {
      const HarnessStats s = stats();
      std::fprintf(stderr, "%s: %llu cycles, %.0f cycles/s", name_, static_cast<unsigned long long>(s.cycles),
                   s.cycles_per_second);
      if (s.cpu_seconds > 0) {
        std::fprintf(stderr, " (%.0f per CPU second)", static_cast<double>(s.cycles) / s.cpu_seconds);
      }
      std::fprintf(stderr, "\n");
    }
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  Top& top() { return *top_; }
  const Top& top() const { return *top_; }
  VerilatedContext& context() { return ctx_; }
  std::uint64_t cycles() const { return cycles_; }

  // One clock. `at_low` runs after the falling-edge evaluation: inputs set
  // before tick() have settled, and outputs show what the rising edge acts on.
  template <class AtLow>
  void tick(AtLow&& at_low) {
    if constexpr (kTrace) poll_signal();
    top_->clk_i = 0;
    top_->eval();
    dump();
    ctx_.timeInc(1);
    at_low();
    top_->clk_i = 1;
    top_->eval();
    dump();
    ctx_.timeInc(1);
    ++cycles_;
  }
  void tick() {
    tick([] {});
  }

  // Settles combinational logic after inputs change outside a clock.
  void eval() { top_->eval(); }

  // Counts the wall time of a run towards stats() (tests that build a
  // harness and then wait would otherwise dilute cycles/s).
  class Timed {
   public:
    explicit Timed(Harness& h) : h_(h), start_(std::chrono::steady_clock::now()), cpu_start_(thread_cpu()) {}
    ~Timed() {
      h_.busy_ += std::chrono::steady_clock::now() - start_;
      h_.cpu_ += thread_cpu() - cpu_start_;
    }
    Timed(const Timed&) = delete;
    Timed& operator=(const Timed&) = delete;

   private:
    Harness& h_;
    std::chrono::steady_clock::time_point start_;
    double cpu_start_;
  };

  HarnessStats stats() const {
    HarnessStats s;
    s.cycles = cycles_;
    const auto t = busy_.count() > 0 ? busy_ : std::chrono::steady_clock::now() - start_;
    s.seconds = std::chrono::duration<double>(t).count();
    s.cycles_per_second = s.seconds > 0 ? static_cast<double>(cycles_) / s.seconds : 0.0;
    s.cpu_seconds = cpu_;
    return s;
  }

  bool tracing() const {
    if constexpr (kTrace) {
      return fst_ != nullptr;
    } else {
      return false;
    }
  }

  // The trace build only: start or stop tracing into `path` now.
  void open_trace(const std::string& path) {
    static_assert(kTrace, "the fast build has no tracing");
    close_trace();
    auto f = std::make_unique<VerilatedFstC>();
    top_->trace(f.get(), 99);
    f->open(path.c_str());
    if (!f->isOpen()) throw std::runtime_error(std::string(name_) + ": cannot open trace file " + path);
    fst_ = std::move(f);
  }
  void close_trace() {
    if constexpr (kTrace) {
      if (fst_) {
        fst_->close();
        fst_.reset();
      }
    }
  }

 private:
  void dump() {
    if constexpr (kTrace) {
      if (fst_) fst_->dump(ctx_.time());
    }
  }

  void poll_signal() {
    if (!trace_.on_signal) return;
    const unsigned now = detail::g_trace_toggles.load(std::memory_order_relaxed);
    if (now == seen_toggles_) return;
    // An even number of signals since the last look leaves tracing as it was.
    const bool toggle = ((now - seen_toggles_) & 1U) != 0;
    seen_toggles_ = now;
    if (!toggle) return;
    if (fst_) {
      close_trace();
      std::fprintf(stderr, "%s: trace off\n", name_);
    } else {
      const std::string path = detail::numbered_path(trace_.signal_path, ++signal_files_);
      open_trace(path);
      std::fprintf(stderr, "%s: tracing into %s\n", name_, path.c_str());
    }
  }

  const char* name_;
  TraceOptions trace_;
  detail::Context ctx_{kTrace};
  std::unique_ptr<Top> top_ = std::make_unique<Top>(&ctx_, "top");
  std::unique_ptr<std::conditional_t<kTrace, VerilatedFstC, detail::NoTrace>> fst_;
  unsigned seen_toggles_ = 0;
  unsigned signal_files_ = 0;
  std::uint64_t cycles_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration busy_{0};
  double cpu_ = 0;

  static double thread_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

}  // namespace spikelink::sim
