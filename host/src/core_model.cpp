#include "spikelink/core_model.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace spikelink::model {
namespace {

std::int16_t sat16(std::int64_t x) {
  return static_cast<std::int16_t>(std::clamp<std::int64_t>(x, -32768, 32767));
}

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min() / 2;

}  // namespace

Core::Core(CoreShape shape)
    : shape_(shape),
      params_(shape.neurons),
      weights_(static_cast<std::size_t>(shape.inputs + shape.neurons) * shape.neurons, 0),
      state_(shape.neurons),
      acc_(shape.neurons, 0) {
  if (shape.neurons == 0 || shape.neurons % 8 != 0) throw std::invalid_argument("core: neurons must be a multiple of 8");
  recurrent_.reserve(shape.neurons);
  spiked_now_.reserve(shape.neurons);
  last_pre_.assign(sources(), kNever);
  last_post_.assign(shape.neurons, kNever);
  slot_source_.fill(-1);
  set_variability({});
  for (unsigned g = 0; g < kGroups; ++g) set_group(g, GroupConfig{});
}

std::int8_t Core::effective(std::uint8_t byte) const {
  return plastic_ ? byte_weight_[byte] : static_cast<std::int8_t>(byte);
}

void Core::set_plastic(bool on) { plastic_ = on; }

void Core::set_group(unsigned g, const GroupConfig& c) {
  if (g >= kGroups) throw std::out_of_range("core: synapse group out of range");
  if (c.tables.levels < 2 || c.tables.levels > kMaxLevels) throw std::invalid_argument("core: levels must be 2..64");
  const auto window = [](const char* name, std::uint16_t w) {
    if (w > kMaxWindow) {
      throw std::invalid_argument(std::string("core: ") + name + " must be 0..16383 timesteps, not " +
                                  std::to_string(w));
    }
  };
  window("W+", c.w_plus);
  window("W-", c.w_minus);
  window("the rate window", c.rate_window);
  groups_[g] = c;
  for (unsigned level = 0; level < 64; ++level) {
    const int w = 2 * static_cast<int>(level);
    byte_weight_[synapse_byte(g, level)] = static_cast<std::int8_t>(c.inhibitory ? -w : w);
  }
}

void Core::set_variability(const Variability& v) {
  if (v.c2c_amp && v.c2c_seed == 0) throw std::invalid_argument("core: the c2c LFSR seed must not be 0");
  variability_ = v;
  lfsr_ = v.c2c_seed ? v.c2c_seed : 1;
}

void Core::set_rate_slot(unsigned k, int source) {
  if (k >= kRateSlots) throw std::out_of_range("core: rate slot out of range");
  if (source >= static_cast<int>(sources())) throw std::out_of_range("core: rate slot source out of range");
  slot_source_[k] = source;
  slot_history_[k].clear();
}

void Core::set_params(unsigned n, const NeuronRegs& r) {
  NeuronRegs& p = params_.at(n);
  p = r;
  p.reserved = 0;  // word 7 has no storage in the core: its block RAM went to plasticity (docs/plasticity.md §5)
}

void Core::set_weight(unsigned s, unsigned n, std::int8_t w) {
  if (s >= sources() || n >= shape_.neurons) throw std::out_of_range("core: synapse out of range");
  weights_[s * shape_.neurons + n] = w;
}

