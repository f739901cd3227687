// spikelink::Board: the link engine over an FTDI channel (docs/link.md,
// docs/board-api.md). One I/O thread owns the transport: it sends queued
// commands and credit-paced spike frames, reads and decodes the board's
// frames, answers waiting callers and feeds the spike ring or callback.
#include "spikelink/board.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>
#include <variant>

#include "spikelink/ftdi.hpp"
#include "spikelink/spsc_ring.hpp"
#include "spikelink/version.hpp"

namespace spikelink {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string hex(std::uint32_t v, int width) {
  std::ostringstream s;
  s << "0x" << std::hex;
  s.width(width);
  s.fill('0');
  s << v;
  return s.str();
}

// A command waiting for, or holding, the board's reply.
struct Command {
  proto::Message request;
  bool ordered = false;          // sent only after every event queued before it
  std::uint64_t after_events = 0;
  std::optional<proto::Message> reply;
  std::optional<std::string> error;
  BoardError::Kind error_kind = BoardError::Kind::kRefused;
  bool done = false;
  std::uint8_t seq = 0;
  bool sent = false;
};

// Events the board may hold in its input FIFO ahead of its time: the core
// compares 16-bit times (docs/link.md §3).
constexpr std::uint64_t kMaxAhead = 32000;
// A credit probe after this long without a report while frames are in flight.
constexpr auto kProbeAfter = 200ms;

}  // namespace

struct Board::Impl {
  Impl(std::unique_ptr<usb::Device> d, std::string u, const BoardOptions& o)
      : device(std::move(d)), uri(std::move(u)), options(o), channel(*device, ftdi::Port::kB),
        receiver(proto::Sender::kBoard), ring(o.ring_capacity) {}

  // ---- owned by construction ----
  std::unique_ptr<usb::Device> device;
  std::string uri;
  BoardOptions options;
  ftdi::Channel channel;
  proto::Identify ident;

  // ---- shared, under mu ----
  mutable std::mutex mu;
  std::condition_variable cv;  // anything changed: replies, credit, time, queue space
  std::deque<std::shared_ptr<Command>> commands;  // not yet sent
  std::shared_ptr<Command> outstanding;           // sent, awaiting its reply
  bool outstanding_blocks = false;                // a MEM command: send nothing until its reply
  std::deque<proto::SpikeEvent> send_queue;       // user time
  std::uint64_t events_queued = 0;                // ever queued
  std::uint64_t events_taken = 0;                 // ever handed to the transmitter
  std::uint64_t last_queued_time = 0;
  CreditTracker credit;
  Transmitter tx;
  Receiver receiver;
  std::uint64_t epoch = 0;                 // user time = epoch + board time
  std::optional<std::uint64_t> board_now;  // last beacon's board time
  // Board time before which events may be sent: in step mode the chunk
  // being stepped (so the input FIFO holds nothing beyond it), in real-time
  // mode none (nullopt; kMaxAhead still applies).
  std::optional<std::uint64_t> horizon = 0;
  Clock::time_point last_credit = Clock::now();
  HostCounters host;
  std::vector<std::string> errors;
  std::array<std::uint32_t, proto::kNumCounterIds> counter_last{};
  std::array<std::uint64_t, proto::kNumCounterIds> counter_total{};
  std::optional<std::string> dead;  // the transport failed: why
  bool stopping = false;

  std::function<void(std::span<const proto::SpikeEvent>)> callback;
  SpscRing<proto::SpikeEvent> ring;
  std::vector<proto::SpikeEvent> scratch;

  std::thread io;

