// bench_bridge: events per second through `spikelink bridge` (role silicon)
// on loopback, and the latency it adds from a datagram's arrival to its
// spike's delivery to the device and back (docs/benchmarks.md,
// "bench/bridge").
//
// The bridge runs in-process (bridge::run_bridge in a thread) on a network
// of 256 relay neurons, each driven one-to-one by an input channel with a
// weight far above threshold, so that every remote event makes its neuron
// fire in the next timestep; the neuron's spike goes back to the sender with
// the event's id. The bench sends events at increasing rates from a socket
// bound to the bridge's configured peer address, ids in turn, one event per
// datagram, and matches each echo to its event by id. The baseline, measured
// in the same run with the same code (udp::Socket, the same datagrams, the
// same matching), is a plain UDP echo thread on loopback: the bridge's
// latencies are reported as ratios against it.
//
//   bench_bridge [DEVICE] [SECONDS_PER_RATE] [framed|legacy] [WINDOW_MS]   defaults: model:// 2 framed 1
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "spikelink/bridge.hpp"
#include "spikelink/bridge_format.hpp"
#include "spikelink/udp.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace bridge = spikelink::bridge;
namespace udp = spikelink::udp;

constexpr std::uint32_t kIds = 256;  // relay neurons; an id comes back at most once a timestep

// 1 ms timesteps; the bridge window (timesteps stepped between looks at the
// socket) 1 ms by default, the smallest the bridge allows: the latency is
// quantised by them. No refractory period, so a neuron can answer in every
// timestep; 20 mV on a 15 mV threshold fires it at once.
std::string network(std::uint16_t listen_port, std::uint16_t peer_port, bridge::Format format, unsigned window_ms) {
  return fmt::format(
      "name: bench-bridge\nseed: 1\ntimestep: 1 ms\n"
      "neurons:\n  relay: {{size: {0}, tau_m: 5 ms, v_rest: -65 mV, v_thresh: -50 mV, tau_refrac: 0 ms, "
      "weight_unit: 0.25 mV}}\n"
      "inputs:\n  remote: {{size: {0}}}\n"
      "connections:\n  - {{from: remote, to: relay, pattern: one_to_one, weight: 20 mV}}\n"
      "duration: 100000 s\n"
      "bridge:\n  listen: 127.0.0.1:{1}\n  window: {5} ms\n"
      "  peers:\n    bench: {{address: 127.0.0.1:{2}, format: {3}}}\n"
      "  in:\n    - {{peer: bench, ids: [0, {4}], input: remote}}\n"
      "  out:\n    - {{population: relay, peer: bench, first_id: 0}}\n",
      kIds, listen_port, peer_port, bridge::to_string(format), kIds - 1, window_ms);
}

std::uint64_t realtime_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// One side of the measurement: sends events to `to`, takes the echoes.
class Driver {
 public:
  Driver(udp::Socket& sock, udp::Endpoint to, bridge::Format format)
      : sock_(sock), to_(std::move(to)), format_(format),
        encoder_(static_cast<std::uint8_t>(bridge::kLegacySynapse), 0, bridge::random_session_id()) {}

  struct Result {
    double rate = 0;               // asked for
    double sent_rate = 0;          // achieved by the sender
    std::uint64_t sent = 0, back = 0, extra = 0;
    std::vector<double> latency_us;  // per echo matched to its event
  };

  void send(std::uint32_t id) {
    pending_[id].push_back(Clock::now());
    if (format_ == bridge::Format::kFramed) {
      const bridge::Event e{0, id, bridge::EventKind::kSpike, 0};
      for (const auto& dg : encoder_.encode(std::span<const bridge::Event>(&e, 1), realtime_ns())) sock_.send(to_, dg);
    } else {
      const auto dg = bridge::encode_legacy({bridge::kLegacySynapse, id, 255, 0});
      sock_.send(to_, dg);
    }
  }

  // Takes echoes until `until`.
  void take(Clock::time_point until, Result* r) {
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(until - Clock::now());
    for (;;) {
      auto d = sock_.receive(std::max(wait, std::chrono::microseconds(0)));
      if (!d) return;
      wait = std::chrono::microseconds(0);
      if (format_ == bridge::Format::kFramed) {
        const auto f = bridge::decode_framed(d->bytes);
        if (f.status != bridge::FramedStatus::kOk) continue;
        for (const auto& e : f.events) echo(e.channel, d->at, r);
      } else {
        const auto l = bridge::decode_legacy(d->bytes);
        if (l.status == bridge::LegacyStatus::kOk) echo(l.packet.neuron, d->at, r);
      }
    }
  }

