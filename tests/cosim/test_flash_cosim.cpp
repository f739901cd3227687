// Flashing the RTL board (sim://) with the flasher: the image goes in over
// channel A's MPSSE engine, the simulated FPGA reconfigures from it, the
// gateware's boot loader loads the network blob, and the board identifies
// with the image's version and runs the network spike for spike as the
// golden model does, with nothing loaded by the host. Then power cuts
// during flashing: the board never boots a partial image, and a re-flash
// recovers it.
#include <doctest/doctest.h>

#include <random>

#include "common/board_scenarios.hpp"
#include "common/image_fixtures.hpp"
#include "devices/devices.hpp"
#include "flash/spi_nor_flash.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/board.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/flasher.hpp"
#include "spikelink/image.hpp"

using namespace spikelink;

namespace {

std::vector<std::uint8_t> rtl_image(std::uint8_t minor, unsigned seed, std::vector<std::uint8_t> network) {
  image::PackInput in;
  const auto& b = find_board("icebreaker");
  in.board_id = b.board_id;
  in.board_name = b.name;
  in.gw_major = 4;
  in.gw_minor = minor;
  in.gw_patch = 2;
  in.source_hash = 0xF1A5C000u + minor;
  in.build_time = 1'800'000'000;
  in.bitstream = test::fake_bitstream(20'000, seed);
  in.network = std::move(network);
  return image::pack(in);
}

proto::Identify sim_identity() {
  Board probe(open_device(parse_uri("sim://")), "sim://");
  return probe.identity();
}

}  // namespace

TEST_CASE("flash cosim: flash sim://, reboot, identify shows the new version and the preloaded network runs") {
  const auto id = sim_identity();
  const auto net = testing::make_small_net(id, 77, 120, 80.0);
  const auto img = rtl_image(9, 1, network_blob(net.net, id.neurons, id.inputs));

  auto dev = open_device(parse_uri("sim://"), 0);
  auto& sd = dynamic_cast<sim::SimulatedDevice&>(*dev);
  const auto r = flash::write_image(*dev, find_board("icebreaker"), img, {});
  CHECK(r.cdone);
  CHECK(sd.cdone());
  CHECK(std::equal(img.begin(), img.end(), sd.flash().contents().begin()));

  Board b(std::move(dev), "sim://");
  CHECK(b.identity().gw_major == 4);
  CHECK(b.identity().gw_minor == 9);
  CHECK(b.identity().gw_patch == 2);
  CHECK(b.identity().build_hash == 0xF1A5C009u);
  CHECK(b.identity().board_id == 1);
  // The boot loader's report: a network was loaded (docs/link.md).
  CHECK(b.read_reg(0x0024) == 1);
  // No load(): the network came from the flash.
  const std::uint64_t t0 = b.time();
  auto in = net.inputs;
  for (auto& e : in) e.timestep += t0;
  b.send(in);
  b.step(net.steps);
  auto got = testing::drain(b);
  for (auto& e : got) e.timestep -= t0;
  const auto want = testing::expected_spikes(id, net);
  CHECK(!want.empty());
  CHECK(got == want);
  // Nothing went missing on the way (host frames, boot frames).
  const auto c = b.counters();
  CHECK(c.board_counter(proto::CounterId::kRxSeqLost) == 0);
  CHECK(c.host.board_errors == 0);
}

TEST_CASE("flash cosim: power cuts while flashing sim:// never boot a partial image, and a re-flash recovers") {
  const auto id = sim_identity();
  Network tiny;
  tiny.neurons.resize(4);
  const auto old_img = rtl_image(1, 2, {});
  const auto new_img = rtl_image(2, 3, network_blob(tiny, id.neurons, id.inputs));
  std::uint64_t total_bytes = 0;
  {
    auto dev = open_device(parse_uri("sim://"), 0);
    auto& sd = dynamic_cast<sim::SimulatedDevice&>(*dev);
    sd.flash().backdoor_write(0, old_img);
    flash::write_image(*dev, find_board("icebreaker"), new_img, {});
    total_bytes = sd.flash().counters().bytes_programmed;
  }
  std::mt19937_64 rng(6);
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    auto dev = open_device(parse_uri("sim://"), 0);
    auto& sd = dynamic_cast<sim::SimulatedDevice&>(*dev);
    sd.flash().backdoor_write(0, old_img);
    sim::FlashFaults f;
    f.seed = rng();
    if (i == 0)
      f.power_cut_at_erase = 1;
    else
      f.power_cut_at_programmed_bytes = 1 + rng() % total_bytes;
    sd.flash().set_faults(f);
    CHECK_THROWS_AS(flash::write_image(*dev, find_board("icebreaker"), new_img, {}), flash::Error);
    sd.flash().power_on();
    sd.flash().set_faults({});
    // Neither the old image nor a part of the new one configures.
    CHECK(!flash::reboot(*dev, find_board("icebreaker")));
    CHECK(!sd.cdone());
    const auto r = flash::write_image(*dev, find_board("icebreaker"), new_img, {});
    CHECK(r.cdone);
    Board b(std::move(dev), "sim://");
    CHECK(b.identity().gw_minor == 2);
  }
}
