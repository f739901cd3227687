// bench_flash: flashing an image through the whole host path (flash::
// write_image, MPSSE over the FTDI layer) into the simulated board's SPI
// flash (the FT2232H model's MPSSE engine and the W25Q128JV model with its
// datasheet timing), in simulated time.
//
// Baseline, measured in the same run: the flash's intrinsic time for the
// same bytes, the typical erase time of the erases the plan chose plus the
// typical page-program time of every page it programs. The ratio of the
// simulated time to flash and verify to that baseline is the figure; the
// target is <= 1.25. USB round trips are counted (each bulk transfer costs
// a 125 us microframe in the model).
//
// Scenarios, each starting from the flash as the previous one left it:
//   blank        an erased flash (a new board)
//   reflash      the flash holds another image of the same size (every
//                sector needs erasing)
//   same         the same image again (read and compare only)
//   new-header   only the header changes (new build time): the first sector
//
// Usage: bench_flash [image or bitstream] [--freq HZ]
//   An image is used as it is; a bitstream is packed for the iCEBreaker.
//   Default: the iCEBreaker bitstream of this build when it exists
//   (cmake --build build/default --target bitstream_icebreaker), else a
//   random bitstream of the UP5K's size (104,090 bytes), said so.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "devices/devices.hpp"
#include "ftdi/ft2232h_model.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/flasher.hpp"
#include "spikelink/image.hpp"

using namespace spikelink;

namespace {

std::vector<std::uint8_t> read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> random_bitstream(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> b = {0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E};
  while (b.size() < n) {
    auto v = static_cast<std::uint8_t>(rng());
    b.push_back(v == 0x7E ? std::uint8_t{0x7D} : v);
  }
  return b;
}

std::vector<std::uint8_t> pack(const std::vector<std::uint8_t>& bit, std::uint64_t build_time) {
  image::PackInput in;
  const auto& board = find_board("icebreaker");
  in.board_id = board.board_id;
  in.board_name = board.name;
  in.gw_minor = 1;
  in.build_time = build_time;
  in.bitstream = bit;
  return image::pack(in);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  double freq = 30e6;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--freq") == 0 && i + 1 < argc) {
      freq = std::atof(argv[++i]);
    } else {
      path = argv[i];
    }
  }
#ifdef SPIKELINK_BINARY_DIR
  if (path.empty()) {
    const std::string built = std::string(SPIKELINK_BINARY_DIR) + "/firmware/icebreaker/spikelink_icebreaker.bin";
    if (std::filesystem::exists(built)) path = built;
  }
#endif
  std::vector<std::uint8_t> img;
  std::string what;
  if (path.empty()) {
    img = pack(random_bitstream(104'090, 1), 1'800'000'000);
    what = "a random 104,090-byte bitstream (no iCEBreaker bitstream built)";
  } else {
    auto bytes = read_file(path);
    try {
      image::parse(bytes);
      img = bytes;
      what = path + " (image)";
    } catch (const image::Error&) {
      img = pack(bytes, 1'800'000'000);
      what = path + " (bitstream, packed)";
    }
  }
  const auto& board = find_board("icebreaker");
  std::printf("bench_flash: %s, image %zu bytes, SPI %.1f MHz requested\n\n", what.c_str(), img.size(), freq / 1e6);

  auto dev = open_device(parse_uri("model://"), board.flash_interface);
  auto* sd = dynamic_cast<sim::SimulatedDevice*>(dev.get());
  if (!sd) {
    std::fprintf(stderr, "model:// is not a simulated device\n");
    return 1;
  }

  // The image another build would have left: same size, other bytes.
  auto other = img;
  {
    const auto h = image::decode_header(img);
    other = pack(random_bitstream(h.bitstream_length, 2), 1'700'000'000);
  }
  auto new_header = img;
  {
    auto h = image::decode_header(img);
    h.build_time += 3600;
    const auto hb = image::encode_header(h);
    std::copy(hb.begin(), hb.end(), new_header.begin());
  }

  struct Scenario {
    const char* name;
    const std::vector<std::uint8_t>* before;  // flash contents to start from (nullptr: as left)
    const std::vector<std::uint8_t>* image;
  };
  const std::vector<std::uint8_t> blank;
  const Scenario scenarios[] = {
      {"blank", &blank, &img},
      {"reflash", &other, &img},
      {"same", nullptr, &img},
      {"new-header", nullptr, &new_header},
  };
  std::printf("%-11s %9s %9s %7s %9s %8s %7s %7s %6s %6s %9s\n", "scenario", "flash ms", "intrinsic", "ratio", "erases",
              "pages", "skipped", "USB rt", "boot", "CDONE", "wall ms");
  bool all_ok = true;
  double reflash_ratio = 0;
  for (const auto& sc : scenarios) {
    if (sc.before) {
      sd->flash().backdoor_erase();
      if (!sc.before->empty()) sd->flash().backdoor_write(0, *sc.before);
    }
    flash::Options o;
    o.sck_hz = freq;
    o.reboot = false;  // timed separately below
    const auto c0 = sd->channel_a_counters();
    const auto t0 = sd->channel_a_ns();
    flash::Report r;
    try {
      r = flash::write_image(*dev, board, *sc.image, o);
    } catch (const std::exception& e) {
      std::printf("%-11s failed: %s\n", sc.name, e.what());
      all_ok = false;
      continue;
    }
    const auto t1 = sd->channel_a_ns();
    const auto c1 = sd->channel_a_counters();
    const bool booted = flash::reboot(*dev, board);
    const auto t2 = sd->channel_a_ns();
    const double ms = static_cast<double>(t1 - t0) / 1e6;
    const double intrinsic = r.plan.intrinsic_s * 1e3;
    const double ratio = intrinsic > 0 ? ms / intrinsic : 0;
    std::size_t erased = 0;
    for (const auto& e : r.plan.erases) erased += e.bytes;
    const bool same = std::equal(sc.image->begin(), sc.image->end(), sd->flash().contents().begin());
    all_ok = all_ok && same && booted;
    if (std::string(sc.name) == "reflash") reflash_ratio = ratio;
    std::printf("%-11s %9.1f %9.1f %7s %6zu KB %8zu %7zu %7llu %5.0fms %6s %9.1f\n", sc.name, ms, intrinsic,
                intrinsic > 0 ? (std::to_string(ratio).substr(0, 5) + "x").c_str() : "-", erased / 1024,
                r.plan.pages.size(), r.plan.pages_skipped,
                static_cast<unsigned long long>(c1.round_trips() - c0.round_trips()), static_cast<double>(t2 - t1) / 1e6,
                booted ? "high" : "LOW", r.wall_s * 1e3);
    if (!same) std::printf("  the flash does not hold the image afterwards!\n");
  }
  std::printf("\nflash ms: simulated time from the first transfer to the verified first page (no reboot);\n"
              "intrinsic: the datasheet's typical erase + program time of the same plan; boot: the reboot\n"
              "and the wait for CDONE, simulated. Target: reflash ratio <= 1.25 -> %s (%.3f)\n",
              reflash_ratio > 0 && reflash_ratio <= 1.25 ? "met" : "NOT met", reflash_ratio);
  return all_ok && reflash_ratio <= 1.25 ? 0 : 1;
}
