// The worked examples of docs/protocol.md. examples/wire_examples prints
// them; tests/unit/test_protocol_doc.cpp checks the document against them.
#pragma once

#include <string>
#include <vector>

#include "spikelink/link_codec.hpp"

namespace spikelink::examples {

struct WireExample {
  std::string name;
  std::uint8_t seq;
  proto::Message msg;
};

inline std::vector<WireExample> wire_examples() {
  using namespace proto;
  Identify id;
  id.gw_major = 0;
  id.gw_minor = 1;
  id.gw_patch = 0;
  id.board_id = 1;
  id.build_hash = 0x1234ABCD;
  id.clock_hz = 24'000'000;
  id.neurons = 256;
  id.inputs = 256;
  id.weight_bits = 8;
  id.levels = 64;
  id.event_credits = 512;
  id.command_credits = 2;
  id.capabilities = 0x00000003;
  return {
      {"spikes", 0x00, SpikeBatch{1000, {{1000, 7}, {1003, 0x123}, {1020, 1}}}},
      {"spikes-beacon", 0x05, SpikeBatch{0xFFFFFFF0, {}}},
      {"identify-req", 0x01, IdentifyReq{}},
      {"identify", 0x00, id},
      {"reg-write", 0x02, RegWrite{{{0x0010, 0x00000001}, {0x0011, 1000}}}},
      {"reg-read", 0x03, RegRead{0x0000, 4}},
      {"reg-data", 0x01, RegData{0x03, 0x0000, {0x4C4B5053, 0x00000100, 0x00000000, 0x0000002A}}},
      {"mem-write", 0x04, MemWrite{MemSpace::kWeights, 0x00000100, {0x0040, 0xFFC0}}},
      {"mem-read", 0x05, MemRead{MemSpace::kNeuronParams, 0x00000000, 2}},
      {"mem-data", 0x02, MemData{0x05, MemSpace::kNeuronParams, 0x00000000, {0x1234, 0x0000}}},
      {"control", 0x06, Control{ControlOp::kStep, 1000}},
      {"ack", 0x03, Ack{0x06, FrameType::kControl, Status::kOk}},
      {"credit", 0x04, Credit{0x06, 500, 2}},
      {"counters-req", 0x07, CountersReq{0, 3}},
      {"counters", 0x06, Counters{0x07, 0, {1234, 1, 0}}},
      {"error", 0x07, Error{Status::kBadAddress, 0x08, 0x07, 0x00010000}},
  };
}

// Wire bytes of one example: the frame as sent with the example's sequence.
inline std::vector<std::uint8_t> wire_of(const WireExample& e) {
  std::vector<std::uint8_t> hb(proto::kHeaderSize + proto::kMaxBody);
  hb[0] = static_cast<std::uint8_t>(proto::type_of(e.msg));
  hb[1] = e.seq;
  std::size_t n;
  if (const auto* b = std::get_if<proto::SpikeBatch>(&e.msg)) {
    n = proto::encode_spike_body(b->timestep, b->events, hb.data() + 2).body_size;
  } else {
    n = proto::encode_body(e.msg, hb.data() + 2);
  }
  hb.resize(2 + n);
  std::vector<std::uint8_t> wire;
  append_wire_frame(hb, wire);
  return wire;
}

// Header and body (before CRC and COBS) of one example.
inline std::vector<std::uint8_t> raw_of(const WireExample& e) {
  const auto wire = wire_of(e);
  std::vector<std::uint8_t> raw;
  FrameDecoder d;
  d.feed(wire, [&](const RawFrame& f) {
    raw = {f.type, f.seq};
    raw.insert(raw.end(), f.body.begin(), f.body.end());
  });
  return raw;
}

}  // namespace spikelink::examples
