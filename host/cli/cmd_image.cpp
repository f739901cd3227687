// spikelink image pack | inspect (docs/image-format.md, docs/cli.md).
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/image.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace spikelink::cli {
namespace {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::uint8_t> read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(fmt::format("cannot open the {} '{}'", what, path));
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string iso_time(std::uint64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void parse_version(const std::string& v, image::PackInput& in) {
  unsigned a = 0, b = 0, c = 0;
  char tail = 0;
  if (std::sscanf(v.c_str(), "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 255 || b > 255 || c > 255)
    throw po::error(fmt::format("--gateware-version '{}' is not MAJOR.MINOR.PATCH (each 0..255)", v));
  in.gw_major = static_cast<std::uint8_t>(a);
  in.gw_minor = static_cast<std::uint8_t>(b);
  in.gw_patch = static_cast<std::uint8_t>(c);
}

std::uint32_t parse_hash(const std::string& h, const std::string& where) {
  std::size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(h, &used, 16);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used != h.size() || h.empty() || v > 0xFFFFFFFFul)
    throw InputError(fmt::format("{}: source hash '{}' is not up to 8 hex digits", where, h));
  return static_cast<std::uint32_t>(v);
}

nlohmann::json header_json(const image::Header& h) {
  return {{"format", fmt::format("{}.{}", h.format_major, h.format_minor)},
          {"board_id", h.board_id},
          {"board_name", h.board_name},
          {"gateware_version", h.gateware_version()},
          {"source_hash", fmt::format("{:08x}", h.source_hash)},
          {"build_time", h.build_time},
          {"build_time_utc", iso_time(h.build_time)},
          {"bitstream", {{"offset", h.bitstream_offset}, {"length", h.bitstream_length}, {"crc32c", fmt::format("{:08x}", h.bitstream_crc)}}},
          {"network", h.has_network() ? nlohmann::json{{"offset", h.network_offset}, {"length", h.network_length}, {"crc32c", fmt::format("{:08x}", h.network_crc)}} : nlohmann::json(nullptr)},
          {"image_length", h.image_length},
          {"header_crc32c", fmt::format("{:08x}", h.header_crc)}};
}

int pack(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink image pack options");
  std::string bitstream, out, board_name, build_info, version, hash, network;
  std::uint64_t build_time = 0;
  opts.add_options()("help,h", "show this help")
      ("bitstream", po::value(&bitstream)->required(), "the iCE40 bitstream (icepack output)")
      ("output,o", po::value(&out)->required(), "the image file to write")
      ("board", po::value(&board_name), "board name or id (default: from --build-info, else icebreaker)")
      ("build-info", po::value(&build_info), "the bitstream's .build.json (default: beside the bitstream, if there)")
      ("gateware-version", po::value(&version), "MAJOR.MINOR.PATCH (default: from --build-info)")
      ("source-hash", po::value(&hash), "the gateware's source hash, hex (default: from --build-info, else 0)")
      ("network", po::value(&network), "a network blob to preload (docs/image-format.md section 3)")
      ("build-time", po::value(&build_time), "seconds since 1970 (default: SOURCE_DATE_EPOCH, else now)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: spikelink image pack --bitstream FILE -o IMAGE [options]\n\n"
                 "Packs a bitstream (and optionally a network blob) into a spikelink image.\n\n"
              << opts;
    return kExitOk;
  }
  po::notify(vm);

  image::PackInput in;
  in.bitstream = read_file(bitstream, "bitstream");
  if (build_info.empty()) {
    fs::path guess = fs::path(bitstream).replace_extension(".build.json");
    if (fs::exists(guess)) build_info = guess.string();
  }
  std::string info_board;
  if (!build_info.empty()) {
    nlohmann::json j;
    try {
      std::ifstream f(build_info);
      if (!f) throw InputError(fmt::format("cannot open the build info '{}'", build_info));
      j = nlohmann::json::parse(f);
      info_board = j.at("board").get<std::string>();
      const auto& v = j.at("gateware_version");
      in.gw_major = v.at("major").get<std::uint8_t>();
      in.gw_minor = v.at("minor").get<std::uint8_t>();
      in.gw_patch = v.at("patch").get<std::uint8_t>();
      in.source_hash = parse_hash(j.at("source_hash").get<std::string>(), build_info);
      if (j.contains("bitstream_bytes") && j["bitstream_bytes"].get<std::size_t>() != in.bitstream.size())
        throw InputError(fmt::format("{}: describes a bitstream of {} bytes, '{}' has {}: stale build info?",
                                     build_info, j["bitstream_bytes"].get<std::size_t>(), bitstream,
                                     in.bitstream.size()));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}: not a valid build info file: {}", build_info, e.what()));
    }
  }
  const auto& board = find_board(!board_name.empty() ? board_name : !info_board.empty() ? info_board : "icebreaker");
  if (!info_board.empty() && !board_name.empty() && board.name != info_board)
    throw InputError(fmt::format("the bitstream was built for '{}' ({}), not '{}'", info_board, build_info, board.name));
  in.board_id = board.board_id;
  in.board_name = board.name;
  if (!version.empty()) parse_version(version, in);
  if (!hash.empty()) in.source_hash = parse_hash(hash, "--source-hash");
  if (!network.empty()) in.network = read_file(network, "network blob");
  if (vm.count("build-time")) {
    in.build_time = build_time;
  } else if (const char* sde = std::getenv("SOURCE_DATE_EPOCH")) {
    in.build_time = std::strtoull(sde, nullptr, 10);
  } else {
    in.build_time = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  const auto bytes = image::pack(in);
  if (bytes.size() > board.image_max_bytes)
    throw InputError(fmt::format("the image has {} bytes, the {} has room for {}", bytes.size(), board.name,
                                 board.image_max_bytes));
  const std::string tmp = out + ".part";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(fmt::format("cannot write '{}'", tmp));
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw InputError(fmt::format("writing '{}' failed", tmp));
  }
  fs::rename(tmp, out);
  const auto h = image::decode_header(bytes);
  if (common.json) {
    auto j = header_json(h);
    j["file"] = out;
    std::cout << j.dump(2) << '\n';
  } else if (!common.quiet) {
    std::cout << fmt::format("{}: {} bytes, board {} (id {}), gateware {} ({:08x}), bitstream {} bytes{}\n", out,
                             bytes.size(), h.board_name, h.board_id, h.gateware_version(), h.source_hash,
                             h.bitstream_length,
                             h.has_network() ? fmt::format(", network {} bytes", h.network_length) : "");
  }
  return kExitOk;
}

int inspect(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink image inspect options");
  std::string file;
  opts.add_options()("help,h", "show this help")("image", po::value(&file)->required(), "the image file");
  po::positional_options_description pos;
  pos.add("image", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: spikelink image inspect IMAGE [--json]\n\n"
                 "Checks an image (header, layout, CRCs, sync word) and prints its header.\n\n"
              << opts;
    return kExitOk;
  }
  po::notify(vm);
  const auto bytes = read_file(file, "image");
  image::Image img;
  try {
    img = image::parse(bytes);
  } catch (const image::Error& e) {
    throw InputError(fmt::format("{}: offset {}: {}", file, e.offset(), e.what()));
  }
  const auto& h = img.header;
  std::string board = "unknown board";
  try {
    board = find_board(h.board_id).name;
  } catch (const BoardDescriptionError&) {
  }
  if (common.json) {
    auto j = header_json(h);
    j["file"] = file;
    j["valid"] = true;
    j["known_board"] = board;
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }
  std::cout << fmt::format(
      "{}: valid spikelink image, format {}.{}\n"
      "  board            {} (id {}, {})\n"
      "  gateware         {}, source {:08x}\n"
      "  built            {}\n"
      "  bitstream        {} bytes at {}, CRC-32C {:08x}\n"
      "  network          {}\n"
      "  image            {} bytes, header CRC-32C {:08x}\n",
      file, h.format_major, h.format_minor, h.board_name, h.board_id, board, h.gateware_version(), h.source_hash,
      iso_time(h.build_time), h.bitstream_length, h.bitstream_offset, h.bitstream_crc,
      h.has_network() ? fmt::format("{} bytes at {}, CRC-32C {:08x}", h.network_length, h.network_offset, h.network_crc)
                      : std::string("none"),
      h.image_length, h.header_crc);
  return kExitOk;
}

}  // namespace

int cmd_image(const std::vector<std::string>& args, const Common& common) {
  const std::string usage =
      "Usage: spikelink image <pack|inspect> [options]\n\n"
      "  pack      make an image from a bitstream (and a network blob)\n"
      "  inspect   check an image and print its header\n\n"
      "'spikelink image <sub> --help' for each one's options.\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? std::cerr : std::cout) << usage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (args[0] == "pack") return pack(rest, common);
    if (args[0] == "inspect") return inspect(rest, common);
  } catch (const po::error& e) {
    error(fmt::format("image {}: {}", args[0], e.what()));
    std::cerr << "Try 'spikelink image " << args[0] << " --help'.\n";
    return kExitUsage;
  } catch (const InputError& e) {
    error(e.what());
    return kExitImage;
  } catch (const image::Error& e) {
    error(fmt::format("image: {}", e.what()));
    return kExitImage;
  } catch (const BoardDescriptionError& e) {
    error(e.what());
    return kExitUsage;
  }
  error(fmt::format("image: unknown subcommand '{}'", args[0]));
  std::cerr << usage;
  return kExitUsage;
}

}  // namespace spikelink::cli