  // Sends `rate` events a second for `seconds`, then waits for the last
  // echoes until none has come for `quiet` (at most 10 s: a bridge that has
  // fallen behind real time answers late, not never).
  Result run(double rate, double seconds, std::chrono::milliseconds quiet) {
    Result r;
    r.rate = rate;
    const auto total = static_cast<std::uint64_t>(rate * seconds);
    const auto t0 = Clock::now();
    Clock::time_point last = t0;
    while (r.sent < total) {
      // Every event due by now goes out (a late sender catches up in a burst).
      const double since = std::chrono::duration<double>(Clock::now() - t0).count();
      const auto due = std::min(total, static_cast<std::uint64_t>(since * rate) + 1);
      for (; r.sent < due; ++r.sent) send(static_cast<std::uint32_t>(r.sent % kIds));
      last = Clock::now();
      take(t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(r.sent) / rate * 1e9)), &r);
    }
    r.sent_rate = static_cast<double>(r.sent) / std::max(1e-9, std::chrono::duration<double>(last - t0).count());
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    for (std::uint64_t before = ~std::uint64_t{0}; r.back != before && r.back < r.sent && Clock::now() < give_up;) {
      before = r.back;
      take(Clock::now() + quiet, &r);
    }
    for (auto& q : pending_) q.clear();
    return r;
  }

 private:
  void echo(std::uint32_t id, Clock::time_point at, Result* r) {
    if (id >= kIds || pending_[id].empty()) {
      if (r) ++r->extra;
      return;
    }
    const auto sent = pending_[id].front();
    pending_[id].pop_front();
    if (!r) return;
    ++r->back;
    r->latency_us.push_back(std::chrono::duration<double, std::micro>(at - sent).count());
  }

  udp::Socket& sock_;
  udp::Endpoint to_;
  bridge::Format format_;
  bridge::FramedEncoder encoder_;
  std::deque<Clock::time_point> pending_[kIds];
};

