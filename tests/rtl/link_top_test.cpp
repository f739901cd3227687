// spikelink_top on its byte port, driven with the host codec: the board's
// link layer of docs/link.md (sections 1 and 2) against the wire bytes of
// docs/protocol.md, and the core behind it against the golden model.
#include <doctest/doctest.h>

#include <Vspikelink_top.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/verilated_model.hpp"
#include "spikelink/core_model.hpp"
#include "spikelink/framing.hpp"
#include "spikelink/neuron_params.hpp"
#include "spikelink/protocol.hpp"

namespace doctest {
inline std::string item_str(std::uint64_t v) { return std::to_string(v); }
inline std::string item_str(const spikelink::model::CoreSpike& s) {
  return "(" + std::to_string(s.time) + ", " + std::to_string(s.neuron) + ")";
}
template <class T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + item_str(v[i]);
    return String((s + "}").c_str());
  }
};
}  // namespace doctest

namespace spikelink::rtl_test {
namespace {

using Bytes = std::vector<std::uint8_t>;
using proto::FrameType;
using proto::Status;

// The parameters tests/rtl/CMakeLists.txt verilates the top with.
constexpr std::uint32_t kClockHz = 12'000'000;
constexpr std::uint16_t kBoardId = 7;
constexpr std::uint32_t kBuildHash = 0x1234ABCD;
constexpr unsigned kNeurons = 256;
constexpr unsigned kInputs = 256;
constexpr unsigned kEventCredits = 512;  // spikelink_top's EventCredits

constexpr std::uint8_t t8(FrameType t) { return static_cast<std::uint8_t>(t); }

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
std::uint32_t get16(const Bytes& b, std::size_t i) { return b.at(i) | (b.at(i + 1) << 8); }
std::uint32_t get32(const Bytes& b, std::size_t i) { return get16(b, i) | (get16(b, i + 2) << 16); }

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t seq = 0;
  Bytes body;
};

// The top with byte_mode_i = 1: host bytes in at one per clock, board bytes
// out with byte_tx_ready_i (optionally stalled at random).
class TopBench {
 public:
  TopBench() {
    auto& t = m_.top;
    t.clk_i = 0;
    t.rst_ni = 0;
    t.uart_rx_i = 1;
    t.byte_mode_i = 1;
    t.byte_rx_valid_i = 0;
    t.byte_rx_data_i = 0;
    t.byte_tx_ready_i = 1;
    t.board_id_i = kBoardId;
    t.gw_major_i = 1;
    t.gw_minor_i = 2;
    t.gw_patch_i = 3;
    t.build_hash_i = kBuildHash;
    t.flash_miso_i = 1;  // no flash: the boot loader finds no image
    t.eval();
    for (int i = 0; i < 4; ++i) tick();
    t.rst_ni = 1;
    tick();
    // The boot loader keeps the byte port closed until it is done.
    for (int i = 0; i < 10'000 && !t.byte_rx_ready_o; ++i) tick();
    if (!t.byte_rx_ready_o) throw std::runtime_error("the boot loader did not finish");
  }

  void set_tx_stall(unsigned percent) { stall_ = percent; }

  void tick() {
    auto& t = m_.top;
    // The byte port's flow control: a byte only while the receive ring has
    // room for a whole frame.
    if (t.rst_ni && !to_board_.empty() && t.byte_rx_ready_o) {
      t.byte_rx_valid_i = 1;
      t.byte_rx_data_i = to_board_.front();
      to_board_.pop_front();
    } else {
      t.byte_rx_valid_i = 0;
    }
    t.byte_tx_ready_i = (stall_ == 0 || rng_() % 100 >= stall_) ? 1 : 0;
    t.clk_i = 0;
    t.eval();
    if (t.rst_ni && t.byte_tx_valid_o && t.byte_tx_ready_i) {
      const std::uint8_t b = t.byte_tx_data_o;
      dec_.feed(std::span(&b, 1), [&](const RawFrame& f) {
        if (f.seq != board_seq_) ++board_seq_errors_;
        board_seq_ = static_cast<std::uint8_t>(f.seq + 1);
        frames_.push_back(Frame{f.type, f.seq, Bytes(f.body.begin(), f.body.end())});
      });
    }
    t.clk_i = 1;
    t.eval();
    ++m_.cycles;
  }

  void run(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) tick();
  }

  // Sends header+body with the host's next sequence number (or `seq`).
  std::uint8_t send_raw(std::uint8_t type, const Bytes& body, std::optional<std::uint8_t> seq = {}) {
    const std::uint8_t s = seq ? *seq : host_seq_;
    host_seq_ = static_cast<std::uint8_t>(s + 1);
    Bytes hb{type, s};
    hb.insert(hb.end(), body.begin(), body.end());
    Bytes wire;
    append_wire_frame(hb, wire);
    to_board_.insert(to_board_.end(), wire.begin(), wire.end());
    ++frames_sent_;
    return s;
  }

