// sim::ModelBoard, the board behind model://, driven through sim::ChannelPort
// with the host codec exactly as a host drives a board (docs/link.md §1–§2).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <tuple>
#include <variant>
#include <vector>

#include "../common/networks.hpp"
#include "model/model_board.hpp"
#include "spikelink/framing.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/version.hpp"

using namespace spikelink;
using namespace spikelink::proto;
using sim::ModelBoard;
using sim::ModelBoardOptions;

namespace {

struct RawCopy {
  std::uint8_t type;
  std::uint8_t seq;
  std::vector<std::uint8_t> body;
};

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v));
  put16(b, static_cast<std::uint16_t>(v >> 16));
}

// The reply's req_seq (ERROR: ref_seq), if `m` is a reply to a command.
std::optional<std::uint8_t> reply_to(const Message& m) {
  if (const auto* v = std::get_if<RegData>(&m)) return v->req_seq;
  if (const auto* v = std::get_if<MemData>(&m)) return v->req_seq;
  if (const auto* v = std::get_if<Ack>(&m)) return v->req_seq;
  if (const auto* v = std::get_if<Counters>(&m)) return v->req_seq;
  if (const auto* v = std::get_if<Error>(&m)) return v->ref_seq;
  return std::nullopt;
}

// A host: the codec, credit accounting and a byte pipe to the board.
class Host {
 public:
  explicit Host(ModelBoardOptions o = {}) : board(o) {}

  ModelBoard board;
  Transmitter tx;
  Receiver rx{Sender::kBoard};
  CreditTracker credits;
  std::deque<std::uint8_t> to_board;
  std::vector<Message> got;      // every board frame, in order (SPIKES as SpikeBatch)
  std::vector<RawCopy> raw;      // the same frames, undecoded
  std::vector<SpikeEvent> spikes;
  std::vector<std::uint64_t> beacons;

  // Receiver handler.
  void on_spikes(std::uint64_t base, std::span<const SpikeEvent> ev, std::uint8_t) {
    got.emplace_back(SpikeBatch{base, {ev.begin(), ev.end()}});
    if (ev.empty()) beacons.push_back(base);
    spikes.insert(spikes.end(), ev.begin(), ev.end());
  }
  void on_message(const Message& m, std::uint8_t) {
    if (const auto* c = std::get_if<Credit>(&m)) credits.on_credit(*c);
    got.push_back(m);
  }

  std::uint8_t send(const Message& m) {
    std::vector<std::uint8_t> w;
    const std::uint8_t seq = tx.append(m, w);
    to_board.insert(to_board.end(), w.begin(), w.end());
    std::uint32_t events = 0;
    if (const auto* b = std::get_if<SpikeBatch>(&m)) events = static_cast<std::uint32_t>(b->events.size());
    credits.on_sent(seq, events, type_of(m) == FrameType::kSpikes ? 0 : 1);
    return seq;
  }
  // A frame of any type and body with the next sequence number.
  std::uint8_t send_raw(std::uint8_t type, const std::vector<std::uint8_t>& body) {
    const std::uint8_t seq = tx.next_seq();
    std::vector<std::uint8_t> hb{type, seq};
    hb.insert(hb.end(), body.begin(), body.end());
    std::vector<std::uint8_t> w;
    append_wire_frame(hb, w);
    to_board.insert(to_board.end(), w.begin(), w.end());
    std::vector<std::uint8_t> discard;
    tx.append(IdentifyReq{}, discard);  // the transmitter's sequence moves on
    credits.on_sent(seq, 0, type == 0x01 ? 0 : 1);
    return seq;
  }
  // A frame lost on the way: its sequence number is used, nothing arrives.
  std::uint8_t lose(const Message& m) {
    std::vector<std::uint8_t> discard;
    return tx.append(m, discard);
  }

  void run(std::uint64_t cycles) {
    std::vector<std::uint8_t> from;
    board.run(cycles, to_board, from);
    rx.feed(from, *this);
    raw_decoder_.feed(from, [&](const RawFrame& f) {
      raw.push_back({f.type, f.seq, std::vector<std::uint8_t>(f.body.begin(), f.body.end())});
    });
  }
  template <class Pred>
  bool run_until(Pred pred, std::uint64_t limit = 50'000'000, std::uint64_t slice = 64) {
    for (std::uint64_t done = 0; done < limit; done += slice) {
      if (pred()) return true;
      run(slice);
    }
    return pred();
  }

  // Sends a command and runs until its (first) reply; returns its index in got.
  std::size_t request(const Message& m) {
    const std::size_t from = got.size();
    const std::uint8_t seq = send(m);
    const bool identify = type_of(m) == FrameType::kIdentifyReq;
    std::size_t at = 0;
    const bool ok = run_until([&] {
      for (std::size_t i = from; i < got.size(); ++i) {
        if ((identify && std::holds_alternative<Identify>(got[i])) || reply_to(got[i]) == seq) {
          at = i;
          return true;
        }
      }
      return false;
    });
    REQUIRE(ok);
    return at;
  }
  template <class T>
  T reply(const Message& m) {
    const std::size_t i = request(m);
    REQUIRE(std::holds_alternative<T>(got[i]));
    return std::get<T>(got[i]);
  }

