// Hardware-in-the-loop scenarios. The device comes from SPIKELINK_DEVICE
// (default sim://), so the same tests run on a board:
//   SPIKELINK_DEVICE=usb:// ctest -L hil
// They use only spikelink::Board and check against the golden model run on
// the host, so they hold on any board running spikelink gateware.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "common/board_scenarios.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

std::string device_uri() {
  const char* d = std::getenv("SPIKELINK_DEVICE");
  return d && *d ? d : "sim://";
}

}  // namespace

TEST_CASE("the board identifies, and its registers and memories work") {
  auto b = Board::open(device_uri());
  INFO("device ", device_uri());
  check_identity(*b);
  check_registers(*b);
  check_memories(*b);
}

TEST_CASE("a network runs as the golden model says, spike for spike") {
  auto b = Board::open(device_uri());
  INFO("device ", device_uri());
  const auto s = make_small_net(b->identity(), 77, 200, 60);
  CHECK(run_small_net(*b, s) == expected_spikes(b->identity(), s));
}

TEST_CASE("input events offered far faster than the board takes them all arrive") {
  auto b = Board::open(device_uri());
  INFO("device ", device_uri());
  check_overload(*b, 100, 50);
}

TEST_CASE("time is 64-bit monotonic across a reset") {
  auto b = Board::open(device_uri());
  INFO("device ", device_uri());
  check_time_across_reset(*b);
}