void Core::write_mem(Space space, std::uint32_t addr, std::uint16_t word) {
  switch (space) {
    case Space::kParams: {
      const unsigned n = addr / kParamWords;
      const unsigned p = addr % kParamWords;
      auto words = to_words(params_.at(n));
      words[p] = word;
      set_params(n, from_words(words.data()));
      return;
    }
    case Space::kWeights: {
      const unsigned per_row = shape_.neurons / 2;
      const unsigned s = addr / per_row;
      const unsigned n = (addr % per_row) * 2;
      set_weight(s, n, static_cast<std::int8_t>(word & 0xFF));
      set_weight(s, n + 1, static_cast<std::int8_t>(word >> 8));
      return;
    }
    case Space::kPlasticity:
      write_plasticity(addr, word);
      return;
    case Space::kState: {
      NeuronState& st = state_.at(addr / 4);
      switch (addr % 4) {
        case 0: st.v = static_cast<std::int16_t>(word); break;
        case 1: st.a = word; break;
        case 2: st.r = static_cast<std::uint8_t>(word); break;
        default: break;
      }
      return;
    }
  }
  throw std::invalid_argument("core: unknown memory space " + std::to_string(static_cast<unsigned>(space)));
}

std::uint16_t Core::read_mem(Space space, std::uint32_t addr) const {
  switch (space) {
    case Space::kParams: {
      const auto words = to_words(params_.at(addr / kParamWords));
      return words[addr % kParamWords];
    }
    case Space::kWeights: {
      const unsigned per_row = shape_.neurons / 2;
      const unsigned s = addr / per_row;
      const unsigned n = (addr % per_row) * 2;
      return static_cast<std::uint16_t>(static_cast<std::uint8_t>(weight(s, n)) |
                                        (static_cast<std::uint8_t>(weight(s, n + 1)) << 8));
    }
    case Space::kPlasticity:
      return read_plasticity(addr);
    case Space::kState: {
      const NeuronState& st = state_.at(addr / 4);
      switch (addr % 4) {
        case 0: return static_cast<std::uint16_t>(st.v);
        case 1: return st.a;
        case 2: return st.r;
        default: return 0;
      }
    }
  }
  throw std::invalid_argument("core: unknown memory space " + std::to_string(static_cast<unsigned>(space)));
}

bool Core::push_input(std::uint16_t channel, std::uint32_t target) {
  if (channel >= shape_.inputs) throw std::out_of_range("core: input channel out of range");
  if (in_fifo_.size() >= shape_.in_fifo) {
    ++counters_.in_dropped;
    return false;
  }
  in_fifo_.push_back({channel, static_cast<std::uint16_t>(target)});
  return true;
}

void Core::sweep(unsigned source) {
  const std::int8_t* row = weights_.data() + static_cast<std::size_t>(source) * shape_.neurons;
  std::int16_t* acc = acc_.data();
  delivered_.push_back(static_cast<std::uint16_t>(source));
  if (plastic_) {
    unsigned sat = 0;
    for (unsigned m = 0; m < shape_.neurons; ++m) {
      const int sum = acc[m] + byte_weight_[static_cast<std::uint8_t>(row[m])];
      const int clamped = std::clamp(sum, -32768, 32767);
      sat += sum != clamped ? 1u : 0u;
      acc[m] = static_cast<std::int16_t>(clamped);
    }
    counters_.acc_saturated += sat;
    counters_.sops += shape_.neurons;
    ++counters_.events;
    return;
  }
  // Written so the compiler vectorises it (saturating 16-bit adds).
  unsigned sat = 0;
  for (unsigned m = 0; m < shape_.neurons; ++m) {
    const int sum = acc[m] + row[m];
    const int clamped = std::clamp(sum, -32768, 32767);
    sat += sum != clamped ? 1u : 0u;
    acc[m] = static_cast<std::int16_t>(clamped);
  }
  counters_.acc_saturated += sat;
  counters_.sops += shape_.neurons;
  ++counters_.events;
}

