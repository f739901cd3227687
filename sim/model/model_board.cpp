#include "model/model_board.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace spikelink::sim {
namespace {

using proto::FrameType;
using proto::Status;

constexpr std::uint8_t type_byte(FrameType t) { return static_cast<std::uint8_t>(t); }

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// Frame types a host may send (everything else is unknown or board-only).
bool host_type(std::uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::kSpikes:
    case FrameType::kIdentifyReq:
    case FrameType::kRegWrite:
    case FrameType::kRegRead:
    case FrameType::kMemWrite:
    case FrameType::kMemRead:
    case FrameType::kControl:
    case FrameType::kCountersReq: return true;
    default: return false;
  }
}

bool memory_command(std::uint8_t t) {
  return t == type_byte(FrameType::kMemWrite) || t == type_byte(FrameType::kMemRead);
}

constexpr unsigned kMaxSpace = 3;  // 0 params, 1 weights, 2 plasticity, 3 state
constexpr std::uint32_t kPlasticityWords = 1024;
constexpr std::uint32_t kStateWords = 4;  // per neuron: v, a, r, 0

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

}  // namespace

ModelBoard::ModelBoard(ModelBoardOptions options)
    : opt_(options),
      core_(options.shape),
      last_reported_free_(options.shape.in_fifo),
      tick_cycles_(static_cast<std::uint32_t>(std::max<std::uint64_t>(1, options.clock_hz / 1000))) {
  if (opt_.step_cycles == 0) throw std::invalid_argument("model board: step_cycles must be at least 1");
  if (opt_.clock_hz == 0 || opt_.clock_hz > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("model board: clock_hz must be 1..2^32-1");
  }
  if (opt_.shape.inputs == 0 || opt_.shape.inputs > proto::kMaxAddress + 1u ||
      opt_.shape.neurons > proto::kMaxAddress + 1u) {
    throw std::invalid_argument("model board: neurons and inputs must fit 12-bit addresses");
  }
  if (opt_.shape.in_fifo == 0 || opt_.shape.in_fifo > 0xFFFFu) {
    throw std::invalid_argument("model board: the input FIFO must hold 1..65535 events");
  }
}

// ---- identity and registers ----------------------------------------------

proto::Identify ModelBoard::identify() const {
  proto::Identify id;
  id.gw_major = opt_.gw_major;
  id.gw_minor = opt_.gw_minor;
  id.gw_patch = opt_.gw_patch;
  id.board_id = opt_.board_id;
  id.build_hash = opt_.build_hash;
  id.clock_hz = u32(opt_.clock_hz);
  id.neurons = static_cast<std::uint16_t>(opt_.shape.neurons);
  id.inputs = static_cast<std::uint16_t>(opt_.shape.inputs);
  id.weight_bits = kWeightBits;
  id.levels = static_cast<std::uint8_t>(model::kMaxLevels);
  id.event_credits = static_cast<std::uint16_t>(opt_.shape.in_fifo);
  id.command_credits = 1;
  id.capabilities = kCaps;
  return id;
}

std::uint32_t ModelBoard::counter(unsigned id) const {
  const FramingCounters& f = decoder_.counters();
  const model::CoreCounters& c = core_.counters();
  switch (id) {
    case 0: return u32(f.frames_ok - framing_base_.frames_ok);
    case 1: return u32(f.crc_errors - framing_base_.crc_errors);
    case 2: return u32(f.cobs_errors - framing_base_.cobs_errors);
    case 3: return u32(f.short_frames - framing_base_.short_frames);
    case 4: return u32(f.long_frames - framing_base_.long_frames);
    case 5: return 0;  // rx_overflow: the model has no receive ring to overflow
    case 6: return u32(f.bytes_discarded - framing_base_.bytes_discarded);
    case 7: return u32(tx_.frames_sent() - tx_base_);
    case 8: return 0;  // tx_dropped_long: the model makes no over-long frame
    case 9: return rx_seq_lost_;
    case 10: return rx_malformed_;
    case 11: return u32(c.in_dropped);
    case 12: return bad_address_;
    case 13: return u32(c.late);
    case 14: return u32(c.out_dropped + out_dropped_);
    case 15: return 0;  // rx_uart_errors: a byte port
    case 32: return u32(c.acc_saturated);
    case 33: return u32(c.tick_overrun + tick_overrun_);
    case 34: return u32(c.spikes);
    case 35: return u32(c.events);
    case 36: return u32(c.sops);
    case 37: return u32(c.pulses_pot);
    case 38: return u32(c.pulses_dep);
    case 39: return u32(c.rate_unslotted);
    default: return 0;
  }
}

