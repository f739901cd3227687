// The FT2232H model's channel A: the MPSSE engine driven through usb::Device
// bulk and control transfers (GPIO, SPI to the flash as iceprog does it,
// invalid opcodes, send-immediate, packetisation, the time model), and the
// simulated FPGA booting from the flash (CDONE, identity, diagnostics).
// docs/usb.md, docs/sim-flash.md.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "../common/loopback_port.hpp"
#include "devices/devices.hpp"
#include "flash/spi_nor_flash.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/board.hpp"
#include "spikelink/ftdi.hpp"
#include "spikelink/image.hpp"

using namespace spikelink;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

// iceprog's pin scheme: SCK and MOSI outputs, CS and CRESET_B asserted by
// making them outputs that drive 0, released by making them inputs.
constexpr std::uint8_t kDirSpi = 0x03;
constexpr std::uint8_t kCs = 0x10;
constexpr std::uint8_t kCreset = 0x80;

Bytes set_pins(bool cs_low, bool creset_low) {
  return {0x80, 0x00,
          static_cast<std::uint8_t>(kDirSpi | (cs_low ? kCs : 0) | (creset_low ? kCreset : 0))};
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// 0x31: write and read n bytes, MSB first, SPI mode 0.
Bytes xfer(const Bytes& data) {
  Bytes c = {0x31, static_cast<std::uint8_t>((data.size() - 1) & 0xFF), static_cast<std::uint8_t>((data.size() - 1) >> 8)};
  c.insert(c.end(), data.begin(), data.end());
  return c;
}

// Raw IN packets to data: strip the two status bytes of every 512.
Bytes strip(const Bytes& raw) {
  Bytes out;
  for (std::size_t p = 0; p < raw.size(); p += 512) {
    const std::size_t end = std::min(raw.size(), p + 512);
    REQUIRE(end - p >= 2);
    out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(p + 2), raw.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

struct Rig {
  explicit Rig(std::unique_ptr<sim::SimulatedDevice> d) : dev(std::move(d)), a(*dev, ftdi::Port::kA) { enter(); }
  Rig() : Rig(std::make_unique<sim::SimulatedDevice>(std::make_unique<testing::LoopbackPort>())) {}

  void enter() {
    a.reset();
    a.set_latency_timer(1);
    a.set_bitmode(ftdi::Bitmode::kReset, 0);
    a.set_bitmode(ftdi::Bitmode::kMpsse, 0);
    write({0x8A, 0x86, 0x00, 0x00});  // 60 MHz / 2: SCK 30 MHz
  }
  void write(const Bytes& b) { dev->bulk_write(0x02, b, 1000ms); }
  Bytes raw_read(std::size_t buf = 4096) {
    Bytes r(buf);
    r.resize(dev->bulk_read(0x81, r, 1000ms));
    return r;
  }
  Bytes read() { return strip(raw_read()); }
  // Writes `cmd` + SEND_IMMEDIATE and reads its answer.
  Bytes ask(const Bytes& cmd) {
    write(cat({cmd, {0x87}}));
    return read();
  }
  std::uint8_t gpio() {
    const Bytes r = ask({0x81});
    REQUIRE(r.size() == 1);
    return r[0];
  }

  std::unique_ptr<sim::SimulatedDevice> dev;
  ftdi::Channel a;
};

Bytes fake_bitstream(std::size_t n) {
  // As icepack writes one: a comment block, 0xFF, then the sync word.
  Bytes b = {0xFF, 0x00, 'x', 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E, 0x51, 0x00, 0x01, 0x05, 0x92, 0x00, 0x20};
  for (std::size_t i = b.size(); i < n; ++i) b.push_back(static_cast<std::uint8_t>(i * 131 + 7));
  return b;
}

Bytes test_image(std::uint16_t board_id = 0x0001, Bytes network = {}) {
  image::PackInput in;
  in.board_id = board_id;
  in.board_name = "icebreaker";
  in.gw_major = 1;
  in.gw_minor = 2;
  in.gw_patch = 3;
  in.source_hash = 0xC0FFEE42;
  in.build_time = 1'700'000'000;
  in.bitstream = fake_bitstream(1000);
  in.network = std::move(network);
  return image::pack(in);
}

// A SimulatedDevice whose FPGA makes LoopbackPorts and records what it was
// configured with.
struct Boot {
  explicit Boot(bool from_flash, const Bytes& flash_image = {}) {
    auto flash = std::make_unique<sim::SpiNorFlash>();
    if (!flash_image.empty()) flash->backdoor_write(0, flash_image);
    sim::SimulatedFpgaOptions o;
    o.boot_from_flash = from_flash;
    auto factory = [this](const sim::BootImage* img) -> std::unique_ptr<sim::ChannelPort> {
      made.push_back(img ? std::optional<sim::BootImage>(*img) : std::nullopt);
      return std::make_unique<testing::LoopbackPort>();
    };
    rig.emplace(std::make_unique<sim::SimulatedDevice>(o, factory, "SIM000001", std::move(flash)));
  }
  sim::SimulatedDevice& dev() { return *rig->dev; }
  // CRESET_B low then released, as iceprog does around flashing.
  void pulse_creset() {
    rig->write(set_pins(false, true));
    rig->write(set_pins(false, false));
  }
  std::vector<std::optional<sim::BootImage>> made;
  std::optional<Rig> rig;
};

}  // namespace

TEST_CASE("mpsse model: GPIO reads show driven levels, pulled-up inputs and CDONE") {
  Rig r;
  CHECK(r.dev->channel_a_counters().bad_commands == 0);
  // Everything released: pull-ups everywhere, CDONE high (the board is configured).
  r.write({0x80, 0x00, 0x00});
  CHECK(r.gpio() == 0xFF);
  // SCK and MOSI driven low, CS and CRESET_B released.
  r.write(set_pins(false, false));
  CHECK(r.gpio() == 0xFC);
  // CRESET_B asserted: the FPGA is in reset, CDONE falls.
  r.write(set_pins(false, true));
  CHECK(r.gpio() == (0xFC & ~0x80 & ~0x40));
  CHECK_FALSE(r.dev->cdone());
  CHECK(r.dev->fpga_status().state == sim::SimulatedFpga::State::kReset);
  // ACBUS: nothing attached.
  r.write({0x82, 0x05, 0x0F});
  CHECK(r.ask({0x83}) == Bytes{0xF5});
  CHECK(r.dev->channel_a_counters().creset_pulses == 1);
}

TEST_CASE("mpsse model: a JEDEC ID read as iceprog does it, with the FPGA held in reset") {
  Rig r;
  r.write(set_pins(false, true));  // CRESET_B low, CS high
  const Bytes got = r.ask(cat({set_pins(true, true), xfer({0x9F, 0, 0, 0}), set_pins(false, true)}));
  CHECK(got == Bytes{0xFF, 0xEF, 0x40, 0x18});
  CHECK(r.dev->flash().counters().commands == 1);
  // 0x11 (write only) + 0x20 (read only) give the same answer.
  const Bytes got2 = r.ask(cat({set_pins(true, true), {0x11, 0x00, 0x00, 0x9F, 0x20, 0x02, 0x00}, set_pins(false, true)}));
  CHECK(got2 == Bytes{0xEF, 0x40, 0x18});
  CHECK(r.dev->channel_a_counters().bus_conflicts == 0);
  CHECK(r.dev->channel_a_counters().edge_mismatches == 0);
}

TEST_CASE("mpsse model: the flash while CRESET_B is released is a bus conflict, counted, and reads noise") {
  Rig r;
  const Bytes got = r.ask(cat({set_pins(true, false), xfer({0x9F, 0, 0, 0}), set_pins(false, false)}));
  CHECK(got.size() == 4);
  CHECK(got != Bytes{0xFF, 0xEF, 0x40, 0x18});
  CHECK(r.dev->channel_a_counters().bus_conflicts == 1);
  CHECK(r.dev->flash().counters().commands == 0);
}

TEST_CASE("mpsse model: invalid opcodes are answered FA <op> and the engine goes on") {
  Rig r;
  CHECK(r.ask({0xAA}) == Bytes{0xFA, 0xAA});
  CHECK(r.ask({0xAB, 0x81, 0x40}) == Bytes{0xFA, 0xAB, 0xFF, 0xFA, 0x40});  // 0x40: TMS is not modelled
  CHECK(r.dev->channel_a_counters().bad_commands == 3);
}

TEST_CASE("mpsse model: bit transfers 0x13 and 0x33, clock-only commands and loopback") {
  Rig r;
  r.write(set_pins(false, true));
  // JEDEC opcode as 5 + 3 bits, then 16 bits read as two 8-bit transfers and one of 8 in halves.
  const Bytes got = r.ask(cat({set_pins(true, true), {0x13, 0x04, 0x9F, 0x13, 0x02, 0xE0},
                               {0x33, 0x07, 0x00, 0x33, 0x03, 0x00, 0x33, 0x03, 0x00}, set_pins(false, true)}));
  CHECK(got == Bytes{0xEF, 0x04, 0x00});  // EF, then 0x40 as 0100 / 0000 in the low bits
  const std::uint64_t t0 = r.dev->channel_a_ns();
  r.write({0x8F, 0x01, 0x00});  // 16 clocks at 30 MHz
  CHECK(r.dev->channel_a_ns() - t0 >= sim::Ft2232hModel::kUsbTransferNs + 533);
  CHECK(r.dev->channel_a_ns() - t0 <= sim::Ft2232hModel::kUsbTransferNs + 534);
  CHECK(r.dev->channel_a_counters().clock_only_bits == 16);
  r.write({0x8E, 0x02});
  CHECK(r.dev->channel_a_counters().clock_only_bits == 19);
  CHECK(r.ask({0x84, 0x31, 0x01, 0x00, 0x5A, 0xC3, 0x85}) == Bytes{0x5A, 0xC3});
}

TEST_CASE("mpsse model: without SEND_IMMEDIATE the answer waits for the latency timer") {
  Rig r;
  r.a.set_latency_timer(5);
  r.write({0x81});
  const std::uint64_t t0 = r.dev->channel_a_ns();
  CHECK(r.read().size() == 1);
  CHECK(r.dev->channel_a_ns() - t0 >= 5'000'000 - sim::Ft2232hModel::kUsbTransferNs);
  CHECK(r.dev->channel_a_counters().latency_flushes == 1);
  // Nothing to read: a status-only packet, a latency period later.
  const Bytes raw = r.raw_read();
  CHECK(raw.size() == 2);
  CHECK(r.dev->channel_a_counters().status_only_packets == 1);
  // With it: at once.
  r.write({0x81, 0x87});
  const std::uint64_t t1 = r.dev->channel_a_ns();
  CHECK(r.read().size() == 1);
  CHECK(r.dev->channel_a_ns() - t1 == sim::Ft2232hModel::kUsbTransferNs);
}

TEST_CASE("mpsse model: a read of more than 510 bytes comes in 512-byte packets with status bytes, and takes SPI time") {
  Rig r;
  Bytes data(1500);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  r.dev->flash().backdoor_write(0x10000, data);
  r.write(set_pins(false, true));
  const auto before = r.dev->channel_a_counters();
  const std::uint64_t t0 = r.dev->channel_a_ns();
  // READ 0x010000, then 1500 bytes with 0x20.
  r.write(cat({set_pins(true, true), {0x11, 0x03, 0x00, 0x03, 0x01, 0x00, 0x00},
               {0x20, static_cast<std::uint8_t>((1500 - 1) & 0xFF), static_cast<std::uint8_t>((1500 - 1) >> 8)},
               set_pins(false, true), {0x87}}));
  const Bytes raw = r.raw_read(2048);
  REQUIRE(raw.size() == 512 + 512 + 2 + (1500 - 1020));
  CHECK(raw[0] == 0x01);
  CHECK(raw[1] == 0x60);
  CHECK(raw[512] == 0x01);
  CHECK(raw[1024] == 0x01);
  CHECK(strip(raw) == data);
  // 1504 SPI bytes at 30 MHz = 401.07 us, and one OUT and one IN transfer.
  const std::uint64_t dt = r.dev->channel_a_ns() - t0;
  CHECK(dt >= 2 * sim::Ft2232hModel::kUsbTransferNs + 401'066);
  CHECK(dt <= 2 * sim::Ft2232hModel::kUsbTransferNs + 401'068);
  const auto after = r.dev->channel_a_counters();
  CHECK(after.bulk_writes - before.bulk_writes == 1);
  CHECK(after.bulk_reads - before.bulk_reads == 1);
  CHECK(after.round_trips() - before.round_trips() == 2);
  CHECK(after.spi_bytes - before.spi_bytes == 1504);
  // A smaller host buffer gets whole packets, the rest on the next read.
  r.write(cat({set_pins(true, true), {0x11, 0x03, 0x00, 0x03, 0x01, 0x00, 0x00},
               {0x20, static_cast<std::uint8_t>((1500 - 1) & 0xFF), static_cast<std::uint8_t>((1500 - 1) >> 8)},
               set_pins(false, true), {0x87}}));
  Bytes first = r.raw_read(512);
  CHECK(first.size() == 512);
  Bytes rest = r.raw_read(4096);
  CHECK(rest.size() == 512 + 2 + 480);
  Bytes both = strip(first);
  const Bytes tail = strip(rest);
  both.insert(both.end(), tail.begin(), tail.end());
  CHECK(both == data);
}

TEST_CASE("mpsse model: the SPI clock follows divide-by-5 and the divisor") {
  Rig r;
  r.write({0x8B, 0x86, 0x02, 0x00});  // 12 MHz / 6 = 2 MHz
  CHECK(r.dev->model().mpsse_state().sck_hz == doctest::Approx(2e6));
  const std::uint64_t t0 = r.dev->channel_a_ns();
  r.write({0x11, 0x09, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // 10 bytes = 80 clocks = 40 us
  CHECK(r.dev->channel_a_ns() - t0 == sim::Ft2232hModel::kUsbTransferNs + 40'000);
  r.write({0x8A, 0x86, 0x00, 0x00});
  CHECK(r.dev->model().mpsse_state().sck_hz == doctest::Approx(30e6));
}

TEST_CASE("mpsse model: a command split over two bulk transfers is executed once whole") {
  Rig r;
  r.write(set_pins(false, true));
  r.write(cat({set_pins(true, true), {0x31, 0x03}}));
  r.write({0x00, 0x9F, 0x00});
  r.write(cat({{0x00, 0x00}, set_pins(false, true), {0x87}}));
  CHECK(r.read() == Bytes{0xFF, 0xEF, 0x40, 0x18});
}

TEST_CASE("mpsse model: page program and BUSY polling through MPSSE take the flash's time on channel A") {
  Rig r;
  r.write(set_pins(false, true));
  const auto cmd = [&](const Bytes& b) { r.write(cat({set_pins(true, true), {0x11, static_cast<std::uint8_t>(b.size() - 1), 0x00}, b, set_pins(false, true)})); };
  cmd({0x06});
  Bytes pp = {0x02, 0x00, 0x01, 0x00};
  for (int i = 0; i < 256; ++i) pp.push_back(static_cast<std::uint8_t>(i));
  r.write(cat({set_pins(true, true), {0x11, 0x03, 0x01}, pp, set_pins(false, true)}));
  const std::uint64_t t0 = r.dev->channel_a_ns();
  int polls = 0;
  for (;; ++polls) {
    const Bytes s = r.ask(cat({set_pins(true, true), xfer({0x05, 0x00}), set_pins(false, true)}));
    REQUIRE(s.size() == 2);
    if ((s[1] & 1) == 0) break;
    REQUIRE(polls < 100);
  }
  // Each poll is two USB transfers (250 us): the 400 us program needs two.
  CHECK(polls == 2);
  CHECK(r.dev->channel_a_ns() - t0 >= 400'000);
  CHECK(r.dev->flash().contents()[0x100 + 200] == 200);
}

TEST_CASE("mpsse model: leaving MPSSE releases CRESET_B, and channel A bytes outside MPSSE are dropped and counted") {
  Rig r;
  r.write(set_pins(false, true));
  CHECK(r.dev->fpga_status().state == sim::SimulatedFpga::State::kReset);
  r.a.set_bitmode(ftdi::Bitmode::kReset, 0);
  CHECK(r.dev->fpga_status().state != sim::SimulatedFpga::State::kReset);
  r.write({0x81, 0x87});
  CHECK(r.dev->channel_a_counters().dropped_not_mpsse == 2);
}

TEST_CASE("fpga boot: host bytes to channel B while CRESET_B is low are dropped and counted, and time still passes") {
  Rig r;
  ftdi::Channel b(*r.dev, ftdi::Port::kB);
  b.open_uart(3'000'000, 2);
  r.write(set_pins(false, true));
  const std::uint64_t c0 = r.dev->model().cycles();
  b.write(Bytes{1, 2, 3, 4, 5});
  Bytes got;
  b.read(got, 100ms);
  CHECK(got.empty());
  CHECK(r.dev->model().cycles() > c0);
  CHECK(r.dev->fpga_status().dropped_to_board == 5);
}

TEST_CASE("fpga boot: a valid image configures after the iCE40's read time, with the header's identity") {
  const Bytes img = test_image();
  Boot boot(false, img);
  REQUIRE(boot.made.size() == 1);
  CHECK_FALSE(boot.made[0].has_value());  // power-on: the build's own gateware
  CHECK(boot.dev().cdone());
  boot.pulse_creset();
  CHECK_FALSE(boot.dev().cdone());  // still reading the flash
  REQUIRE(boot.made.size() == 2);
  REQUIRE(boot.made[1].has_value());
  const sim::BootImage& b = *boot.made[1];
  CHECK(b.board_id == 0x0001);
  CHECK(b.gw_major == 1);
  CHECK(b.gw_minor == 2);
  CHECK(b.gw_patch == 3);
  CHECK(b.source_hash == 0xC0FFEE42);
  CHECK(b.bytes_read == 128 + 1000);
  const auto st = boot.dev().fpga_status();
  CHECK(st.last_boot_ns == static_cast<std::uint64_t>(std::llround(1128 * 8 / 7e6 * 1e9)));
  boot.dev().model().advance_channel_a(st.last_boot_ns);
  CHECK(boot.dev().cdone());
  CHECK((boot.rig->gpio() & 0x40) != 0);
  CHECK(boot.dev().boot_diagnostic().find("configured from flash: board 0x0001 (icebreaker), gateware 1.2.3, "
                                          "source hash 0xc0ffee42") != std::string::npos);
  CHECK(st.configured == 2);
}

TEST_CASE("fpga boot: boot_from_flash configures at power-on and passes the network blob") {
  const Bytes net = {0x00, 0x11, 0x22, 0x33};
  Boot boot(true, test_image(0x0001, net));
  REQUIRE(boot.made.size() == 1);
  REQUIRE(boot.made[0].has_value());
  CHECK(boot.made[0]->network == net);
  CHECK(boot.made[0]->network_length == 4);
  CHECK(boot.made[0]->network_offset % 256 == 0);
  boot.dev().model().advance_channel_a(10'000'000);
  CHECK(boot.dev().cdone());
}

TEST_CASE("fpga boot: a blank flash leaves CDONE low and says the first page is erased") {
  Boot boot(true);
  CHECK(boot.made.empty());
  boot.dev().model().advance_channel_a(10'000'000);
  CHECK_FALSE(boot.dev().cdone());
  CHECK((boot.rig->gpio() & 0x40) == 0);
  CHECK_FALSE(boot.dev().fpga_status().image_valid);
  CHECK(boot.dev().fpga_status().state == sim::SimulatedFpga::State::kUnconfigured);
  CHECK(boot.dev().boot_diagnostic().find("no iCE40 sync word 7E AA 99 7E in the flash's first 256-byte page (it is erased)") !=
        std::string::npos);
}

TEST_CASE("fpga boot: garbage in the first page is no bitstream") {
  Bytes junk(4096);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 13 + 1);
  Boot boot(true, junk);
  CHECK_FALSE(boot.dev().cdone());
  CHECK(boot.dev().boot_diagnostic().find("holds no bitstream") != std::string::npos);
}

TEST_CASE("fpga boot: a sync word with a damaged bitstream fails its CRC and leaves CDONE low") {
  Bytes img = test_image();
  img[128 + 500] ^= 0x01;
  Boot boot(true, img);
  boot.dev().model().advance_channel_a(10'000'000);
  CHECK_FALSE(boot.dev().cdone());
  CHECK(boot.made.empty());
  const std::string d = boot.dev().boot_diagnostic();
  CHECK(d.find("does not configure the FPGA") != std::string::npos);
  CHECK(d.find("CRC") != std::string::npos);
  // The iCE40 read the whole bitstream before its check failed.
  CHECK(boot.dev().fpga_status().last_boot_ns == static_cast<std::uint64_t>(std::llround(1128 * 8 / 7e6 * 1e9)));
}

TEST_CASE("fpga boot: an image for another board leaves CDONE low and names both boards") {
  Boot boot(true, test_image(0x0002));
  CHECK_FALSE(boot.dev().cdone());
  CHECK(boot.dev().boot_diagnostic().find("is for board 0x0002 (icebreaker), this board is 0x0001") != std::string::npos);
}

TEST_CASE("fpga boot: a fixed board stops under CRESET_B and runs again when the flash configures") {
  Rig r;  // LoopbackPort, no factory
  r.dev->flash().backdoor_write(0, test_image());
  r.write(set_pins(false, true));
  r.write(set_pins(false, false));
  r.dev->model().advance_channel_a(10'000'000);
  CHECK(r.dev->cdone());
  CHECK(r.dev->fpga_status().state != sim::SimulatedFpga::State::kReset);
}

TEST_CASE("fpga boot: model://?flash=PATH boots the image's identity and network, and writes the flash back to the file") {
  const auto path = std::filesystem::temp_directory_path() / ("spikelink-flash-test-" + std::to_string(::getpid()) + ".bin");
  std::filesystem::remove(path);
  const std::string uri = "model://?flash=" + path.string();
  {
    // A missing file is created erased: nothing configures.
    auto dev = open_device(parse_uri(uri));
    auto* sd = dynamic_cast<sim::SimulatedDevice*>(dev.get());
    REQUIRE(sd != nullptr);
    CHECK(std::filesystem::file_size(path) == 16u * 1024 * 1024);
    CHECK(sd->boot_diagnostic().find("it is erased") != std::string::npos);
    // Program the image through the backdoor-free path's effect: the change observer writes the file.
    Network net;
    net.weights.assign(std::size_t{512} * 256, 0);
    net.weights[5] = 42;
    sd->flash().backdoor_write(0, test_image(0x0001, network_blob(net, 256, 256)));
  }
  {
    auto b = Board::open(uri);
    CHECK(b->identity().board_id == 0x0001);
    CHECK(b->identity().gw_major == 1);
    CHECK(b->identity().gw_minor == 2);
    CHECK(b->identity().gw_patch == 3);
    CHECK(b->identity().build_hash == 0xC0FFEE42);
    const Bytes w = b->read_weights();
    REQUIRE(w.size() > 5);
    CHECK(w[5] == 42);
  }
  std::filesystem::remove(path);
  CHECK_THROWS_AS(open_device(parse_uri("model://?flash=/nonexistent-dir/x.bin")), BoardError);
}

TEST_CASE("fpga boot: a host on channel B alone finds the board running after the configuration time, and CDONE high") {
  Boot boot(false, test_image());
  ftdi::Channel b(boot.dev(), ftdi::Port::kB);
  b.open_uart(3'000'000, 1);
  boot.pulse_creset();
  const auto st = boot.dev().fpga_status();
  REQUIRE(st.state == sim::SimulatedFpga::State::kConfiguring);
  // Sent at once: the FPGA is still reading its flash, the bytes are lost.
  b.write(Bytes{1, 2, 3});
  Bytes got;
  b.read(got, 100ms);
  CHECK(got.empty());
  CHECK(boot.dev().fpga_status().dropped_to_board == 3);
  // Channel B's clock passes the configuration time (1.29 ms): the board runs,
  // and channel A, whose clock has not moved, reads CDONE high.
  boot.dev().model().run_for(24'000'000 / 1000 * 2);
  CHECK(boot.dev().fpga_status().state == sim::SimulatedFpga::State::kUser);
  CHECK(boot.dev().cdone());
  b.write(Bytes{4, 5, 6});
  for (int i = 0; i < 10 && got.size() < 3; ++i) b.read(got, 100ms);
  CHECK(got == Bytes{4, 5, 6});
}