void Core::update_neurons() {
  spiked_now_.clear();
  for (unsigned n = 0; n < shape_.neurons; ++n) {
    const NeuronRegs& p = params_[n];
    NeuronState& s = state_[n];
    const std::int64_t input = acc_[n];
    acc_[n] = 0;
    bool spike = false;
    const std::uint16_t a0 = s.a;
    if (s.r > 0) {
      --s.r;
    } else {
      const std::int16_t d = sat16(std::int64_t{p.v_rest} - s.v);
      const std::int16_t v1 = sat16(s.v + ((std::int64_t{d} * p.k_leak) >> 15));
      const std::int16_t v2 = sat16(v1 + std::int64_t{sat16(input * p.w_scale)});
      const std::int16_t thr = sat16(std::int64_t{p.v_thresh} + a0);
      spike = v2 >= thr;
      s.v = spike ? p.v_reset : v2;
      s.r = spike ? p.t_ref : std::uint8_t{0};
    }
    std::uint32_t a = static_cast<std::uint32_t>(a0) - ((static_cast<std::uint32_t>(a0) * p.k_adapt) >> 16);
    if (spike) a = std::min<std::uint32_t>(a + p.a_inc, 65535);
    s.a = static_cast<std::uint16_t>(a);
    if (spike) {
      spiked_now_.push_back(static_cast<std::uint16_t>(n));
      ++counters_.spikes;
      const CoreSpike out{time_, static_cast<std::uint16_t>(n)};
      if (out_ready_) {
        out_taken_.push_back(out);
      } else if (out_fifo_.size() < shape_.out_fifo) {
        out_fifo_.push_back(out);
      } else {
        ++counters_.out_dropped;
      }
    }
  }
}

void Core::step(std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint16_t src : recurrent_) sweep(shape_.inputs + src);
    const auto now16 = static_cast<std::uint16_t>(time_);
    // At most kMaxDeliveries rows a timestep, spikes of t-1 included: the
    // RTL's sweep list keeps them all for the learning engine. Events due
    // beyond that wait for the next timestep (and count as late there).
    while (!in_fifo_.empty() && delivered_.size() < kMaxDeliveries) {
      const auto ahead = static_cast<std::int16_t>(static_cast<std::uint16_t>(in_fifo_.front().target - now16));
      if (ahead > 0) break;
      if (ahead < 0) ++counters_.late;
      sweep(in_fifo_.front().channel);
      in_fifo_.pop_front();
    }
    update_neurons();
    // Histories are recorded in every mode, so switching plastic mode or
    // learning on needs no warm-up. Deliveries of t enter them before the
    // pulses (a pre spike at t pairs with a post spike at t and counts in its
    // rate window); spikes of t after them (depression looks at post spikes
    // before t).
    record_deliveries();
    if (plastic_ && learning_) learn();
    for (std::uint16_t m : spiked_now_) last_post_[m] = static_cast<std::int64_t>(time_);
    delivered_.clear();
    recurrent_.swap(spiked_now_);
    ++time_;
  }
}

