#include "spikelink/protocol.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace spikelink::proto {
namespace {

// Little-endian field writers and readers over raw bodies.
class Writer {
 public:
  explicit Writer(std::uint8_t* out) : out_(out) {}
  void u8(std::uint8_t v) { out_[n_++] = v; }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v));
    u16(static_cast<std::uint16_t>(v >> 16));
  }
  std::size_t size() const { return n_; }

 private:
  std::uint8_t* out_;
  std::size_t n_ = 0;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::uint8_t u8() { return in_[n_++]; }
  std::uint16_t u16() {
    const std::uint16_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  std::uint32_t u32() {
    const std::uint32_t lo = u16();
    return lo | (static_cast<std::uint32_t>(u16()) << 16);
  }
  std::size_t left() const { return in_.size() - n_; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t n_ = 0;
};

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("protocol: ") + what);
}

bool known_space(std::uint8_t s) { return s <= static_cast<std::uint8_t>(MemSpace::kNeuronState); }
bool known_op(std::uint8_t o) {
  return o >= static_cast<std::uint8_t>(ControlOp::kReset) &&
         o <= static_cast<std::uint8_t>(ControlOp::kSetTime);
}
bool known_status(std::uint8_t s) { return s <= static_cast<std::uint8_t>(Status::kUnsupported); }
bool known_type(std::uint8_t t) {
  return t >= static_cast<std::uint8_t>(FrameType::kSpikes) &&
         t <= static_cast<std::uint8_t>(FrameType::kError);
}

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;  // clang 14 does not deduce aggregates yet

}  // namespace

std::string_view to_string(FrameType t) {
  switch (t) {
    case FrameType::kSpikes: return "SPIKES";
    case FrameType::kIdentifyReq: return "IDENTIFY_REQ";
    case FrameType::kIdentify: return "IDENTIFY";
    case FrameType::kRegWrite: return "REG_WRITE";
    case FrameType::kRegRead: return "REG_READ";
    case FrameType::kRegData: return "REG_DATA";
    case FrameType::kMemWrite: return "MEM_WRITE";
    case FrameType::kMemRead: return "MEM_READ";
    case FrameType::kMemData: return "MEM_DATA";
    case FrameType::kControl: return "CONTROL";
    case FrameType::kAck: return "ACK";
    case FrameType::kCredit: return "CREDIT";
    case FrameType::kCountersReq: return "COUNTERS_REQ";
    case FrameType::kCounters: return "COUNTERS";
    case FrameType::kError: return "ERROR";
  }
  return "UNKNOWN";
}

Sender sender_of(FrameType t) {
  switch (t) {
    case FrameType::kSpikes: return Sender::kEither;
    case FrameType::kIdentifyReq:
    case FrameType::kRegWrite:
    case FrameType::kRegRead:
    case FrameType::kMemWrite:
    case FrameType::kMemRead:
    case FrameType::kControl:
    case FrameType::kCountersReq: return Sender::kHost;
    case FrameType::kIdentify:
    case FrameType::kRegData:
    case FrameType::kMemData:
    case FrameType::kAck:
    case FrameType::kCredit:
    case FrameType::kCounters:
    case FrameType::kError: return Sender::kBoard;
  }
  return Sender::kEither;
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kUnknownType: return "unknown frame type";
    case Status::kMalformed: return "malformed body";
    case Status::kBadAddress: return "address out of range";
    case Status::kNoCredit: return "sent without credit";
    case Status::kSequenceGap: return "host frames lost";
    case Status::kBusy: return "busy";
    case Status::kUnsupported: return "unsupported";
  }
  return "unknown status";
}

std::string_view to_string(CounterId c) {
  switch (c) {
    case CounterId::kRxFramesOk: return "rx_frames_ok";
    case CounterId::kRxCrcErrors: return "rx_crc_errors";
    case CounterId::kRxCobsErrors: return "rx_cobs_errors";
    case CounterId::kRxShortFrames: return "rx_short_frames";
    case CounterId::kRxLongFrames: return "rx_long_frames";
    case CounterId::kRxOverflow: return "rx_overflow";
    case CounterId::kRxBytesDiscarded: return "rx_bytes_discarded";
    case CounterId::kTxFrames: return "tx_frames";
    case CounterId::kTxDroppedLong: return "tx_dropped_long";
    case CounterId::kRxSeqLost: return "rx_seq_lost";
    case CounterId::kRxMalformed: return "rx_malformed";
    case CounterId::kEventsDroppedNoCredit: return "events_dropped_no_credit";
    case CounterId::kEventsDroppedBadAddress: return "events_dropped_bad_address";
    case CounterId::kEventsLate: return "events_late";
    case CounterId::kSpikesDroppedTxFull: return "spikes_dropped_tx_full";
    case CounterId::kRxUartErrors: return "rx_uart_errors";
    case CounterId::kCoreAccSaturated: return "core_acc_saturated";
    case CounterId::kCoreTickOverrun: return "core_tick_overrun";
    case CounterId::kCoreSpikes: return "core_spikes";
    case CounterId::kCoreEvents: return "core_events";
    case CounterId::kCoreSops: return "core_sops";
    case CounterId::kCorePulsesPot: return "core_pulses_pot";
    case CounterId::kCorePulsesDep: return "core_pulses_dep";
    case CounterId::kCoreRateUnslotted: return "core_rate_unslotted";
  }
  return "unknown_counter";
}

