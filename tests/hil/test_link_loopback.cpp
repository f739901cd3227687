// Hardware-in-the-loop scenario: every frame type, as the host driver sends
// them, through the board's framing layer and back. The device comes from
// SPIKELINK_DEVICE (default sim://). Today only the simulated board's
// framing layer exists (RTL through Verilator, the board looping each
// received frame back); boards (usb://) need the device layer, and asking
// for one fails the test rather than passing without a board.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "common/stream_fixture.hpp"
#include "framer/framer_sim.hpp"

using namespace spikelink;
using namespace spikelink::testing;

namespace {

std::string device_uri() {
  const char* d = std::getenv("SPIKELINK_DEVICE");
  return d && *d ? d : "sim://";
}

// Clocks per byte for a UART at `baud` on the reference board's 12 MHz clock
// (10 bits per byte with start and stop bits).
unsigned gap_for(const std::string& uri) {
  const auto at = uri.find("baud=");
  const unsigned long baud = at == std::string::npos ? 3'000'000 : std::stoul(uri.substr(at + 5));
  REQUIRE_MESSAGE(baud >= 9600, "baud rate ", baud, " in ", uri, " is below 9600");
  REQUIRE_MESSAGE(baud <= 12'000'000, "baud rate ", baud, " in ", uri, " is above the FT2232H's 12 Mbaud");
  return static_cast<unsigned>(12'000'000ul * 10 / baud) - 1;
}

}  // namespace

TEST_CASE("link loopback: every frame type crosses the board's framing layer both ways intact") {
  const std::string uri = device_uri();
  REQUIRE_MESSAGE(uri.rfind("sim://", 0) == 0, "SPIKELINK_DEVICE=", uri,
                  ": only sim:// is available until the device layer (usb::Device, FTDI, simulated board) is built");
  sim::FramerSim board;
  const unsigned gap = gap_for(uri);
  Rng rng(300);
  const SentStream s = make_stream(rng, 120);

  // Host -> board at the UART's byte rate; the board loops every frame back.
  board.rx_bytes(s.wire, gap);
  std::vector<std::uint8_t> back;
  for (const auto& f : board.take_rx_frames()) {
    const auto w = board.tx_frame(f);
    back.insert(back.end(), w.begin(), w.end());
  }
  Receiver host;
  Collected c;
  host.feed(back, c);

  REQUIRE(c.got.size() == s.frames.size());
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    CHECK(c.got[i].first == s.frames[i].seq);
    CHECK(c.got[i].second == s.frames[i].msg);
  }
  const auto k = board.counters();
  CHECK(k.rx_ok == s.frames.size());
  CHECK(k.tx_frames == s.frames.size());
  CHECK(k.rx_crc + k.rx_cobs + k.rx_short + k.rx_long + k.rx_overflow + k.rx_bytes_discarded == 0);
  CHECK(host.counters().framing.bytes_discarded == 0);
  CHECK(host.counters().seq_lost == 0);
  MESSAGE("device ", uri, ": ", s.frames.size(), " frames, ", s.wire.size(), " bytes each way, ", board.cycles(),
          " board clocks");
}
