// sim://?flash=PATH end to end on the RTL: the simulated FPGA boots from the
// flash file (identity from the image header), the gateware's boot loader
// loads the network blob, and a CRESET_B pulse through channel A's MPSSE
// engine re-configures the board. docs/sim-flash.md.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "devices/devices.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/board.hpp"
#include "spikelink/image.hpp"

using namespace spikelink;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes image_for(std::uint16_t board_id, const Bytes& network) {
  image::PackInput in;
  in.board_id = board_id;
  in.board_name = "icebreaker";
  in.gw_major = 2;
  in.gw_minor = 5;
  in.gw_patch = 7;
  in.source_hash = 0x5EED1234;
  in.build_time = 1'700'000'000;
  in.bitstream = {0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E};
  for (int i = 0; i < 2000; ++i) in.bitstream.push_back(static_cast<std::uint8_t>(i * 37 + 1));
  in.network = network;
  return image::pack(in);
}

struct TempFlash {
  TempFlash()
      : path(std::filesystem::temp_directory_path() /
             ("spikelink-sim-flash-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".bin")) {
    std::filesystem::remove(path);
  }
  ~TempFlash() { std::filesystem::remove(path); }
  std::string uri() const { return "sim://?flash=" + path.string(); }
  // Puts `img` into the flash file through a device (its change observer
  // writes the file).
  void load(const Bytes& img) const {
    auto dev = open_device(parse_uri(uri()));
    dynamic_cast<sim::SimulatedDevice&>(*dev).flash().backdoor_write(0, img);
  }
  std::filesystem::path path;
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("sim flash boot: sim://?flash=PATH with an erased file does not configure") {
  TempFlash f;
  auto dev = open_device(parse_uri(f.uri()));
  auto& sd = dynamic_cast<sim::SimulatedDevice&>(*dev);
  CHECK_FALSE(sd.cdone());
  CHECK(sd.boot_diagnostic().find("it is erased") != std::string::npos);
  BoardOptions o;
  o.command_timeout = 500ms;
  CHECK_THROWS_AS(Board(std::move(dev), f.uri(), o), BoardError);  // nothing answers IDENTIFY
}

TEST_CASE("sim flash boot: the RTL board boots with the image's identity and network") {
  TempFlash f;
  Network net;
  net.weights.assign(std::size_t{512} * 256, 0);
  net.weights[3] = 17;
  net.weights[256 * 7 + 9] = 99;
  f.load(image_for(0x0001, network_blob(net, 256, 256)));
  auto b = Board::open(f.uri());
  CHECK(b->identity().board_id == 0x0001);
  CHECK(b->identity().gw_major == 2);
  CHECK(b->identity().gw_minor == 5);
  CHECK(b->identity().gw_patch == 7);
  CHECK(b->identity().build_hash == 0x5EED1234);
  const Bytes w = b->read_weights();
  REQUIRE(w.size() == std::size_t{512} * 256);
  CHECK(w[3] == 17);
  CHECK(w[256 * 7 + 9] == 99);
}

TEST_CASE("sim flash boot: without flash= sim:// comes up with the build's own gateware") {
  auto dev = open_device(parse_uri("sim://"));
  auto& sd = dynamic_cast<sim::SimulatedDevice&>(*dev);
  CHECK(sd.cdone());
  CHECK(sd.boot_diagnostic().find("the build's own gateware") != std::string::npos);
  Board b(std::move(dev), "sim://");
  CHECK(b.identity().neurons > 0);
}
