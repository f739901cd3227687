#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "spikelink/neuron_params.hpp"

using namespace spikelink::model;

TEST_CASE("neuron params: a standard LIF neuron quantises with small, reported errors") {
  LifParams p;  // tau_m 20 ms, -65/-65/-50 mV, 2 ms refractory
  p.a_jump = 1.0;
  p.tau_a = 200.0;
  const auto c = quantise(p, 1.0);
  CHECK(c.regs.v_rest == -65 * 256);
  CHECK(c.regs.v_reset == -65 * 256);
  CHECK(c.regs.v_thresh == -50 * 256);
  CHECK(c.regs.k_leak == 1598);  // round(32768 * (1 - exp(-1/20)))
  CHECK(c.regs.t_ref == 2);
  CHECK(c.regs.w_scale == 64);   // 0.25 mV
  CHECK(c.regs.a_inc == 256);
  CHECK(c.regs.k_adapt == 327);  // round(65536 * (1 - exp(-1/200)))
  REQUIRE(c.report.size() == 8);
  for (const auto& q : c.report) {
    CAPTURE(q.name);
    CHECK(std::abs(q.error()) <= std::abs(q.requested) * 0.002 + 1.0 / 512);
  }
}

TEST_CASE("neuron params: realised() inverts the registers exactly") {
  NeuronRegs r{-16000, -17000, -12000, 3000, 100, 5, 700, 1234};
  const auto back = quantise(realised(r, 0.5), 0.5).regs;
  CHECK(back == r);
}

TEST_CASE("neuron params: words round trip through memory space 0 layout") {
  NeuronRegs r{-1, 2, -3, 32767, 0xAB, 0xCD, 0xFFFF, 0x1234, 0x5A5A};
  const auto w = to_words(r);
  REQUIRE(w.size() == kParamWords);
  CHECK(w[4] == 0xCDAB);
  CHECK(w[7] == 0x5A5A);
  CHECK(from_words(w.data()) == r);
}

TEST_CASE("neuron params: out-of-range values are refused with the field's name") {
  const auto msg = [](LifParams p) {
    try {
      quantise(p, 1.0);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  LifParams p;
  p.v_thresh = 200;
  CHECK(msg(p).find("v_thresh") == 0);
  p = {};
  p.tau_m = 0;
  CHECK(msg(p).find("tau_m") == 0);
  p = {};
  p.tau_refrac = 300;
  CHECK(msg(p).find("tau_refrac") == 0);
  p = {};
  p.weight_unit = 2.0;
  CHECK(msg(p).find("weight_unit") == 0);
  p = {};
  p.a_jump = -1;
  CHECK(msg(p).find("a_jump") == 0);
  p = {};
  p.a_jump = 1;
  p.tau_a = 0;
  CHECK(msg(p).find("tau_a") == 0);
  p = {};
  p.tau_refrac = -0.4;
  CHECK(msg(p).find("tau_refrac") == 0);
  CHECK_THROWS_AS(quantise(LifParams{}, std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK_THROWS_AS(weight_code(std::nan(""), 64), std::invalid_argument);
}

TEST_CASE("neuron params: an infinite time constant means no leak or no decay") {
  LifParams p;
  p.tau_m = std::numeric_limits<double>::infinity();
  p.a_jump = 1;
  p.tau_a = std::numeric_limits<double>::infinity();
  const auto c = quantise(p);
  CHECK(c.regs.k_leak == 0);
  CHECK(c.regs.k_adapt == 0);
  CHECK(std::isinf(realised(c.regs).tau_m));
}

TEST_CASE("neuron params: a very fast membrane saturates the leak register at 32767") {
  LifParams p;
  p.tau_m = 0.01;
  const auto c = quantise(p, 1.0);
  CHECK(c.regs.k_leak == kMaxLeak);
}

TEST_CASE("neuron params: weights in mV map to codes and back with half a step of error") {
  for (double mv = -30.0; mv <= 30.0; mv += 0.37) {
    const auto code = weight_code(mv, 64);
    if (std::abs(mv) < 127 * 0.25) CHECK(std::abs(weight_mv(code, 64) - mv) <= 0.125 + 1e-12);
  }
  CHECK(weight_code(100.0, 64) == 127);
  CHECK(weight_code(-100.0, 64) == -128);
}
