// bench_link: spikes host -> board -> host through the whole driver
// (spikelink::Board, FTDI layer, FT2232H model, spikelink_top in Verilator),
// on the byte-stream attachment and on the UART at 3 and 12 Mbaud.
//
// Throughput: a network maps each even input channel c to neuron c (one
// input spike, one output spike in the same timestep); odd channels have no
// synapse. Events go to all channels in turn, so the board sends back half
// as many spikes as it receives and host -> board, the direction the event
// credits pace, is the binding one (the board -> host side also carries the
// CREDIT frames and beacons). In real-time mode with timesteps far shorter
// than the link needs for their events, the host offers events faster than
// the link carries them; credits pace it. Reported per direction: wire bytes
// per simulated second as a fraction of the UART's byte rate (baud / 10),
// events per simulated second and per wall second, every drop counter, and
// whether the run was lossless (every expected spike back, every drop
// counter 0).
//
// Latency: one event at a time in real-time mode (1 ms timesteps), due in
// the next timestep; from send() to its spike in pull(), in simulated and
// wall time. The FTDI latency timer (1 ms) is part of it, as on a board.
//
// Usage: bench_link [events (default 20000)] [latency samples (default 40)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "board/rtl_board.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/board.hpp"

using namespace spikelink;
using Clock = std::chrono::steady_clock;