double quantile(std::vector<double>& v, double q) {  // nearest rank
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

std::uint16_t free_port() {
  udp::Socket s({"127.0.0.1", 0});
  return s.local().port;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string device = argc > 1 ? argv[1] : "model://";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2;
  const std::string fmt_name = argc > 3 ? argv[3] : "framed";
  const int window_ms = argc > 4 ? std::atoi(argv[4]) : 1;
  if (seconds <= 0 || (fmt_name != "framed" && fmt_name != "legacy") || window_ms < 1) {
    std::fprintf(stderr, "usage: bench_bridge [DEVICE] [SECONDS_PER_RATE] [framed|legacy] [WINDOW_MS]\n");
    return 2;
  }
  const auto format = fmt_name == "framed" ? bridge::Format::kFramed : bridge::Format::kLegacy;
  const std::vector<double> rates{100, 300, 1000, 2000, 3000, 5000, 10000, 30000};

  udp::Socket sock({"127.0.0.1", 0});
  const std::uint16_t listen_port = free_port();
  const auto dir = std::filesystem::temp_directory_path() / ("spikelink-bench-bridge-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto cfg_path = (dir / "bench.yaml").string();
  std::ofstream(cfg_path) << network(listen_port, sock.local().port, format, static_cast<unsigned>(window_ms));
  const auto cfg = bridge::load(cfg_path);

  std::atomic<bool> stop{false};
  bridge::Stats stats;
  std::string failure;
  std::thread silicon([&] {
    try {
      stats = bridge::run_bridge(cfg, device, (dir / "run").string(), &stop);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  const auto finish = [&](int rc) {
    stop = true;
    silicon.join();
    std::filesystem::remove_all(dir);
    return rc;
  };

  // The bridge listens once the device is open and the network loaded:
  // probe until an event comes back.
  Driver bridge_side(sock, {"127.0.0.1", listen_port}, format);
  {
    Driver::Result probe;
    const auto give_up = Clock::now() + std::chrono::seconds(120);
    while (probe.back == 0 && Clock::now() < give_up && failure.empty()) {
      bridge_side.send(0);
      bridge_side.take(Clock::now() + std::chrono::milliseconds(100), &probe);
    }
    if (probe.back == 0) {
      std::fprintf(stderr, "bench_bridge: the bridge on %s never answered%s%s\n", device.c_str(),
                   failure.empty() ? "" : ": ", failure.c_str());
      return finish(1);
    }
    bridge_side.run(100, 0.5, std::chrono::milliseconds(300));  // warm-up, not reported
  }

  // The baseline: the same socket code and datagrams, echoed by a thread.
  std::atomic<bool> echo_stop{false};
  udp::Socket echo_sock({"127.0.0.1", 0});
  std::thread echo([&] {
    while (!echo_stop)
      if (auto d = echo_sock.receive(std::chrono::milliseconds(10))) echo_sock.send(d->from, d->bytes);
  });
  udp::Socket base_sock({"127.0.0.1", 0});
  Driver base_side(base_sock, echo_sock.local(), format);

  std::printf("bench_bridge: device %s, %s datagrams of one event, %u relay neurons, 1 ms timesteps, %d ms window, "
              "%.1f s per rate\n",
              device.c_str(), fmt_name.c_str(), kIds, window_ms, seconds);
  std::printf("%9s %10s %9s %9s | %8s %8s %8s | %7s %7s | %8s %8s | %s\n", "rate/s", "sent/s", "sent", "back",
              "p50 us", "p99 us", "max us", "base50", "base99", "x p50", "x p99", "lossless");
  double sustained = 0;
  for (const double rate : rates) {
    auto b = base_side.run(rate, std::min(seconds, 1.0), std::chrono::milliseconds(100));
    auto r = bridge_side.run(rate, seconds, std::chrono::milliseconds(500));
    const bool lossless = r.back == r.sent && r.extra == 0 && r.sent_rate >= 0.95 * rate;
    const double p50 = quantile(r.latency_us, 0.5), p99 = quantile(r.latency_us, 0.99);
    const double mx = r.latency_us.empty() ? 0 : r.latency_us.back();
    const double b50 = quantile(b.latency_us, 0.5), b99 = quantile(b.latency_us, 0.99);
    std::printf("%9.0f %10.0f %9llu %9llu | %8.0f %8.0f %8.0f | %7.0f %7.0f | %7.1fx %7.1fx | %s\n", rate,
                r.sent_rate, static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.back), p50,
                p99, mx, b50, b99, p50 / std::max(b50, 1.0), p99 / std::max(b99, 1.0), lossless ? "yes" : "NO");
    std::fflush(stdout);
    if (b.back != b.sent)
      std::printf("  (the baseline itself lost %llu of %llu)\n", static_cast<unsigned long long>(b.sent - b.back),
                  static_cast<unsigned long long>(b.sent));
    if (!lossless) break;
    sustained = rate;
  }
  echo_stop = true;
  echo.join();
  stop = true;
  silicon.join();
  std::filesystem::remove_all(dir);
  if (!failure.empty()) {
    std::fprintf(stderr, "bench_bridge: the bridge failed: %s\n", failure.c_str());
    return 1;
  }
  const auto& p = stats.peers["bench"];
  const auto& h = stats.in_latency_us;
  std::printf("highest rate without loss: %.0f events/s\n", sustained);
  // Paced, the run never gets ahead of the wall clock; a device or a machine
  // too slow for one window a window's time falls behind, and stays behind.
  const auto steps = stats.site.count("timesteps") ? stats.site.at("timesteps") : 0;
  std::printf("the bridge ran %llu timesteps of 1 ms in %.1f s (from opening the device): %.0f ms behind the wall "
              "clock at the end\n",
              static_cast<unsigned long long>(steps), stats.seconds,
              std::max(0.0, stats.seconds * 1000 - static_cast<double>(steps)));
  std::printf("bridge drops: %llu rate-limited, %llu unrouted, %llu sends failed, %llu malformed, %llu from unknown "
              "addresses, %llu outgoing unrouted\n",
              static_cast<unsigned long long>(p.rate_limited), static_cast<unsigned long long>(p.unrouted),
              static_cast<unsigned long long>(p.send_failed), static_cast<unsigned long long>(stats.malformed),
              static_cast<unsigned long long>(stats.unknown_peer), static_cast<unsigned long long>(stats.out_unrouted));
  std::printf("bridge site counters:");
  for (const auto& [k, v] : stats.site) std::printf(" %s %llu", k.c_str(), static_cast<unsigned long long>(v));
  std::printf("\n");
  if (h.count())
    std::printf("bridge, arrival to hand-over to the device (all rates): p50 %llu us, p99 %llu us, max %llu us\n",
                static_cast<unsigned long long>(h.at_rank((h.count() + 1) / 2)),
                static_cast<unsigned long long>(h.at_rank((h.count() * 99 + 99) / 100)),
                static_cast<unsigned long long>(h.max()));
  return 0;
}
