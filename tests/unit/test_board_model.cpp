// spikelink::Board end to end on model://: the whole host driver (Board,
// link engine, FTDI layer, usb::Device) against the FT2232H model and the
// C++ board model. The same scenarios run on the RTL in tests/cosim.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "common/board_scenarios.hpp"
#include "devices/devices.hpp"
#include "server/sim_server.hpp"
#include "spikelink/tcp_device.hpp"
#include "common/time_shift_port.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "model/model_board.hpp"

using namespace spikelink;
using namespace spikelink::testing;

TEST_CASE("board model://: identifies as spikelink gateware") {
  auto b = Board::open("model://");
  check_identity(*b);
  CHECK(b->identity().board_id == 0xFFFE);
}

TEST_CASE("board model://: registers") {
  auto b = Board::open("model://");
  check_registers(*b);
}

TEST_CASE("board model://: memories round-trip and refuse addresses past the end") {
  auto b = Board::open("model://");
  check_memories(*b);
}

TEST_CASE("board model://: a network's spikes equal the golden model's") {
  auto b = Board::open("model://");
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const auto s = make_small_net(b->identity(), seed, 300, 80);
    const auto want = expected_spikes(b->identity(), s);
    REQUIRE(want.size() > 20);
    CHECK(run_small_net(*b, s) == want);
  }
}

TEST_CASE("board model://: spikes reach a callback instead of the ring when one is set") {
  auto b = Board::open("model://");
  const auto s = make_small_net(b->identity(), 9, 200, 80);
  const auto want = expected_spikes(b->identity(), s);
  std::vector<proto::SpikeEvent> got;
  b->on_spikes([&](std::span<const proto::SpikeEvent> ev) { got.insert(got.end(), ev.begin(), ev.end()); });
  std::uint64_t t0 = 0;
  CHECK(run_small_net(*b, s, &t0).empty());
  for (auto& e : got) e.timestep -= t0;
  CHECK(got == want);
  std::vector<proto::SpikeEvent> buf(16);
  CHECK(b->pull(buf) == 0);
}

TEST_CASE("board model://: an overload of input events is paced by credit with zero loss") {
  auto b = Board::open("model://");
  check_overload(*b, 2000, 60);  // 120,000 events against a 256-entry FIFO
}

TEST_CASE("board model://: a spike storm in step mode arrives whole") {
  auto b = Board::open("model://");
  check_spike_storm(*b, 300);
}

TEST_CASE("board model://: real-time mode runs, reports time and stops") {
  auto b = Board::open("model://");
  check_real_time(*b);
}

TEST_CASE("board model://: time stays monotonic across a reset") {
  auto b = Board::open("model://");
  check_time_across_reset(*b);
}

