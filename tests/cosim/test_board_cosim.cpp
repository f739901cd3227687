// spikelink::Board end to end on the RTL: host driver -> FTDI model ->
// spikelink_top (Verilator) -> host, on both attachments of channel B, and
// through spikelink-sim over TCP. The spikes must equal the golden model's,
// which are also what model:// gives (tests/unit/test_board_model.cpp).
#include <doctest/doctest.h>

#include <thread>

#include "common/board_scenarios.hpp"
#include "common/loopback_port.hpp"
#include "devices/devices.hpp"
#include "model/model_board.hpp"
#include "server/sim_server.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/framing.hpp"
#include "spikelink/tcp_device.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

const char* const kAttachments[] = {"sim://", "sim://?phy=uart"};

// A board whose IDENTIFY claims another protocol major version: the model
// board, with its IDENTIFY frames rewritten on the way out.
class OtherProtocolPort final : public sim::ChannelPort {
 public:
  std::uint64_t clock_hz() const override { return inner_.clock_hz(); }
  void set_baud(double b) override { inner_.set_baud(b); }
  std::uint64_t cycles() const override { return inner_.cycles(); }
  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board, std::vector<std::uint8_t>& from_board) override {
    std::vector<std::uint8_t> raw;
    inner_.run(cycles, to_board, raw);
    decoder_.feed(raw, [&](const RawFrame& f) {
      std::vector<std::uint8_t> hb{f.type, f.seq};
      hb.insert(hb.end(), f.body.begin(), f.body.end());
      if (f.type == static_cast<std::uint8_t>(proto::FrameType::kIdentify)) hb[2 + 4] = 2;  // protocol 2.0
      append_wire_frame(hb, from_board);
    });
  }

 private:
  sim::ModelBoard inner_;
  FrameDecoder decoder_;
};

}  // namespace

TEST_CASE("board sim:// (both attachments): identify, registers and memories end to end") {
  for (const char* uri : kAttachments) {
    CAPTURE(uri);
    auto b = Board::open(uri);
    check_identity(*b);
    CHECK(b->identity().board_id != 0xFFFE);  // the RTL, not the model
    check_registers(*b);
    check_memories(*b);
  }
}

TEST_CASE("board sim:// (both attachments): a network's spikes equal model://'s and the golden model's") {
  auto model = Board::open("model://");
  for (const char* uri : kAttachments) {
    CAPTURE(uri);
    auto b = Board::open(uri);
    const auto s = make_small_net(b->identity(), 21, 150, 80);
    const auto want = expected_spikes(b->identity(), s);
    REQUIRE(want.size() > 20);
    CHECK(run_small_net(*b, s) == want);
    CHECK(run_small_net(*model, s) == want);
  }
}

TEST_CASE("board sim://: an overload of input events is paced by credit with zero loss") {
  for (const char* uri : kAttachments) {
    CAPTURE(uri);
    auto b = Board::open(uri);
    check_overload(*b, 120, 60);  // 7200 events against a 256-entry FIFO
  }
}

TEST_CASE("board sim://: a spike storm in step mode arrives whole") {
  auto b = Board::open("sim://");
  check_spike_storm(*b, 20);  // 5120 spikes, about 10 KB on the wire
}

TEST_CASE("board sim://: time stays monotonic across a reset, and real-time mode runs and stops") {
  for (const char* uri : kAttachments) {
    CAPTURE(uri);
    auto b = Board::open(uri);
    check_time_across_reset(*b);
    check_real_time(*b);
  }
}

TEST_CASE("board: a board that speaks another protocol is refused with what to flash") {
  try {
    Board b(std::make_unique<sim::SimulatedDevice>(std::make_unique<OtherProtocolPort>()), "test://other-protocol");
    FAIL("an incompatible board was accepted");
  } catch (const BoardError& e) {
    CHECK(e.kind() == BoardError::Kind::kIncompatible);
    const std::string what = e.what();
    CHECK(what.find("protocol 2.0") != std::string::npos);
    CHECK(what.find("spikelink flash") != std::string::npos);
  }
}

TEST_CASE("board: a device that is not spikelink gateware times out with a clear message") {
  BoardOptions o;
  o.command_timeout = std::chrono::milliseconds(300);
  try {
    Board b(std::make_unique<sim::SimulatedDevice>(std::make_unique<testing::LoopbackPort>()), "test://echo", o);
    FAIL("an echoing device was accepted");
  } catch (const BoardError& e) {
    CHECK(e.kind() == BoardError::Kind::kTimeout);
    CHECK(std::string(e.what()).find("spikelink gateware") != std::string::npos);
  }
}

TEST_CASE("spikelink-sim: the RTL board over TCP, and a second client refused") {
  auto device = open_device(parse_uri("sim://"));
  sim::Server server(*device, {"127.0.0.1", 0});
  std::thread serving([&] { server.run(); });
  {
    auto b = Board::open("tcp://127.0.0.1:" + std::to_string(server.port()));
    check_identity(*b);
    CHECK_THROWS_AS(usb::open_tcp("127.0.0.1", server.port()), usb::Error);
    const auto s = make_small_net(b->identity(), 5, 100, 80);
    CHECK(run_small_net(*b, s) == expected_spikes(b->identity(), s));
  }
  CHECK(server.clients_refused() == 1);
  server.stop();
  serving.join();
}
