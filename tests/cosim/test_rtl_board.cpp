// The simulated board (sim::RtlBoard: the Verilated spikelink_top) through
// the sim::ChannelPort interface only, as the FT2232H model drives it: the
// host codec's IDENTIFY_REQ must come back as IDENTIFY then CREDIT on the
// byte port and on the UART pins, at 3 Mbaud on 24 MHz and 12 Mbaud on
// 48 MHz; a baud mismatch must garble the link; a trace file appears only
// when one is requested.
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "board/rtl_board.hpp"
#include "ftdi/channel_port.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/protocol.hpp"

using namespace spikelink;
using sim::RtlBoard;
using sim::RtlBoardOptions;

namespace {

struct Collect {
  std::vector<proto::Message> messages;
  void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent>, std::uint8_t) {}
  void on_message(const proto::Message& m, std::uint8_t) { messages.push_back(m); }
};

// The host end of the link: codec in, codec out, a ChannelPort between.
class Host {
 public:
  explicit Host(sim::ChannelPort& port) : port_(port) {}

  std::uint8_t send(const proto::Message& m) {
    std::vector<std::uint8_t> wire;
    const std::uint8_t seq = tx_.append(m, wire);
    to_board_.insert(to_board_.end(), wire.begin(), wire.end());
    return seq;
  }
  void send_raw(std::uint8_t b) { to_board_.push_back(b); }

  // Runs the board until `n` messages have arrived or `max_cycles` pass.
  void run_until(std::size_t n, std::uint64_t max_cycles) {
    const std::uint64_t until = port_.cycles() + max_cycles;
    while (got_.messages.size() < n && port_.cycles() < until) run(1000);
  }
  void run(std::uint64_t cycles) {
    from_board_.clear();
    port_.run(cycles, to_board_, from_board_);
    rx_.feed(std::span<const std::uint8_t>(from_board_), got_);
  }

  const std::vector<proto::Message>& messages() const { return got_.messages; }
  const ReceiverCounters counters() const { return rx_.counters(); }
  bool all_sent() const { return to_board_.empty(); }

 private:
  sim::ChannelPort& port_;
  Transmitter tx_;
  Receiver rx_{proto::Sender::kBoard};
  Collect got_;
  std::deque<std::uint8_t> to_board_;
  std::vector<std::uint8_t> from_board_;
};

void no_trace_env() {
  ::unsetenv("SPIKELINK_TRACE_FILE");
  ::unsetenv("SPIKELINK_TRACE_SIGNAL");
}

// IDENTIFY_REQ, then exactly IDENTIFY and CREDIT, nothing lost or damaged.
void check_identify(sim::ChannelPort& port, std::uint32_t clock_hz, bool plastic) {
  Host host(port);
  const std::uint8_t seq = host.send(proto::IdentifyReq{});
  host.run_until(2, 400'000);
  CHECK(host.all_sent());
  REQUIRE(host.messages().size() >= 2);
  const auto* id = std::get_if<proto::Identify>(&host.messages()[0]);
  REQUIRE(id != nullptr);
  CHECK(id->magic == proto::kMagic);
  CHECK(id->proto_major == proto::kVersionMajor);
  CHECK(id->clock_hz == clock_hz);
  CHECK(id->neurons == 256);
  CHECK(id->inputs == 256);
  CHECK(id->event_credits == 512);
  CHECK(id->command_credits == 1);
  CHECK((id->levels != 0) == plastic);
  const auto* credit = std::get_if<proto::Credit>(&host.messages()[1]);
  REQUIRE(credit != nullptr);
  CHECK(credit->last_seq == seq);
  CHECK(credit->event_free == 512);
  CHECK(credit->command_free == 1);
  const ReceiverCounters c = host.counters();
  CHECK(c.framing.frames_ok == host.messages().size());
  CHECK(c.malformed == 0);
  CHECK(c.seq_lost == 0);
}

void report_speed(const RtlBoard& board, const char* what) {
  const auto s = board.stats();
  const double per_cpu = s.cpu_seconds > 0 ? static_cast<double>(s.cycles) / s.cpu_seconds : 0.0;
  MESSAGE(std::string(what) << ": " << s.cycles << " cycles, " << static_cast<std::uint64_t>(s.cycles_per_second)
                            << " cycles/s, " << static_cast<std::uint64_t>(per_cpu) << " per CPU second");
}

std::filesystem::path temp_trace(const char* name) {
  return std::filesystem::temp_directory_path() /
         ("spikelink_" + std::string(name) + "_" + std::to_string(::getpid()) + ".fst");
}

}  // namespace

TEST_CASE("rtl board: byte port answers IDENTIFY_REQ with IDENTIFY and CREDIT") {
  no_trace_env();
  RtlBoard board;
  CHECK_FALSE(board.tracing());
  CHECK(board.clock_hz() == 24'000'000);
  sim::ChannelPort& port = board;
  check_identify(port, 24'000'000, true);
  // Idle clocks, to measure the model's speed.
  std::deque<std::uint8_t> none;
  std::vector<std::uint8_t> out;
  port.run(2'000'000, none, out);
  report_speed(board, "byte port");
}

TEST_CASE("rtl board: static core on the byte port reports no plasticity") {
  no_trace_env();
  RtlBoardOptions o;
  o.plastic = false;
  RtlBoard board(o);
  check_identify(board, 24'000'000, false);
}