std::optional<std::uint32_t> ModelBoard::read_register(std::uint32_t addr) const {
  switch (addr) {
    case kRegMagic: return proto::kMagic;
    case kRegProtocol: return (std::uint32_t{proto::kVersionMajor} << 8) | proto::kVersionMinor;
    case kRegGateware:
      return (std::uint32_t{opt_.gw_major} << 16) | (std::uint32_t{opt_.gw_minor} << 8) | opt_.gw_patch;
    case kRegBuildHash: return opt_.build_hash;
    case kRegBoardId: return opt_.board_id;
    case kRegClockHz: return u32(opt_.clock_hz);
    case kRegShape: return opt_.shape.neurons | (opt_.shape.inputs << 16);
    case kRegCaps: return kCaps;
    case kRegTickCycles: return tick_cycles_;
    case kRegBeaconPeriod: return beacon_period_;
    case kRegFlushCycles: return flush_cycles_;
    case kRegScratch: return scratch_;
    case kRegStatus:
      return (real_time_ ? 1u : 0u) | (busy() ? 2u : 0u) | (spikes_pending() ? 4u : 0u);
    case kRegTime: return u32(core_.time());
    case kRegEventFree: return event_free();
    case kRegStepsOwed: return steps_owed_;
    case kRegBootStatus: return boot_status_;
    default: break;
  }
  if (addr >= kRegCounter0 && addr < kRegCounter0 + kNumCounters) return counter(addr - kRegCounter0);
  return std::nullopt;
}

bool ModelBoard::write_register(std::uint32_t addr, std::uint32_t value) {
  switch (addr) {
    case kRegTickCycles: tick_cycles_ = value; return true;
    case kRegBeaconPeriod: beacon_period_ = value; return true;
    case kRegFlushCycles: flush_cycles_ = value; return true;
    case kRegScratch: scratch_ = value; return true;
    default: return false;
  }
}

std::uint32_t ModelBoard::space_size(std::uint8_t space) const {
  const std::uint32_t n = opt_.shape.neurons;
  switch (space) {
    case 0: return n * model::kParamWords;
    case 1: return (opt_.shape.inputs + n) * n / 2;
    case 2: return kPlasticityWords;
    default: return n * kStateWords;
  }
}

// ---- the clock ------------------------------------------------------------

void ModelBoard::run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                     std::vector<std::uint8_t>& from_board) {
  in_ = &to_board;
  out_ = &from_board;
  const std::uint64_t end = now_ + cycles;
  for (;;) {
    service();
    const auto next = next_event();
    const bool last = !next || *next > end;
    const std::uint64_t to = last ? end : *next;
    transmit(to - now_);
    now_ = to;
    if (last) break;
  }
  in_ = nullptr;
  out_ = nullptr;
}

void ModelBoard::transmit(std::uint64_t clocks) {
  const std::uint64_t per = opt_.tx_bytes_per_clock;
  const std::size_t n = per == 0 || clocks >= (txq_.size() + per - 1) / per
                            ? txq_.size()
                            : static_cast<std::size_t>(clocks * per);
  out_->insert(out_->end(), txq_.begin(), txq_.begin() + static_cast<std::ptrdiff_t>(n));
  txq_.erase(txq_.begin(), txq_.begin() + static_cast<std::ptrdiff_t>(n));
}