void Core::write_plasticity(std::uint32_t addr, std::uint16_t w) {
  if (addr == 0x000) {
    plastic_ = (w & 1u) != 0;
    learning_ = (w & 2u) != 0;
  } else if (addr >= 0x001 && addr <= 0x005) {
    Variability v = variability_;
    const auto lo = [](std::uint32_t x, std::uint16_t b) { return (x & 0xFFFF0000u) | b; };
    const auto hi = [](std::uint32_t x, std::uint16_t b) { return (x & 0x0000FFFFu) | (std::uint32_t{b} << 16); };
    switch (addr) {
      case 0x001: v.c2c_seed = lo(v.c2c_seed, w); break;
      case 0x002: v.c2c_seed = hi(v.c2c_seed, w); break;
      case 0x003: v.d2d_seed = lo(v.d2d_seed, w); break;
      case 0x004: v.d2d_seed = hi(v.d2d_seed, w); break;
      default:
        v.d2d_amp = static_cast<std::uint8_t>(w);
        v.c2c_amp = static_cast<std::uint8_t>(w >> 8);
        break;
    }
    variability_ = v;
    if (addr <= 0x002) lfsr_ = v.c2c_seed ? v.c2c_seed : 1;
  } else if (addr >= 0x010 && addr < 0x010 + 8 * kGroups) {
    const unsigned g = (addr - 0x010) / 8;
    GroupConfig c = groups_[g];
    switch ((addr - 0x010) % 8) {
      case 0:
        c.rule = (w & 3u) == 3u ? Rule::kStatic : static_cast<Rule>(w & 3u);  // 3 is reserved
        c.inhibitory = (w & 4u) != 0;
        c.tables.levels = std::max(2u, ((w >> 8) & 63u) + 1);
        break;
      // The windows are 14-bit registers: bits 15..14 are not stored.
      case 1: c.w_plus = w & kMaxWindow; break;
      case 2: c.w_minus = w & kMaxWindow; break;
      case 3: c.rate_window = w & kMaxWindow; break;
      case 4:
        c.rate_high = static_cast<std::uint8_t>(w);
        c.rate_low = static_cast<std::uint8_t>(w >> 8);
        break;
      default: return;
    }
    set_group(g, c);
  } else if (addr >= 0x040 && addr < 0x040 + kRateSlots) {
    const unsigned src = w & 0x1FFu;
    set_rate_slot(addr - 0x040, (w & 0x8000u) && src < sources() ? static_cast<int>(src) : -1);
  } else if (addr >= 0x100 && addr < 0x100 + kGroups * kMaxLevels) {
    const unsigned g = (addr - 0x100) / kMaxLevels;
    const unsigned level = (addr - 0x100) % kMaxLevels;
    GroupConfig c = groups_[g];
    c.tables.pot[level] = static_cast<std::uint8_t>(w);
    c.tables.dep[level] = static_cast<std::uint8_t>(w >> 8);
    set_group(g, c);
  }
}

std::uint16_t Core::read_plasticity(std::uint32_t addr) const {
  if (addr == 0x000) return static_cast<std::uint16_t>((plastic_ ? 1u : 0u) | (learning_ ? 2u : 0u));
  const Variability& v = variability_;
  switch (addr) {
    case 0x001: return static_cast<std::uint16_t>(v.c2c_seed);
    case 0x002: return static_cast<std::uint16_t>(v.c2c_seed >> 16);
    case 0x003: return static_cast<std::uint16_t>(v.d2d_seed);
    case 0x004: return static_cast<std::uint16_t>(v.d2d_seed >> 16);
    case 0x005: return static_cast<std::uint16_t>(v.d2d_amp | (v.c2c_amp << 8));
    default: break;
  }
  if (addr >= 0x010 && addr < 0x010 + 8 * kGroups) {
    const GroupConfig& c = groups_[(addr - 0x010) / 8];
    switch ((addr - 0x010) % 8) {
      case 0:
        return static_cast<std::uint16_t>(static_cast<unsigned>(c.rule) | (c.inhibitory ? 4u : 0u) |
                                          ((c.tables.levels - 1) << 8));
      case 1: return c.w_plus;
      case 2: return c.w_minus;
      case 3: return c.rate_window;
      case 4: return static_cast<std::uint16_t>(c.rate_high | (c.rate_low << 8));
      default: return 0;
    }
  }
  if (addr >= 0x040 && addr < 0x040 + kRateSlots) {
    const int src = slot_source_[addr - 0x040];
    return src < 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(0x8000u | static_cast<unsigned>(src));
  }
  if (addr >= 0x100 && addr < 0x100 + kGroups * kMaxLevels) {
    const GroupConfig& c = groups_[(addr - 0x100) / kMaxLevels];
    const unsigned level = (addr - 0x100) % kMaxLevels;
    return static_cast<std::uint16_t>(c.tables.pot[level] | (c.tables.dep[level] << 8));
  }
  return 0;
}

// Two slots may hold the same source (the host rewrites them one at a time);
// the lowest is the source's slot, so a source has exactly one history.
int Core::slot_of(unsigned source) const {
  for (unsigned k = 0; k < kRateSlots; ++k) {
    if (slot_source_[k] == static_cast<int>(source)) return static_cast<int>(k);
  }
  return -1;
}