  // ---- the I/O thread ----
  void run() {
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> in;
    while (true) {
      out.clear();
      {
        std::unique_lock lock(mu);
        if (stopping) return;
        fill_output(out);
      }
      try {
        if (!out.empty()) channel.write(out);
        in.clear();
        channel.read(in, 2ms);
        if (!in.empty()) {
          std::lock_guard lock(mu);
          receiver.feed(std::span<const std::uint8_t>(in), *this);
          host.rx = receiver.counters();
          {
            const auto lc = channel.counters();
            host.line_errors = lc.overrun_errors + lc.parity_errors + lc.framing_errors + lc.break_conditions;
            host.bytes_sent = lc.bytes_written;
            host.bytes_received = lc.bytes_read;
          }
          cv.notify_all();
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        fail_all(std::string("lost the connection to ") + uri + ": " + e.what(), BoardError::Kind::kDisconnected);
        return;
      }
    }
  }

  void fail_all(const std::string& why, BoardError::Kind kind) {
    dead = why;
    auto fail = [&](const std::shared_ptr<Command>& c) {
      if (!c || c->done) return;
      c->error = why;
      c->error_kind = kind;
      c->done = true;
    };
    fail(outstanding);
    for (auto& c : commands) fail(c);
    commands.clear();
    outstanding.reset();
    cv.notify_all();
  }

  void note_sent(std::uint8_t seq, std::uint32_t events, std::uint32_t cmds) {
    credit.on_sent(seq, events, cmds);
    ++host.frames_sent;
    host.events_sent += events;
  }

  // Under mu: appends what may be sent now to `out`.
  void fill_output(std::vector<std::uint8_t>& out) {
    // Commands: one at a time (the board has one command slot), in order;
    // an ordered one waits for the events queued before it.
    if (!outstanding && !commands.empty()) {
      auto& c = commands.front();
      // Its events first; but if the board has no credit left and has
      // reported every frame, only a timestep can make room: send it, and
      // the rest of its events arrive late (counted by the board).
      const bool starved = credit.events_available() <= 0 && credit.in_flight() == 0;
      const bool events_first = c->ordered && events_taken < c->after_events && !starved;
      if (!events_first && credit.commands_available() > 0 && !credit.window_full()) {
        c->seq = tx.append(c->request, out);
        c->sent = true;
        note_sent(c->seq, 0, 1);
        const auto t = proto::type_of(c->request);
        outstanding_blocks = t == proto::FrameType::kMemWrite || t == proto::FrameType::kMemRead;
        outstanding = c;
        commands.pop_front();
      }
    }
    // Spikes: as credit allows, never past a blocking command, never more
    // than kMaxAhead timesteps ahead of the board, at most up to the next
    // ordered command's barrier.
    std::uint64_t limit = send_queue.size();
    if (!commands.empty() && commands.front()->ordered)
      limit = std::min<std::uint64_t>(limit, commands.front()->after_events - events_taken);
    while (limit > 0 && !(outstanding && outstanding_blocks) && !credit.window_full()) {
      const auto avail = credit.events_available();
      if (avail <= 0) break;
      const std::uint64_t now = board_now.value_or(0);
      std::size_t n = 0;
      const std::size_t cap = std::min<std::size_t>({static_cast<std::size_t>(avail), proto::kMaxSpikeRecords,
                                                     static_cast<std::size_t>(limit)});
      scratch.clear();
      while (n < cap) {
        const auto& e = send_queue[n];
        const std::uint64_t bt = e.timestep > epoch ? e.timestep - epoch : 0;
        if (bt > now + kMaxAhead) break;
        if (horizon && bt >= *horizon) break;
        scratch.push_back({bt, e.address});
        ++n;
      }
      if (n == 0) break;
      const std::size_t used = tx.append_spikes_bounded(scratch, out, 1);
      note_sent(static_cast<std::uint8_t>(tx.next_seq() - 1), static_cast<std::uint32_t>(used), 0);
      send_queue.erase(send_queue.begin(), send_queue.begin() + static_cast<std::ptrdiff_t>(used));
      events_taken += used;
      limit -= used;
      cv.notify_all();
    }
    // A credit probe when reports have stopped while frames are in flight.
    if (credit.in_flight() > 0 && Clock::now() - last_credit > kProbeAfter && credit.probe_allowed()) {
      tx.append_spikes({}, out, board_now.value_or(0));
      note_sent(static_cast<std::uint8_t>(tx.next_seq() - 1), 0, 0);
      ++host.credit_probes;
      last_credit = Clock::now();
    }
  }

  // ---- Receiver handler (I/O thread, under mu) ----
  void on_spikes(std::uint64_t base, std::span<const proto::SpikeEvent> events, std::uint8_t) {
    if (events.empty()) {  // a time beacon: every timestep before `base` is complete
      if (!board_now || base > *board_now) board_now = base;
      return;
    }
    // A spike of timestep T means T timesteps are complete: a lower bound
    // on the board's time while output keeps beacons away.
    if (!board_now || events.back().timestep > *board_now) board_now = events.back().timestep;
    scratch.assign(events.begin(), events.end());
    for (auto& e : scratch) e.timestep += epoch;
    host.spikes_received += scratch.size();
    if (callback) {
      callback(scratch);
    } else {
      host.ring_dropped += scratch.size() - ring.push(std::span<const proto::SpikeEvent>(scratch));
    }
  }

  void on_message(const proto::Message& m, std::uint8_t) {
    if (const auto* c = std::get_if<proto::Credit>(&m)) {
      credit.on_credit(*c);
      last_credit = Clock::now();
      return;
    }
    if (const auto* e = std::get_if<proto::Error>(&m)) {
      std::string text = std::string("board error: ") + std::string(proto::to_string(e->code)) + " (frame type " +
                         hex(e->ref_type, 2) + ", seq " + std::to_string(e->ref_seq) + ", detail " +
                         std::to_string(e->detail) + ")";
      if (outstanding && outstanding->seq == e->ref_seq &&
          static_cast<std::uint8_t>(proto::type_of(outstanding->request)) == e->ref_type) {
        outstanding->error = text;
        finish_outstanding(std::nullopt);
      } else {
        ++host.board_errors;
        errors.push_back(std::move(text));
        if (errors.size() > 64) errors.erase(errors.begin());
      }
      return;
    }
    if (!outstanding) {
      ++host.board_errors;
      errors.push_back("unexpected reply " + std::string(proto::to_string(proto::type_of(m))));
      return;
    }
    std::optional<std::uint8_t> req_seq;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (requires { v.req_seq; }) req_seq = v.req_seq;
          (void)sizeof(T);
        },
        m);
    const bool is_identify = std::holds_alternative<proto::Identify>(m);
    const bool matches = is_identify ? std::holds_alternative<proto::IdentifyReq>(outstanding->request)
                                     : (req_seq && *req_seq == outstanding->seq);
    if (!matches) {
      ++host.board_errors;
      errors.push_back("reply " + std::string(proto::to_string(proto::type_of(m))) + " matches no command");
      return;
    }
    if (const auto* a = std::get_if<proto::Ack>(&m); a && a->status != proto::Status::kOk) {
      outstanding->error = std::string("board refused ") + std::string(proto::to_string(a->req_type)) + ": " +
                           std::string(proto::to_string(a->status));
    }
    // A RESET's reply divides old board time from new (docs/link.md §3).
    if (const auto* ctl = std::get_if<proto::Control>(&outstanding->request);
        ctl && ctl->op == proto::ControlOp::kReset && !outstanding->error) {
      epoch += board_now.value_or(0);
      board_now.reset();  // until the board says (reset() reads TIME)
      receiver.reset_time();
      const std::size_t first = ctl->arg == 1 ? 0 : proto::kFirstCoreCounter;
      for (std::size_t i = first; i < proto::kNumCounterIds; ++i) counter_last[i] = 0;
      if (ctl->arg == 0) {  // the core's counters that sit among the link ids
        for (auto id : {proto::CounterId::kEventsDroppedNoCredit, proto::CounterId::kEventsLate,
                        proto::CounterId::kSpikesDroppedTxFull})
          counter_last[static_cast<std::size_t>(id)] = 0;
      }
    }
    finish_outstanding(m);
  }

  void finish_outstanding(std::optional<proto::Message> reply) {
    outstanding->reply = std::move(reply);
    outstanding->done = true;
    outstanding.reset();
    outstanding_blocks = false;
  }

  // ---- caller side ----
  void check_alive() const {
    if (dead) throw BoardError(BoardError::Kind::kDisconnected, *dead);
  }

  // `ordered`: sent only after the events queued before it, or with
  // `barrier`, after that many events in all.
  proto::Message call(proto::Message request, bool ordered = false, std::optional<std::uint64_t> barrier = {}) {
    auto c = std::make_shared<Command>();
    c->request = std::move(request);
    std::unique_lock lock(mu);
    check_alive();
    c->ordered = ordered || barrier.has_value();
    c->after_events = barrier.value_or(events_queued);
    commands.push_back(c);
    const auto type = proto::type_of(c->request);
    // An ordered command waits for its events, which wait for credit: its
    // timeout starts when it is sent.
    auto deadline = Clock::now() + options.command_timeout;
    while (!c->done) {
      if (!c->sent) deadline = Clock::now() + options.command_timeout;
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout && !c->done && c->sent) {
        if (outstanding == c) {
          outstanding.reset();
          outstanding_blocks = false;
        }
        throw BoardError(BoardError::Kind::kTimeout,
                         "no reply to " + std::string(proto::to_string(type)) + " (seq " + std::to_string(c->seq) +
                             ") from " + uri + " within " + std::to_string(options.command_timeout.count()) +
                             " ms; is the board running spikelink gateware?");
      }
    }
    if (c->error) throw BoardError(c->error_kind, *c->error + " [" + uri + "]");
    return *c->reply;
  }

  template <class T>
  T call_as(proto::Message request, bool ordered = false, std::optional<std::uint64_t> barrier = {}) {
    auto r = call(std::move(request), ordered, barrier);
    if (auto* v = std::get_if<T>(&r)) return *v;
    throw BoardError(BoardError::Kind::kRefused, "unexpected reply " + std::string(proto::to_string(proto::type_of(r))) +
                                                     " from " + uri);
  }

  void control(proto::ControlOp op, std::uint32_t arg, bool ordered) {
    call_as<proto::Ack>(proto::Control{op, arg}, ordered);
  }

  // Waits until the board's reported time reaches board time `t`.
  void wait_board_time(std::uint64_t t, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    const auto deadline = Clock::now() + timeout;
    while (!board_now || *board_now < t) {
      check_alive();
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout && (!board_now || *board_now < t))
        throw BoardError(BoardError::Kind::kTimeout, "board time did not reach " + std::to_string(t + epoch) +
                                                         " within " + std::to_string(timeout.count()) + " ms (" +
                                                         uri + ")");
    }
  }

  void identify() {
    const auto id = call_as<proto::Identify>(proto::IdentifyReq{});
    if (!options.check_gateware) {
      ident = id;
      return;
    }
    if (id.magic != proto::kMagic)
      throw BoardError(BoardError::Kind::kIncompatible,
                       uri + " answered IDENTIFY with magic " + hex(id.magic, 8) +
                           ", not spikelink gateware: flash a spikelink image with `spikelink flash`");
    if (id.proto_major != proto::kVersionMajor) {
      throw BoardError(BoardError::Kind::kIncompatible,
                       uri + " runs gateware " + std::to_string(id.gw_major) + "." + std::to_string(id.gw_minor) + "." +
                           std::to_string(id.gw_patch) + " speaking protocol " + std::to_string(id.proto_major) + "." +
                           std::to_string(id.proto_minor) + "; this host (spikelink " + kVersion +
                           ") speaks protocol " + std::to_string(proto::kVersionMajor) + ".x: flash gateware " +
                           kVersion + " with `spikelink flash`");
    }
    if (id.neurons == 0 || id.inputs == 0 || id.event_credits == 0 || id.command_credits == 0)
      throw BoardError(BoardError::Kind::kIncompatible,
                       uri + " reports an empty core (neurons " + std::to_string(id.neurons) + ", inputs " +
                           std::to_string(id.inputs) + ", credits " + std::to_string(id.event_credits) + "/" +
                           std::to_string(id.command_credits) + "): flash a spikelink image with `spikelink flash`");
    ident = id;
  }

  std::size_t space_words(proto::MemSpace s) const {
    const std::size_t n = ident.neurons, e = ident.inputs;
    switch (s) {
      case proto::MemSpace::kNeuronParams: return n * model::kParamWords;
      case proto::MemSpace::kWeights: return (e + n) * n / 2;
      case proto::MemSpace::kPlasticity: return 1024;
      case proto::MemSpace::kNeuronState: return n * 4;
    }
    return 0;
  }
};