std::optional<std::uint64_t> ModelBoard::next_event() const {
  std::optional<std::uint64_t> t;
  const auto consider = [&](std::uint64_t v) { t = t ? std::min(*t, v) : v; };
  if (running_) consider(step_end_);
  if (real_time_) consider(next_tick());
  if (batch_open_) consider(batch_last_join_ + flush_cycles_);
  if (unreported_since_) consider(*unreported_since_ + kCreditTimeout);
  const std::uint64_t per = opt_.tx_bytes_per_clock;
  if (!txq_.empty() && per > 0) consider(now_ + (txq_.size() + per - 1) / per);  // the last byte leaves
  return t;
}

bool ModelBoard::service() {
  bool any = false;
  for (;;) {
    bool did = false;
    if (running_ && step_end_ <= now_) {
      complete_timestep();
      did = true;
    }
    if (real_time_ && next_tick() <= now_) {
      // As the core counts it: a tick while a timestep runs or a tick is owed.
      if (running_ || ticks_owed_ > 0) ++tick_overrun_;
      ++ticks_owed_;
      last_tick_ = now_;
      did = true;
    }
    // Output spikes into batches. A spike joins the open batch at once; it
    // opens a new one only when the bytes before it have left.
    while (!out_fifo_.empty()) {
      const model::CoreSpike& s = out_fifo_.front();
      if (batch_open_ && s.time - batch_.events.back().timestep > proto::kMaxInlineDt) {
        close_batch();
        did = true;
        continue;
      }
      if (!batch_open_ && !txq_.empty()) break;
      add_spike(s);
      out_fifo_.pop_front();
      did = true;
    }
    // Start a timestep: an owed real-time tick first, else an owed step once
    // the output FIFO is empty (so step mode never overflows it).
    if (!running_ && (ticks_owed_ > 0 || (steps_owed_ > 0 && out_fifo_.empty()))) {
      if (ticks_owed_ > 0) {
        --ticks_owed_;
      } else {
        --steps_owed_;
      }
      running_ = true;
      step_end_ = now_ + opt_.step_cycles;
      did = true;
    }
    if (held_) {
      if (core_idle()) {
        const Frame f = std::move(*held_);
        held_.reset();
        process(f);
        did = true;
      }
    } else if (in_ && read_frame(*in_)) {
      did = true;
      if (decoded_) {
        Frame f = std::move(*decoded_);
        decoded_.reset();
        if (memory_command(f.type) && !core_idle()) {
          held_ = std::move(f);
        } else {
          process(f);
        }
      }
    }
    if (batch_open_ && now_ - batch_last_join_ >= flush_cycles_) {
      close_batch();
      did = true;
    }
    if (last_seq_ && (event_free() >= last_reported_free_ + kCreditHysteresis ||
                      (unreported_since_ && now_ - *unreported_since_ >= kCreditTimeout))) {
      send_credit();
      did = true;
    }
    if (!batch_open_ && out_fifo_.empty()) {
      const std::uint64_t t = core_.time();
      const bool idle = !real_time_ && !busy();
      const std::uint64_t period = std::max<std::uint32_t>(1, beacon_period_);
      if ((idle && t != last_beacon_time_) || t - last_beacon_time_ >= period) {
        emit(proto::SpikeBatch{t, {}});
        last_beacon_time_ = t;
        did = true;
      }
    }
    if (!did) return any;
    any = true;
  }
}

void ModelBoard::complete_timestep() {
  running_ = false;
  const model::CoreCounters before = core_.counters();
  core_.step(1);
  const model::CoreCounters& after = core_.counters();
  // The core sweeps last timestep's spikes, then input events; what is left
  // of the sweeps left the input FIFO.
  const std::uint64_t inputs = (after.events - before.events) - recurrent_prev_;
  in_fifo_used_ -= static_cast<std::uint32_t>(inputs);
  recurrent_prev_ = after.spikes - before.spikes;
  for (const model::CoreSpike& s : core_.take_spikes()) {
    if (out_fifo_.size() < opt_.shape.out_fifo) {
      out_fifo_.push_back(s);
    } else {
      ++out_dropped_;  // the spike acted in the core; its report is lost
    }
  }
}