namespace {

struct Setup {
  const char* name;
  sim::RtlBoardOptions::Phy phy;
  double baud;
  std::uint64_t clock_hz;
  unsigned per_step;  // events offered per timestep of 400 clocks
};

Network relay_network(const proto::Identify& id) {
  Network net;
  model::LifParams p;
  p.tau_refrac = 0;
  p.weight_unit = 0.5;  // weight 127: 63.5 mV, far above threshold
  net.neurons.assign(id.neurons, model::quantise(p).regs);
  net.weights.assign(static_cast<std::size_t>(id.inputs + id.neurons) * id.neurons, 0);
  for (unsigned c = 0; c < std::min<unsigned>(id.inputs, id.neurons); c += 2) net.weights[c * id.neurons + c] = 127;
  return net;
}

void rest_state(Board& b, const Network& net) {
  std::vector<std::uint16_t> st(net.neurons.size() * 4, 0);
  for (std::size_t n = 0; n < net.neurons.size(); ++n) st[4 * n] = static_cast<std::uint16_t>(net.neurons[n].v_rest);
  b.write_mem(proto::MemSpace::kNeuronState, 0, st);
}

std::size_t drain(Board& b, std::vector<proto::SpikeEvent>& buf) {
  std::size_t n = 0, k;
  while ((k = b.pull(buf)) > 0) n += k;
  return n;
}

double pct(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

void run(const Setup& s, std::size_t events, std::size_t samples) {
  sim::RtlBoardOptions o;
  o.phy = s.phy;
  o.baud = s.baud;
  o.clock_hz = s.clock_hz;
  auto device = std::make_unique<sim::SimulatedDevice>(std::make_unique<sim::RtlBoard>(o));
  const sim::Ft2232hModel& ftdi = device->model();  // simulated time, read while Board drives it
  BoardOptions bo;
  bo.baud = static_cast<std::uint32_t>(s.baud);
  Board b(std::move(device), s.name, bo);
  const auto& id = b.identity();
  const Network net = relay_network(id);
  b.load(net);
  rest_state(b, net);
  std::vector<proto::SpikeEvent> buf(8192);

  // ---- throughput ----
  // Timesteps of 400 clocks: on the UART 16 events each (0.04 events per
  // clock, several times what even 12 Mbaud carries); on the byte port 120
  // (more than the core takes: its timesteps then run back to back).
  const std::uint32_t tick = 400;
  const unsigned per_step = s.per_step;
  b.reset();
  rest_state(b, net);
  const auto c0 = b.counters();
  const std::uint64_t t0 = b.time() + 2;
  std::vector<proto::SpikeEvent> in;
  std::size_t expected = 0;  // events on even channels: one spike back each
  for (std::size_t i = 0; i < events; ++i) {
    const auto c = static_cast<std::uint16_t>(i % 256);  // a channel recurs after 16 timesteps
    in.push_back({t0 + i / per_step, c});
    if (c % 2 == 0) ++expected;
  }
  const std::uint64_t cyc0 = ftdi.cycles();
  const auto w0 = Clock::now();
  b.send(in);
  b.start(tick);
  std::size_t got = 0;
  std::uint64_t cyc_last = cyc0;
  auto w_last = w0;
  while (got < expected) {
    const std::size_t k = drain(b, buf);
    if (k > 0) {
      got += k;
      cyc_last = ftdi.cycles();
      w_last = Clock::now();
    } else if (Clock::now() - w_last > std::chrono::seconds(3)) {
      // No spike for 3 s of wall time (well over 100 ms simulated): done.
      break;
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  b.stop();
  const auto c1 = b.counters();
  const double sim_s = static_cast<double>(cyc_last - cyc0) / static_cast<double>(s.clock_hz);
  const double wall_s = std::chrono::duration<double>(w_last - w0).count();
  const double line = s.baud / 10.0;
  const double up = static_cast<double>(c1.host.bytes_sent - c0.host.bytes_sent) / sim_s;
  const double down = static_cast<double>(c1.host.bytes_received - c0.host.bytes_received) / sim_s;
  auto d = [&](proto::CounterId i) { return c1.board_counter(i) - c0.board_counter(i); };
  std::printf("%-28s throughput: %zu events in, %zu of %zu spikes back, %.3f s simulated, %.2f s wall\n", s.name,
              events, got, expected, sim_s, wall_s);
  std::printf("  core: %llu spikes made\n", static_cast<unsigned long long>(d(proto::CounterId::kCoreSpikes)));
  if (s.phy == sim::RtlBoardOptions::Phy::kUart) {
    std::printf("  host->board %.0f B/s = %.1f %% of line rate; board->host %.0f B/s = %.1f %% of line rate\n", up,
                100 * up / line, down, 100 * down / line);
  } else {
    std::printf("  host->board %.0f B/s, board->host %.0f B/s (%.3f and %.3f bytes per clock; the port takes 1)\n", up,
                down, up / static_cast<double>(s.clock_hz), down / static_cast<double>(s.clock_hz));
  }
  std::printf("  %.0f input events/s simulated, %.0f input events/s wall; simulator %.2f M clocks/s\n",
              static_cast<double>(events) / sim_s, static_cast<double>(events) / wall_s,
              static_cast<double>(cyc_last - cyc0) / wall_s / 1e6);
  std::printf("  drops: no_credit %llu, tx_full %llu, rx_overflow %llu, crc %llu, uart %llu, host ring %llu, "
              "seq_lost %llu, line %llu; late %llu\n",
              static_cast<unsigned long long>(d(proto::CounterId::kEventsDroppedNoCredit)),
              static_cast<unsigned long long>(d(proto::CounterId::kSpikesDroppedTxFull)),
              static_cast<unsigned long long>(d(proto::CounterId::kRxOverflow)),
              static_cast<unsigned long long>(d(proto::CounterId::kRxCrcErrors)),
              static_cast<unsigned long long>(d(proto::CounterId::kRxUartErrors)),
              static_cast<unsigned long long>(c1.host.ring_dropped),
              static_cast<unsigned long long>(c1.host.rx.seq_lost),
              static_cast<unsigned long long>(c1.host.line_errors),
              static_cast<unsigned long long>(d(proto::CounterId::kEventsLate)));
  // Every board counter that counts a loss (those LED 2 watches: 1-5, 8-12,
  // 14, 15), and the host's.
  std::uint64_t lost = c1.host.ring_dropped + c1.host.rx.seq_lost + c1.host.line_errors;
  for (const unsigned i : {1u, 2u, 3u, 4u, 5u, 8u, 9u, 10u, 11u, 12u, 14u, 15u})
    lost += d(static_cast<proto::CounterId>(i));
  // Lossless: no loss counter moved on either side, and every spike the core
  // made reached the host. Fewer spikes than even-channel events
  // is not a loss: when the core is the bottleneck (the byte port), late
  // events pile up and two for one neuron swept in one timestep make one
  // spike.
  const bool lossless = d(proto::CounterId::kCoreSpikes) == got && lost == 0;
  std::printf("  zero loss: %s%s\n", lossless ? "yes" : "NO",
              lossless && got < expected ? " (fewer spikes than events: coincident late events, see above)" : "");

  // ---- latency ----
  b.reset();
  rest_state(b, net);
  drain(b, buf);
  b.start(static_cast<std::uint32_t>(s.clock_hz / 1000));
  std::vector<double> sim_us, wall_us;
  for (std::size_t i = 0; i < samples; ++i) {
    const std::uint64_t now = b.time();
    const proto::SpikeEvent e{now + 1, static_cast<std::uint16_t>(2 * (i % 8))};  // an even channel: a spike back
    const std::uint64_t c_send = ftdi.cycles();
    const auto w_send = Clock::now();
    b.send(std::span<const proto::SpikeEvent>(&e, 1));
    std::size_t k = 0;
    while ((k = b.pull(buf)) == 0) {
      if (Clock::now() - w_send > std::chrono::seconds(10)) break;
      std::this_thread::yield();
    }
    if (k == 0) {
      std::printf("  latency: no spike came back within 10 s\n");
      break;
    }
    sim_us.push_back(static_cast<double>(ftdi.cycles() - c_send) * 1e6 / static_cast<double>(s.clock_hz));
    wall_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - w_send).count());
  }
  b.stop();
  if (!sim_us.empty())
    std::printf("  round trip (1 ms timesteps, event due next timestep): simulated p50 %.0f us, p99 %.0f us; "
                "wall p50 %.0f us, p99 %.0f us\n",
                pct(sim_us, 0.5), pct(sim_us, 0.99), pct(wall_us, 0.5), pct(wall_us, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const std::size_t samples = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 40;
  const Setup setups[] = {
      {"sim:// (byte port)", sim::RtlBoardOptions::Phy::kByte, 3'000'000, 24'000'000, 120},
      {"sim://?phy=uart (3 Mbaud)", sim::RtlBoardOptions::Phy::kUart, 3'000'000, 24'000'000, 16},
      {"sim://?phy=uart&baud=12000000", sim::RtlBoardOptions::Phy::kUart, 12'000'000, 48'000'000, 16},
  };
  for (const auto& s : setups) {
    try {
      run(s, events, samples);
    } catch (const std::exception& e) {
      std::printf("%s: %s\n", s.name, e.what());
      return 1;
    }
  }
  return 0;
}
