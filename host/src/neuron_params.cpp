#include "spikelink/neuron_params.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace spikelink::model {
namespace {

constexpr double kQ = 256.0;  // Q8.8

std::int16_t mv_to_q88(const char* name, double mv) {
  const double q = std::round(mv * kQ);
  if (!(q >= -32768.0 && q <= 32767.0)) {
    throw std::invalid_argument(std::string(name) + " = " + std::to_string(mv) +
                                " mV is outside the core's range (-128 .. 127.996 mV)");
  }
  return static_cast<std::int16_t>(q);
}

// Per-step decay factor 1 - exp(-dt/tau) in fixed point with `one` = 1.0;
// an infinite tau (no decay) is 0.
std::uint32_t decay_factor(const char* name, double tau, double dt, std::uint32_t one, std::uint32_t max) {
  if (!(tau > 0.0)) throw std::invalid_argument(std::string(name) + " must be a positive number of ms (or inf)");
  if (std::isinf(tau)) return 0;
  const double k = std::round(static_cast<double>(one) * -std::expm1(-dt / tau));
  return static_cast<std::uint32_t>(std::min(k, static_cast<double>(max)));
}

double tau_of(std::uint32_t k, double one, double dt) {
  if (k == 0) return std::numeric_limits<double>::infinity();
  const double f = static_cast<double>(k) / one;
  if (f >= 1.0) return 0.0;
  return -dt / std::log1p(-f);
}

}  // namespace

std::vector<std::uint16_t> to_words(const NeuronRegs& r) {
  return {static_cast<std::uint16_t>(r.v_rest),
          static_cast<std::uint16_t>(r.v_reset),
          static_cast<std::uint16_t>(r.v_thresh),
          r.k_leak,
          static_cast<std::uint16_t>(r.w_scale | (r.t_ref << 8)),
          r.a_inc,
          r.k_adapt,
          r.reserved};
}

NeuronRegs from_words(const std::uint16_t* w) {
  NeuronRegs r;
  r.v_rest = static_cast<std::int16_t>(w[0]);
  r.v_reset = static_cast<std::int16_t>(w[1]);
  r.v_thresh = static_cast<std::int16_t>(w[2]);
  r.k_leak = w[3];
  r.w_scale = static_cast<std::uint8_t>(w[4] & 0xFF);
  r.t_ref = static_cast<std::uint8_t>(w[4] >> 8);
  r.a_inc = w[5];
  r.k_adapt = w[6];
  r.reserved = w[7];
  return r;
}

Conversion quantise(const LifParams& p, double dt) {
  if (!(dt > 0.0) || !std::isfinite(dt)) throw std::invalid_argument("dt must be a positive, finite number of ms");
  Conversion c;
  NeuronRegs& r = c.regs;
  r.v_rest = mv_to_q88("v_rest", p.v_rest);
  r.v_reset = mv_to_q88("v_reset", p.v_reset);
  r.v_thresh = mv_to_q88("v_thresh", p.v_thresh);
  r.k_leak = static_cast<std::uint16_t>(decay_factor("tau_m", p.tau_m, dt, 32768, kMaxLeak));

  const double refr = std::round(p.tau_refrac / dt);
  if (!(p.tau_refrac >= 0.0) || !(refr <= 255.0)) {
    throw std::invalid_argument("tau_refrac = " + std::to_string(p.tau_refrac) + " ms is outside 0 .. 255 timesteps");
  }
  r.t_ref = static_cast<std::uint8_t>(refr);

  const double ws = std::round(p.weight_unit * kQ);
  if (!(ws >= 1.0 && ws <= 255.0)) {
    throw std::invalid_argument("weight_unit = " + std::to_string(p.weight_unit) +
                                " mV is outside 1/256 .. 255/256 mV");
  }
  r.w_scale = static_cast<std::uint8_t>(ws);

  const double ai = std::round(p.a_jump * kQ);
  if (!(ai >= 0.0 && ai <= 65535.0)) {
    throw std::invalid_argument("a_jump = " + std::to_string(p.a_jump) + " mV is outside 0 .. 255.996 mV");
  }
  r.a_inc = static_cast<std::uint16_t>(ai);
  // Without adaptation tau_a does not matter; 0 leaves a at rest.
  r.k_adapt = r.a_inc == 0 && !(p.tau_a > 0.0)
                  ? std::uint16_t{0}
                  : static_cast<std::uint16_t>(decay_factor("tau_a", p.tau_a, dt, 65536, 65535));

  const LifParams got = realised(r, dt);
  c.report = {
      {"tau_m", p.tau_m, got.tau_m},
      {"v_rest", p.v_rest, got.v_rest},
      {"v_reset", p.v_reset, got.v_reset},
      {"v_thresh", p.v_thresh, got.v_thresh},
      {"tau_refrac", p.tau_refrac, got.tau_refrac},
      {"a_jump", p.a_jump, got.a_jump},
      {"tau_a", p.tau_a, got.tau_a},
      {"weight_unit", p.weight_unit, got.weight_unit},
  };
  return c;
}

LifParams realised(const NeuronRegs& r, double dt) {
  LifParams p;
  p.tau_m = tau_of(r.k_leak, 32768.0, dt);
  p.v_rest = r.v_rest / kQ;
  p.v_reset = r.v_reset / kQ;
  p.v_thresh = r.v_thresh / kQ;
  p.tau_refrac = r.t_ref * dt;
  p.a_jump = r.a_inc / kQ;
  p.tau_a = tau_of(r.k_adapt, 65536.0, dt);
  p.weight_unit = r.w_scale / kQ;
  return p;
}

std::int8_t weight_code(double jump_mv, std::uint8_t w_scale) {
  if (w_scale == 0) throw std::invalid_argument("weight_code: w_scale is 0");
  if (std::isnan(jump_mv)) throw std::invalid_argument("weight_code: the weight is not a number");
  const double c = std::round(jump_mv * kQ / w_scale);
  return static_cast<std::int8_t>(std::clamp(c, -128.0, 127.0));
}

double weight_mv(std::int8_t code, std::uint8_t w_scale) { return code * w_scale / kQ; }

}  // namespace spikelink::model