// ---- receiving --------------------------------------------------------------

bool ModelBoard::read_frame(std::deque<std::uint8_t>& to_board) {
  if (to_board.empty()) return false;
  // One group at a time, so the board never runs ahead of a memory command.
  const auto delim = std::find(to_board.begin(), to_board.end(), std::uint8_t{0});
  const auto stop = delim == to_board.end() ? delim : delim + 1;
  chunk_.assign(to_board.begin(), stop);
  to_board.erase(to_board.begin(), stop);
  decoder_.feed(chunk_, [&](const RawFrame& r) {
    decoded_ = Frame{r.type, r.seq, std::vector<std::uint8_t>(r.body.begin(), r.body.end())};
  });
  return true;
}

bool ModelBoard::body_valid(const Frame& f) const {
  const std::size_t n = f.body.size();
  const std::uint8_t* b = f.body.data();
  switch (static_cast<FrameType>(f.type)) {
    case FrameType::kSpikes: return n >= proto::kSpikeBatchHeader && n % 2 == 0;
    case FrameType::kIdentifyReq: return n == 0;
    case FrameType::kRegWrite: return n > 0 && n % 6 == 0 && n / 6 <= proto::kMaxRegWrites;
    case FrameType::kRegRead: return n == 3 && b[2] >= 1 && b[2] <= proto::kMaxRegReadCount;
    case FrameType::kMemWrite:
      return n >= 7 && (n - 5) % 2 == 0 && (n - 5) / 2 <= proto::kMaxMemWords && b[0] <= kMaxSpace;
    case FrameType::kMemRead: return n == 6 && b[0] <= kMaxSpace && b[5] >= 1 && b[5] <= proto::kMaxMemWords;
    case FrameType::kControl: {
      if (n != 5) return false;
      const std::uint8_t op = b[0];
      if (op < static_cast<std::uint8_t>(proto::ControlOp::kReset) ||
          op > static_cast<std::uint8_t>(proto::ControlOp::kSetTime)) {
        return false;
      }
      return op != static_cast<std::uint8_t>(proto::ControlOp::kReset) || le32(b + 1) <= 1;
    }
    case FrameType::kCountersReq: return n == 2 && b[1] >= 1 && b[1] <= proto::kMaxRegReadCount;
    default: return false;
  }
}

void ModelBoard::process(const Frame& f) {
  // 1. Sequence.
  if (expected_seq_) {
    const auto d = static_cast<std::uint8_t>(f.seq - *expected_seq_);
    if (d != 0 && d < 128) {
      rx_seq_lost_ += d;
      send_error(Status::kSequenceGap, f.seq, f.type, d);
    }
  }
  expected_seq_ = static_cast<std::uint8_t>(f.seq + 1);
  // 2. Type and body; 3. act and reply.
  if (!host_type(f.type)) {
    ++rx_malformed_;
    send_error(Status::kUnknownType, f.seq, f.type, f.type);
  } else if (!body_valid(f)) {
    ++rx_malformed_;
    send_error(Status::kMalformed, f.seq, f.type, static_cast<std::uint32_t>(f.body.size()));
  } else {
    switch (static_cast<FrameType>(f.type)) {
      case FrameType::kSpikes: on_spikes(f); break;
      case FrameType::kIdentifyReq: send(identify()); break;
      case FrameType::kRegWrite: on_reg_write(f); break;
      case FrameType::kRegRead: on_reg_read(f); break;
      case FrameType::kMemWrite: on_mem_write(f); break;
      case FrameType::kMemRead: on_mem_read(f); break;
      case FrameType::kControl: on_control(f); break;
      case FrameType::kCountersReq: on_counters_req(f); break;
      default: break;  // not a host type: handled above
    }
  }
  // Every frame the framer delivered is processed: CREDIT names it.
  last_seq_ = f.seq;
  if (!unreported_since_) unreported_since_ = now_;
  // Every host frame but SPIKES is a command (its reply may be an ERROR):
  // CREDIT right after the reply.
  if (f.type != type_byte(FrameType::kSpikes)) send_credit();
}