  std::vector<std::uint32_t> read_regs(std::uint16_t addr, std::uint8_t count) {
    return reply<RegData>(RegRead{addr, count}).values;
  }
  std::uint32_t reg(std::uint16_t addr) { return read_regs(addr, 1).at(0); }
  std::uint32_t counter(std::uint8_t id) { return reply<Counters>(CountersReq{id, 1}).values.at(0); }
  void write_reg(std::uint16_t addr, std::uint32_t value) {
    CHECK(reply<Ack>(RegWrite{{{addr, value}}}).status == Status::kOk);
  }
  void control(ControlOp op, std::uint32_t arg = 0) {
    const Ack a = reply<Ack>(Control{op, arg});
    CHECK(a.req_type == FrameType::kControl);
  }
  // MEM_READ, its MEM_DATA checked byte by byte from the raw frame.
  std::vector<std::uint16_t> read_mem(std::uint8_t space, std::uint32_t addr, std::uint8_t count) {
    const std::size_t raw_from = raw.size();
    const std::uint8_t seq = send_raw(0x08, [&] {
      std::vector<std::uint8_t> b{space};
      put32(b, addr);
      b.push_back(count);
      return b;
    }());
    std::optional<std::vector<std::uint16_t>> words;
    REQUIRE(run_until([&] {
      for (std::size_t i = raw_from; i < raw.size(); ++i) {
        const RawCopy& f = raw[i];
        if (f.type != 0x09 || f.body.size() < 8 || f.body[0] != seq) continue;
        CHECK(f.body[1] == space);
        CHECK(le32(f.body.data() + 2) == addr);
        std::vector<std::uint16_t> w;
        for (std::size_t k = 6; k + 1 < f.body.size(); k += 2) w.push_back(le16(f.body.data() + k));
        words = w;
        return true;
      }
      return false;
    }));
    return *words;
  }
  static std::vector<std::uint8_t> mem_body(std::uint8_t space, std::uint32_t addr,
                                            const std::vector<std::uint16_t>& words) {
    std::vector<std::uint8_t> b{space};
    put32(b, addr);
    for (auto w : words) put16(b, w);
    return b;
  }
  Ack write_mem(std::uint8_t space, std::uint32_t addr, const std::vector<std::uint16_t>& words) {
    const std::size_t from = got.size();
    const std::uint8_t seq = send_raw(0x07, mem_body(space, addr, words));
    std::optional<Ack> ack;
    REQUIRE(run_until([&] {
      for (std::size_t i = from; i < got.size(); ++i) {
        if (const auto* a = std::get_if<Ack>(&got[i]); a && a->req_seq == seq) {
          ack = *a;
          return true;
        }
      }
      return false;
    }));
    return *ack;
  }
  void identify() {
    request(IdentifyReq{});
    run(1);
    REQUIRE(credits.has_report());
  }
  // After reset every parameter is 0 and a neuron at v 0 >= threshold 0
  // fires every timestep: raise every threshold out of reach.
  void quiet() {
    std::vector<std::uint16_t> params(2048, 0);
    for (std::size_t n = 0; n < 256; ++n) params[n * model::kParamWords + 2] = 0x7FFF;
    for (std::uint32_t a = 0; a < params.size(); a += kMaxMemWords) {
      const std::size_t k = std::min<std::size_t>(kMaxMemWords, params.size() - a);
      REQUIRE(write_mem(0, a, {params.begin() + a, params.begin() + a + static_cast<long>(k)}).status == Status::kOk);
    }
  }
  void step(std::uint32_t n) {
    control(ControlOp::kStep, n);
    const std::uint64_t target = board.core().time() + board.steps_owed() + (board.timestep_running() ? 1 : 0);
    REQUIRE(run_until([&] { return !beacons.empty() && beacons.back() == target; }));
  }
  std::vector<Message> since(std::size_t i) const { return {got.begin() + static_cast<long>(i), got.end()}; }
  std::vector<SpikeBatch> batches_since(std::size_t i) const {
    std::vector<SpikeBatch> out;
    for (std::size_t k = i; k < got.size(); ++k) {
      if (const auto* b = std::get_if<SpikeBatch>(&got[k]); b && !b->events.empty()) out.push_back(*b);
    }
    return out;
  }

 private:
  FrameDecoder raw_decoder_;
};

// Neuron n fires every (t_ref + 1) timesteps: its threshold is below rest.
void make_regular(Host& h, unsigned n, std::uint8_t t_ref) {
  model::NeuronRegs r;
  r.v_rest = 0;
  r.v_reset = 0;
  r.v_thresh = -256;
  r.w_scale = 1;
  r.t_ref = t_ref;
  CHECK(h.write_mem(0, n * model::kParamWords, model::to_words(r)).status == Status::kOk);
}

// Bytes leave the moment they are made: replies arrive in the clock their
// command is processed, for tests that count clocks.
ModelBoardOptions instant() {
  ModelBoardOptions o;
  o.tx_bytes_per_clock = 0;
  return o;
}

bool is_credit_for(const Message& m, std::uint8_t seq) {
  const auto* c = std::get_if<Credit>(&m);
  return c && c->last_seq == seq && c->command_free == 1;
}

}  // namespace

TEST_CASE("model board: IDENTIFY_REQ gets IDENTIFY, then CREDIT") {
  Host h;
  CHECK(h.credits.commands_available() == 1);
  CHECK(h.credits.events_available() == 0);
  const std::uint8_t seq = h.send(IdentifyReq{});
  // One byte a clock: IDENTIFY is 42 wire bytes, CREDIT 12.
  h.run(41);
  CHECK(h.got.empty());
  h.run(1);
  CHECK(h.got.size() == 1);
  h.run(11);
  CHECK(h.got.size() == 1);
  h.run(1);
  REQUIRE(h.got.size() == 2);
  REQUIRE(std::holds_alternative<Identify>(h.got[0]));
  const Identify id = std::get<Identify>(h.got[0]);
  CHECK(id.magic == kMagic);
  CHECK(id.proto_major == 1);
  CHECK(id.proto_minor == 0);
  CHECK(id.gw_major == spikelink::kVersionMajor);
  CHECK(id.gw_minor == spikelink::kVersionMinor);
  CHECK(id.gw_patch == spikelink::kVersionPatch);
  CHECK(id.board_id == sim::kModelBoardId);
  CHECK(id.clock_hz == 24'000'000u);
  CHECK(id.neurons == 256);
  CHECK(id.inputs == 256);
  CHECK(id.weight_bits == 8);
  CHECK(id.levels == 64);
  CHECK(id.event_credits == 512);
  CHECK(id.command_credits == 1);
  CHECK(id.capabilities == 0x7u);
  CHECK(std::get<Credit>(h.got[1]) == Credit{seq, 512, 1});
  CHECK(h.credits.events_available() == 512);
  CHECK(h.credits.commands_available() == 1);
  CHECK(h.rx.counters().seq_lost == 0);
  CHECK(h.rx.counters().malformed == 0);
  CHECK(h.board.cycles() == 54);
}

