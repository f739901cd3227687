// Scenarios that drive a spikelink::Board through its public API only, so
// the same checks run on model:// (unit), sim:// and its UART attachment and
// tcp:// (cosim), and SPIKELINK_DEVICE, a real board included (hil). The
// expected spikes come from the golden model run here, on the host.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "spikelink/board.hpp"
#include "spikelink/core_model.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<spikelink::proto::SpikeEvent>> {
  static String convert(const std::vector<spikelink::proto::SpikeEvent>& v) {
    std::string s = std::to_string(v.size()) + " spikes:";
    for (std::size_t i = 0; i < v.size() && i < 12; ++i)
      s += " " + std::to_string(v[i].timestep) + "/" + std::to_string(v[i].address);
    if (v.size() > 12) s += " ...";
    return String(s.c_str());
  }
};
}  // namespace doctest

namespace spikelink::testing {

// A small network on the board's first neurons: inputs 0..7 drive neurons
// 0..15, which excite and inhibit each other. Everything else is zero.
struct SmallNet {
  Network net;
  std::vector<proto::SpikeEvent> inputs;  // relative timesteps
  std::uint32_t steps = 0;
};

inline SmallNet make_small_net(const proto::Identify& id, std::uint64_t seed, std::uint32_t steps, double rate_hz) {
  std::mt19937_64 rng(seed);
  SmallNet s;
  s.steps = steps;
  const unsigned n_all = id.neurons, sources = id.inputs + id.neurons;
  // Every neuron gets parameters (all-zero ones would fire every timestep);
  // only the first 16 have synapses.
  s.net.neurons.resize(id.neurons);
  for (auto& r : s.net.neurons) {
    model::LifParams p;
    p.tau_m = 10 + static_cast<double>(rng() % 20);
    p.v_thresh = -55;
    p.tau_refrac = 2;
    p.weight_unit = 0.5;
    r = model::quantise(p).regs;
  }
  s.net.weights.assign(static_cast<std::size_t>(sources) * n_all, 0);
  for (unsigned ch = 0; ch < 8; ++ch)
    for (unsigned n = 0; n < 16; ++n)
      if (rng() % 2) s.net.weights[ch * n_all + n] = static_cast<std::uint8_t>(8 + rng() % 12);
  for (unsigned a = 0; a < 16; ++a)
    for (unsigned n = 0; n < 16; ++n)
      if (a != n && rng() % 4 == 0)
        s.net.weights[(id.inputs + a) * n_all + n] = static_cast<std::uint8_t>(static_cast<std::int8_t>(rng() % 13) - 6);
  std::bernoulli_distribution coin(rate_hz / 1000.0);
  for (std::uint32_t t = 0; t < steps; ++t)
    for (std::uint16_t ch = 0; ch < 8; ++ch)
      if (coin(rng)) s.inputs.push_back({t, ch});
  return s;
}

// The golden model's spikes for `s` on a board shaped like `id`, from a
// cleared core with the board's state zero.
inline std::vector<proto::SpikeEvent> expected_spikes(const proto::Identify& id, const SmallNet& s) {
  model::Core core(model::CoreShape{id.neurons, id.inputs, id.event_credits, 256});
  for (unsigned n = 0; n < id.neurons; ++n) {
    core.set_params(n, s.net.neurons.at(n));
    core.set_state(n, model::NeuronState{s.net.neurons[n].v_rest, 0, 0});
  }
  for (unsigned src = 0; src < static_cast<unsigned>(id.inputs + id.neurons); ++src)
    for (unsigned n = 0; n < id.neurons; ++n)
      core.set_weight(src, n, static_cast<std::int8_t>(s.net.weights[src * id.neurons + n]));
  std::size_t next = 0;
  std::vector<proto::SpikeEvent> out;
  for (std::uint32_t t = 0; t < s.steps; ++t) {
    while (next < s.inputs.size() && s.inputs[next].timestep == t) {
      core.push_input(s.inputs[next].address, t);
      ++next;
    }
    core.step(1);
  }
  for (const auto& sp : core.take_spikes()) out.push_back({sp.time, sp.neuron});
  return out;
}

// Pulls every spike the board has delivered so far.
inline std::vector<proto::SpikeEvent> drain(Board& b) {
  std::vector<proto::SpikeEvent> all, buf(4096);
  while (true) {
    const std::size_t n = b.pull(buf);
    if (n == 0) break;
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return all;
}

// Loads `s`, runs it from a reset, and returns the spikes in timesteps
// relative to the start.
inline std::vector<proto::SpikeEvent> run_small_net(Board& b, const SmallNet& s, std::uint64_t* start = nullptr) {
  b.reset();
  b.load(s.net);
  // Every neuron starts at rest (a reset zeroes v).
  std::vector<std::uint16_t> state(static_cast<std::size_t>(b.identity().neurons) * 4, 0);
  for (std::size_t n = 0; n < s.net.neurons.size(); ++n) state[4 * n] = static_cast<std::uint16_t>(s.net.neurons[n].v_rest);
  b.write_mem(proto::MemSpace::kNeuronState, 0, state);
  drain(b);
  const std::uint64_t t0 = b.time();
  if (start) *start = t0;
  std::vector<proto::SpikeEvent> in = s.inputs;
  for (auto& e : in) e.timestep += t0;
  b.send(in);
  b.step(s.steps);
  auto got = drain(b);
  for (auto& e : got) e.timestep -= t0;
  return got;
}

inline void check_identity(Board& b) {
  const auto& id = b.identity();
  CHECK(id.magic == proto::kMagic);
  CHECK(id.proto_major == proto::kVersionMajor);
  CHECK(id.neurons > 0);
  CHECK(id.inputs > 0);
  CHECK(id.event_credits > 0);
  CHECK(id.command_credits > 0);
  CHECK(b.read_reg(0x0000) == proto::kMagic);
  CHECK(b.read_reg(0x0005) == id.clock_hz);
  CHECK(b.read_reg(0x0006) == (id.neurons | (static_cast<std::uint32_t>(id.inputs) << 16)));
}

inline void check_registers(Board& b) {
  b.write_reg(0x0013, 0xA5A55A5Au);
  CHECK(b.read_reg(0x0013) == 0xA5A55A5Au);
  b.write_reg(0x0013, 0x12345678u);
  const auto regs = b.read_regs(0x0010, 4);
  REQUIRE(regs.size() == 4);
  CHECK(regs[0] == b.identity().clock_hz / 1000);  // TICK_CYCLES: 1 ms
  CHECK(regs[3] == 0x12345678u);
  // A read-only register refuses a write; an unmapped one refuses a read.
  CHECK_THROWS_AS(b.write_reg(0x0000, 1), BoardError);
  CHECK(b.read_reg(0x0000) == proto::kMagic);
  CHECK_THROWS_AS(b.read_reg(0x0030), BoardError);
}

inline void check_memories(Board& b) {
  const auto& id = b.identity();
  // Parameters of the last neuron, a weight row, a state word.
  std::vector<std::uint16_t> words{0x1234, 0xFEDC, 0x0101, 0x7FFF, 0x0203, 0x4000, 0x8000, 0};
  const std::uint32_t last = (id.neurons - 1u) * 8u;
  b.write_mem(proto::MemSpace::kNeuronParams, last, words);
  CHECK(b.read_mem(proto::MemSpace::kNeuronParams, last, 8) == words);
  std::vector<std::uint16_t> row(id.neurons / 2);
  for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<std::uint16_t>(i * 0x0101 + 3);
  const std::uint32_t row_addr = 17u * (id.neurons / 2u);
  b.write_mem(proto::MemSpace::kWeights, row_addr, row);  // more than one frame
  CHECK(b.read_mem(proto::MemSpace::kWeights, row_addr, row.size()) == row);
  b.write_mem(proto::MemSpace::kNeuronState, 4, std::vector<std::uint16_t>{0xFF00, 7, 2});
  const auto st = b.read_state();
  CHECK(st.at(1).v == static_cast<std::int16_t>(0xFF00));
  CHECK(st.at(1).a == 7);
  CHECK(st.at(1).r == 2);
  // Past the end of a space: refused, and named.
  const std::uint32_t end = static_cast<std::uint32_t>(id.neurons) * 8u;
  try {
    b.read_mem(proto::MemSpace::kNeuronParams, end, 1);
    FAIL("read past the end of space 0 was not refused");
  } catch (const BoardError& e) {
    CHECK(e.kind() == BoardError::Kind::kRefused);
    CHECK(std::string(e.what()).find("address out of range") != std::string::npos);
  }
}

// Quiet neurons whatever the weights (a weight unit of 1/256 mV, at rest),
// so nothing fires and the core's events are the inputs alone.
inline void quiet(Board& b) {
  model::LifParams p;
  p.weight_unit = 1.0 / 256;
  const auto regs = model::quantise(p).regs;
  const auto w = model::to_words(regs);
  std::vector<std::uint16_t> params, state;
  for (unsigned n = 0; n < b.identity().neurons; ++n) {
    params.insert(params.end(), w.begin(), w.end());
    state.insert(state.end(), {static_cast<std::uint16_t>(regs.v_rest), 0, 0, 0});
  }
  b.write_mem(proto::MemSpace::kNeuronParams, 0, params);
  b.write_mem(proto::MemSpace::kNeuronState, 0, state);
}

// Input events far faster than the board takes them: credit pacing must
// deliver every one, and no board FIFO may overflow.
inline void check_overload(Board& b, std::uint32_t steps, unsigned per_step) {
  b.reset();
  quiet(b);
  const std::uint64_t t0 = b.time();
  const auto before = b.counters();
  std::vector<proto::SpikeEvent> in;
  for (std::uint32_t t = 0; t < steps; ++t)
    for (unsigned k = 0; k < per_step; ++k)
      in.push_back({t0 + t, static_cast<std::uint16_t>((t * 7 + k * 13) % b.identity().inputs)});
  b.send(in);  // queued host-side at once: far more than the board's FIFO
  b.step(steps);
  const auto after = b.counters();
  auto delta = [&](proto::CounterId id) { return after.board_counter(id) - before.board_counter(id); };
  CHECK(delta(proto::CounterId::kCoreEvents) == in.size());
  CHECK(delta(proto::CounterId::kEventsDroppedNoCredit) == 0);
  CHECK(delta(proto::CounterId::kEventsLate) == 0);
  CHECK(delta(proto::CounterId::kSpikesDroppedTxFull) == 0);
  CHECK(delta(proto::CounterId::kRxOverflow) == 0);
  CHECK(delta(proto::CounterId::kRxCrcErrors) == 0);
  CHECK(after.host.rx.seq_lost == 0);
  CHECK(after.host.ring_dropped == 0);
  CHECK(after.host.events_sent - before.host.events_sent == in.size());
  CHECK(delta(proto::CounterId::kCoreSpikes) == 0);
}

// Every neuron fires in every timestep: far more spikes than the link
// carries as they are made. Step mode must still deliver every one.
inline void check_spike_storm(Board& b, std::uint32_t steps) {
  b.reset();
  const auto& id = b.identity();
  Network net;
  net.neurons.assign(id.neurons, model::NeuronRegs{});  // threshold 0 = v: fires every timestep
  b.load(net);
  drain(b);
  const auto before = b.counters();
  const std::uint64_t t0 = b.time();
  b.step(steps);
  const auto got = drain(b);
  const auto after = b.counters();
  CHECK(got.size() == static_cast<std::size_t>(steps) * id.neurons);
  bool in_order = true;
  for (std::size_t i = 0; i < got.size(); ++i)
    in_order = in_order && got[i].timestep == t0 + i / id.neurons && got[i].address == i % id.neurons;
  CHECK(in_order);
  CHECK(after.board_counter(proto::CounterId::kSpikesDroppedTxFull) ==
        before.board_counter(proto::CounterId::kSpikesDroppedTxFull));
  CHECK(after.board_counter(proto::CounterId::kCoreSpikes) - before.board_counter(proto::CounterId::kCoreSpikes) ==
        got.size());
  CHECK(after.host.ring_dropped == 0);
}

// Real-time mode: the board advances on its own, reports its time in
// beacons, and stops when told.
inline void check_real_time(Board& b) {
  b.reset();
  quiet(b);
  b.write_reg(0x0011, 5);  // BEACON_PERIOD: a beacon every 5 timesteps
  const std::uint64_t t0 = b.time();
  b.start(b.identity().clock_hz / 10000);  // 100 us timesteps
  CHECK((b.read_reg(0x0020) & 1u) == 1u);  // STATUS: real-time mode
  b.wait_time(t0 + 30, std::chrono::seconds(60));
  b.stop();
  CHECK((b.read_reg(0x0020) & 1u) == 0u);
  const std::uint32_t board_t = b.read_reg(0x0021);
  CHECK(board_t >= 30);
  // Stopped: time stays put.
  const std::uint32_t again = b.read_reg(0x0021);
  CHECK(again == board_t);
  b.write_reg(0x0011, 1000);
}

// Time stays 64-bit monotonic across a reset.
inline void check_time_across_reset(Board& b) {
  b.reset();
  b.step(40);
  const std::uint64_t t1 = b.time();
  CHECK(t1 >= 40);
  b.reset();
  CHECK(b.time() >= t1);
  b.step(5);
  CHECK(b.time() == t1 + 5);
  CHECK(b.read_reg(0x0021) == 5);  // the board's own time restarted
}

}  // namespace spikelink::testing