void ModelBoard::on_spikes(const Frame& f) {
  const std::uint8_t* b = f.body.data();
  std::uint32_t time = le32(b);
  std::optional<std::uint16_t> first_bad;
  std::uint32_t dropped = 0;
  for (std::size_t i = proto::kSpikeBatchHeader; i + 1 < f.body.size(); i += 2) {
    const std::uint16_t r = le16(b + i);
    const unsigned dt = r >> 12;
    const auto field = static_cast<std::uint16_t>(r & proto::kMaxAddress);
    if (dt == 0xF) {
      time += field;
      continue;
    }
    time += dt;
    if (field >= opt_.shape.inputs) {
      ++bad_address_;
      if (!first_bad) first_bad = field;
      continue;
    }
    if (core_.push_input(field, time)) {
      ++in_fifo_used_;
    } else {
      ++dropped;  // the core counts it: events_dropped_no_credit
    }
  }
  if (first_bad) send_error(Status::kBadAddress, f.seq, f.type, *first_bad);
  if (dropped) send_error(Status::kNoCredit, f.seq, f.type, dropped);
}

void ModelBoard::on_reg_write(const Frame& f) {
  bool skipped = false;
  for (std::size_t i = 0; i < f.body.size(); i += 6) {
    if (!write_register(le16(f.body.data() + i), le32(f.body.data() + i + 2))) skipped = true;
  }
  send(proto::Ack{f.seq, FrameType::kRegWrite, skipped ? Status::kBadAddress : Status::kOk});
}

void ModelBoard::on_reg_read(const Frame& f) {
  const std::uint16_t addr = le16(f.body.data());
  const std::uint8_t count = f.body[2];
  proto::RegData reply{f.seq, addr, {}};
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t a = std::uint32_t{addr} + i;  // past 0xFFFF is no register: no wrap
    const auto v = read_register(a);
    if (!v) {
      send_error(Status::kBadAddress, f.seq, f.type, a);  // instead of REG_DATA
      return;
    }
    reply.values.push_back(*v);
  }
  send(reply);
}

void ModelBoard::on_mem_write(const Frame& f) {
  const std::uint8_t space = f.body[0];
  const std::uint32_t addr = le32(f.body.data() + 1);
  const std::uint32_t size = space_size(space);
  bool beyond = false;
  for (std::size_t i = 5; i + 1 < f.body.size(); i += 2) {
    const std::uint64_t a = std::uint64_t{addr} + (i - 5) / 2;
    if (a >= size) {
      beyond = true;
      continue;
    }
    core_.write_mem(static_cast<model::Space>(space), static_cast<std::uint32_t>(a), le16(f.body.data() + i));
  }
  if (beyond) {
    send_error(Status::kBadAddress, f.seq, f.type, std::max(addr, size));  // instead of ACK
  } else {
    send(proto::Ack{f.seq, FrameType::kMemWrite, Status::kOk});
  }
}

void ModelBoard::on_mem_read(const Frame& f) {
  const std::uint8_t space = f.body[0];
  const std::uint32_t addr = le32(f.body.data() + 1);
  const std::uint8_t count = f.body[5];
  const std::uint32_t size = space_size(space);
  if (std::uint64_t{addr} + count > size) {
    send_error(Status::kBadAddress, f.seq, f.type, std::max(addr, size));  // instead of MEM_DATA
    return;
  }
  proto::MemData reply{f.seq, static_cast<proto::MemSpace>(space), addr, {}};
  for (std::uint32_t i = 0; i < count; ++i) {
    reply.words.push_back(core_.read_mem(static_cast<model::Space>(space), addr + i));
  }
  send(reply);
}