TEST_CASE("model board: the options set IDENTIFY and the identity registers") {
  ModelBoardOptions o;
  o.clock_hz = 48'000'000;
  o.board_id = 7;
  o.build_hash = 0xCAFEF00D;
  o.gw_major = 2;
  o.gw_minor = 3;
  o.gw_patch = 4;
  Host h(o);
  const std::size_t i = h.request(IdentifyReq{});
  const Identify id = std::get<Identify>(h.got[i]);
  CHECK(id.clock_hz == 48'000'000u);
  CHECK(id.board_id == 7);
  CHECK(id.build_hash == 0xCAFEF00Du);
  const auto r = h.read_regs(0x0000, 8);
  CHECK(r == std::vector<std::uint32_t>{0x4C4B5053u, 0x100u, 0x020304u, 0xCAFEF00Du, 7u, 48'000'000u,
                                        256u | (256u << 16), 0x7u});
  CHECK(h.reg(0x0010) == 48'000u);  // TICK_CYCLES: 1 ms
  ModelBoardOptions bad;
  bad.step_cycles = 0;
  CHECK_THROWS_AS((void)ModelBoard{bad}, std::invalid_argument);
}

TEST_CASE("model board: registers read, write, refuse read-only and unknown addresses, and report ranges") {
  Host h(instant());
  h.identify();
  CHECK(h.read_regs(0x0010, 4) == std::vector<std::uint32_t>{24'000u, 1000u, 1024u, 0u});
  CHECK(h.read_regs(0x0020, 4) == std::vector<std::uint32_t>{0u, 0u, 512u, 0u});

  // Writes in order; SCRATCH and FLUSH_CYCLES are read-write.
  CHECK(h.reply<Ack>(RegWrite{{{0x0013, 0xDEADBEEF}, {0x0012, 77}, {0x0013, 0x12345678}}}).status == Status::kOk);
  CHECK(h.read_regs(0x0012, 2) == std::vector<std::uint32_t>{77u, 0x12345678u});

  // A read-only or unknown register is skipped; the rest are written.
  std::size_t mark = h.got.size();
  const Ack a = h.reply<Ack>(RegWrite{{{0x0000, 1}, {0x0013, 5}, {0x0008, 9}, {0x0021, 100}}});
  CHECK(a.req_type == FrameType::kRegWrite);
  CHECK(a.status == Status::kBadAddress);
  h.run(1);
  CHECK(h.since(mark).size() == 2);  // ACK, CREDIT: a refused write is no ERROR
  CHECK(h.reg(0x0013) == 5u);
  CHECK(h.reg(0x0000) == 0x4C4B5053u);
  CHECK(h.reg(0x0021) == 0u);

  // A range with an address that is no register: ERROR naming the first,
  // instead of REG_DATA (a command has one reply), then CREDIT.
  mark = h.got.size();
  const std::uint8_t seq = h.send(RegRead{0x0006, 4});
  h.run(1);
  auto r = h.since(mark);
  REQUIRE(r.size() == 2);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq, 0x05, 0x0008});
  CHECK(is_credit_for(r[1], seq));
  CHECK(h.read_regs(0x0006, 2) == std::vector<std::uint32_t>{256u | (256u << 16), 0x7u});

  // The counter registers: 0x0100..0x012F.
  mark = h.got.size();
  CHECK(h.read_regs(0x0100, 48).size() == 48);
  h.run(1);
  CHECK(h.since(mark).size() == 2);
  mark = h.got.size();
  const std::uint8_t seq2 = h.send(RegRead{0x012F, 2});
  h.run(1);
  r = h.since(mark);
  REQUIRE(r.size() == 2);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq2, 0x05, 0x0130});
  // Past 0xFFFF is no register (no wrap to 0x0000).
  mark = h.got.size();
  const std::uint8_t seq3 = h.send(RegRead{0xFFFF, 2});
  h.run(1);
  r = h.since(mark);
  REQUIRE(r.size() == 2);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq3, 0x05, 0xFFFF});
  mark = h.got.size();
  const std::uint8_t seq4 = h.send(RegRead{0x0030, 1});
  h.run(1);
  r = h.since(mark);
  REQUIRE(r.size() == 2);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq4, 0x05, 0x0030});

  // The same values as COUNTERS gives.
  h.write_reg(0x0013, 1);
  const auto via_reg = h.read_regs(0x0100, 16);
  const auto via_counters = h.reply<Counters>(CountersReq{0, 16}).values;
  CHECK(via_reg[9] == via_counters[9]);
  CHECK(via_reg[10] == via_counters[10]);
  CHECK(via_counters[0] == via_reg[0] + 1);  // the COUNTERS_REQ itself
  CHECK(via_counters[7] == via_reg[7] + 2);  // REG_DATA and CREDIT sent since
}

TEST_CASE("model board: COUNTERS past id 47 answer ERROR naming the first id past the last") {
  Host h(instant());
  h.identify();
  std::size_t mark = h.got.size();
  const std::uint8_t seq = h.send(CountersReq{40, 10});
  h.run(1);
  auto r = h.since(mark);
  REQUIRE(r.size() == 2);  // ERROR instead of COUNTERS, CREDIT
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq, 0x0D, 48});
  CHECK(is_credit_for(r[1], seq));
  mark = h.got.size();
  const std::uint8_t seq2 = h.send(CountersReq{200, 1});
  h.run(1);
  r = h.since(mark);
  REQUIRE(r.size() == 2);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq2, 0x0D, 200});
  // Ids 40..47 exist and read 0.
  const Counters c = h.reply<Counters>(CountersReq{40, 8});
  CHECK(c.first == 40);
  CHECK(c.values == std::vector<std::uint32_t>(8, 0));
  // 0..47 in one request: no error.
  mark = h.got.size();
  CHECK(h.reply<Counters>(CountersReq{0, 48}).values.size() == 48);
  h.run(1);
  CHECK(h.since(mark).size() == 2);
}

TEST_CASE("model board: MEM_WRITE and MEM_READ round trip on every space, and report words past the end") {
  Host h(instant());
  h.identify();
  // 0 parameters (word 7 is not stored), 1 weights, 2 plasticity (step tables),
  // 3 state (v, a, r, 0).
  struct Case {
    std::uint8_t space;
    std::uint32_t addr;
    std::vector<std::uint16_t> words;
    std::vector<std::uint16_t> expect;
    std::uint32_t size;
  };
  const std::vector<Case> cases = {
      {0, 5 * 8, {0x1234, 0xFEDC, 0x0100, 0x7FFF, 0x0A05, 0x0033, 0x4444, 0xFFFF},
       {0x1234, 0xFEDC, 0x0100, 0x7FFF, 0x0A05, 0x0033, 0x4444, 0x0000}, 2048},
      {1, 0xFFFD, {0x8001, 0x7F80, 0x0102}, {0x8001, 0x7F80, 0x0102}, 65536},
      {2, 0x100 + 64, {0x1122, 0x3344, 0x5566}, {0x1122, 0x3344, 0x5566}, 1024},
      {3, 9 * 4, {0xC000, 0x0123, 0x0005, 0x7777}, {0xC000, 0x0123, 0x0005, 0x0000}, 1024},
  };
  for (const Case& c : cases) {
    CAPTURE(c.space);
    CHECK(h.write_mem(c.space, c.addr, c.words).status == Status::kOk);
    CHECK(h.read_mem(c.space, c.addr, static_cast<std::uint8_t>(c.words.size())) == c.expect);
    for (std::size_t i = 0; i < c.expect.size(); ++i) {
      CHECK(h.board.core().read_mem(static_cast<model::Space>(c.space), c.addr + static_cast<std::uint32_t>(i)) ==
            c.expect[i]);
    }
    // Past the end: the words inside are written, and ERROR (instead of
    // ACK) names the first address beyond.
    std::size_t mark = h.got.size();
    const std::uint8_t ws = h.send_raw(0x07, Host::mem_body(c.space, c.size - 2, {0x0011, 0x0022, 0x0033, 0x0044}));
    h.run(1);
    auto r = h.since(mark);
    REQUIRE(r.size() == 2);
    CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, ws, 0x07, c.size});
    CHECK(is_credit_for(r[1], ws));
    // The space's last two words; params word 7, state word 3 and plasticity
    // 0x3FE..0x3FF store nothing.
    const std::vector<std::vector<std::uint16_t>> tail = {{0x0011, 0}, {0x0011, 0x0022}, {0, 0}, {0x0011, 0}};
    CHECK(h.read_mem(c.space, c.size - 2, 2) == tail[c.space]);
    // A read that passes the end: ERROR instead of MEM_DATA.
    for (const auto& [addr, count, detail] : {std::tuple<std::uint32_t, std::uint8_t, std::uint32_t>{c.size - 1, 3, c.size},
                                              {0xFFFFFFFF, 2, 0xFFFFFFFF},
                                              {c.size, 1, c.size}}) {
      mark = h.got.size();
      std::vector<std::uint8_t> body{c.space};
      put32(body, addr);
      body.push_back(count);
      const std::uint8_t rs = h.send_raw(0x08, body);
      h.run(1);
      r = h.since(mark);
      REQUIRE(r.size() == 2);
      CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, rs, 0x08, detail});
      CHECK(is_credit_for(r[1], rs));
    }
    // A write entirely past the end writes nothing.
    mark = h.got.size();
    const std::uint8_t ws2 = h.send_raw(0x07, Host::mem_body(c.space, 0xFFFFFFF0, {1, 2}));
    h.run(1);
    r = h.since(mark);
    REQUIRE(r.size() == 2);
    CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, ws2, 0x07, 0xFFFFFFF0});
  }
  CHECK(h.counter(10) == 0u);
  CHECK(h.counter(12) == 0u);
}