TEST_CASE("board: device URIs are checked and errors say what is wrong") {
  CHECK_THROWS_WITH_AS(parse_uri("sim:/"), doctest::Contains("no scheme"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("ftp://x"), doctest::Contains("unknown scheme 'ftp'"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("tcp://localhost"), doctest::Contains("HOST:PORT"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("tcp://localhost:99999"), doctest::Contains("not a TCP port"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("usb://0403"), doctest::Contains("VID:PID"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("usb://04g3:6010"), doctest::Contains("hex USB id"), BoardError);
  CHECK_THROWS_WITH_AS(parse_uri("sim://?phy"), doctest::Contains("key=value"), BoardError);
  CHECK_THROWS_WITH_AS(Board::open("model://?colour=blue"), doctest::Contains("unknown parameter 'colour'"), BoardError);
  const auto u = parse_uri("usb://0403:6014?serial=FT123");
  CHECK(u.vid == 0x0403);
  CHECK(u.pid == 0x6014);
  CHECK(u.param("serial") == "FT123");
  const auto t = parse_uri("tcp://127.0.0.1:7531");
  CHECK(t.host == "127.0.0.1");
  CHECK(t.port == 7531);
}

TEST_CASE("board model://: send() refuses events out of time order or on channels the board lacks") {
  auto b = Board::open("model://");
  const std::uint64_t t = b->time() + 10;
  std::vector<proto::SpikeEvent> ok{{t, 1}, {t + 1, 2}};
  b->send(ok);
  std::vector<proto::SpikeEvent> backwards{{t, 3}};
  CHECK_THROWS_WITH_AS(b->send(backwards), doctest::Contains("time order"), BoardError);
  std::vector<proto::SpikeEvent> bad{{t + 5, b->identity().inputs}};
  CHECK_THROWS_WITH_AS(b->send(bad), doctest::Contains("does not exist"), BoardError);
}

TEST_CASE("spikelink-sim: serves one client over TCP and refuses a second clearly") {
  auto device = open_device(parse_uri("model://"));
  sim::Server server(*device, {"127.0.0.1", 0});
  std::thread serving([&] { server.run(); });
  const std::string uri = "tcp://127.0.0.1:" + std::to_string(server.port());
  {
    auto b = Board::open(uri);
    check_identity(*b);
    check_registers(*b);
    try {
      auto second = usb::open_tcp("127.0.0.1", server.port());
      FAIL("a second client was accepted");
    } catch (const usb::Error& e) {
      CHECK(e.kind() == usb::ErrorKind::kBusy);
      CHECK(std::string(e.what()).find("one client at a time") != std::string::npos);
    }
    const auto s = make_small_net(b->identity(), 4, 150, 80);
    CHECK(run_small_net(*b, s) == expected_spikes(b->identity(), s));
  }
  // The first client is gone: the board is free again.
  for (int tries = 0; tries < 100 && server.clients_served() < 2; ++tries) {
    try {
      auto b = Board::open(uri);
      CHECK(b->read_reg(0x0000) == proto::kMagic);
      break;
    } catch (const usb::Error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server has not seen the hang-up yet
    }
  }
  CHECK(server.clients_served() == 2);
  CHECK(server.clients_refused() == 1);
  server.stop();
  serving.join();
}

TEST_CASE("spikelink-sim: nothing listening is a clear error") {
  auto device = open_device(parse_uri("model://"));
  std::uint16_t port;
  {
    sim::Server s(*device, {"127.0.0.1", 0});
    port = s.port();
  }
  CHECK_THROWS_WITH_AS(Board::open("tcp://127.0.0.1:" + std::to_string(port)), doctest::Contains("cannot connect"),
                       usb::Error);
}


TEST_CASE("board: time stays 64-bit and spikes stay in order across the board's 32-bit wrap") {
  // The board's clock reads 2^32 - 60 after a reset: it wraps 60 timesteps in.
  Board b(std::make_unique<sim::SimulatedDevice>(std::make_unique<TimeShiftPort<sim::ModelBoard>>(0xFFFFFFFFu - 59u)), "test://wrap");
  const auto s = make_small_net(b.identity(), 12, 150, 80);
  const auto want = expected_spikes(b.identity(), s);
  std::uint64_t t0 = 0;
  CHECK(run_small_net(b, s, &t0) == want);
  CHECK(b.time() == t0 + s.steps);
  CHECK(b.time() > (std::uint64_t{1} << 32));
  b.step(10);
  CHECK(b.time() == t0 + s.steps + 10);
}

TEST_CASE("board: a lost connection is a clear error, and spikes received before it stay readable") {
  auto device = open_device(parse_uri("model://"));
  sim::Server server(*device, {"127.0.0.1", 0});
  std::thread serving([&] { server.run(); });
  auto b = Board::open("tcp://127.0.0.1:" + std::to_string(server.port()));
  const auto s = make_small_net(b->identity(), 31, 120, 80);
  const auto want = expected_spikes(b->identity(), s);
  REQUIRE(!want.empty());
  // Run the network but do not pull: the spikes wait in the ring.
  b->reset();
  b->load(s.net);
  std::vector<std::uint16_t> st(static_cast<std::size_t>(b->identity().neurons) * 4, 0);
  for (std::size_t n = 0; n < s.net.neurons.size(); ++n) st[4 * n] = static_cast<std::uint16_t>(s.net.neurons[n].v_rest);
  b->write_mem(proto::MemSpace::kNeuronState, 0, st);
  const std::uint64_t t0 = b->time();
  std::vector<proto::SpikeEvent> in = s.inputs;
  for (auto& e : in) e.timestep += t0;
  b->send(in);
  b->step(s.steps);
  // The "cable" goes: the server stops and hangs up.
  server.stop();
  serving.join();
  try {
    for (int i = 0; i < 50; ++i) {
      b->read_reg(0x0000);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("the board still answered after the connection was lost");
  } catch (const BoardError& e) {
    CHECK(e.kind() == BoardError::Kind::kDisconnected);
    CHECK(std::string(e.what()).find("lost the connection") != std::string::npos);
  }
  auto got = drain(*b);
  for (auto& e : got) e.timestep -= t0;
  CHECK(got == want);
  CHECK_THROWS_AS(b->step(1), BoardError);
}
