// spikelink flash IMAGE (docs/flashing.md, docs/cli.md).
#include <fstream>
#include <iostream>
#include <iterator>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "devices/devices.hpp"
#include "spikelink/board.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/flasher.hpp"
#include "spikelink/image.hpp"

namespace po = boost::program_options;

namespace spikelink::cli {

int cmd_flash(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink flash options");
  std::string file, device, board_name, board_file;
  double freq = 30e6;
  opts.add_options()("help,h", "show this help")
      ("image", po::value(&file), "the image to write (spikelink image pack)")
      ("device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)")
      ("board", po::value(&board_name), "board name or id (default: icebreaker)")
      ("board-file", po::value(&board_file), "a board description file (docs/boards.md) instead of --board")
      ("no-verify", "skip the read-back verify")
      ("dry-run", "read the flash and show what would be erased and written; change nothing")
      ("unprotect", "clear the flash's write-protection bits if they cover the image")
      ("no-reboot", "leave the FPGA held in reset afterwards (CRESET_B low)")
      ("freq", po::value(&freq), "SPI clock in Hz (default 30e6, the MPSSE's fastest; it makes 30e6/n)");
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  const std::string usage =
      "Usage: spikelink flash IMAGE [--device URI] [options]\n\n"
      "Writes a spikelink image to a board's SPI flash over the FT2232H's channel A,\n"
      "verifies it and reboots the FPGA from it. Only what differs is written; the\n"
      "image header's page goes last, so an interrupted flash never boots half an image.\n\n";
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << usage << opts
                << "\nExit codes: 0 done, 2 usage, 3 device (USB, no or unknown flash, write-protected),\n"
                   "4 image (unreadable, damaged, other board), 5 verify failed, 6 written but CDONE low.\n";
      return kExitOk;
    }
    po::notify(vm);
    if (file.empty()) throw po::error("an IMAGE to flash is required");
    if (!(freq >= 1e3 && freq <= 30e6)) throw po::error("--freq must be between 1e3 and 30e6 Hz");
    if (!board_name.empty() && !board_file.empty()) throw po::error("--board and --board-file exclude each other");
  } catch (const po::error& e) {
    error(fmt::format("flash: {}", e.what()));
    std::cerr << "Try 'spikelink flash --help'.\n";
    return kExitUsage;
  }

  BoardDescription board;
  try {
    board = !board_file.empty() ? load_board_description(board_file)
                                : find_board(board_name.empty() ? std::string("icebreaker") : board_name);
  } catch (const BoardDescriptionError& e) {
    error(e.what());
    return kExitUsage;
  }

  std::vector<std::uint8_t> bytes;
  {
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      error(fmt::format("cannot open the image '{}'", file));
      return kExitImage;
    }
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  // Check the file before touching the board.
  try {
    image::parse(bytes);
  } catch (const image::Error& e) {
    error(fmt::format("{}: offset {}: {}; nothing was written", file, e.offset(), e.what()));
    return kExitImage;
  }

  std::unique_ptr<usb::Device> dev;
  try {
    if (device.empty()) device = default_device();
    const DeviceUri uri = parse_uri(device);
    dev = open_device(uri, board.flash_interface);
    if ((uri.scheme == "sim" || uri.scheme == "model") && uri.param("flash").empty())
      note(common, fmt::format("note: {} keeps its flash in memory, so this flash ends with this process; "
                               "use {}://?flash=FILE to keep it (docs/sim-flash.md)",
                               device, uri.scheme));
  } catch (const BoardError& e) {
    error(e.what());
    return e.kind() == BoardError::Kind::kUsage ? kExitUsage : kExitDevice;
  } catch (const std::exception& e) {
    error(fmt::format("{}: {}", device, e.what()));
    return kExitDevice;
  }

  ProgressBar bar(!common.quiet && !common.json);
  flash::Options o;
  o.verify = !vm.count("no-verify");
  o.dry_run = vm.count("dry-run") > 0;
  o.unprotect = vm.count("unprotect") > 0;
  o.reboot = !vm.count("no-reboot");
  o.sck_hz = freq;
  o.progress = [&](const flash::Progress& p) {
    if (p.phase == flash::Phase::kBoot) return;
    bar.update(flash::phase_name(p.phase), p.done, p.total);
  };
  flash::Report r;
  try {
    r = flash::write_image(*dev, board, bytes, o);
    bar.finish();
  } catch (const flash::Error& e) {
    bar.finish();
    error(fmt::format("{}: {}", device, e.what()));
    switch (e.kind()) {
      case flash::Error::Kind::kUsage: return kExitUsage;
      case flash::Error::Kind::kImage: return kExitImage;
      case flash::Error::Kind::kDevice: return kExitDevice;
      case flash::Error::Kind::kVerify: return kExitVerify;
      case flash::Error::Kind::kBoot: return kExitBoot;
    }
    return kExitFailure;
  }

  const auto& p = r.plan;
  std::size_t erased = 0;
  for (const auto& e : p.erases) erased += e.bytes;
  if (common.json) {
    nlohmann::json erases = nlohmann::json::array();
    for (const auto& e : p.erases) erases.push_back({{"addr", e.addr}, {"bytes", e.bytes}});
    const nlohmann::json j = {
        {"device", device},
        {"board", board.name},
        {"flash", {{"chip", r.chip}, {"jedec", spinor::jedec_string(r.jedec)}, {"status", r.status_before}}},
        {"dry_run", r.dry_run},
        {"up_to_date", p.up_to_date},
        {"erases", erases},
        {"pages_programmed", r.dry_run ? 0 : p.pages.size()},
        {"pages_planned", p.pages.size()},
        {"pages_skipped", p.pages_skipped},
        {"sectors", p.sectors},
        {"sectors_untouched", p.sectors_untouched},
        {"bytes_verified", r.bytes_verified},
        {"page_retries", r.page_retries},
        {"unprotected", r.unprotected},
        {"intrinsic_s", p.intrinsic_s},
        {"sck_hz", r.sck_hz},
        {"usb", {{"writes", r.usb.usb_writes}, {"reads", r.usb.usb_reads}, {"bytes_out", r.usb.bytes_out}, {"bytes_in", r.usb.bytes_in}}},
        {"rebooted", r.rebooted},
        {"cdone", r.cdone},
        {"wall_s", r.wall_s}};
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }
  if (!common.quiet) {
    std::cout << fmt::format("{}: flash {} ({}), SPI at {:.1f} MHz\n", device, r.chip, spinor::jedec_string(r.jedec),
                             r.sck_hz / 1e6);
    if (p.up_to_date)
      std::cout << "flash already holds this image: nothing written\n";
    else
      std::cout << fmt::format("{}{} erases ({} KiB), {} pages programmed, {} pages and {} of {} sectors already right\n",
                               r.dry_run ? "dry run, would do: " : "", p.erases.size(), erased / 1024, p.pages.size(),
                               p.pages_skipped, p.sectors_untouched, p.sectors);
    if (r.bytes_verified) std::cout << fmt::format("verified {} bytes\n", r.bytes_verified);
    if (r.rebooted) std::cout << fmt::format("FPGA {} (CDONE {})\n", r.cdone ? "configured" : "did not configure", r.cdone ? "high" : "low");
    if (common.verbose)
      std::cout << fmt::format("USB: {} writes, {} reads; {:.2f} s\n", r.usb.usb_writes, r.usb.usb_reads, r.wall_s);
  }
  return kExitOk;
}

}  // namespace spikelink::cli