// ---------------------------------------------------------------------------

Board::Board(std::unique_ptr<usb::Device> device, std::string uri, const BoardOptions& options)
    : impl_(std::make_unique<Impl>(std::move(device), std::move(uri), options)) {
  auto& m = *impl_;
  m.channel.open_uart(options.baud, options.latency_ms);
  // Frames end in 0x00: with it as the event character each frame leaves
  // the FTDI chip when complete, not at the latency timer.
  m.channel.set_event_char(std::uint8_t{0});
  m.io = std::thread([&m] { m.run(); });
  try {
    m.identify();
    // The board's time now: beacons come only when it moves.
    const auto t = read_reg(0x0021);
    std::lock_guard lock(m.mu);
    if (!m.board_now) m.board_now = t;
  } catch (...) {
    {
      std::lock_guard lock(m.mu);
      m.stopping = true;
    }
    m.io.join();
    throw;
  }
}

Board::~Board() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  if (impl_->io.joinable()) impl_->io.join();
}

const std::string& Board::uri() const { return impl_->uri; }
const proto::Identify& Board::identity() const { return impl_->ident; }

void Board::reset(bool link_counters) {
  auto& m = *impl_;
  std::uint64_t barrier;
  {
    // Events not yet sent would be cleared by the reset anyway: they are
    // discarded here, and counted.
    std::lock_guard lock(m.mu);
    m.host.events_discarded_by_reset += m.send_queue.size();
    m.events_queued -= m.send_queue.size();
    m.send_queue.clear();
    barrier = m.events_taken;
    m.horizon = 0;
  }
  m.call_as<proto::Ack>(proto::Control{proto::ControlOp::kReset, link_counters ? 1u : 0u}, true, barrier);
  // The board's time after the reset (0 on spikelink gateware), unless a
  // beacon has said it already.
  const std::uint32_t t = read_reg(0x0021);
  std::lock_guard lock(m.mu);
  if (!m.board_now) m.board_now = t;
}