TEST_CASE("rtl board: UART pins at 3 Mbaud on 24 MHz answer IDENTIFY_REQ") {
  no_trace_env();
  RtlBoardOptions o;
  o.phy = RtlBoardOptions::Phy::kUart;
  o.baud = 3'000'000;
  RtlBoard board(o);
  CHECK(board.clks_per_bit() == 8);
  check_identify(board, 24'000'000, true);
  CHECK(board.ftdi_framing_errors() == 0);
  std::deque<std::uint8_t> none;
  std::vector<std::uint8_t> out;
  board.run(2'000'000, none, out);
  report_speed(board, "UART 3 Mbaud");
}

TEST_CASE("rtl board: UART pins at 12 Mbaud on 48 MHz answer IDENTIFY_REQ") {
  no_trace_env();
  RtlBoardOptions o;
  o.phy = RtlBoardOptions::Phy::kUart;
  o.baud = 12'000'000;
  o.clock_hz = 48'000'000;
  RtlBoard board(o);
  CHECK(board.clks_per_bit() == 4);
  check_identify(board, 48'000'000, true);
  CHECK(board.ftdi_framing_errors() == 0);
}

TEST_CASE("rtl board: an FTDI baud that differs from the gateware's garbles the link") {
  no_trace_env();
  RtlBoardOptions o;
  o.phy = RtlBoardOptions::Phy::kUart;
  o.baud = 3'000'000;
  RtlBoard board(o);
  Host host(board);
  // 2 Mbaud against the gateware's 3: nothing decodes in either direction.
  board.set_baud(2'000'000);
  CHECK(board.ftdi_baud() == 2'000'000);
  for (int i = 0; i < 4; ++i) host.send(proto::IdentifyReq{});
  host.run_until(1, 200'000);
  CHECK(host.messages().empty());

  // Back at the gateware's rate, after a delimiter, the link works again.
  board.set_baud(3'000'000);
  host.send_raw(0x00);
  const std::uint8_t seq = host.send(proto::IdentifyReq{});
  host.run_until(2, 400'000);
  REQUIRE(host.messages().size() >= 2);
  CHECK(std::holds_alternative<proto::Identify>(host.messages()[0]));
  const auto* credit = std::get_if<proto::Credit>(&host.messages()[1]);
  REQUIRE(credit != nullptr);
  CHECK(credit->last_seq == seq);

  // The gateware counted the bytes it lost to framing errors (counter 15).
  host.send(proto::CountersReq{15, 1});
  host.run_until(4, 400'000);
  REQUIRE(host.messages().size() >= 4);
  const auto* counters = std::get_if<proto::Counters>(&host.messages()[2]);
  REQUIRE(counters != nullptr);
  REQUIRE(counters->values.size() == 1);
  CHECK(counters->values[0] > 0);
}

TEST_CASE("rtl board: an FTDI baud 1 percent off the gateware's still works") {
  // 3.03 Mbaud is 7.92 board clocks per bit: the FTDI model accumulates the
  // fraction, and the gateware's receiver re-synchronises on every start bit.
  no_trace_env();
  RtlBoardOptions o;
  o.phy = RtlBoardOptions::Phy::kUart;
  o.baud = 3'000'000;
  RtlBoard board(o);
  board.set_baud(3'030'000);
  check_identify(board, 24'000'000, true);
  CHECK(board.ftdi_framing_errors() == 0);
}

TEST_CASE("rtl board: a UART bit under 4 clocks is refused with a clock to use") {
  RtlBoardOptions o;
  o.phy = RtlBoardOptions::Phy::kUart;
  o.baud = 12'000'000;
  o.clock_hz = 24'000'000;
  try {
    RtlBoard board(o);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("48 MHz") != std::string::npos);
  }
  // A combination that was not verilated names the builds there are.
  o.baud = 1'000'000;
  try {
    RtlBoard board(o);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("SPIKELINK_SIM_BOARD_BUILDS") != std::string::npos);
  }
}

TEST_CASE("rtl board: an FST trace is written when requested, and only then") {
  no_trace_env();
  const auto path = temp_trace("requested");
  std::filesystem::remove(path);
  {
    RtlBoardOptions o;
    o.fst_path = path.string();
    RtlBoard board(o);
    CHECK(board.tracing());
    check_identify(board, 24'000'000, true);
  }
  REQUIRE(std::filesystem::exists(path));
  CHECK(std::filesystem::file_size(path) > 1000);
  std::filesystem::remove(path);

  // No request: the fast build, and no file anywhere near.
  const auto cwd_default = std::filesystem::current_path() / "spikelink_trace.fst";
  const bool default_existed = std::filesystem::exists(cwd_default);
  {
    RtlBoard board;
    CHECK_FALSE(board.tracing());
    std::deque<std::uint8_t> none;
    std::vector<std::uint8_t> out;
    board.run(10'000, none, out);
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(std::filesystem::exists(cwd_default) == default_existed);
}

TEST_CASE("rtl board: SIGUSR1 toggles tracing into SPIKELINK_TRACE_FILE") {
  no_trace_env();
  const auto path = temp_trace("signal");
  std::filesystem::remove(path);
  ::setenv("SPIKELINK_TRACE_FILE", path.string().c_str(), 1);
  {
    RtlBoard board;
    no_trace_env();
    CHECK_FALSE(board.tracing());
    std::deque<std::uint8_t> none;
    std::vector<std::uint8_t> out;
    board.run(1000, none, out);
    CHECK_FALSE(std::filesystem::exists(path));
    std::raise(SIGUSR1);
    board.run(5000, none, out);
    CHECK(board.tracing());
    std::raise(SIGUSR1);
    board.run(10, none, out);
    CHECK_FALSE(board.tracing());
    // Closed on the second signal: complete while the simulation goes on.
    REQUIRE(std::filesystem::exists(path));
    CHECK(std::filesystem::file_size(path) > 1000);
  }
  std::filesystem::remove(path);
}