FrameType type_of(const Message& m) {
  return std::visit(
      Overload{
          [](const SpikeBatch&) { return FrameType::kSpikes; },
          [](const IdentifyReq&) { return FrameType::kIdentifyReq; },
          [](const Identify&) { return FrameType::kIdentify; },
          [](const RegWrite&) { return FrameType::kRegWrite; },
          [](const RegRead&) { return FrameType::kRegRead; },
          [](const RegData&) { return FrameType::kRegData; },
          [](const MemWrite&) { return FrameType::kMemWrite; },
          [](const MemRead&) { return FrameType::kMemRead; },
          [](const MemData&) { return FrameType::kMemData; },
          [](const Control&) { return FrameType::kControl; },
          [](const Ack&) { return FrameType::kAck; },
          [](const Credit&) { return FrameType::kCredit; },
          [](const CountersReq&) { return FrameType::kCountersReq; },
          [](const Counters&) { return FrameType::kCounters; },
          [](const Error&) { return FrameType::kError; },
      },
      m);
}

std::size_t encode_body(const Message& m, std::uint8_t* out) {
  Writer w(out);
  std::visit(
      Overload{
          [&](const SpikeBatch&) {
            throw std::invalid_argument("protocol: spike batches are encoded by encode_spike_body");
          },
          [&](const IdentifyReq&) {},
          [&](const Identify& v) {
            w.u32(v.magic);
            w.u8(v.proto_major);
            w.u8(v.proto_minor);
            w.u8(v.gw_major);
            w.u8(v.gw_minor);
            w.u8(v.gw_patch);
            w.u8(0);
            w.u16(v.board_id);
            w.u32(v.build_hash);
            w.u32(v.clock_hz);
            w.u16(v.neurons);
            w.u16(v.inputs);
            w.u8(v.weight_bits);
            w.u8(v.levels);
            w.u16(v.event_credits);
            w.u8(v.command_credits);
            w.u8(0);
            w.u32(v.capabilities);
          },
          [&](const RegWrite& v) {
            require(!v.items.empty() && v.items.size() <= kMaxRegWrites,
                    "REG_WRITE carries 1..41 registers");
            for (const auto& it : v.items) {
              w.u16(it.addr);
              w.u32(it.value);
            }
          },
          [&](const RegRead& v) {
            require(v.count >= 1 && v.count <= kMaxRegReadCount, "REG_READ count is 1..61");
            w.u16(v.addr);
            w.u8(v.count);
          },
          [&](const RegData& v) {
            require(!v.values.empty() && v.values.size() <= kMaxRegReadCount,
                    "REG_DATA carries 1..61 values");
            w.u8(v.req_seq);
            w.u16(v.addr);
            for (auto x : v.values) w.u32(x);
          },
          [&](const MemWrite& v) {
            require(!v.words.empty() && v.words.size() <= kMaxMemWords,
                    "MEM_WRITE carries 1..121 words");
            w.u8(static_cast<std::uint8_t>(v.space));
            w.u32(v.addr);
            for (auto x : v.words) w.u16(x);
          },
          [&](const MemRead& v) {
            require(v.count >= 1 && v.count <= kMaxMemWords, "MEM_READ count is 1..121");
            w.u8(static_cast<std::uint8_t>(v.space));
            w.u32(v.addr);
            w.u8(v.count);
          },
          [&](const MemData& v) {
            require(!v.words.empty() && v.words.size() <= kMaxMemWords,
                    "MEM_DATA carries 1..121 words");
            w.u8(v.req_seq);
            w.u8(static_cast<std::uint8_t>(v.space));
            w.u32(v.addr);
            for (auto x : v.words) w.u16(x);
          },
          [&](const Control& v) {
            w.u8(static_cast<std::uint8_t>(v.op));
            w.u32(v.arg);
          },
          [&](const Ack& v) {
            w.u8(v.req_seq);
            w.u8(static_cast<std::uint8_t>(v.req_type));
            w.u8(static_cast<std::uint8_t>(v.status));
          },
          [&](const Credit& v) {
            w.u8(v.last_seq);
            w.u16(v.event_free);
            w.u8(v.command_free);
          },
          [&](const CountersReq& v) {
            require(v.count >= 1 && v.count <= kMaxRegReadCount, "COUNTERS_REQ count is 1..61");
            w.u8(v.first);
            w.u8(v.count);
          },
          [&](const Counters& v) {
            require(!v.values.empty() && v.values.size() <= kMaxRegReadCount,
                    "COUNTERS carries 1..61 values");
            w.u8(v.req_seq);
            w.u8(v.first);
            for (auto x : v.values) w.u32(x);
          },
          [&](const Error& v) {
            w.u8(static_cast<std::uint8_t>(v.code));
            w.u8(v.ref_seq);
            w.u8(v.ref_type);
            w.u32(v.detail);
          },
      },
      m);
  return w.size();
}

