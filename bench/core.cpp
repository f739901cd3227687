// bench_core: the neuron core, RTL (Verilator) and golden model, on the
// reference workload: 256 LIF neurons, 256 Poisson inputs at 10 Hz with
// all-to-all input synapses, 10 % recurrent connections, 1 ms timesteps.
// Reports biological time simulated per wall-clock second (x real time),
// Verilator cycles per second, clocks per timestep and synaptic operations.
// Usage: bench_core [rtl seconds (default 2)] [model seconds (default 20)]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/networks.hpp"
#include "core/core_sim.hpp"
#include "spikelink/core_model.hpp"

using namespace spikelink;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  const double rtl_s = argc > 1 ? std::atof(argv[1]) : 2.0;
  const double model_s = argc > 2 ? std::atof(argv[2]) : 20.0;

  testing::NetworkSpec spec;
  spec.steps = static_cast<std::uint32_t>(model_s * 1000);
  const auto net = testing::make_network(1, spec);
  testing::Network rtl_net = net;
  rtl_net.steps = static_cast<std::uint32_t>(rtl_s * 1000);

  // Golden model.
  model::Core m;
  testing::load_network(net, [&](unsigned sp, std::uint32_t a, std::uint16_t w) {
    m.write_mem(static_cast<model::Space>(sp), a, w);
  });
  auto t0 = Clock::now();
  testing::run_network(net, m);
  const double model_wall = seconds_since(t0);
  const auto model_spikes = m.counters().spikes;

  // RTL.
  sim::CoreSim rtl;
  testing::load_network(rtl_net, [&](unsigned sp, std::uint32_t a, std::uint16_t w) { rtl.write_mem(sp, a, w); });
  const auto c0 = rtl.cycles();
  t0 = Clock::now();
  testing::run_network(rtl_net, rtl);
  const double rtl_wall = seconds_since(t0);
  const auto cycles = static_cast<double>(rtl.cycles() - c0);
  const auto k = rtl.counters();

  // The same network in the model for the RTL's span, to check they agree.
  model::Core m2;
  testing::load_network(rtl_net, [&](unsigned sp, std::uint32_t a, std::uint16_t w) {
    m2.write_mem(static_cast<model::Space>(sp), a, w);
  });
  testing::run_network(rtl_net, m2);
  const bool agree = m2.counters().spikes == k.spikes && m2.counters().sops == k.sops;

  const double steps_rtl = rtl_net.steps;
  std::printf("neuron core benchmark: 256 neurons, 256 Poisson inputs at 10 Hz, 10%% recurrent, 1 ms steps\n");
  std::printf("mean output rate %.1f Hz, %.2f events per timestep\n",
              static_cast<double>(model_spikes) / 256.0 / model_s,
              static_cast<double>(k.events) / steps_rtl);
  std::printf("\n%-14s %12s %12s %14s\n", "", "bio seconds", "wall s", "x real time");
  std::printf("%-14s %12.1f %12.3f %14.1f\n", "RTL (Verilator)", rtl_s, rtl_wall, rtl_s / rtl_wall);
  std::printf("%-14s %12.1f %12.3f %14.1f\n", "golden model", model_s, model_wall, model_s / model_wall);
  std::printf("\nRTL: %.0f clocks, %.2f M clocks/s in Verilator, %.0f clocks per timestep\n", cycles,
              cycles / rtl_wall / 1e6, cycles / steps_rtl);
  std::printf("RTL: %.0f synaptic operations, %.2f per clock overall, %.1f M per wall second\n",
              static_cast<double>(k.sops), static_cast<double>(k.sops) / cycles,
              static_cast<double>(k.sops) / rtl_wall / 1e6);
  std::printf("RTL at 24 MHz on the board: %.1f x real time in step mode\n", 24e6 / (cycles / steps_rtl) / 1000.0);
  std::printf("golden model / RTL speed: %.0f x\n", (model_s / model_wall) / (rtl_s / rtl_wall));
  std::printf("RTL and golden model agree on spikes and synaptic operations: %s\n", agree ? "yes" : "NO");
  return agree ? 0 : 1;
}