void Board::start(std::optional<std::uint32_t> tick_cycles) {
  if (tick_cycles) write_reg(0x0010, *tick_cycles);
  // Not ordered: queued events are due later and go as credit allows.
  impl_->control(proto::ControlOp::kStart, 0, false);
  std::lock_guard lock(impl_->mu);
  impl_->horizon.reset();
}

void Board::stop() {
  impl_->control(proto::ControlOp::kStop, 0, false);
  std::lock_guard lock(impl_->mu);
  impl_->horizon = impl_->board_now.value_or(0);  // step() moves it on
}

void Board::step(std::uint64_t n) {
  auto& m = *impl_;
  const std::uint64_t capacity = m.ident.event_credits;
  while (n > 0) {
    // A chunk whose queued events all fit in the board's input FIFO, so
    // every event is in the board before the timestep it is due in.
    std::uint64_t k;
    std::uint64_t start;
    std::uint64_t barrier;
    {
      std::lock_guard lock(m.mu);
      m.check_alive();
      start = m.board_now.value_or(0);
      k = std::min<std::uint64_t>({n, kMaxAhead, 0xFFFFFFFFu});
      std::uint64_t count = 0;
      for (const auto& e : m.send_queue) {
        const std::uint64_t bt = e.timestep > m.epoch ? e.timestep - m.epoch : 0;
        if (bt >= start + k) break;
        if (count + 1 > capacity) {
          k = std::max<std::uint64_t>(1, bt > start ? bt - start : 1);
          break;
        }
        ++count;
      }
      // The events due before the chunk ends go first (those of one
      // overfull timestep beyond the FIFO would arrive late: counted).
      count = 0;
      for (const auto& e : m.send_queue) {
        const std::uint64_t bt = e.timestep > m.epoch ? e.timestep - m.epoch : 0;
        if (bt >= start + k) break;
        ++count;
      }
      barrier = m.events_taken + count;
    }
    {
      std::lock_guard lock(m.mu);
      m.horizon = start + k;
    }
    m.call_as<proto::Ack>(proto::Control{proto::ControlOp::kStep, static_cast<std::uint32_t>(k)}, true, barrier);
    // Generous: a timestep of the plastic core at the slowest link.
    const auto timeout = std::chrono::milliseconds(m.options.command_timeout.count() + static_cast<long long>(k) * 50);
    m.wait_board_time(start + k, timeout);
    n -= k;
  }
}