SpikeBodyResult encode_spike_body(std::uint64_t base, std::span<const SpikeEvent> events,
                                  std::uint8_t* out) {
  Writer w(out);
  w.u32(static_cast<std::uint32_t>(base));
  std::size_t records_left = kMaxSpikeRecords;
  std::uint64_t now = base;
  std::size_t consumed = 0;
  for (const SpikeEvent& e : events) {
    require(e.address <= kMaxAddress, "spike address exceeds 4095");
    require(e.timestep >= now, "spike events must be sorted by timestep, not before the base");
    std::uint64_t gap = e.timestep - now;
    // Records this event needs: advances for the part of the gap beyond 14.
    // (computed without rounding up by addition, which would wrap for gaps
    // near 2^64).
    std::uint64_t advances = 0;
    if (gap > kMaxInlineDt) {
      const std::uint64_t beyond = gap - kMaxInlineDt;
      advances = beyond / kMaxAdvance + (beyond % kMaxAdvance != 0 ? 1 : 0);
    }
    if (advances + 1 > records_left) break;
    records_left -= static_cast<std::size_t>(advances) + 1;
    while (gap > kMaxInlineDt) {
      const auto step = static_cast<std::uint16_t>(std::min<std::uint64_t>(gap, kMaxAdvance));
      w.u16(static_cast<std::uint16_t>(kAdvanceMarker | step));
      gap -= step;
    }
    w.u16(static_cast<std::uint16_t>((gap << 12) | e.address));
    now = e.timestep;
    ++consumed;
  }
  return {w.size(), consumed};
}

std::optional<std::uint32_t> spike_body_time(std::span<const std::uint8_t> body) {
  if (body.size() < kSpikeBatchHeader || (body.size() - kSpikeBatchHeader) % 2 != 0) return std::nullopt;
  return Reader(body).u32();
}

bool decode_spike_body(std::span<const std::uint8_t> body, std::uint64_t base64,
                       std::vector<SpikeEvent>& out) {
  if (body.size() < kSpikeBatchHeader || (body.size() - kSpikeBatchHeader) % 2 != 0) return false;
  const std::size_t n = (body.size() - kSpikeBatchHeader) / 2;
  const std::uint8_t* p = body.data() + kSpikeBatchHeader;
  std::uint64_t now = base64;
  const std::size_t start = out.size();
  out.resize(start + n);  // upper bound; advances are trimmed below
  SpikeEvent* dst = out.data() + start;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
    const unsigned dt = r >> 12;
    const auto field = static_cast<std::uint16_t>(r & kMaxAddress);
    if (dt == 0xF) {
      now += field;
      continue;
    }
    now += dt;
    dst[k].timestep = now;
    dst[k].address = field;
    ++k;
  }
  out.resize(start + k);
  return true;
}

