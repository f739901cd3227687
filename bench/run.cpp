// bench_run: a run's memory stays flat however long it runs
// (docs/benchmarks.md, "Running a network"). The same network runs for a
// short and for a long time, each in a child process, and the peak resident
// memory of each is compared: the long run's peak over the short run's,
// measured in the same invocation. Target: at most 1.10x for a run 30 times
// longer. Also reports the speed against real time on the device.
//
//   bench_run [DEVICE] [SHORT_S] [LONG_S]      defaults: model:// 10 300
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "spikelink/board.hpp"
#include "spikelink/config.hpp"
#include "spikelink/run.hpp"

namespace {

// 64 neurons driven by 64 Poisson inputs at 20 Hz with 10 % recurrent
// synapses and a rate-rule synapse group: every kind of record grows with
// the run (spikes, inputs, weights every 100 ms, state every 50 ms).
std::string network(double seconds) {
  return "name: bench\nseed: 3\n"
         "neurons:\n  n: {size: 64, tau_m: 20 ms, weight_unit: 0.25 mV}\n"
         "inputs:\n  x: {size: 64, poisson: {rate: 20 Hz}}\n"
         "connections:\n"
         "  - {from: x, to: n, pattern: one_to_one, weight: 16 mV}\n"
         "  - {from: n, to: n, pattern: fixed_probability, probability: 0.1, weight: 1 mV}\n"
         "  - {from: x, to: n, pattern: list, pairs: [[0, 1], [1, 2], [2, 3]], weight: 2 levels,\n"
         "     plasticity: {rule: rate}}\n"
         "duration: " +
         std::to_string(seconds) +
         " s\n"
         "record:\n  weights: {every: 100 ms}\n  state: {neurons: [n], every: 50 ms}\n";
}

struct Child {
  long max_rss_kib = 0;
  double wall_s = 0;
  bool ok = false;
};

Child run_child(const std::string& device, double seconds, const std::string& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      const auto cfg = spikelink::config::parse(network(seconds), "bench.yaml");
      auto board = spikelink::Board::open(device);
      const auto plan = spikelink::config::compile(cfg, spikelink::config::shape_of(board->identity()), device);
      spikelink::run::Options opt;
      opt.out_dir = dir;
      const auto r = spikelink::run::run(*board, cfg, plan, opt);
      _exit(r.failure.empty() && r.spikes_recorded > 0 ? 0 : 1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_run: %s\n", e.what());
      _exit(2);
    }
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Child c;
  c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  c.max_rss_kib = ru.ru_maxrss;
  c.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string device = argc > 1 ? argv[1] : "model://";
  const double short_s = argc > 2 ? std::atof(argv[2]) : 10;
  const double long_s = argc > 3 ? std::atof(argv[3]) : 300;
  const auto dir = std::filesystem::temp_directory_path() / ("spikelink-bench-run-" + std::to_string(getpid()));
  const Child a = run_child(device, short_s, (dir / "short").string());
  const Child b = run_child(device, long_s, (dir / "long").string());
  std::uintmax_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "long"))
    if (e.is_regular_file()) bytes += e.file_size();
  std::filesystem::remove_all(dir);
  if (!a.ok || !b.ok) {
    std::fprintf(stderr, "bench_run: a run failed\n");
    return 1;
  }
  std::printf("device %s, 64 neurons, 64 Poisson inputs at 20 Hz, weights every 100 ms, state every 50 ms\n",
              device.c_str());
  std::printf("%-10s %10s %12s %14s\n", "run", "bio time", "peak RSS", "x real time");
  std::printf("%-10s %8.0f s %9ld KiB %13.1fx\n", "short", short_s, a.max_rss_kib, short_s / a.wall_s);
  std::printf("%-10s %8.0f s %9ld KiB %13.1fx\n", "long", long_s, b.max_rss_kib, long_s / b.wall_s);
  const double ratio = static_cast<double>(b.max_rss_kib) / static_cast<double>(a.max_rss_kib);
  std::printf("files written by the long run: %.1f MiB\n", static_cast<double>(bytes) / (1 << 20));
  std::printf("peak memory, long run / short run: %.3fx for a run %.0fx longer (target <= 1.10x): %s\n", ratio,
              long_s / short_s, ratio <= 1.10 ? "met" : "NOT MET");
  return ratio <= 1.10 ? 0 : 1;
}