std::uint64_t Board::time() const {
  std::lock_guard lock(impl_->mu);
  return impl_->epoch + impl_->board_now.value_or(0);
}

void Board::wait_time(std::uint64_t t, std::chrono::milliseconds timeout) {
  std::uint64_t epoch;
  {
    std::lock_guard lock(impl_->mu);
    epoch = impl_->epoch;
  }
  impl_->wait_board_time(t > epoch ? t - epoch : 0, timeout);
}

std::uint32_t Board::read_reg(std::uint16_t addr) { return read_regs(addr, 1).at(0); }

std::vector<std::uint32_t> Board::read_regs(std::uint16_t addr, unsigned count) {
  std::vector<std::uint32_t> out;
  while (count > 0) {
    const auto k = static_cast<std::uint8_t>(std::min<unsigned>(count, proto::kMaxRegReadCount));
    auto d = impl_->call_as<proto::RegData>(proto::RegRead{addr, k});
    if (d.values.size() != k || d.addr != addr)
      throw BoardError(BoardError::Kind::kRefused, "REG_DATA does not match the request (" + impl_->uri + ")");
    out.insert(out.end(), d.values.begin(), d.values.end());
    addr = static_cast<std::uint16_t>(addr + k);
    count -= k;
  }
  return out;
}

void Board::write_reg(std::uint16_t addr, std::uint32_t value) {
  impl_->call_as<proto::Ack>(proto::RegWrite{{{addr, value}}});
}

void Board::write_mem(proto::MemSpace space, std::uint32_t addr, std::span<const std::uint16_t> words) {
  while (!words.empty()) {
    const std::size_t k = std::min(words.size(), proto::kMaxMemWords);
    proto::MemWrite w{space, addr, std::vector<std::uint16_t>(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(k))};
    impl_->call_as<proto::Ack>(std::move(w));
    words = words.subspan(k);
    addr += static_cast<std::uint32_t>(k);
  }
}

std::vector<std::uint16_t> Board::read_mem(proto::MemSpace space, std::uint32_t addr, std::size_t count) {
  std::vector<std::uint16_t> out;
  out.reserve(count);
  while (count > 0) {
    const auto k = static_cast<std::uint8_t>(std::min(count, proto::kMaxMemWords));
    auto d = impl_->call_as<proto::MemData>(proto::MemRead{space, addr, k});
    if (d.words.size() != k || d.addr != addr || d.space != space)
      throw BoardError(BoardError::Kind::kRefused, "MEM_DATA does not match the request (" + impl_->uri + ")");
    out.insert(out.end(), d.words.begin(), d.words.end());
    addr += k;
    count -= k;
  }
  return out;
}