std::optional<Message> parse_body(FrameType t, std::span<const std::uint8_t> body) {
  Reader r(body);
  const std::size_t n = body.size();
  switch (t) {
    case FrameType::kSpikes:
      return std::nullopt;  // decode_spike_body: needs the unwrapped time
    case FrameType::kIdentifyReq:
      if (n != 0) return std::nullopt;
      return IdentifyReq{};
    case FrameType::kIdentify: {
      // A newer minor version may append fields: accept and ignore them.
      if (n < kIdentifyBody) return std::nullopt;
      Identify v;
      v.magic = r.u32();
      v.proto_major = r.u8();
      v.proto_minor = r.u8();
      v.gw_major = r.u8();
      v.gw_minor = r.u8();
      v.gw_patch = r.u8();
      (void)r.u8();
      v.board_id = r.u16();
      v.build_hash = r.u32();
      v.clock_hz = r.u32();
      v.neurons = r.u16();
      v.inputs = r.u16();
      v.weight_bits = r.u8();
      v.levels = r.u8();
      v.event_credits = r.u16();
      v.command_credits = r.u8();
      (void)r.u8();
      v.capabilities = r.u32();
      if (v.magic != kMagic) return std::nullopt;
      return v;
    }
    case FrameType::kRegWrite: {
      if (n == 0 || n % 6 != 0 || n / 6 > kMaxRegWrites) return std::nullopt;
      RegWrite v;
      v.items.reserve(n / 6);
      while (r.left() > 0) {
        const std::uint16_t a = r.u16();
        v.items.push_back({a, r.u32()});
      }
      return v;
    }
    case FrameType::kRegRead: {
      if (n != 3) return std::nullopt;
      RegRead v;
      v.addr = r.u16();
      v.count = r.u8();
      if (v.count < 1 || v.count > kMaxRegReadCount) return std::nullopt;
      return v;
    }
    case FrameType::kRegData: {
      if (n < 7 || (n - 3) % 4 != 0 || (n - 3) / 4 > kMaxRegReadCount) return std::nullopt;
      RegData v;
      v.req_seq = r.u8();
      v.addr = r.u16();
      while (r.left() > 0) v.values.push_back(r.u32());
      return v;
    }
    case FrameType::kMemWrite: {
      if (n < 7 || (n - 5) % 2 != 0 || (n - 5) / 2 > kMaxMemWords) return std::nullopt;
      MemWrite v;
      const std::uint8_t s = r.u8();
      if (!known_space(s)) return std::nullopt;
      v.space = static_cast<MemSpace>(s);
      v.addr = r.u32();
      while (r.left() > 0) v.words.push_back(r.u16());
      return v;
    }
    case FrameType::kMemRead: {
      if (n != 6) return std::nullopt;
      MemRead v;
      const std::uint8_t s = r.u8();
      if (!known_space(s)) return std::nullopt;
      v.space = static_cast<MemSpace>(s);
      v.addr = r.u32();
      v.count = r.u8();
      if (v.count < 1 || v.count > kMaxMemWords) return std::nullopt;
      return v;
    }
    case FrameType::kMemData: {
      if (n < 8 || (n - 6) % 2 != 0 || (n - 6) / 2 > kMaxMemWords) return std::nullopt;
      MemData v;
      v.req_seq = r.u8();
      const std::uint8_t s = r.u8();
      if (!known_space(s)) return std::nullopt;
      v.space = static_cast<MemSpace>(s);
      v.addr = r.u32();
      while (r.left() > 0) v.words.push_back(r.u16());
      return v;
    }
    case FrameType::kControl: {
      if (n != 5) return std::nullopt;
      const std::uint8_t o = r.u8();
      if (!known_op(o)) return std::nullopt;
      const Control c{static_cast<ControlOp>(o), r.u32()};
      if (c.op == ControlOp::kReset && c.arg > 1) return std::nullopt;  // 0 or 1 only
      return c;
    }
    case FrameType::kAck: {
      if (n != 3) return std::nullopt;
      Ack v;
      v.req_seq = r.u8();
      const std::uint8_t ty = r.u8();
      const std::uint8_t st = r.u8();
      if (!known_type(ty) || !known_status(st)) return std::nullopt;
      v.req_type = static_cast<FrameType>(ty);
      v.status = static_cast<Status>(st);
      return v;
    }
    case FrameType::kCredit: {
      if (n != 4) return std::nullopt;
      Credit v;
      v.last_seq = r.u8();
      v.event_free = r.u16();
      v.command_free = r.u8();
      return v;
    }
    case FrameType::kCountersReq: {
      if (n != 2) return std::nullopt;
      CountersReq v;
      v.first = r.u8();
      v.count = r.u8();
      if (v.count < 1 || v.count > kMaxRegReadCount) return std::nullopt;
      return v;
    }
    case FrameType::kCounters: {
      if (n < 6 || (n - 2) % 4 != 0 || (n - 2) / 4 > kMaxRegReadCount) return std::nullopt;
      Counters v;
      v.req_seq = r.u8();
      v.first = r.u8();
      while (r.left() > 0) v.values.push_back(r.u32());
      return v;
    }
    case FrameType::kError: {
      if (n != 7) return std::nullopt;
      Error v;
      const std::uint8_t c = r.u8();
      if (!known_status(c)) return std::nullopt;
      v.code = static_cast<Status>(c);
      v.ref_seq = r.u8();
      v.ref_type = r.u8();
      v.detail = r.u32();
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace spikelink::proto