void Core::record_deliveries() {
  const auto t = static_cast<std::int64_t>(time_);
  for (std::uint16_t s : delivered_) {
    last_pre_[s] = t;
    const int k = slot_of(s);
    if (k < 0) continue;
    auto& h = slot_history_[static_cast<unsigned>(k)];
    h.push_back(t);
    if (h.size() > kRateHistory) h.pop_front();
  }
}

void Core::learn() {
  const auto t = static_cast<std::int64_t>(time_);
  const unsigned nn = shape_.neurons;
  auto apply = [&](unsigned s, unsigned n, bool pot) {
    std::int8_t& cell = weights_[static_cast<std::size_t>(s) * nn + n];
    const auto byte = static_cast<std::uint8_t>(cell);
    const unsigned g = group_of(byte);
    const unsigned level = pulse(level_of(byte), pot, groups_[g].tables, variability_, s, n, lfsr_);
    cell = static_cast<std::int8_t>(synapse_byte(g, level));
    ++(pot ? counters_.pulses_pot : counters_.pulses_dep);
  };
  // 1. Deliveries: a post spike shortly before depresses (STDP).
  for (std::uint16_t s : delivered_) {
    for (unsigned n = 0; n < nn; ++n) {
      const auto byte = static_cast<std::uint8_t>(weights_[static_cast<std::size_t>(s) * nn + n]);
      const GroupConfig& g = groups_[group_of(byte)];
      if (g.rule != Rule::kStdp) continue;
      const std::int64_t d = t - last_post_[n];
      if (d >= 1 && d <= g.w_minus) apply(s, n, false);
    }
  }
  // 2. Post spikes: STDP potentiation and the rate rule.
  for (std::uint16_t n : spiked_now_) {
    for (unsigned s = 0; s < sources(); ++s) {
      const auto byte = static_cast<std::uint8_t>(weights_[static_cast<std::size_t>(s) * nn + n]);
      const GroupConfig& g = groups_[group_of(byte)];
      if (g.rule == Rule::kStdp) {
        const std::int64_t d = t - last_pre_[s];
        if (d >= 0 && d <= g.w_plus) apply(s, n, true);
      } else if (g.rule == Rule::kRate) {
        const int slot = slot_of(s);
        if (slot < 0) {
          ++counters_.rate_unslotted;
          continue;
        }
        const auto& h = slot_history_[static_cast<unsigned>(slot)];
        const auto count = static_cast<unsigned>(
            std::count_if(h.begin(), h.end(), [&](std::int64_t x) { return x > t - g.rate_window; }));
        if (count > g.rate_high) {
          apply(s, n, true);
        } else if (count < g.rate_low) {
          apply(s, n, false);
        }
      }
    }
  }
}

void Core::set_out_ready(bool ready) {
  out_ready_ = ready;
  if (ready) {
    out_taken_.insert(out_taken_.end(), out_fifo_.begin(), out_fifo_.end());
    out_fifo_.clear();
  }
}

std::vector<CoreSpike> Core::take_spikes() {
  std::vector<CoreSpike> out;
  out.swap(out_taken_);
  return out;
}

void Core::clear() {
  std::fill(state_.begin(), state_.end(), NeuronState{});
  std::fill(acc_.begin(), acc_.end(), std::int16_t{0});
  in_fifo_.clear();
  recurrent_.clear();
  out_fifo_.clear();
  out_taken_.clear();
  time_ = 0;
  counters_ = {};
  delivered_.clear();
  std::fill(last_pre_.begin(), last_pre_.end(), kNever);
  std::fill(last_post_.begin(), last_post_.end(), kNever);
  for (auto& h : slot_history_) h.clear();
  lfsr_ = variability_.c2c_seed ? variability_.c2c_seed : 1;
}

}  // namespace spikelink::model