std::vector<std::uint16_t> weight_words(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint16_t> words(bytes.size() / 2);
  for (std::size_t i = 0; i < words.size(); ++i)
    words[i] = static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return words;
}

std::vector<proto::MemWrite> network_writes(const Network& net, std::size_t n_all, std::size_t e,
                                           const std::string& where) {
  const std::size_t sources = e + n_all;
  if (net.neurons.size() > n_all)
    throw BoardError(BoardError::Kind::kUsage, "the network has " + std::to_string(net.neurons.size()) +
                                                   " neurons; " + where + " has " + std::to_string(n_all));
  if (!net.weights.empty() && net.weights.size() != sources * n_all)
    throw BoardError(BoardError::Kind::kUsage, "weights must be (inputs + neurons) x neurons = " +
                                                   std::to_string(sources * n_all) + " bytes for " + where +
                                                   ", got " + std::to_string(net.weights.size()));
  std::vector<proto::MemWrite> out;
  const auto chunk = [&out](proto::MemSpace space, std::uint32_t addr, std::span<const std::uint16_t> words) {
    while (!words.empty()) {
      const std::size_t k = std::min(words.size(), proto::kMaxMemWords);
      out.push_back(proto::MemWrite{space, addr, std::vector<std::uint16_t>(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(k))});
      words = words.subspan(k);
      addr += static_cast<std::uint32_t>(k);
    }
  };
  std::vector<std::uint16_t> params(n_all * model::kParamWords, 0);
  for (std::size_t n = 0; n < net.neurons.size(); ++n) {
    const auto w = model::to_words(net.neurons[n]);
    std::copy(w.begin(), w.end(), params.begin() + static_cast<std::ptrdiff_t>(n * model::kParamWords));
  }
  chunk(proto::MemSpace::kNeuronParams, 0, params);
  chunk(proto::MemSpace::kWeights, 0,
        net.weights.empty() ? std::vector<std::uint16_t>(sources * n_all / 2, 0) : weight_words(net.weights));
  if (net.plasticity) {
    for (const auto& [addr, word] : plasticity_words(*net.plasticity))
      chunk(proto::MemSpace::kPlasticity, addr, std::span<const std::uint16_t>(&word, 1));
  }
  return out;
}

std::vector<std::uint16_t> rest_state_words(const Network& net, std::size_t neurons) {
  std::vector<std::uint16_t> state(neurons * 4, 0);
  for (std::size_t n = 0; n < net.neurons.size() && n < neurons; ++n)
    state[4 * n] = static_cast<std::uint16_t>(net.neurons[n].v_rest);
  return state;
}

std::vector<std::pair<std::string, std::uint64_t>> named_counters(const BoardCounters& c) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < proto::kNumCounterIds; ++i) {
    const auto name = proto::to_string(static_cast<proto::CounterId>(i));
    if (name != "unknown_counter") out.emplace_back(std::string(name), c.board[i]);
  }
  // The host's side of the link: what it dropped or found wrong.
  out.emplace_back("host_ring_dropped", c.host.ring_dropped);
  out.emplace_back("host_board_errors", c.host.board_errors);
  out.emplace_back("host_line_errors", c.host.line_errors);
  out.emplace_back("host_rx_seq_lost", c.host.rx.seq_lost);
  out.emplace_back("host_rx_malformed", c.host.rx.malformed);
  out.emplace_back("host_rx_crc_errors", c.host.rx.framing.crc_errors);
  out.emplace_back("host_rx_cobs_errors", c.host.rx.framing.cobs_errors);
  out.emplace_back("host_rx_bytes_discarded", c.host.rx.framing.bytes_discarded);
  out.emplace_back("host_events_discarded_by_reset", c.host.events_discarded_by_reset);
  return out;
}

std::vector<std::uint8_t> network_blob(const Network& net, std::size_t neurons, std::size_t inputs) {
  auto writes = network_writes(net, neurons, inputs, "the board");
  // Then every neuron of the network at rest (v = v_rest), so a board that
  // boots with the blob runs the network from its first timestep.
  const auto state = rest_state_words(net, neurons);
  for (std::size_t at = 0; at < state.size(); at += proto::kMaxMemWords) {
    const std::size_t k = std::min(proto::kMaxMemWords, state.size() - at);
    writes.push_back(proto::MemWrite{proto::MemSpace::kNeuronState, static_cast<std::uint32_t>(at),
                                     std::vector<std::uint16_t>(state.begin() + static_cast<std::ptrdiff_t>(at),
                                                                state.begin() + static_cast<std::ptrdiff_t>(at + k))});
  }
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  for (auto& w : writes) tx.append(std::move(w), wire);
  return wire;
}