void ModelBoard::on_control(const Frame& f) {
  const auto op = static_cast<proto::ControlOp>(f.body[0]);
  const std::uint32_t arg = le32(f.body.data() + 1);
  Status status = Status::kOk;
  switch (op) {
    case proto::ControlOp::kReset: reset(arg == 1); break;
    case proto::ControlOp::kStart:
      if (!real_time_) {
        real_time_ = true;
        last_tick_ = now_;  // the divider starts: the first tick is TICK_CYCLES away
      }
      break;
    case proto::ControlOp::kStop: real_time_ = false; break;
    case proto::ControlOp::kStep: {
      const std::uint64_t owed = std::uint64_t{steps_owed_} + arg;
      steps_owed_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(owed, 0xFFFFFFFFu));
      break;
    }
    case proto::ControlOp::kSetTime: status = Status::kUnsupported; break;
  }
  send(proto::Ack{f.seq, FrameType::kControl, status});
}

void ModelBoard::on_counters_req(const Frame& f) {
  const std::uint8_t first = f.body[0];
  const std::uint8_t count = f.body[1];
  if (unsigned{first} + count > kNumCounters) {
    send_error(Status::kBadAddress, f.seq, f.type, std::max<std::uint32_t>(first, kNumCounters));  // instead of COUNTERS
    return;
  }
  proto::Counters reply{f.seq, first, {}};
  for (unsigned i = 0; i < count; ++i) reply.values.push_back(counter(first + i));
  send(reply);
}

void ModelBoard::boot_stream(std::span<const std::uint8_t> blob) {
  std::deque<std::uint8_t> in(blob.begin(), blob.end());
  std::vector<std::uint8_t> replies;
  // A blob that starts real-time mode keeps the core busy for ever: stop
  // when the bytes are in and the replies out, whatever the core does.
  for (int slice = 0; slice < 100'000 && (!in.empty() || held_ || !txq_.empty()); ++slice) {
    run(1024, in, replies);
    replies.clear();
  }
  expected_seq_.reset();
  last_seq_.reset();
  unreported_since_.reset();
  boot_status_ = 1;
}

void ModelBoard::reset(bool counters_too) {
  close_batch();
  real_time_ = false;
  ticks_owed_ = 0;
  steps_owed_ = 0;
  running_ = false;  // a timestep in progress is abandoned
  core_.clear();
  in_fifo_used_ = 0;
  recurrent_prev_ = 0;
  out_fifo_.clear();
  out_dropped_ = 0;
  tick_overrun_ = 0;
  last_beacon_time_ = 0;
  if (counters_too) {
    framing_base_ = decoder_.counters();
    tx_base_ = tx_.frames_sent();
    rx_seq_lost_ = 0;
    rx_malformed_ = 0;
    bad_address_ = 0;
  }
}

// ---- sending ----------------------------------------------------------------

void ModelBoard::emit(const proto::Message& m) {
  if (opt_.tx_bytes_per_clock == 0) {
    tx_.append(m, *out_);
    return;
  }
  frame_.clear();
  tx_.append(m, frame_);
  txq_.insert(txq_.end(), frame_.begin(), frame_.end());
}

void ModelBoard::send(const proto::Message& m) {
  close_batch();  // a reply, ERROR or CREDIT is waiting
  emit(m);
}

void ModelBoard::send_error(Status code, std::uint8_t ref_seq, std::uint8_t ref_type, std::uint32_t detail) {
  send(proto::Error{code, ref_seq, ref_type, detail});
}

void ModelBoard::send_credit() {
  const std::uint32_t free = event_free();
  send(proto::Credit{*last_seq_, static_cast<std::uint16_t>(free), 1});
  last_reported_free_ = free;
  unreported_since_.reset();
}

void ModelBoard::add_spike(const model::CoreSpike& s) {
  if (!batch_open_) {
    batch_.timestep = s.time;
    batch_.events.clear();
    batch_open_ = true;
  }
  batch_.events.push_back({s.time, s.neuron});
  batch_last_join_ = now_;
  if (batch_.events.size() == proto::kMaxSpikeRecords) close_batch();
}

void ModelBoard::close_batch() {
  if (!batch_open_) return;
  batch_open_ = false;
  emit(batch_);
}

}  // namespace spikelink::sim