TEST_CASE("model board: STEP runs a network to the same spikes as the golden model run directly") {
  testing::NetworkSpec spec;
  spec.active_neurons = 64;
  spec.active_inputs = 64;
  spec.input_rate_hz = 60;
  spec.input_prob = 0.5;
  spec.recurrent_prob = 0.2;
  spec.input_w_min = -8;
  spec.input_w_max = 48;
  spec.rec_w_min = -32;
  spec.rec_w_max = 32;
  spec.random_params = true;
  spec.steps = 400;
  const testing::Network net = testing::make_network(11, spec);

  model::Core direct;
  testing::load_network(net, [&](unsigned s, std::uint32_t a, std::uint16_t w) {
    direct.write_mem(static_cast<model::Space>(s), a, w);
  });
  testing::run_network(net, direct);
  const std::vector<model::CoreSpike> expect = direct.take_spikes();
  REQUIRE(expect.size() > 100);

  Host h;
  h.identify();
  // The network as whole memory images, written 121 words at a time.
  std::vector<std::vector<std::uint16_t>> image = {std::vector<std::uint16_t>(2048), std::vector<std::uint16_t>(65536),
                                                   {}, std::vector<std::uint16_t>(1024)};
  testing::load_network(net, [&](unsigned s, std::uint32_t a, std::uint16_t w) { image.at(s).at(a) = w; });
  for (unsigned s : {0u, 1u, 3u}) {
    for (std::size_t a = 0; a < image[s].size(); a += kMaxMemWords) {
      const std::size_t n = std::min<std::size_t>(kMaxMemWords, image[s].size() - a);
      const std::vector<std::uint16_t> words(image[s].begin() + static_cast<long>(a),
                                             image[s].begin() + static_cast<long>(a + n));
      REQUIRE(h.write_mem(static_cast<std::uint8_t>(s), static_cast<std::uint32_t>(a), words).status == Status::kOk);
    }
  }
  CHECK(h.read_mem(1, 300, 4) == std::vector<std::uint16_t>(image[1].begin() + 300, image[1].begin() + 304));

  // As a driver: inputs as far ahead as credit allows, then STEP up to the
  // first input not sent; a beacon says the steps are done.
  std::size_t next = 0;
  std::uint64_t issued = 0;
  std::size_t batches_sent = 0;
  const std::size_t first_msg = h.got.size();
  while (issued < net.steps) {
    h.request(RegRead{0x0022, 1});  // any command: its CREDIT is up to date
    while (next < net.spikes.size() && h.credits.events_available() > 0) {
      const auto n = static_cast<std::size_t>(
          std::min<std::int64_t>({h.credits.events_available(), 60, static_cast<std::int64_t>(net.spikes.size() - next)}));
      SpikeBatch b{net.spikes[next].time, {}};
      for (std::size_t i = next; i < next + n; ++i) b.events.push_back({net.spikes[i].time, net.spikes[i].channel});
      h.send(b);
      next += n;
      ++batches_sent;
    }
    const std::uint64_t until = next < net.spikes.size() ? net.spikes[next].time : net.steps;
    REQUIRE(until > issued);
    h.step(static_cast<std::uint32_t>(until - issued));
    issued = until;
  }
  CHECK(batches_sent > 5);
  CHECK(h.board.core().time() == net.steps);
  REQUIRE(h.spikes.size() == expect.size());
  for (std::size_t i = 0; i < expect.size(); ++i) {
    CAPTURE(i);
    CHECK(h.spikes[i].timestep == expect[i].time);
    CHECK(h.spikes[i].address == expect[i].neuron);
  }
  CHECK(h.board.core().counters() == direct.counters());
  CHECK(h.counter(11) == 0u);
  CHECK(h.counter(13) == 0u);
  CHECK(h.counter(14) == 0u);
  CHECK(h.counter(34) == static_cast<std::uint32_t>(direct.counters().spikes));
  CHECK(h.counter(36) == static_cast<std::uint32_t>(direct.counters().sops));
  CHECK(h.reg(0x0022) == 512u);  // every input left the FIFO
  // Board batches: at most 122 records, no advance records.
  for (const RawCopy& f : h.raw) {
    if (f.type != 0x01) continue;
    CHECK(f.body.size() <= 4 + 2 * kMaxSpikeRecords);
    for (std::size_t k = 4; k + 1 < f.body.size(); k += 2) CHECK((le16(f.body.data() + k) >> 12) != 0xF);
  }
  CHECK(h.batches_since(first_msg).size() > 1);
  CHECK(h.rx.counters().seq_lost == 0);
  CHECK(h.rx.counters().malformed == 0);
}

