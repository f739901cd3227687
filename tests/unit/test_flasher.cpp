// The flasher end to end on model:// (the FT2232H model's MPSSE engine, the
// W25Q128JV model with its timing and faults, the simulated FPGA booting
// the golden model's board): flash, reboot, identify; a seeded power-cut
// sweep; and every refusal with nothing written where nothing should be.
#include <doctest/doctest.h>

#include <random>

#include "common/image_fixtures.hpp"
#include "devices/devices.hpp"
#include "flash/spi_nor_flash.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "model/model_board.hpp"
#include "spikelink/board.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/flasher.hpp"
#include "spikelink/image.hpp"

using namespace spikelink;

namespace {

const BoardDescription& icebreaker() { return find_board("icebreaker"); }

std::vector<std::uint8_t> make_image(std::uint8_t minor, unsigned seed, std::size_t bitstream = 40'000,
                                     std::uint16_t board_id = 1, std::vector<std::uint8_t> network = {}) {
  image::PackInput in;
  in.board_id = board_id;
  in.board_name = board_id == 1 ? "icebreaker" : "other";
  in.gw_major = 3;
  in.gw_minor = minor;
  in.gw_patch = 1;
  in.source_hash = 0xA000 + minor;
  in.build_time = 1'800'000'000;
  in.bitstream = test::fake_bitstream(bitstream, seed);
  in.network = std::move(network);
  return image::pack(in);
}

struct Dev {
  std::unique_ptr<usb::Device> dev;
  sim::SimulatedDevice* sd = nullptr;
  sim::SpiNorFlash& flash() { return sd->flash(); }
};

Dev model_device() {
  Dev d;
  d.dev = open_device(parse_uri("model://"), 0);
  d.sd = dynamic_cast<sim::SimulatedDevice*>(d.dev.get());
  REQUIRE(d.sd != nullptr);
  return d;
}

// A model:// device with a flash of our choosing.
Dev model_device_with(std::unique_ptr<sim::SpiNorFlash> flash) {
  Dev d;
  auto factory = [](const sim::BootImage*) -> std::unique_ptr<sim::ChannelPort> {
    return std::make_unique<sim::ModelBoard>(sim::ModelBoardOptions{});
  };
  d.dev = std::make_unique<sim::SimulatedDevice>(sim::SimulatedFpgaOptions{}, factory, "TEST0001", std::move(flash));
  d.sd = dynamic_cast<sim::SimulatedDevice*>(d.dev.get());
  return d;
}

bool holds(const sim::SpiNorFlash& f, const std::vector<std::uint8_t>& img) {
  return std::equal(img.begin(), img.end(), f.contents().begin());
}

flash::Error::Kind kind_of(Dev& d, const std::vector<std::uint8_t>& img, flash::Options o = {}) {
  try {
    flash::write_image(*d.dev, icebreaker(), img, o);
  } catch (const flash::Error& e) {
    return e.kind();
  }
  FAIL("write_image succeeded");
  return flash::Error::Kind::kUsage;
}

}  // namespace

TEST_CASE("flasher: an image flashed on model:// boots and identifies with its version") {
  auto d = model_device();
  const auto img = make_image(7, 1);
  std::vector<flash::Progress> seen;
  flash::Options o;
  o.progress = [&](const flash::Progress& p) { seen.push_back(p); };
  const auto r = flash::write_image(*d.dev, icebreaker(), img, o);
  CHECK(r.chip == "W25Q128JV");
  CHECK(spinor::jedec_string(r.jedec) == "EF 40 18");
  CHECK(r.cdone);
  CHECK(d.sd->cdone());
  CHECK(holds(d.flash(), img));
  CHECK(r.bytes_verified == img.size());
  CHECK(r.page_retries == 0);
  // Progress: read, program, verify, then the first page (program and
  // verify again), boot; within a phase monotonic; program ends at its total.
  REQUIRE(!seen.empty());
  CHECK(seen.front().phase == flash::Phase::kRead);
  CHECK(seen.back().phase == flash::Phase::kBoot);
  std::size_t last_program = 0, program_total = 0;
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].phase == seen[i - 1].phase) CHECK(seen[i].done >= seen[i - 1].done);
    CHECK(seen[i].done <= seen[i].total);
    if (seen[i].phase == flash::Phase::kProgram) {
      CHECK(seen[i].done >= last_program);
      last_program = seen[i].done;
      program_total = seen[i].total;
    }
  }
  CHECK(last_program == program_total);
  CHECK(program_total == r.plan.pages.size() * 256);
  Board b(std::move(d.dev), "model://");
  CHECK(b.identity().gw_major == 3);
  CHECK(b.identity().gw_minor == 7);
  CHECK(b.identity().gw_patch == 1);
  CHECK(b.identity().build_hash == 0xA007);
  CHECK(b.identity().board_id == 1);
  CHECK(b.read_reg(0x0024) == 2);  // BOOT_STATUS: a valid image without a network
}