void Board::load(const Network& net) {
  const auto& id = impl_->ident;
  for (auto& w : network_writes(net, id.neurons, id.inputs, impl_->uri)) impl_->call_as<proto::Ack>(std::move(w));
}

std::vector<std::uint8_t> Board::read_weights() {
  const auto& id = impl_->ident;
  const auto words = read_mem(proto::MemSpace::kWeights, 0, impl_->space_words(proto::MemSpace::kWeights));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(id.inputs + id.neurons) * id.neurons);
  for (std::size_t i = 0; i < words.size(); ++i) {
    out[2 * i] = static_cast<std::uint8_t>(words[i] & 0xFF);
    out[2 * i + 1] = static_cast<std::uint8_t>(words[i] >> 8);
  }
  return out;
}

void Board::write_weights(std::span<const std::uint8_t> weights) {
  const auto& id = impl_->ident;
  const std::size_t want = static_cast<std::size_t>(id.inputs + id.neurons) * id.neurons;
  if (weights.size() != want)
    throw BoardError(BoardError::Kind::kUsage, "weights must be (inputs + neurons) x neurons = " +
                                                   std::to_string(want) + " bytes for " + impl_->uri + ", got " +
                                                   std::to_string(weights.size()));
  write_mem(proto::MemSpace::kWeights, 0, weight_words(weights));
}

std::vector<model::NeuronState> Board::read_state() {
  const auto words = read_mem(proto::MemSpace::kNeuronState, 0, impl_->space_words(proto::MemSpace::kNeuronState));
  std::vector<model::NeuronState> out(words.size() / 4);
  for (std::size_t n = 0; n < out.size(); ++n) {
    out[n].v = static_cast<std::int16_t>(words[4 * n]);
    out[n].a = words[4 * n + 1];
    out[n].r = static_cast<std::uint8_t>(words[4 * n + 2]);
  }
  return out;
}

std::vector<model::NeuronRegs> Board::read_params() {
  const auto words = read_mem(proto::MemSpace::kNeuronParams, 0, impl_->space_words(proto::MemSpace::kNeuronParams));
  std::vector<model::NeuronRegs> out(words.size() / model::kParamWords);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = model::from_words(words.data() + n * model::kParamWords);
  return out;
}

void Board::send(std::span<const proto::SpikeEvent> events) {
  auto& m = *impl_;
  std::unique_lock lock(m.mu);
  for (const auto& e : events) {
    if (e.timestep < m.last_queued_time)
      throw BoardError(BoardError::Kind::kUsage, "events must be sent in time order: timestep " +
                                                     std::to_string(e.timestep) + " after " +
                                                     std::to_string(m.last_queued_time));
    if (e.address >= m.ident.inputs)
      throw BoardError(BoardError::Kind::kUsage, "input channel " + std::to_string(e.address) + " does not exist on " +
                                                     m.uri + " (it has " + std::to_string(m.ident.inputs) + ")");
  }
  for (const auto& e : events) {
    while (m.send_queue.size() >= m.options.send_queue) {
      m.check_alive();
      m.cv.wait_for(lock, 50ms);
    }
    m.check_alive();
    m.send_queue.push_back(e);
    m.last_queued_time = e.timestep;
    ++m.events_queued;
  }
}

void Board::flush() {
  auto& m = *impl_;
  std::unique_lock lock(m.mu);
  const std::uint64_t target = m.events_queued;
  while (m.events_taken < target || m.credit.in_flight() > 0) {
    m.check_alive();
    m.cv.wait_for(lock, 50ms);
  }
}

void Board::on_spikes(std::function<void(std::span<const proto::SpikeEvent>)> callback) {
  std::lock_guard lock(impl_->mu);
  impl_->callback = std::move(callback);
}

std::size_t Board::pull(std::span<proto::SpikeEvent> out) { return impl_->ring.pop(out); }

BoardCounters Board::counters() {
  auto& m = *impl_;
  BoardCounters c;
  for (std::size_t first = 0; first < proto::kNumCounterIds; first += proto::kMaxRegReadCount) {
    const auto count = static_cast<std::uint8_t>(std::min(proto::kNumCounterIds - first, proto::kMaxRegReadCount));
    const auto r = m.call_as<proto::Counters>(proto::CountersReq{static_cast<std::uint8_t>(first), count});
    std::lock_guard lock(m.mu);
    for (std::size_t i = 0; i < r.values.size() && first + i < proto::kNumCounterIds; ++i) {
      const std::size_t id = first + i;
      m.counter_total[id] += static_cast<std::uint32_t>(r.values[i] - m.counter_last[id]);
      m.counter_last[id] = r.values[i];
    }
  }
  std::lock_guard lock(m.mu);
  c.board = m.counter_total;
  c.host = m.host;
  return c;
}

