// bench_codec: throughput of the wire codec on one core, beside a memcpy of
// the same bytes measured in the same run, and wire bytes per spike event.
// Usage: bench_codec [events (default 4000000)] [repeats (default 7)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/random_messages.hpp"
#include "spikelink/link_codec.hpp"

using namespace spikelink;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double best_seconds(int repeats, F&& f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

struct Sum {
  std::uint64_t n = 0, acc = 0;
  void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent> ev, std::uint8_t) {
    n += ev.size();
    acc += ev.back().address;  // touch the output so it is not optimised away
  }
  void on_message(const proto::Message&, std::uint8_t) {}
};

// Spikes of `n` events, `per_step` of them in each timestep.
std::vector<proto::SpikeEvent> traffic(std::size_t n, std::size_t per_step, testing::Rng& rng) {
  std::vector<proto::SpikeEvent> ev(n);
  for (std::size_t i = 0; i < n; ++i) {
    ev[i].timestep = 1000 + i / per_step;
    ev[i].address = testing::uniform<std::uint16_t>(rng, 0, 255);
  }
  return ev;
}

double wire_bytes_per_event(const std::vector<proto::SpikeEvent>& ev, std::size_t batch) {
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  std::size_t done = 0;
  while (done < ev.size()) {
    const auto n = std::min(batch, ev.size() - done);
    done += tx.append_spikes_bounded(std::span(ev).subspan(done, n), wire, SIZE_MAX);
  }
  return static_cast<double>(wire.size()) / static_cast<double>(ev.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4'000'000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 7;
  testing::Rng rng(7);

  // Busy traffic: 256 neurons, about 16 spikes per 1 ms timestep.
  const auto ev = traffic(n, 16, rng);
  std::vector<std::uint8_t> wire;
  wire.reserve(n * 3);
  const double t_enc = best_seconds(repeats, [&] {
    wire.clear();
    Transmitter tx;
    tx.append_spikes(ev, wire);
  });

  Sum sum;
  const double t_dec = best_seconds(repeats, [&] {
    Receiver rx;
    sum = Sum{};
    rx.feed(wire, sum);
  });
  if (sum.n != n) {
    std::fprintf(stderr, "bench_codec: decoded %llu of %zu events\n", static_cast<unsigned long long>(sum.n), n);
    return 1;
  }

  std::vector<std::uint8_t> copy(wire.size());
  const double t_cpy = best_seconds(repeats, [&] {
    std::memcpy(copy.data(), wire.data(), wire.size());
    asm volatile("" : : "r"(copy.data()) : "memory");
  });

  const double mb = static_cast<double>(wire.size()) / 1e6;
  std::printf("spikelink codec benchmark: %zu events, %.1f MB of wire, best of %d\n", n, mb, repeats);
  std::printf("%-10s %12s %12s %14s\n", "", "M events/s", "MB/s wire", "vs memcpy");
  std::printf("%-10s %12.1f %12.1f %13.3fx\n", "encode", static_cast<double>(n) / t_enc / 1e6, mb / t_enc, t_cpy / t_enc);
  std::printf("%-10s %12.1f %12.1f %13.3fx\n", "decode", static_cast<double>(n) / t_dec / 1e6, mb / t_dec, t_cpy / t_dec);
  std::printf("%-10s %12.1f %12.1f %13.3fx\n", "memcpy", static_cast<double>(n) / t_cpy / 1e6, mb / t_cpy, 1.0);

  std::printf("\nwire bytes per spike event (frame, CRC, COBS and delimiter included)\n");
  std::printf("%-8s %18s %18s %18s\n", "batch", "same timestep", "16 per timestep", "1 per 20 steps");
  const auto same = traffic(64 * 1000, 64 * 1000, rng);
  std::vector<proto::SpikeEvent> sparse(64 * 1000);
  for (std::size_t i = 0; i < sparse.size(); ++i) sparse[i] = {1000 + 20 * i, static_cast<std::uint16_t>(i % 256)};
  for (std::size_t b : {std::size_t{1}, std::size_t{8}, std::size_t{64}}) {
    std::printf("%-8zu %18.3f %18.3f %18.3f\n", b, wire_bytes_per_event(same, b),
                wire_bytes_per_event(ev, b), wire_bytes_per_event(sparse, b));
  }
  const double bpe = wire_bytes_per_event(ev, 64);
  std::printf("\n12 Mbaud UART (8N1, 1.2 MB/s) at 64 per batch, 16 per timestep: %.0f k events/s\n",
              1.2e6 / bpe / 1e3);
  return 0;
}