  std::uint8_t send(const proto::Message& msg) {
    Bytes body(proto::kMaxBody);
    body.resize(proto::encode_body(msg, body.data()));
    return send_raw(t8(proto::type_of(msg)), body);
  }

  // The next board frame, running the clock until one comes.
  Frame next(std::uint64_t max_cycles = 2'000'000) {
    const std::uint64_t since = m_.cycles;
    while (cursor_ == frames_.size()) {
      if (m_.cycles - since > max_cycles) throw std::runtime_error("no frame from the board");
      tick();
    }
    return frames_[cursor_++];
  }

  // The next frame that is not SPIKES; the SPIKES frames before it are kept.
  Frame reply(std::uint64_t max_cycles = 2'000'000) {
    for (;;) {
      Frame f = next(max_cycles);
      if (f.type != t8(FrameType::kSpikes)) return f;
      spikes_.push_back(f);
    }
  }

  // Runs until the board has been quiet for `quiet` clocks: no byte in
  // flight either way.
  void settle(std::uint64_t quiet = 3000) {
    std::uint64_t still = 0;
    std::size_t n = frames_.size();
    while (still < quiet) {
      tick();
      if (frames_.size() != n || !to_board_.empty() || dec_.pending() != 0) {
        n = frames_.size();
        still = 0;
      } else {
        ++still;
      }
    }
  }

  bool pending() const { return cursor_ < frames_.size(); }
  // SPIKES frames that reply() passed over.
  std::vector<Frame> take_stash() { return std::exchange(spikes_, {}); }
  std::uint64_t cycles() const { return m_.cycles; }
  unsigned board_seq_errors() const { return board_seq_errors_; }
  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint8_t host_seq() const { return host_seq_; }
  auto& top() { return m_.top; }