HostCounters Board::host_counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->host;
}

std::vector<std::string> Board::board_errors() const {
  std::lock_guard lock(impl_->mu);
  return impl_->errors;
}

// ---------------------------------------------------------------------------

std::vector<std::pair<std::uint32_t, std::uint16_t>> plasticity_words(const Network::Plasticity& p) {
  std::vector<std::pair<std::uint32_t, std::uint16_t>> w;
  w.emplace_back(0x000, static_cast<std::uint16_t>((p.plastic ? 1 : 0) | (p.learning ? 2 : 0)));
  const auto& v = p.variability;
  w.emplace_back(0x003, static_cast<std::uint16_t>(v.d2d_seed & 0xFFFF));
  w.emplace_back(0x004, static_cast<std::uint16_t>(v.d2d_seed >> 16));
  w.emplace_back(0x005, static_cast<std::uint16_t>(v.d2d_amp | (v.c2c_amp << 8)));
  w.emplace_back(0x001, static_cast<std::uint16_t>(v.c2c_seed & 0xFFFF));
  w.emplace_back(0x002, static_cast<std::uint16_t>(v.c2c_seed >> 16));
  for (unsigned g = 0; g < model::kGroups; ++g) {
    const auto& c = p.groups[g];
    const unsigned levels = std::clamp<unsigned>(c.tables.levels, 1, model::kMaxLevels);
    const std::uint32_t base = 0x010 + 8 * g;
    w.emplace_back(base + 0, static_cast<std::uint16_t>(static_cast<unsigned>(c.rule) | (c.inhibitory ? 4u : 0u) |
                                                        ((levels - 1) << 8)));
    w.emplace_back(base + 1, c.w_plus);
    w.emplace_back(base + 2, c.w_minus);
    w.emplace_back(base + 3, c.rate_window);
    w.emplace_back(base + 4, static_cast<std::uint16_t>(c.rate_high | (c.rate_low << 8)));
    for (unsigned l = 0; l < model::kMaxLevels; ++l)
      w.emplace_back(0x100 + 64 * g + l, static_cast<std::uint16_t>(c.tables.pot[l] | (c.tables.dep[l] << 8)));
  }
  for (unsigned k = 0; k < model::kRateSlots; ++k) {
    const int s = p.rate_slots[k];
    w.emplace_back(0x040 + k, static_cast<std::uint16_t>(s < 0 ? 0 : (0x8000 | (static_cast<unsigned>(s) & 0x1FF))));
  }
  return w;
}

std::string DeviceUri::param(const std::string& key, const std::string& fallback) const {
  for (const auto& [k, v] : query)
    if (k == key) return v;
  return fallback;
}

DeviceUri parse_uri(const std::string& uri) {
  DeviceUri u;
  const auto sep = uri.find("://");
  if (sep == std::string::npos)
    throw BoardError(BoardError::Kind::kUsage, "device URI '" + uri +
                                                   "' has no scheme: use sim://, tcp://HOST:PORT, usb://, "
                                                   "usb://0403:6010?serial=S or model://");
  u.scheme = uri.substr(0, sep);
  std::string rest = uri.substr(sep + 3);
  std::string query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string item = query.substr(0, amp);
    query = amp == std::string::npos ? std::string() : query.substr(amp + 1);
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw BoardError(BoardError::Kind::kUsage, "device URI '" + uri + "': '" + item + "' is not key=value");
    u.query.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  auto bad = [&](const std::string& why) { return BoardError(BoardError::Kind::kUsage, "device URI '" + uri + "': " + why); };
  auto parse_hex16 = [&](const std::string& s) -> std::uint16_t {
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      throw bad("'" + s + "' is not a 16-bit hex USB id");
    return static_cast<std::uint16_t>(std::stoul(s, nullptr, 16));
  };
  if (u.scheme == "sim" || u.scheme == "model") {
    if (!rest.empty()) throw bad(u.scheme + ":// takes no host ('" + rest + "')");
  } else if (u.scheme == "tcp") {
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) throw bad("tcp:// needs HOST:PORT");
    u.host = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      throw bad("'" + port + "' is not a TCP port (1..65535)");
    u.port = static_cast<std::uint16_t>(std::stoul(port));
  } else if (u.scheme == "usb") {
    if (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon == std::string::npos) throw bad("usb:// takes VID:PID in hex, e.g. usb://0403:6010");
      u.vid = parse_hex16(rest.substr(0, colon));
      u.pid = parse_hex16(rest.substr(colon + 1));
    }
  } else {
    throw bad("unknown scheme '" + u.scheme + "': use sim://, tcp://HOST:PORT, usb:// or model://");
  }
  return u;
}

}  // namespace spikelink
