// What every harness of a Verilated model needs: the context and the model,
// a clock count, and on request (SPIKELINK_SIM_STATS set) the clocks and
// clocks per second when it is destroyed. Harnesses derive their Impl from it.
#pragma once

#include <verilated.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace spikelink::sim {

template <class Top>
class VerilatedModel {
 public:
  explicit VerilatedModel(const char* name) : name_(name) {}
  ~VerilatedModel() {
    top.final();
    if (std::getenv("SPIKELINK_SIM_STATS") == nullptr) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s: %llu cycles, %.0f cycles/s\n", name_, static_cast<unsigned long long>(cycles),
                 s > 0 ? static_cast<double>(cycles) / s : 0.0);
  }
  VerilatedModel(const VerilatedModel&) = delete;
  VerilatedModel& operator=(const VerilatedModel&) = delete;

  VerilatedContext ctx;
  Top top{&ctx, "top"};
  std::uint64_t cycles = 0;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace spikelink::sim