TEST_CASE("flasher: the same image again writes nothing, a new one writes only what changed") {
  auto d = model_device();
  const auto a = make_image(1, 2, 60'000);
  flash::write_image(*d.dev, icebreaker(), a, {});
  const auto before = d.flash().counters();
  auto r = flash::write_image(*d.dev, icebreaker(), a, {});
  CHECK(r.plan.up_to_date);
  CHECK(d.flash().counters().bytes_programmed == before.bytes_programmed);
  CHECK(d.flash().counters().erases() == before.erases());
  CHECK(r.cdone);
  // A new version of the same bitstream: only the header's sector changes.
  const auto b = make_image(2, 2, 60'000);
  r = flash::write_image(*d.dev, icebreaker(), b, {});
  CHECK(holds(d.flash(), b));
  CHECK(r.plan.erases.size() == 1);
  CHECK(d.flash().counters().erases_4k == before.erases_4k + 1);
  CHECK(d.flash().counters().page_programs - before.page_programs == 16);
  CHECK(r.plan.sectors_untouched == r.plan.sectors - 1);
}

TEST_CASE("flasher: a power cut anywhere never boots a partial image, and a re-flash recovers") {
  const auto old_img = make_image(1, 10, 30'000);
  const auto new_img = make_image(2, 11, 30'000);
  // What flashing new over old costs, counted on a healthy flash.
  std::uint64_t total_bytes = 0, total_erases = 0;
  {
    auto d = model_device();
    d.flash().backdoor_write(0, old_img);
    const auto c0 = d.flash().counters();
    flash::write_image(*d.dev, icebreaker(), new_img, {});
    total_bytes = d.flash().counters().bytes_programmed - c0.bytes_programmed;
    total_erases = d.flash().counters().erases() - c0.erases();
  }
  REQUIRE(total_bytes >= new_img.size());
  REQUIRE(total_erases >= 1);
  std::mt19937_64 rng(20261129);
  int booted_new = 0, dead = 0;
  for (int i = 0; i < 40; ++i) {
    CAPTURE(i);
    auto d = model_device();
    d.flash().backdoor_write(0, old_img);
    sim::FlashFaults f;
    f.seed = rng();
    // One in four cuts during an erase, the rest during programming (the
    // last few at the very end, where the first page goes in).
    if (i % 4 == 0) {
      f.power_cut_at_erase = 1 + rng() % total_erases;
    } else if (i % 10 == 9) {
      f.power_cut_at_programmed_bytes = total_bytes - rng() % 256;
    } else {
      f.power_cut_at_programmed_bytes = 1 + rng() % total_bytes;
    }
    CAPTURE(f.power_cut_at_erase.value_or(0));
    CAPTURE(f.power_cut_at_programmed_bytes.value_or(0));
    d.flash().set_faults(f);
    bool threw = false;
    try {
      flash::write_image(*d.dev, icebreaker(), new_img, {});
    } catch (const flash::Error& e) {
      threw = true;
      CHECK(e.kind() != flash::Error::Kind::kImage);
    }
    // Power comes back; the board reboots from whatever the flash holds.
    d.flash().power_on();
    d.flash().set_faults({});
    const bool cdone = flash::reboot(*d.dev, icebreaker());
    if (cdone) {
      // Only the whole new image may boot: never the old one, never a mix.
      CHECK(holds(d.flash(), new_img));
      ++booted_new;
    } else {
      CHECK(threw);
      ++dead;
    }
    // A re-flash recovers the board every time.
    const auto r = flash::write_image(*d.dev, icebreaker(), new_img, {});
    CHECK(r.cdone);
    CHECK(holds(d.flash(), new_img));
    const auto st = d.sd->fpga_status();
    CAPTURE(static_cast<int>(st.state));
    CAPTURE(st.dropped_to_board);
    CAPTURE(st.boots);
    CAPTURE(d.sd->boot_diagnostic());
    Board b(std::move(d.dev), "model://");
    CHECK(b.identity().gw_minor == 2);
  }
  MESSAGE("power cuts: " << dead << " left the board unconfigured, " << booted_new << " after the last byte booted the new image");
  CHECK(dead > 30);
}

TEST_CASE("flasher: a failed program is a verify failure, and the board does not boot the bad image") {
  auto d = model_device();
  sim::FlashFaults f;
  f.fail_program_number = 40;  // a page in the middle of the bitstream
  d.flash().set_faults(f);
  const auto img = make_image(4, 3);
  try {
    flash::write_image(*d.dev, icebreaker(), img, {});
    FAIL("write_image succeeded");
  } catch (const flash::Error& e) {
    CHECK(e.kind() == flash::Error::Kind::kVerify);
    CHECK(std::string(e.what()).find("verify failed at flash address") != std::string::npos);
  }
  // The first page was not written: no sync word, no boot.
  const auto first = d.flash().contents().first(256);
  CHECK(std::all_of(first.begin(), first.end(), [](std::uint8_t v) { return v == 0xFF; }));
  CHECK(!flash::reboot(*d.dev, icebreaker()));
  // Without verify the damage goes unseen and the image is refused at boot
  // by its CRC (CDONE low): the flasher reports that as a boot failure.
  d.flash().set_faults(f);
  d.flash().backdoor_erase();
  flash::Options nv;
  nv.verify = false;
  CHECK(kind_of(d, img, nv) == flash::Error::Kind::kBoot);
  CHECK(d.sd->boot_diagnostic().find("CRC") != std::string::npos);
}

TEST_CASE("flasher: an unknown JEDEC id is refused and nothing is written") {
  sim::FlashPart part = sim::w25q128jv();
  part.name = "MX25L12835F";
  part.jedec = {0xC2, 0x20, 0x18};
  auto d = model_device_with(std::make_unique<sim::SpiNorFlash>(part));
  try {
    flash::write_image(*d.dev, icebreaker(), make_image(1, 4), {});
    FAIL("write_image succeeded");
  } catch (const flash::Error& e) {
    CHECK(e.kind() == flash::Error::Kind::kDevice);
    CHECK(std::string(e.what()).find("unknown JEDEC id C2 20 18") != std::string::npos);
    CHECK(std::string(e.what()).find("W25Q128JV (EF 40 18)") != std::string::npos);
  }
  CHECK(d.flash().counters().bytes_programmed == 0);
  CHECK(d.flash().counters().erases() == 0);
}

TEST_CASE("flasher: a write-protected flash is refused untouched, and --unprotect clears it") {
  auto d = model_device();
  const auto old_img = make_image(1, 5);
  d.flash().backdoor_write(0, old_img);
  d.flash().backdoor_set_status(0x04 | 0x20);  // BP0 + TB: the bottom 256 KiB
  try {
    flash::write_image(*d.dev, icebreaker(), make_image(2, 6), {});
    FAIL("write_image succeeded");
  } catch (const flash::Error& e) {
    CHECK(e.kind() == flash::Error::Kind::kDevice);
    CHECK(std::string(e.what()).find("write-protected") != std::string::npos);
    CHECK(std::string(e.what()).find("--unprotect") != std::string::npos);
  }
  CHECK(holds(d.flash(), old_img));
  CHECK(d.flash().counters().erases() == 0);
  CHECK(d.flash().counters().status_writes == 0);
  // Protection of a range the image does not reach is left alone.
  d.flash().backdoor_set_status(0x04);  // BP0: the top 256 KiB
  const auto img = make_image(2, 6);
  auto r = flash::write_image(*d.dev, icebreaker(), img, {});
  CHECK(!r.unprotected);
  CHECK(d.flash().status() == 0x04);
  d.flash().backdoor_set_status(0x1C);  // everything
  flash::Options o;
  o.unprotect = true;
  const auto img3 = make_image(3, 7);
  r = flash::write_image(*d.dev, icebreaker(), img3, o);
  CHECK(r.unprotected);
  CHECK((d.flash().status() & 0x1C) == 0);
  CHECK(holds(d.flash(), img3));
  CHECK(r.cdone);
}

TEST_CASE("flasher: an image for another board or a damaged one is refused before the device is touched") {
  auto d = model_device();
  const auto before = d.sd->channel_a_counters();
  try {
    flash::write_image(*d.dev, icebreaker(), make_image(1, 8, 40'000, 2), {});
    FAIL("write_image succeeded");
  } catch (const flash::Error& e) {
    CHECK(e.kind() == flash::Error::Kind::kImage);
    CHECK(std::string(e.what()).find("board id 2") != std::string::npos);
  }
  auto bad = make_image(1, 9);
  bad[5000] ^= 0x10;
  CHECK(kind_of(d, bad) == flash::Error::Kind::kImage);
  auto trunc = make_image(1, 9);
  trunc.resize(trunc.size() / 2);
  CHECK(kind_of(d, trunc) == flash::Error::Kind::kImage);
  const auto after = d.sd->channel_a_counters();
  CHECK(after.round_trips() == before.round_trips());
  CHECK(d.flash().counters().commands == 0);
}

TEST_CASE("flasher: a dry run reads and plans but changes nothing") {
  auto d = model_device();
  const auto old_img = make_image(1, 12);
  d.flash().backdoor_write(0, old_img);
  flash::Options o;
  o.dry_run = true;
  const auto r = flash::write_image(*d.dev, icebreaker(), make_image(2, 13), o);
  CHECK(r.dry_run);
  CHECK(!r.plan.erases.empty());
  CHECK(!r.plan.pages.empty());
  CHECK(holds(d.flash(), old_img));
  CHECK(d.flash().counters().erases() == 0);
  CHECK(d.flash().counters().bytes_programmed == 0);
  CHECK(r.cdone);  // the old image boots again
}

TEST_CASE("flasher: a flash that does not answer is a device error") {
  auto d = model_device();
  sim::FlashFaults f;
  f.power_cut_at_erase = 1;
  d.flash().set_faults(f);
  d.flash().backdoor_write(0, make_image(9, 16));  // so the flasher must erase
  // The power goes in the first erase; then the flash is dead, and a
  // second attempt finds no flash at all.
  CHECK(kind_of(d, make_image(1, 14)) == flash::Error::Kind::kDevice);
  try {
    flash::write_image(*d.dev, icebreaker(), make_image(1, 14), {});
    FAIL("write_image succeeded");
  } catch (const flash::Error& e) {
    CHECK(e.kind() == flash::Error::Kind::kDevice);
    CHECK(std::string(e.what()).find("no flash answered") != std::string::npos);
  }
}

TEST_CASE("flasher: the preloaded network of an image runs on model:// without a load") {
  auto d = model_device();
  // The model board's shape, as it identifies.
  proto::Identify id;
  {
    Board probe(open_device(parse_uri("model://")), "model://");
    id = probe.identity();
  }
  Network net;
  net.neurons.resize(id.neurons);
  for (auto& r : net.neurons) {
    model::LifParams p;
    p.tau_m = 20;
    p.v_thresh = -55;
    p.weight_unit = 0.5;
    r = model::quantise(p).regs;
  }
  net.weights.assign(static_cast<std::size_t>(id.inputs + id.neurons) * id.neurons, 0);
  net.weights[0 * id.neurons + 5] = 60;  // input 0 -> neuron 5, strong
  const auto img = make_image(5, 15, 40'000, 1, network_blob(net, id.neurons, id.inputs));
  REQUIRE(flash::write_image(*d.dev, icebreaker(), img, {}).cdone);
  Board b(std::move(d.dev), "model://");
  CHECK(b.identity().gw_minor == 5);
  CHECK(b.read_reg(0x0024) == 1);  // BOOT_STATUS: the network was loaded
  CHECK(b.read_params().at(5) == net.neurons[5]);
  const std::uint64_t t0 = b.time();
  const proto::SpikeEvent in[] = {{t0 + 2, 0}, {t0 + 3, 0}, {t0 + 4, 0}};
  b.send(in);
  b.step(10);
  std::vector<proto::SpikeEvent> got(64);
  got.resize(b.pull(got));
  bool neuron5 = false;
  for (const auto& s : got) neuron5 = neuron5 || s.address == 5;
  CHECK(neuron5);
  for (const auto& s : got) CHECK(s.address == 5);  // nothing else is wired
}

TEST_CASE("flasher: a chip slower than its datasheet's typical time costs retries, not data") {
  // The chip takes 0.9 ms per page program, the database says 0.4 ms: in a
  // batch, the next page's write enable finds the chip busy, is ignored,
  // and that page must be sent again.
  sim::FlashPart part = sim::w25q128jv();
  part.timing.page_program = 0.9e-3;
  auto d = model_device_with(std::make_unique<sim::SpiNorFlash>(part));
  const auto img = make_image(6, 17, 30'000);
  const auto r = flash::write_image(*d.dev, icebreaker(), img, {});
  CHECK(r.page_retries > 0);
  CHECK(holds(d.flash(), img));
  CHECK(r.cdone);
  // Every page programmed exactly once as far as the chip is concerned:
  // ignored commands are counted by the chip, not executed.
  CHECK(d.flash().counters().page_programs == r.plan.pages.size());
  CHECK(d.flash().counters().ignored_busy > 0);
}