TEST_CASE("model board: spike batches close at 122 records, on a gap over 14 timesteps, and after FLUSH_CYCLES") {
  Host h(instant());
  h.identify();
  h.quiet();
  SUBCASE("122 records") {
    for (unsigned n = 0; n < 200; ++n) make_regular(h, n, 0);
    const std::size_t mark = h.got.size();
    h.control(ControlOp::kStep, 1);
    h.run(2);  // the step ran: the full batch is out, the rest waits
    auto b = h.batches_since(mark);
    REQUIRE(b.size() == 1);
    CHECK(b[0].timestep == 0);
    CHECK(b[0].events.size() == 122);
    CHECK(h.board.read_register(0x0020) == 4u);  // STATUS: output spikes pending (the open batch)
    REQUIRE(h.run_until([&] { return !h.beacons.empty(); }));
    b = h.batches_since(mark);
    REQUIRE(b.size() == 2);
    CHECK(b[1].events.size() == 78);
    CHECK(b[1].events.front().address == 122);
    CHECK(h.beacons.back() == 1);
    CHECK(h.board.read_register(0x0020) == 0u);
  }
  SUBCASE("a gap of 14 stays in the batch, a gap of 20 closes it") {
    make_regular(h, 3, 13);  // fires at 0, 14, 28, 42
    make_regular(h, 9, 19);  // fires at 0, 20, 40
    const std::size_t mark = h.got.size();
    h.step(43);
    const auto b = h.batches_since(mark);
    // 0: 3, 9; 14: 3; 20: 9; 28: 3; 40: 9; 42: 3. No gap is over 14.
    REQUIRE(b.size() == 1);
    CHECK(b[0].events.size() == 7);
    // Only neuron 9 (every 20): each spike its own batch.
    h.control(ControlOp::kReset, 0);
    make_regular(h, 3, 255);
    CHECK(h.write_mem(0, 3 * 8 + 2, {0x7FFF}).status == Status::kOk);  // neuron 3: never fires
    const std::size_t mark2 = h.got.size();
    h.step(41);
    const auto b2 = h.batches_since(mark2);
    REQUIRE(b2.size() == 3);
    CHECK(b2[0].timestep == 0);
    CHECK(b2[1].timestep == 20);
    CHECK(b2[2].timestep == 40);
    for (const auto& x : b2) CHECK(x.events.size() == 1);
    // A gap of exactly 15 closes it too.
    h.control(ControlOp::kReset, 0);
    make_regular(h, 9, 14);  // fires at 0, 15, 30
    const std::size_t mark3 = h.got.size();
    h.step(31);
    const auto b3 = h.batches_since(mark3);
    REQUIRE(b3.size() == 3);
    CHECK(b3[1].timestep == 15);
  }
  SUBCASE("FLUSH_CYCLES") {
    make_regular(h, 1, 9);  // fires at 0, 10, 20
    std::size_t mark = h.got.size();
    h.step(21);
    CHECK(h.batches_since(mark).size() == 1);  // 10 timesteps are 10 clocks: within 1024
    h.write_reg(0x0012, 5);
    h.control(ControlOp::kReset, 0);
    mark = h.got.size();
    h.step(21);
    CHECK(h.batches_since(mark).size() == 3);  // a batch waits 5 clocks only
    // The batch leaves exactly FLUSH_CYCLES clocks after its last spike.
    h.write_reg(0x0012, 1024);
    h.control(ControlOp::kReset, 0);
    mark = h.got.size();
    h.send(Control{ControlOp::kStep, 1});
    h.run(1);  // the STEP, its ACK and CREDIT, and the timestep (1 clock)
    CHECK(h.batches_since(mark).empty());
    h.run(1023);
    CHECK(h.batches_since(mark).empty());
    h.run(1);
    CHECK(h.batches_since(mark).size() == 1);
    REQUIRE(!h.beacons.empty());
    CHECK(std::holds_alternative<SpikeBatch>(h.got.back()));
    CHECK(h.beacons.back() == 1);  // the beacon follows the batch at once
  }
  SUBCASE("a reply closes the open batch") {
    make_regular(h, 1, 0);
    const std::size_t mark = h.got.size();
    h.send(Control{ControlOp::kStep, 3});
    h.run(4);
    CHECK(h.batches_since(mark).empty());
    h.send(CountersReq{0, 1});
    h.run(1);
    const auto r = h.since(mark);
    // ACK, CREDIT, the batch (closed because a reply waits), COUNTERS,
    // CREDIT, and the beacon now that no batch is open.
    REQUIRE(r.size() == 6);
    CHECK(std::get<SpikeBatch>(r[2]).events.size() == 3);
    CHECK(std::holds_alternative<Counters>(r[3]));
    CHECK(std::holds_alternative<Credit>(r[4]));
    CHECK(std::get<SpikeBatch>(r[5]) == SpikeBatch{3, {}});
  }
}

