// Seeded random protocol messages for tests and benchmarks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include "spikelink/protocol.hpp"

namespace spikelink::testing {

using Rng = std::mt19937_64;

template <class T>
T uniform(Rng& rng, T lo, T hi) {
  using D = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
  return static_cast<T>(std::uniform_int_distribution<D>(static_cast<D>(lo), static_cast<D>(hi))(rng));
}

// Sorted events with random gaps (mostly small, some over the inline range).
inline std::vector<proto::SpikeEvent> random_events(Rng& rng, std::size_t n, std::uint64_t start) {
  std::vector<proto::SpikeEvent> ev(n);
  std::uint64_t t = start;
  for (auto& e : ev) {
    const unsigned kind = uniform<unsigned>(rng, 0, 99);
    if (kind < 60) {
      t += 0;
    } else if (kind < 90) {
      t += uniform<std::uint64_t>(rng, 1, 14);
    } else if (kind < 98) {
      t += uniform<std::uint64_t>(rng, 15, 5000);
    } else {
      t += uniform<std::uint64_t>(rng, 5000, 20000);
    }
    e.timestep = t;
    e.address = uniform<std::uint16_t>(rng, 0, proto::kMaxAddress);
  }
  return ev;
}

// A random message of any type, valid and small enough for one frame.
inline proto::Message random_message(Rng& rng, std::uint64_t time_hint = 0) {
  using namespace proto;
  switch (uniform<unsigned>(rng, 0, 14)) {
    case 0: {
      SpikeBatch b;
      b.timestep = time_hint;
      // At most 20 events: even with the largest gaps (6 records each) they fit.
      b.events = random_events(rng, uniform<std::size_t>(rng, 0, 20), time_hint);
      return b;
    }
    case 1: return IdentifyReq{};
    case 2: {
      Identify v;
      v.gw_major = uniform<std::uint8_t>(rng, 0, 255);
      v.gw_minor = uniform<std::uint8_t>(rng, 0, 255);
      v.gw_patch = uniform<std::uint8_t>(rng, 0, 255);
      v.board_id = uniform<std::uint16_t>(rng, 0, 65535);
      v.build_hash = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      v.clock_hz = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      v.neurons = uniform<std::uint16_t>(rng, 0, 4096);
      v.inputs = uniform<std::uint16_t>(rng, 0, 4096);
      v.weight_bits = uniform<std::uint8_t>(rng, 0, 16);
      v.levels = uniform<std::uint8_t>(rng, 0, 64);
      v.event_credits = uniform<std::uint16_t>(rng, 0, 65535);
      v.command_credits = uniform<std::uint8_t>(rng, 0, 255);
      v.capabilities = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      return v;
    }
    case 3: {
      RegWrite v;
      v.items.resize(uniform<std::size_t>(rng, 1, kMaxRegWrites));
      for (auto& it : v.items) it = {uniform<std::uint16_t>(rng, 0, 65535), uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF)};
      return v;
    }
    case 4: return RegRead{uniform<std::uint16_t>(rng, 0, 65535), uniform<std::uint8_t>(rng, 1, kMaxRegReadCount)};
    case 5: {
      RegData v;
      v.req_seq = uniform<std::uint8_t>(rng, 0, 255);
      v.addr = uniform<std::uint16_t>(rng, 0, 65535);
      v.values.resize(uniform<std::size_t>(rng, 1, kMaxRegReadCount));
      for (auto& x : v.values) x = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      return v;
    }
    case 6: {
      MemWrite v;
      v.space = static_cast<MemSpace>(uniform<unsigned>(rng, 0, 2));
      v.addr = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      v.words.resize(uniform<std::size_t>(rng, 1, kMaxMemWords));
      for (auto& x : v.words) x = uniform<std::uint16_t>(rng, 0, 65535);
      return v;
    }
    case 7:
      return MemRead{static_cast<MemSpace>(uniform<unsigned>(rng, 0, 2)), uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF),
                     uniform<std::uint8_t>(rng, 1, kMaxMemWords)};
    case 8: {
      MemData v;
      v.req_seq = uniform<std::uint8_t>(rng, 0, 255);
      v.space = static_cast<MemSpace>(uniform<unsigned>(rng, 0, 2));
      v.addr = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      v.words.resize(uniform<std::size_t>(rng, 1, kMaxMemWords));
      for (auto& x : v.words) x = uniform<std::uint16_t>(rng, 0, 65535);
      return v;
    }
    case 9: {
      Control v{static_cast<ControlOp>(uniform<unsigned>(rng, 1, 5)), uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF)};
      if (v.op == ControlOp::kReset) v.arg %= 2;
      return v;
    }
    case 10:
      return Ack{uniform<std::uint8_t>(rng, 0, 255), static_cast<FrameType>(uniform<unsigned>(rng, 1, 15)),
                 static_cast<Status>(uniform<unsigned>(rng, 0, 7))};
    case 11:
      return Credit{uniform<std::uint8_t>(rng, 0, 255), uniform<std::uint16_t>(rng, 0, 65535), uniform<std::uint8_t>(rng, 0, 255)};
    case 12: return CountersReq{uniform<std::uint8_t>(rng, 0, 255), uniform<std::uint8_t>(rng, 1, kMaxRegReadCount)};
    case 13: {
      Counters v;
      v.req_seq = uniform<std::uint8_t>(rng, 0, 255);
      v.first = uniform<std::uint8_t>(rng, 0, 255);
      v.values.resize(uniform<std::size_t>(rng, 1, kMaxRegReadCount));
      for (auto& x : v.values) x = uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF);
      return v;
    }
    default:
      return Error{static_cast<Status>(uniform<unsigned>(rng, 0, 7)), uniform<std::uint8_t>(rng, 0, 255),
                   uniform<std::uint8_t>(rng, 0, 255), uniform<std::uint32_t>(rng, 0, 0xFFFFFFFF)};
  }
}

// Random header+body bytes of a given length (for framing-only tests).
inline std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n, unsigned zero_percent = 10) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = uniform<unsigned>(rng, 0, 99) < zero_percent ? 0 : uniform<std::uint8_t>(rng, 1, 255);
  return v;
}

}  // namespace spikelink::testing