 private:
  sim::VerilatedModel<Vspikelink_top> m_{"link top"};
  std::deque<std::uint8_t> to_board_;
  FrameDecoder dec_;
  std::vector<Frame> frames_;
  std::vector<Frame> spikes_;
  std::size_t cursor_ = 0;
  std::uint8_t host_seq_ = 0;
  std::uint8_t board_seq_ = 0;
  unsigned board_seq_errors_ = 0;
  std::uint64_t frames_sent_ = 0;
  unsigned stall_ = 0;
  std::mt19937 rng_{12345};
};

template <class T>
T parse(const Frame& f) {
  auto m = proto::parse_body(static_cast<FrameType>(f.type), f.body);
  REQUIRE_MESSAGE(m.has_value(), "board frame type " << int(f.type) << " did not parse");
  REQUIRE(std::holds_alternative<T>(*m));
  return std::get<T>(*m);
}

// Expect exactly this reply type next (SPIKES frames aside).
template <class T>
T expect(TopBench& b, FrameType type) {
  const Frame f = b.reply();
  REQUIRE_MESSAGE(f.type == t8(type), "expected type " << int(t8(type)) << ", got " << int(f.type));
  return parse<T>(f);
}

proto::Credit expect_credit(TopBench& b, std::uint8_t last_seq) {
  const auto c = expect<proto::Credit>(b, FrameType::kCredit);
  CHECK(c.last_seq == last_seq);
  CHECK(c.command_free == 1);
  return c;
}

proto::Error expect_error(TopBench& b, Status code, std::uint8_t ref_seq, std::uint8_t ref_type,
                          std::uint32_t detail) {
  const auto e = expect<proto::Error>(b, FrameType::kError);
  CHECK(e.code == code);
  CHECK(e.ref_seq == ref_seq);
  CHECK(e.ref_type == ref_type);
  CHECK(e.detail == detail);
  return e;
}

void expect_ack(TopBench& b, std::uint8_t seq, FrameType req, Status status) {
  const auto a = expect<proto::Ack>(b, FrameType::kAck);
  CHECK(a.req_seq == seq);
  CHECK(a.req_type == req);
  CHECK(a.status == status);
}

proto::Identify identify(TopBench& b) {
  const std::uint8_t s = b.send(proto::IdentifyReq{});
  const Frame f = b.reply();
  REQUIRE(f.type == t8(FrameType::kIdentify));
  CHECK(f.body.size() == proto::kIdentifyBody);
  const auto id = parse<proto::Identify>(f);
  const auto c = expect_credit(b, s);
  CHECK(c.event_free == kEventCredits);
  return id;
}

std::vector<std::uint32_t> reg_read(TopBench& b, std::uint16_t addr, std::uint8_t count) {
  const std::uint8_t s = b.send(proto::RegRead{addr, count});
  const auto d = expect<proto::RegData>(b, FrameType::kRegData);
  CHECK(d.req_seq == s);
  CHECK(d.addr == addr);
  expect_credit(b, s);
  return d.values;
}

std::vector<std::uint32_t> counters(TopBench& b, std::uint8_t first, std::uint8_t count) {
  const std::uint8_t s = b.send(proto::CountersReq{first, count});
  const auto c = expect<proto::Counters>(b, FrameType::kCounters);
  CHECK(c.req_seq == s);
  CHECK(c.first == first);
  expect_credit(b, s);
  return c.values;
}

Bytes mem_write_body(unsigned space, std::uint32_t addr, std::span<const std::uint16_t> words) {
  Bytes body{static_cast<std::uint8_t>(space)};
  put32(body, addr);
  for (const auto w : words) put16(body, w);
  return body;
}

// MEM_WRITE in frames of up to 121 words, each waiting for its ACK, as a
// host does.
void mem_write(TopBench& b, unsigned space, std::uint32_t addr, std::span<const std::uint16_t> words) {
  for (std::size_t i = 0; i < words.size(); i += proto::kMaxMemWords) {
    const auto part = words.subspan(i, std::min(proto::kMaxMemWords, words.size() - i));
    const std::uint8_t s = b.send_raw(t8(FrameType::kMemWrite),
                                      mem_write_body(space, addr + static_cast<std::uint32_t>(i), part));
    expect_ack(b, s, FrameType::kMemWrite, Status::kOk);
    expect_credit(b, s);
  }
}

Bytes mem_read_body(unsigned space, std::uint32_t addr, std::uint8_t count) {
  Bytes body{static_cast<std::uint8_t>(space)};
  put32(body, addr);
  body.push_back(count);
  return body;
}

std::vector<std::uint16_t> mem_read(TopBench& b, unsigned space, std::uint32_t addr, std::uint8_t count) {
  const std::uint8_t s = b.send_raw(t8(FrameType::kMemRead), mem_read_body(space, addr, count));
  const Frame f = b.reply();
  REQUIRE(f.type == t8(FrameType::kMemData));
  REQUIRE(f.body.size() == 6u + 2u * count);
  CHECK(f.body[0] == s);
  CHECK(f.body[1] == space);
  CHECK(get32(f.body, 2) == addr);
  std::vector<std::uint16_t> words;
  for (unsigned i = 0; i < count; ++i) words.push_back(static_cast<std::uint16_t>(get16(f.body, 6 + 2 * i)));
  expect_credit(b, s);
  return words;
}

std::uint8_t control(TopBench& b, proto::ControlOp op, std::uint32_t arg, Status status = Status::kOk) {
  const std::uint8_t s = b.send(proto::Control{op, arg});
  expect_ack(b, s, FrameType::kControl, status);
  expect_credit(b, s);
  return s;
}

// Parameters under which no neuron fires without input (all-zero ones fire
// every timestep: v = 0 reaches a threshold of 0).
void silence(TopBench& b) {
  model::LifParams p;
  p.v_rest = 0;
  p.v_reset = 0;
  p.v_thresh = 10;
  const auto w = model::to_words(model::quantise(p).regs);
  std::vector<std::uint16_t> params;
  for (unsigned n = 0; n < kNeurons; ++n) params.insert(params.end(), w.begin(), w.end());
  mem_write(b, 0, 0, params);
}

// The spikes of SPIKES frames (base time from the wire, no unwrapping:
// these tests stay far below 2^32 timesteps).
std::vector<model::CoreSpike> spikes_of(const std::vector<Frame>& frames) {
  std::vector<model::CoreSpike> out;
  for (const Frame& f : frames) {
    REQUIRE(f.body.size() >= 4);
    std::vector<proto::SpikeEvent> ev;
    REQUIRE(proto::decode_spike_body(f.body, get32(f.body, 0), ev));
    for (const auto& e : ev) out.push_back({e.timestep, e.address});
  }
  return out;
}

// ---------------------------------------------------------------------------

TEST_CASE("link top: IDENTIFY fields, then CREDIT") {
  TopBench b;
  const auto id = identify(b);
  CHECK(id.magic == proto::kMagic);
  CHECK(id.proto_major == 1);
  CHECK(id.proto_minor == 0);
  CHECK(id.gw_major == 1);
  CHECK(id.gw_minor == 2);
  CHECK(id.gw_patch == 3);
  CHECK(id.board_id == kBoardId);
  CHECK(id.build_hash == kBuildHash);
  CHECK(id.clock_hz == kClockHz);
  CHECK(id.neurons == kNeurons);
  CHECK(id.inputs == kInputs);
  CHECK(id.weight_bits == 8);
  CHECK(id.levels == 64);
  CHECK(id.event_credits == kEventCredits);
  CHECK(id.command_credits == 1);
  CHECK(id.capabilities == 0x7);
  // A second IDENTIFY_REQ is answered the same way.
  CHECK(identify(b) == id);
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: registers, read-only and bad ranges") {
  TopBench b;
  identify(b);
  const auto id_regs = reg_read(b, 0x0000, 8);
  CHECK(id_regs == std::vector<std::uint32_t>{0x4C4B5053, 0x0100, 0x010203, kBuildHash, kBoardId, kClockHz,
                                              kNeurons | (kInputs << 16), 0x7});
  // Defaults of the rw registers, and the status block after reset.
  CHECK(reg_read(b, 0x0010, 4) == std::vector<std::uint32_t>{kClockHz / 1000, 1000, 1024, 0});
  // (STATUS shows busy while the learning engine loads its defaults, for
  // 768 clocks after reset.)
  b.run(1000);
  CHECK(reg_read(b, 0x0020, 4) == std::vector<std::uint32_t>{0, 0, kEventCredits, 0});

  // Writes in order; all accepted.
  std::uint8_t s = b.send(proto::RegWrite{{{0x0013, 0xDEADBEEF}, {0x0011, 500}, {0x0013, 0xCAFEF00D}}});
  expect_ack(b, s, FrameType::kRegWrite, Status::kOk);
  expect_credit(b, s);
  CHECK(reg_read(b, 0x0011, 3) == std::vector<std::uint32_t>{500, 1024, 0xCAFEF00D});

  // A read-only and an unknown register are skipped; the rest is written.
  s = b.send(proto::RegWrite{{{0x0000, 1}, {0x0012, 77}, {0x9999, 5}, {0x0020, 1}}});
  expect_ack(b, s, FrameType::kRegWrite, Status::kBadAddress);
  expect_credit(b, s);
  CHECK(reg_read(b, 0x0000, 1) == std::vector<std::uint32_t>{0x4C4B5053});
  CHECK(reg_read(b, 0x0012, 1) == std::vector<std::uint32_t>{77});

  // Ranges with a hole or an end past the last register: ERROR with the
  // first unreadable address, and no REG_DATA.
  struct Bad {
    std::uint16_t addr;
    std::uint8_t count;
    std::uint32_t first_bad;
  };
  for (const Bad& bad : {Bad{0x0006, 3, 0x0008}, Bad{0x0008, 1, 0x0008}, Bad{0x0012, 5, 0x0014},
                         Bad{0x012F, 2, 0x0130}, Bad{0x00FF, 2, 0x00FF}, Bad{0xFFF0, 61, 0xFFF0}}) {
    CAPTURE(bad.addr);
    s = b.send(proto::RegRead{bad.addr, bad.count});
    expect_error(b, Status::kBadAddress, s, t8(FrameType::kRegRead), bad.first_bad);
    expect_credit(b, s);
  }
  // The whole counter block is readable.
  CHECK(reg_read(b, 0x0100, 48).size() == 48);
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: memory spaces 0..3, write and read back, past the end") {
  TopBench b;
  identify(b);
  std::mt19937 rng(7);
  // A burst in every space; space 0 word 7 is reserved (reads 0), space 3
  // holds v and a in words 0 and 1 of each neuron.
  struct Area {
    unsigned space;
    std::uint32_t addr;
    unsigned count;
  };
  for (const Area& a : {Area{0, 0, 121}, Area{0, 2040, 8}, Area{1, 0, 200}, Area{1, 65400, 136},
                        Area{2, 0x100, 64}, Area{3, 0, 121}}) {
    CAPTURE(a.space);
    CAPTURE(a.addr);
    std::vector<std::uint16_t> words(a.count);
    for (auto& w : words) w = static_cast<std::uint16_t>(rng());
    mem_write(b, a.space, a.addr, words);
    std::vector<std::uint16_t> expect_words = words;
    for (unsigned i = 0; i < a.count; ++i) {
      const std::uint32_t addr = a.addr + i;
      if (a.space == 0 && addr % 8 == 7) expect_words[i] = 0;
    }
    std::vector<std::uint16_t> got;
    for (unsigned i = 0; i < a.count; i += 121) {
      const auto part = mem_read(b, a.space, a.addr + i, static_cast<std::uint8_t>(std::min(121u, a.count - i)));
      got.insert(got.end(), part.begin(), part.end());
    }
    if (a.space == 3) {
      // Only v and a come back as written (r is a byte; word 3 reads 0).
      for (unsigned i = 0; i < a.count; ++i) {
        if ((a.addr + i) % 4 < 2) CHECK(got[i] == words[i]);
        if ((a.addr + i) % 4 == 3) CHECK(got[i] == 0);
      }
    } else {
      CHECK(got == expect_words);
    }
  }

  // Past the end: the words inside are written, the rest not, and ERROR
  // names the first address beyond.
  struct End {
    unsigned space;
    std::uint32_t size;
  };
  for (const End& e : {End{0, 2048}, End{1, 65536}, End{2, 1024}, End{3, 1024}}) {
    CAPTURE(e.space);
    const std::uint32_t start = e.size - 2;
    const std::vector<std::uint16_t> words{0x1111, 0x2222, 0x3333, 0x4444};
    const std::uint8_t s = b.send_raw(t8(FrameType::kMemWrite), mem_write_body(e.space, start, words));
    expect_error(b, Status::kBadAddress, s, t8(FrameType::kMemWrite), e.size);
    expect_credit(b, s);
    const auto back = mem_read(b, e.space, e.size - 1, 1);
    // Space 1's last word holds it; the last words of the others are
    // reserved (parameter word 7, state word 3, no plasticity register).
    CHECK(back[0] == (e.space == 1 ? 0x2222 : 0));
    // A read that passes the end gets ERROR only.
    std::uint8_t r = b.send_raw(t8(FrameType::kMemRead), mem_read_body(e.space, start, 3));
    expect_error(b, Status::kBadAddress, r, t8(FrameType::kMemRead), e.size);
    expect_credit(b, r);
    r = b.send_raw(t8(FrameType::kMemRead), mem_read_body(e.space, 0xFFFFFFF0u, 1));
    expect_error(b, Status::kBadAddress, r, t8(FrameType::kMemRead), 0xFFFFFFF0u);
    expect_credit(b, r);
  }
  // A write that starts beyond the end writes nothing.
  const std::vector<std::uint16_t> one{0xABCD};
  const std::uint8_t s = b.send_raw(t8(FrameType::kMemWrite), mem_write_body(1, 70000, one));
  expect_error(b, Status::kBadAddress, s, t8(FrameType::kMemWrite), 70000);
  expect_credit(b, s);
  CHECK(mem_read(b, 1, 70000 - 65536, 1)[0] != 0xABCD);
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: sequence gap, malformed bodies and unknown types") {
  TopBench b;
  identify(b);
  // Skip three host sequence numbers: ERROR host frames lost before the reply.
  const std::uint8_t gap_seq = static_cast<std::uint8_t>(b.host_seq() + 3);
  b.send_raw(t8(FrameType::kRegRead), Bytes{0x13, 0x00, 0x01}, gap_seq);
  expect_error(b, Status::kSequenceGap, gap_seq, t8(FrameType::kRegRead), 3);
  auto d = expect<proto::RegData>(b, FrameType::kRegData);
  CHECK(d.req_seq == gap_seq);
  expect_credit(b, gap_seq);
  // A jump back by 128 or more is a peer restart: nothing counted.
  const std::uint8_t restart = static_cast<std::uint8_t>(gap_seq + 1 + 200);
  b.send_raw(t8(FrameType::kRegRead), Bytes{0x13, 0x00, 0x01}, restart);
  d = expect<proto::RegData>(b, FrameType::kRegData);
  CHECK(d.req_seq == restart);
  expect_credit(b, restart);

  // Malformed bodies and unknown or board-only types: ERROR, counted, and
  // nothing else (the SCRATCH write below must not happen).
  struct Bad {
    std::uint8_t type;
    Bytes body;
    Status code;
    std::uint32_t detail;
  };
  Bytes reg_write_short{0x13, 0x00, 0x01, 0x00, 0x00};  // 5 bytes
  const std::vector<Bad> bads{
      {t8(FrameType::kRegRead), {0x00, 0x00}, Status::kMalformed, 2},
      {t8(FrameType::kRegRead), {0x00, 0x00, 0x00}, Status::kMalformed, 3},    // count 0
      {t8(FrameType::kRegRead), {0x00, 0x00, 62}, Status::kMalformed, 3},      // count 62
      {t8(FrameType::kRegWrite), reg_write_short, Status::kMalformed, 5},
      {t8(FrameType::kRegWrite), {}, Status::kMalformed, 0},
      {t8(FrameType::kIdentifyReq), {0x00}, Status::kMalformed, 1},
      {t8(FrameType::kMemRead), {0x04, 0, 0, 0, 0, 1}, Status::kMalformed, 6},  // space 4
      {t8(FrameType::kMemRead), {0x00, 0, 0, 0, 0, 122}, Status::kMalformed, 6},
      {t8(FrameType::kMemWrite), {0x00, 0, 0, 0, 0, 1}, Status::kMalformed, 6},  // half a word
      {t8(FrameType::kMemWrite), {0x00, 0, 0, 0, 0}, Status::kMalformed, 5},     // no word
      {t8(FrameType::kControl), {0x01, 2, 0, 0, 0}, Status::kMalformed, 5},      // RESET 2
      {t8(FrameType::kControl), {0x06, 0, 0, 0, 0}, Status::kMalformed, 5},      // unknown op
      {t8(FrameType::kControl), {0x04, 1, 0, 0}, Status::kMalformed, 4},
      {t8(FrameType::kCountersReq), {0, 0}, Status::kMalformed, 2},
      {t8(FrameType::kCountersReq), {0, 62}, Status::kMalformed, 2},
      {0x20, {1, 2, 3}, Status::kUnknownType, 0x20},
      {0x00, {}, Status::kUnknownType, 0x00},
      {t8(FrameType::kAck), {0, 0, 0}, Status::kUnknownType, t8(FrameType::kAck)},
      {t8(FrameType::kCredit), {0, 0, 0, 0}, Status::kUnknownType, t8(FrameType::kCredit)},
  };
  for (const Bad& bad : bads) {
    CAPTURE(int(bad.type));
    CAPTURE(bad.body.size());
    const std::uint8_t s = b.send_raw(bad.type, bad.body);
    expect_error(b, bad.code, s, bad.type, bad.detail);
    expect_credit(b, s);
  }
  const auto sent_bad = static_cast<std::uint32_t>(bads.size());
  // A SPIKES frame with an odd body is malformed too; it is not a command,
  // so no CREDIT follows right away, and its events are not delivered.
  const std::uint8_t sp = b.send_raw(t8(FrameType::kSpikes), Bytes{0, 0, 0, 0, 1, 0, 2});
  expect_error(b, Status::kMalformed, sp, t8(FrameType::kSpikes), 7);
  CHECK(reg_read(b, 0x0013, 1) == std::vector<std::uint32_t>{0});
  CHECK(reg_read(b, 0x0022, 1) == std::vector<std::uint32_t>{kEventCredits});

  const auto c = counters(b, 9, 2);
  CHECK(c[0] == 3);              // rx_seq_lost
  CHECK(c[1] == sent_bad + 1);   // rx_malformed
  CHECK(reg_read(b, 0x0109, 2) == c);
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: input spikes, bad addresses, no credit, credit reports") {
  TopBench b;
  identify(b);
  silence(b);
  // Events for timestep 1000 stay in the input FIFO.
  auto spikes_body = [](std::uint32_t base, const std::vector<std::uint16_t>& records) {
    Bytes body;
    put32(body, base);
    for (const auto r : records) put16(body, r);
    return body;
  };
  // Addresses 300 and 4000 are beyond the 256 inputs.
  std::uint8_t s = b.send_raw(t8(FrameType::kSpikes), spikes_body(1000, {5, 300, 0x1007, 0xF010, 4000, 255}));
  expect_error(b, Status::kBadAddress, s, t8(FrameType::kSpikes), 300);
  CHECK(reg_read(b, 0x0022, 1) == std::vector<std::uint32_t>{kEventCredits - 3});
  CHECK(counters(b, 12, 1) == std::vector<std::uint32_t>{2});

  // Rule (c): a SPIKES frame is named by a CREDIT within 16384 clocks.
  s = b.send_raw(t8(FrameType::kSpikes), spikes_body(1000, {1, 2, 3}));
  const std::uint64_t t0 = b.cycles();
  const auto c = expect_credit(b, s);
  CHECK(c.event_free == kEventCredits - 6);
  CHECK(b.cycles() - t0 >= 16384);
  CHECK(b.cycles() - t0 < 16384 + 2000);

  // Overrun: four frames of 122 events fit (18 places left), the fifth
  // drops 104 and the sixth all 122; ERROR no credit names each count.
  std::vector<std::uint16_t> recs(122, 9);
  for (int i = 0; i < 4; ++i) b.send_raw(t8(FrameType::kSpikes), spikes_body(1000, recs));
  s = b.send_raw(t8(FrameType::kSpikes), spikes_body(1000, recs));
  expect_error(b, Status::kNoCredit, s, t8(FrameType::kSpikes), 104);
  s = b.send_raw(t8(FrameType::kSpikes), spikes_body(1000, recs));
  expect_error(b, Status::kNoCredit, s, t8(FrameType::kSpikes), 122);
  CHECK(reg_read(b, 0x0022, 1) == std::vector<std::uint32_t>{0});
  const auto cnt = counters(b, 11, 2);
  CHECK(cnt[0] == 226);  // events_dropped_no_credit
  CHECK(cnt[1] == 2);    // events_dropped_bad_address

  // Rule (b): stepping delivers the events (in FIFO order: 7 for 1001 and
  // 255 for 1017 hold the rest back, which are then late), and each time the
  // free space has grown by 64 over the last report a CREDIT comes without a
  // command.
  const std::uint8_t st = control(b, proto::ControlOp::kStep, 1020);
  std::uint32_t last_free = 0;
  int reports = 0;
  while (last_free < kEventCredits) {
    const auto grown = expect_credit(b, st);
    CHECK(grown.event_free >= last_free + 64);
    last_free = grown.event_free;
    REQUIRE(++reports <= 8);
  }
  CHECK(reports >= 1);
  const auto core = counters(b, 11, 3);
  CHECK(core[0] == 226);  // still: the core's drops
  CHECK(core[2] == 509);  // events_late
  CHECK(counters(b, 35, 1) == std::vector<std::uint32_t>{kEventCredits});  // core_events
  CHECK(reg_read(b, 0x0021, 1)[0] >= 1017);  // stepping on to 1020
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: STEP runs a tiny network as the golden model does, beacons follow") {
  TopBench b;
  b.set_tx_stall(30);
  identify(b);
  model::Core gold;

  // Every neuron: LIF, rest -65 mV, threshold -55 mV; a few thresholds vary.
  model::LifParams p;
  p.tau_m = 10;
  p.v_rest = -65;
  p.v_reset = -70;
  p.v_thresh = -55;
  p.tau_refrac = 2;
  p.a_jump = 1.0;
  p.tau_a = 50;
  p.weight_unit = 0.5;
  std::vector<std::uint16_t> params;
  std::vector<std::uint16_t> state(kNeurons * 4, 0);
  for (unsigned n = 0; n < kNeurons; ++n) {
    model::LifParams q = p;
    if (n < 8) q.v_thresh = -58.0 + n;
    const auto regs = model::quantise(q).regs;
    const auto w = model::to_words(regs);
    params.insert(params.end(), w.begin(), w.end());
    state[n * 4] = static_cast<std::uint16_t>(regs.v_rest);
  }
  // Weights: inputs 0..3 drive neurons 0..7, neuron 0 excites 5 and 6,
  // neuron 1 inhibits 7.
  std::vector<std::uint16_t> weights((kInputs + kNeurons) * kNeurons / 2, 0);
  auto set_w = [&](unsigned src, unsigned n, std::int8_t w) {
    auto& word = weights[src * (kNeurons / 2) + n / 2];
    const auto byte = static_cast<std::uint8_t>(w);
    word = (n % 2) ? static_cast<std::uint16_t>((word & 0x00FF) | (byte << 8))
                   : static_cast<std::uint16_t>((word & 0xFF00) | byte);
  };
  for (unsigned ch = 0; ch < 4; ++ch)
    for (unsigned n = 0; n < 8; ++n) set_w(ch, n, static_cast<std::int8_t>(6 + 2 * ch + n));
  set_w(kInputs + 0, 5, 20);
  set_w(kInputs + 0, 6, 12);
  set_w(kInputs + 1, 7, -30);

  mem_write(b, 0, 0, params);
  mem_write(b, 1, 0, weights);
  mem_write(b, 3, 0, state);
  for (std::uint32_t i = 0; i < params.size(); ++i) gold.write_mem(model::Space::kParams, i, params[i]);
  for (std::uint32_t i = 0; i < weights.size(); ++i) gold.write_mem(model::Space::kWeights, i, weights[i]);
  for (std::uint32_t i = 0; i < state.size(); ++i) gold.write_mem(model::Space::kState, i, state[i]);

  // Input spikes: bursts on channels 0..3 over 60 timesteps.
  std::mt19937 rng(99);
  std::vector<proto::SpikeEvent> events;
  for (std::uint32_t t = 0; t < 60; ++t) {
    for (unsigned ch = 0; ch < 4; ++ch) {
      if (rng() % 3 == 0) events.push_back({t, static_cast<std::uint16_t>(ch)});
    }
  }
  REQUIRE(events.size() < 200);
  std::size_t done = 0;
  while (done < events.size()) {
    Bytes body(proto::kMaxBody);
    const auto r = proto::encode_spike_body(events[done].timestep, std::span(events).subspan(done), body.data());
    body.resize(r.body_size);
    b.send_raw(t8(FrameType::kSpikes), body);
    done += r.consumed;
  }
  for (const auto& e : events) gold.push_input(e.address, static_cast<std::uint32_t>(e.timestep));

  constexpr std::uint32_t kSteps = 80;
  control(b, proto::ControlOp::kStep, kSteps);
  gold.step(kSteps);

  // Run until the beacon at time kSteps: every spike before it has come.
  std::vector<Frame> spike_frames = b.take_stash();
  for (;;) {
    const Frame f = b.next(3'000'000);
    if (f.type == t8(FrameType::kCredit)) continue;  // rule (b) as the FIFO drains
    REQUIRE(f.type == t8(FrameType::kSpikes));
    if (f.body.size() == 4 && get32(f.body, 0) == kSteps) break;
    spike_frames.push_back(f);
  }
  // The batches carry spikes; beacons carry none, and come only while no
  // batch is open (so always after the spikes of earlier timesteps).
  const auto got = spikes_of(spike_frames);
  const auto want = gold.take_spikes();
  CHECK(want.size() > 20);
  CHECK(got == want);
  CHECK(reg_read(b, 0x0021, 3) == std::vector<std::uint32_t>{kSteps, kEventCredits, 0});
  const auto c = counters(b, 32, 4);
  CHECK(c[2] == gold.counters().spikes);
  CHECK(c[3] == gold.counters().events);

  // A second STEP continues from there; the beacon names the new time.
  control(b, proto::ControlOp::kStep, 5);
  gold.step(5);
  std::vector<Frame> more = b.take_stash();
  for (;;) {
    const Frame f = b.next(3'000'000);
    if (f.type == t8(FrameType::kCredit)) continue;
    REQUIRE(f.type == t8(FrameType::kSpikes));
    if (f.body.size() == 4 && get32(f.body, 0) == kSteps + 5) break;
    more.push_back(f);
  }
  CHECK(spikes_of(more) == gold.take_spikes());
  CHECK(b.board_seq_errors() == 0);
}

TEST_CASE("link top: CONTROL real-time mode, beacons, SET_TIME, RESET and COUNTERS") {
  TopBench b;
  identify(b);
  silence(b);
  std::uint8_t s = b.send(proto::RegWrite{{{0x0010, 2000}, {0x0011, 3}}});
  expect_ack(b, s, FrameType::kRegWrite, Status::kOk);
  expect_credit(b, s);

  control(b, proto::ControlOp::kSetTime, 1234, Status::kUnsupported);
  CHECK(reg_read(b, 0x0021, 1) == std::vector<std::uint32_t>{0});

  control(b, proto::ControlOp::kStart, 0);
  CHECK((reg_read(b, 0x0020, 1)[0] & 1u) == 1u);
  // About 20 timesteps: beacons every 3.
  std::vector<std::uint32_t> beacons;
  const std::uint64_t t0 = b.cycles();
  while (b.cycles() - t0 < 40'000) {
    const Frame f = b.next(40'000);
    REQUIRE(f.type == t8(FrameType::kSpikes));
    CHECK(f.body.size() == 4);
    beacons.push_back(get32(f.body, 0));
  }
  REQUIRE(beacons.size() >= 4);
  for (std::size_t i = 1; i < beacons.size(); ++i) CHECK(beacons[i] - beacons[i - 1] == 3);
  control(b, proto::ControlOp::kStop, 0);
  b.settle();
  for (const Frame& f : b.take_stash()) beacons.push_back(get32(f.body, 0));
  while (b.pending()) {
    const Frame f = b.next();
    REQUIRE(f.type == t8(FrameType::kSpikes));
    beacons.push_back(get32(f.body, 0));
  }
  const std::uint32_t t_stop = reg_read(b, 0x0021, 1)[0];
  CHECK(beacons.back() == t_stop);   // the idle beacon
  CHECK(reg_read(b, 0x0020, 1)[0] == 0);
  b.settle();
  CHECK(!b.pending());

  // COUNTERS: ids 0..15 and the range rules.
  auto c = counters(b, 0, 16);
  CHECK(c[0] == b.frames_sent());  // rx_frames_ok: every host frame so far
  for (unsigned id : {1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u}) {
    CAPTURE(id);
    CHECK(c[id] == 0);
  }
  CHECK(c[7] > 0);
  CHECK(counters(b, 47, 1).size() == 1);
  CHECK(counters(b, 16, 16) == std::vector<std::uint32_t>(16, 0));
  for (auto [first, count, detail] : {std::tuple{40, 9, 48}, std::tuple{50, 1, 50}, std::tuple{0, 49, 48}}) {
    s = b.send(proto::CountersReq{static_cast<std::uint8_t>(first), static_cast<std::uint8_t>(count)});
    expect_error(b, Status::kBadAddress, s, t8(FrameType::kCountersReq), static_cast<std::uint32_t>(detail));
    expect_credit(b, s);
  }
  // Make some link counters non-zero, then RESET 0 keeps them and RESET 1
  // zeroes them; time goes back to 0 either way.
  b.send_raw(0x30, {});
  b.reply();
  b.reply();
  CHECK(counters(b, 10, 1)[0] == 1);
  control(b, proto::ControlOp::kReset, 0);
  CHECK(reg_read(b, 0x0021, 1) == std::vector<std::uint32_t>{0});
  CHECK(counters(b, 10, 1)[0] == 1);
  control(b, proto::ControlOp::kReset, 1);
  c = counters(b, 0, 16);
  CHECK(c[0] == 1);  // this COUNTERS_REQ
  CHECK(c[7] == 2);  // RESET's ACK and CREDIT
  for (unsigned id = 1; id < 16; ++id) {
    if (id == 7) continue;
    CAPTURE(id);
    CHECK(c[id] == 0);
  }
  // The rw registers stay.
  CHECK(reg_read(b, 0x0010, 2) == std::vector<std::uint32_t>{2000, 3});
  CHECK(b.board_seq_errors() == 0);
}

}  // namespace
}  // namespace spikelink::rtl_test