TEST_CASE("model board: time beacons after steps, and every BEACON_PERIOD timesteps") {
  Host h(instant());
  h.identify();
  h.quiet();
  h.run(100'000);
  CHECK(h.beacons.empty());  // time has not moved
  h.step(5);
  CHECK(h.beacons == std::vector<std::uint64_t>{5});
  h.run(100'000);
  CHECK(h.beacons.size() == 1);  // idle, time unchanged: no more
  h.step(2500);
  CHECK(h.beacons == std::vector<std::uint64_t>{5, 1005, 2005, 2505});
  h.write_reg(0x0011, 0);  // BEACON_PERIOD 0 means 1
  h.step(3);
  CHECK(h.beacons == std::vector<std::uint64_t>{5, 1005, 2005, 2505, 2506, 2507, 2508});

  SUBCASE("real-time mode") {
    h.write_reg(0x0010, 100);  // TICK_CYCLES
    h.write_reg(0x0011, 10);
    const std::size_t before = h.beacons.size();
    h.send(Control{ControlOp::kStart, 0});
    h.run(99);
    CHECK(h.board.core().time() == 2508);  // the first tick comes TICK_CYCLES after START
    CHECK(h.board.read_register(0x0020) == 1u);  // STATUS: real-time, not busy
    h.run(1);
    CHECK(h.board.timestep_running());  // the tick, TICK_CYCLES after START
    CHECK(h.board.read_register(0x0020) == 3u);
    h.run(100 * 35 - 1);
    CHECK(h.board.core().time() == 2508 + 35);
    const std::vector<std::uint64_t> rt(h.beacons.begin() + static_cast<long>(before), h.beacons.end());
    CHECK(rt == std::vector<std::uint64_t>{2518, 2528, 2538});
    h.control(ControlOp::kStop);
    h.run(200);
    const std::uint64_t t = h.board.core().time();
    CHECK(t >= 2508 + 35);
    CHECK(t <= 2508 + 38);
    CHECK(h.beacons.back() == t);  // idle again: a beacon at the final time
    CHECK((h.reg(0x0020) & 3u) == 0u);
    CHECK(h.counter(33) == 0u);  // no tick overran
  }
}

TEST_CASE("model board: a tick that comes while a timestep runs counts tick_overrun") {
  ModelBoardOptions o;
  o.step_cycles = 30;
  Host h(o);
  h.identify();
  h.quiet();
  h.write_reg(0x0010, 20);
  h.control(ControlOp::kStart);
  h.run(600);
  CHECK(h.counter(33) > 0u);
  h.control(ControlOp::kStop);
  h.run(200);
  const std::uint32_t overruns = h.counter(33);
  h.run(1000);
  CHECK(h.counter(33) == overruns);
  CHECK(h.reg(0x0020) == 0u);
}

TEST_CASE("model board: CREDIT after every command, when 64 slots free up, and 16384 clocks after a frame") {
  Host h(instant());
  h.identify();
  h.quiet();
  SUBCASE("(a) after the reply to every command") {
    const std::size_t mark = h.got.size();
    const std::uint8_t s1 = h.send(RegRead{0x0000, 1});
    const std::uint8_t s2 = h.send(Control{ControlOp::kStep, 0});
    const std::uint8_t s3 = h.send(CountersReq{0, 2});
    h.run(1);
    const auto r = h.since(mark);
    REQUIRE(r.size() == 6);
    CHECK(reply_to(r[0]) == s1);
    CHECK(is_credit_for(r[1], s1));
    CHECK(reply_to(r[2]) == s2);
    CHECK(is_credit_for(r[3], s2));
    CHECK(reply_to(r[4]) == s3);
    CHECK(is_credit_for(r[5], s3));
  }
  SUBCASE("(b) event_free grew by 64") {
    SpikeBatch b{10, {}};
    for (std::uint16_t c = 0; c < 100; ++c) b.events.push_back({10, c});
    h.send(b);
    SpikeBatch b2{10, {}};
    for (std::uint16_t c = 100; c < 200; ++c) b2.events.push_back({10, c});
    h.send(b2);
    h.run(1);
    CHECK(h.credits.events_available() == 312);
    const std::size_t mark = h.got.size();
    const std::uint8_t seq = h.send(Control{ControlOp::kStep, 10});
    h.run(1);
    auto r = h.since(mark);
    REQUIRE(r.size() == 2);
    CHECK(std::get<Credit>(r[1]) == Credit{seq, 312, 1});  // steps 0..9 leave the events queued
    h.run(100);
    r = h.since(mark);
    CHECK(std::count_if(r.begin(), r.end(), [](const Message& m) { return std::holds_alternative<Credit>(m); }) == 1);
    const std::size_t mark2 = h.got.size();
    const std::uint8_t seq2 = h.send(Control{ControlOp::kStep, 1});  // timestep 10 delivers the 200 events
    h.run(1);
    r = h.since(mark2);
    // ACK, CREDIT (before the timestep), CREDIT (b) after it, the beacon.
    REQUIRE(r.size() == 4);
    CHECK(std::get<Credit>(r[1]) == Credit{seq2, 312, 1});
    CHECK(std::get<Credit>(r[2]) == Credit{seq2, 512, 1});
    CHECK(std::get<SpikeBatch>(r[3]) == SpikeBatch{11, {}});
    CHECK(h.credits.events_available() == 512);
    CHECK(h.board.core().counters().events == 200);
  }
  SUBCASE("(b) exactly 64, not 63") {
    SpikeBatch b{5, {}};
    for (std::uint16_t c = 0; c < 63; ++c) b.events.push_back({5, c});
    b.events.push_back({6, 100});
    h.send(b);
    const std::size_t mark = h.got.size();
    const std::uint8_t seq = h.send(Control{ControlOp::kStep, 7});  // ACK, CREDIT 448
    h.run(6);  // timesteps 0..5: 5 frees 63, no report
    auto r = h.since(mark);
    REQUIRE(r.size() == 2);
    CHECK(std::get<Credit>(r[1]) == Credit{seq, 448, 1});
    CHECK(h.board.event_free() == 511u);
    h.run(1);  // timestep 6 frees the 64th
    r = h.since(mark);
    REQUIRE(r.size() == 4);
    CHECK(std::get<Credit>(r[2]) == Credit{seq, 512, 1});
    CHECK(std::get<SpikeBatch>(r[3]) == SpikeBatch{7, {}});
  }
  SUBCASE("(c) a frame not named for 16384 clocks") {
    SpikeBatch b{1000, {}};
    for (std::uint16_t c = 0; c < 10; ++c) b.events.push_back({1000, c});
    const std::uint8_t seq = h.send(b);
    h.run(16383);
    const std::size_t mark = h.got.size();
    CHECK(h.credits.events_available() == 502);
    CHECK(h.credits.in_flight() == 1);
    h.run(1);
    const auto r = h.since(mark);
    REQUIRE(r.size() == 1);
    CHECK(std::get<Credit>(r[0]) == Credit{seq, 502, 1});
    CHECK(h.credits.in_flight() == 0);
    CHECK(h.credits.events_available() == 502);
    h.run(100'000);
    CHECK(h.since(mark).size() == 1);  // nothing unreported: no more
  }
  SUBCASE("a credit probe is reported") {
    const std::uint8_t lost = h.lose(Control{ControlOp::kStep, 0});
    h.credits.on_sent(lost, 0, 1);
    CHECK(h.credits.commands_available() == 0);
    const std::uint8_t probe = h.send(SpikeBatch{0, {}});
    h.run(16384);
    CHECK(h.credits.commands_available() == 1);
    CHECK(std::get<Credit>(h.got.back()).last_seq == probe);
    CHECK(h.counter(9) == 1u);
  }
}

TEST_CASE("model board: RESET 0 clears the core and keeps the link counters, RESET 1 zeroes them") {
  Host h(instant());
  h.identify();
  h.quiet();
  make_regular(h, 4, 0);
  CHECK(h.write_mem(1, 2, {0x0A0B}).status == Status::kOk);
  h.write_reg(0x0013, 99);
  h.send_raw(0x0B, {});  // a board-only type: counts rx_malformed
  h.send(SpikeBatch{50, {{50, 1}, {50, 2}, {50, 999}}});
  h.run(1);
  h.send(Control{ControlOp::kStep, 1'000'000});
  h.run(5);  // timesteps 0..4: neuron 4's spikes wait in an open batch
  CHECK(h.board.read_register(0x0020) == 6u);  // busy, batch open
  CHECK(h.board.read_register(0x0022) == 510u);
  CHECK(h.board.counter(12) == 1u);
  CHECK(h.board.counter(10) == 1u);
  CHECK(h.board.counter(34) == 5u);

  std::size_t mark = h.got.size();
  const std::uint8_t rs = h.send(Control{ControlOp::kReset, 0});
  h.run(1);
  auto r = h.since(mark);
  REQUIRE(r.size() == 3);
  // The open batch leaves first, then ACK, CREDIT with an empty input FIFO.
  CHECK(std::get<SpikeBatch>(r[r.size() - 3]).events.back().address == 4);
  CHECK(std::get<Ack>(r[r.size() - 2]) == Ack{rs, FrameType::kControl, Status::kOk});
  CHECK(std::get<Credit>(r[r.size() - 1]) == Credit{rs, 512, 1});
  const auto st = h.read_regs(0x0020, 4);
  CHECK(st == std::vector<std::uint32_t>{0u, 0u, 512u, 0u});  // idle, time 0, FIFO empty, nothing owed
  CHECK(h.counter(34) == 0u);                                  // core counters cleared
  CHECK(h.counter(10) == 1u);                                  // link counters kept
  CHECK(h.counter(12) == 1u);
  CHECK(h.reg(0x0013) == 99u);  // registers stay
  CHECK(h.read_mem(1, 2, 1) == std::vector<std::uint16_t>{0x0A0B});  // weights stay
  CHECK(h.read_mem(0, 4 * 8 + 2, 1) == std::vector<std::uint16_t>{static_cast<std::uint16_t>(-256)});
  CHECK(h.board.core().counters().events == 0);
  h.run(100'000);
  CHECK(h.board.core().time() == 0);  // nothing owed

  // Sequence numbers run on across the reset, both ways.
  CHECK(h.rx.counters().seq_lost == 0);
  CHECK(h.rx.counters().seq_resync == 0);
  CHECK(h.counter(9) == 0u);

  mark = h.got.size();
  h.control(ControlOp::kReset, 1);
  const auto c = h.reply<Counters>(CountersReq{0, 16}).values;
  std::vector<std::uint32_t> expect(16, 0);
  expect[0] = 1;  // this COUNTERS_REQ
  expect[7] = 2;  // RESET's ACK and CREDIT
  CHECK(c == expect);
  CHECK(h.rx.counters().seq_resync == 0);
  CHECK(h.rx.counters().seq_lost == 0);

  // RESET 2 is malformed and resets nothing.
  h.write_reg(0x0013, 5);
  h.control(ControlOp::kStep, 3);
  mark = h.got.size();
  const std::uint8_t bad = h.send(Control{ControlOp::kReset, 2});
  h.run(1);
  r = h.since(mark);
  // Neuron 4's batch (closed by the ERROR), ERROR, CREDIT, the beacon.
  REQUIRE(r.size() == 4);
  CHECK(std::get<SpikeBatch>(r[0]).events.size() == 3);
  CHECK(std::get<Error>(r[1]) == Error{Status::kMalformed, bad, 0x0A, 5});
  CHECK(is_credit_for(r[2], bad));
  CHECK(std::get<SpikeBatch>(r[3]) == SpikeBatch{3, {}});
  CHECK(h.board.core().time() == 3);
  CHECK(h.reg(0x0013) == 5u);
}

TEST_CASE("model board: a sequence gap answers ERROR host frames lost before acting, and counts") {
  Host h(instant());
  h.identify();
  h.lose(SpikeBatch{0, {}});
  h.lose(RegRead{0, 1});
  h.lose(SpikeBatch{0, {}});
  const std::size_t mark = h.got.size();
  const std::uint8_t seq = h.send(RegRead{0x0013, 1});
  h.run(1);
  const auto r = h.since(mark);
  REQUIRE(r.size() == 3);
  CHECK(std::get<Error>(r[0]) == Error{Status::kSequenceGap, seq, 0x05, 3});
  CHECK(std::get<RegData>(r[1]).req_seq == seq);
  CHECK(is_credit_for(r[2], seq));
  CHECK(h.counter(9) == 3u);
  // A jump back of 128 or more is a peer restart: nothing counted.
  Transmitter fresh;
  std::vector<std::uint8_t> w;
  fresh.append(IdentifyReq{}, w);
  h.to_board.insert(h.to_board.end(), w.begin(), w.end());
  h.run(1);
  CHECK(std::holds_alternative<Credit>(h.got.back()));
  w.clear();
  fresh.append(CountersReq{9, 1}, w);
  h.to_board.insert(h.to_board.end(), w.begin(), w.end());
  const std::size_t m2 = h.got.size();
  h.run(1);
  const auto r2 = h.since(m2);
  REQUIRE(r2.size() == 2);
  CHECK(std::get<Counters>(r2[0]).values.at(0) == 3u);
}

TEST_CASE("model board: malformed bodies and host-forbidden types answer ERROR and count rx_malformed") {
  Host h(instant());
  h.identify();
  struct Bad {
    std::uint8_t type;
    std::vector<std::uint8_t> body;
    Status code;
    std::uint32_t detail;
  };
  const std::vector<Bad> bad = {
      {0x00, {}, Status::kUnknownType, 0x00},
      {0x10, {1, 2}, Status::kUnknownType, 0x10},
      {0xFF, {}, Status::kUnknownType, 0xFF},
      {0x03, std::vector<std::uint8_t>(34), Status::kUnknownType, 0x03},  // IDENTIFY: the board's
      {0x0B, {1, 0x0A, 0}, Status::kUnknownType, 0x0B},                   // ACK
      {0x0C, {1, 0, 1, 1}, Status::kUnknownType, 0x0C},                   // CREDIT
      {0x0F, std::vector<std::uint8_t>(7), Status::kUnknownType, 0x0F},   // ERROR
      {0x01, {1, 2, 3}, Status::kMalformed, 3},                           // SPIKES: short
      {0x01, {1, 2, 3, 4, 5}, Status::kMalformed, 5},                     // SPIKES: odd
      {0x02, {0}, Status::kMalformed, 1},                                 // IDENTIFY_REQ: not empty
      {0x04, {0x13, 0, 1, 0, 0}, Status::kMalformed, 5},                  // REG_WRITE: not 6k
      {0x04, {}, Status::kMalformed, 0},
      {0x05, {0, 0, 0}, Status::kMalformed, 3},                           // REG_READ: count 0
      {0x05, {0, 0, 62}, Status::kMalformed, 3},                          // REG_READ: count 62
      {0x05, {0, 0}, Status::kMalformed, 2},
      {0x07, {4, 0, 0, 0, 0, 1, 0}, Status::kMalformed, 7},               // MEM_WRITE: space 4
      {0x07, {0, 0, 0, 0, 0}, Status::kMalformed, 5},                     // MEM_WRITE: no word
      {0x07, {0, 0, 0, 0, 0, 1}, Status::kMalformed, 6},                  // MEM_WRITE: half a word
      {0x08, {0, 0, 0, 0, 0, 0}, Status::kMalformed, 6},                  // MEM_READ: count 0
      {0x08, {0, 0, 0, 0, 0, 122}, Status::kMalformed, 6},                // MEM_READ: count 122
      {0x08, {9, 0, 0, 0, 0, 1}, Status::kMalformed, 6},                  // MEM_READ: space 9
      {0x0A, {0x06, 0, 0, 0, 0}, Status::kMalformed, 5},                  // CONTROL: op 6
      {0x0A, {0x00, 0, 0, 0, 0}, Status::kMalformed, 5},                  // CONTROL: op 0
      {0x0A, {0x04, 5, 0, 0}, Status::kMalformed, 4},                     // CONTROL: short STEP
      {0x0A, {0x01, 0, 0, 0, 1}, Status::kMalformed, 5},                  // RESET 0x01000000
      {0x0D, {0, 0}, Status::kMalformed, 2},                              // COUNTERS_REQ: count 0
      {0x0D, {0, 62}, Status::kMalformed, 2},
      {0x0D, {0, 1, 0}, Status::kMalformed, 3},
  };
  for (const Bad& b : bad) {
    CAPTURE(static_cast<int>(b.type));
    CAPTURE(b.body.size());
    const std::size_t mark = h.got.size();
    const std::uint8_t seq = h.send_raw(b.type, b.body);
    h.run(1);
    const auto r = h.since(mark);
    REQUIRE(r.size() >= 1);
    CHECK(std::get<Error>(r[0]) == Error{b.code, seq, b.type, b.detail});
    if (b.type == 0x01) {
      CHECK(r.size() == 1);  // SPIKES is no command: no CREDIT of its own
    } else {
      REQUIRE(r.size() == 2);
      CHECK(is_credit_for(r[1], seq));  // the ERROR is the command's reply
    }
  }
  CHECK(h.counter(10) == bad.size());
  CHECK(h.counter(9) == 0u);
  CHECK(h.reg(0x0023) == 0u);  // the short STEP owed nothing
  CHECK(h.board.core().time() == 0);
  CHECK(h.rx.counters().malformed == 0);
  CHECK(h.credits.commands_available() == 1);
}

TEST_CASE("model board: input spikes for addresses the board lacks are dropped, counted and reported") {
  Host h(instant());
  h.identify();
  h.quiet();
  const std::size_t mark = h.got.size();
  const std::uint8_t seq = h.send(SpikeBatch{2, {{2, 3}, {2, 300}, {3, 256}, {4, 7}, {4, 4095}}});
  h.run(1);
  const auto r = h.since(mark);
  REQUIRE(r.size() == 1);
  CHECK(std::get<Error>(r[0]) == Error{Status::kBadAddress, seq, 0x01, 300});
  CHECK(h.counter(12) == 3u);
  CHECK(h.reg(0x0022) == 510u);
  h.step(5);
  CHECK(h.board.core().counters().events == 2);
  CHECK(h.counter(35) == 2u);
  CHECK(h.counter(13) == 0u);
  CHECK(h.reg(0x0022) == 512u);
  // A late event is delivered at once and counted.
  h.send(SpikeBatch{1, {{1, 5}}});
  h.step(1);
  CHECK(h.counter(13) == 1u);
  CHECK(h.counter(35) == 3u);
}

TEST_CASE("model board: events sent past the credit are dropped in the core and reported") {
  Host h(instant());
  h.identify();
  std::size_t mark = h.got.size();
  std::uint8_t last = 0;
  for (int f = 0; f < 6; ++f) {
    SpikeBatch b{100, {}};
    for (std::uint16_t c = 0; c < 100; ++c) b.events.push_back({100, c});
    last = h.send(b);
  }
  h.run(1);
  const auto r = h.since(mark);
  REQUIRE(r.size() == 1);
  CHECK(std::get<Error>(r[0]) == Error{Status::kNoCredit, last, 0x01, 88});
  CHECK(h.credits.events_available() == -88);  // the host sees the overrun too
  CHECK(h.counter(11) == 88u);
  CHECK(h.credits.events_available() == 0);  // COUNTERS' CREDIT: the FIFO is full
  CHECK(h.reg(0x0022) == 0u);
  // Bad addresses and drops in one frame: bad address first, then no credit.
  mark = h.got.size();
  const std::uint8_t seq = h.send(SpikeBatch{100, {{100, 1}, {100, 500}, {100, 2}}});
  h.run(1);
  const auto r2 = h.since(mark);
  REQUIRE(r2.size() == 2);
  CHECK(std::get<Error>(r2[0]) == Error{Status::kBadAddress, seq, 0x01, 500});
  CHECK(std::get<Error>(r2[1]) == Error{Status::kNoCredit, seq, 0x01, 2});
  CHECK(h.counter(11) == 90u);
}

TEST_CASE("model board: a memory command waits for the owed steps, and the board reads nothing behind it") {
  ModelBoardOptions o;
  o.step_cycles = 10;
  Host h(o);
  h.identify();
  h.quiet();
  make_regular(h, 2, 0);
  const std::size_t mark = h.raw.size();
  const std::uint64_t c0 = h.board.cycles();
  h.send(Control{ControlOp::kStep, 50});
  const std::uint8_t mem = h.send_raw(0x08, {3, 8, 0, 0, 0, 1});  // neuron 2's v
  const std::uint8_t reg = h.send(RegRead{0x0021, 1});               // TIME
  h.run(100);
  CHECK(h.board.waiting_for_core());
  CHECK(!h.to_board.empty());  // the REG_READ is not read yet
  CHECK(h.board.core().time() < 50);
  REQUIRE(h.run_until([&] { return !h.board.waiting_for_core() && h.to_board.empty(); }, 100'000, 1));
  CHECK(h.board.cycles() >= c0 + 500);
  h.run(1000);  // the replies' bytes leave
  // Replies in order: ACK (STEP), MEM_DATA, REG_DATA with TIME 50: every
  // owed step ran before the memory command.
  std::vector<std::uint8_t> replies;
  std::optional<std::uint32_t> time;
  for (std::size_t i = mark; i < h.raw.size(); ++i) {
    const RawCopy& f = h.raw[i];
    if (f.type == 0x0B || f.type == 0x09 || f.type == 0x06) replies.push_back(f.body.at(0));
    if (f.type == 0x06) time = le32(f.body.data() + 3);
  }
  REQUIRE(replies.size() == 3);
  CHECK(replies[1] == mem);
  CHECK(replies[2] == reg);
  CHECK(time == 50u);
}

TEST_CASE("model board: STEP is lossless and STATUS shows what is owed") {
  ModelBoardOptions o;
  o.step_cycles = 4;
  Host h(o);
  h.identify();
  for (unsigned n = 0; n < 256; ++n) make_regular(h, n, 0);
  CHECK(h.board.core().time() == 0);
  h.send(Control{ControlOp::kStep, 100});
  h.run(2);
  const auto st = h.read_regs(0x0020, 4);
  CHECK(st[0] == 2u);  // busy
  CHECK(st[3] == 99u);
  h.step(0);
  REQUIRE(h.run_until([&] { return !h.beacons.empty() && h.beacons.back() == 100; }));
  CHECK(h.spikes.size() == 256u * 100u);
  CHECK(h.counter(14) == 0u);
  // STEP saturates at 2^32 - 1.
  h.send(Control{ControlOp::kStep, 0xFFFFFFF0u});
  h.send(Control{ControlOp::kStep, 0x100u});
  h.run(1);
  CHECK(h.board.steps_owed() >= 0xFFFFFFFEu);
  CHECK(h.reg(0x0023) >= 0xFFFFFF00u);
  h.control(ControlOp::kReset, 0);
  CHECK(h.reg(0x0023) == 0u);
  // SET_TIME is not supported.
  CHECK(h.reply<Ack>(Control{ControlOp::kSetTime, 5}).status == Status::kUnsupported);
}

TEST_CASE("model board: in real-time mode a link slower than the spikes drops them in the output FIFO, counted") {
  Host h;  // one byte a clock: 256 spikes a timestep need about 540 clocks
  h.identify();
  for (unsigned n = 0; n < 256; ++n) make_regular(h, n, 0);
  h.write_reg(0x0010, 100);  // a timestep every 100 clocks
  h.control(ControlOp::kStart);
  h.run(20'000);
  h.control(ControlOp::kStop);
  REQUIRE(h.run_until([&] { return !h.board.busy() && !h.board.spikes_pending() && h.board.tx_pending() == 0; }));
  h.run(2000);
  const std::uint64_t t = h.board.core().time();
  CHECK(t > 150);
  const std::uint32_t dropped = h.counter(14);
  CHECK(dropped > 0u);
  CHECK(h.counter(34) == 256u * t);  // every spike happened in the core
  CHECK(h.spikes.size() + dropped == 256u * t);
  CHECK(h.beacons.back() == t);
  // Step mode on the same link loses nothing.
  h.control(ControlOp::kReset, 1);
  const std::size_t before = h.spikes.size();
  h.step(50);
  CHECK(h.spikes.size() - before == 256u * 50u);
  CHECK(h.counter(14) == 0u);
}
