// spikelink list | info | reg (docs/cli.md): finding boards and asking them
// what they are.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "spikelink/board.hpp"
#include "spikelink/board_desc.hpp"
#include "spikelink/ftdi.hpp"
#include "spikelink/usb.hpp"

namespace po = boost::program_options;

namespace spikelink::cli {
namespace {

// Parses a command's options; prints help and returns false when asked.
bool parse(const std::vector<std::string>& args, po::options_description& opts,
           const po::positional_options_description& pos, po::variables_map& vm, const std::string& usage) {
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << '\n' << opts;
    return false;
  }
  po::notify(vm);
  return true;
}

std::uint32_t number(const std::string& s, const char* what) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &used, 0);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v > 0xFFFFFFFFull)
    throw po::error(fmt::format("{} '{}' is not a number (decimal or 0x hex, 32 bits)", what, s));
  return static_cast<std::uint32_t>(v);
}

std::string caps_string(std::uint32_t caps) {
  std::string s;
  const auto add = [&](const char* n) { s += std::string(s.empty() ? "" : ", ") + n; };
  if (caps & 1) add("real-time");
  if (caps & 2) add("step");
  if (caps & 4) add("plasticity");
  return s.empty() ? "none" : s;
}

}  // namespace

int cmd_list(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink list options");
  opts.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    if (!parse(args, opts, {}, vm,
               "Usage: spikelink list [--json]\n\nBoards on USB (FT2232H, 0403:6010) by serial number, and the "
               "simulators.\n"))
      return kExitOk;
  } catch (const po::error& e) {
    error(fmt::format("list: {}", e.what()));
    return kExitUsage;
  }
  std::vector<usb::DeviceInfo> boards;
  std::string usb_error;
  try {
    boards = usb::enumerate(ftdi::kVid, ftdi::kPidFt2232h);
  } catch (const std::exception& e) {
    usb_error = e.what();
  }
  nlohmann::json j = nlohmann::json::array();
  for (const auto& b : boards)
    j.push_back({{"uri", b.serial.empty() ? "usb://" : "usb://0403:6010?serial=" + b.serial},
                 {"serial", b.serial},
                 {"description", b.description},
                 {"location", b.location},
                 {"kind", "usb"}});
  j.push_back({{"uri", "sim://"}, {"kind", "simulator"}, {"description", "the RTL in Verilator behind an FT2232H model"}});
  j.push_back({{"uri", "model://"}, {"kind", "simulator"}, {"description", "the golden model behind the same link"}});
  if (common.json) {
    std::cout << nlohmann::json{{"devices", j}, {"usb_error", usb_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(usb_error)}}.dump(2)
              << '\n';
    return kExitOk;
  }
  if (!usb_error.empty()) note(common, "note: cannot list USB devices: " + usb_error);
  for (const auto& d : j)
    std::cout << fmt::format("{:<36} {}{}\n", d["uri"].get<std::string>(), d["description"].get<std::string>(),
                             d.contains("location") ? " at " + d["location"].get<std::string>() : "");
  if (boards.empty()) note(common, "no board on USB: commands use sim:// unless given --device");
  return kExitOk;
}

int cmd_info(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink info options");
  std::string device;
  opts.add_options()("help,h", "show this help")(
      "device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)");
  po::variables_map vm;
  try {
    if (!parse(args, opts, {}, vm,
               "Usage: spikelink info [--device URI] [--json]\n\nIdentifies a board: gateware, protocol, shape, "
               "capabilities and every counter.\n"))
      return kExitOk;
  } catch (const po::error& e) {
    error(fmt::format("info: {}", e.what()));
    return kExitUsage;
  }
  try {
    auto b = open_board(device);
    const auto& id = b->identity();
    const auto c = b->counters();
    std::string board_name = "unknown board";
    try {
      board_name = find_board(id.board_id).name;
    } catch (const BoardDescriptionError&) {
    }
    const std::uint32_t boot = b->read_reg(0x0024);
    nlohmann::ordered_json counters;
    for (const auto& [name, v] : named_counters(c)) counters[name] = v;
    if (common.json) {
      const nlohmann::json j = {
          {"device", device},
          {"board_id", id.board_id},
          {"board", board_name},
          {"gateware_version", fmt::format("{}.{}.{}", id.gw_major, id.gw_minor, id.gw_patch)},
          {"build_hash", fmt::format("{:08x}", id.build_hash)},
          {"protocol", fmt::format("{}.{}", id.proto_major, id.proto_minor)},
          {"clock_hz", id.clock_hz},
          {"neurons", id.neurons},
          {"inputs", id.inputs},
          {"weight_bits", id.weight_bits},
          {"levels", id.levels},
          {"event_credits", id.event_credits},
          {"capabilities", caps_string(id.capabilities)},
          {"boot_status", boot},
          {"counters", counters}};
      std::cout << j.dump(2) << '\n';
      return kExitOk;
    }
    static const char* kBoot[] = {"no image in flash", "network loaded from flash", "image without a network",
                                  "bad image header"};
    std::cout << fmt::format(
        "{}\n"
        "  board        {} (id {})\n"
        "  gateware     {}.{}.{}, build {:08x}\n"
        "  protocol     {}.{}\n"
        "  clock        {:.3f} MHz\n"
        "  shape        {} neurons, {} inputs, {}-bit weights, {} levels\n"
        "  credits      {} events\n"
        "  capabilities {}\n"
        "  boot         {}\n"
        "  counters\n",
        device, board_name, id.board_id, id.gw_major, id.gw_minor, id.gw_patch, id.build_hash, id.proto_major,
        id.proto_minor, id.clock_hz / 1e6, id.neurons, id.inputs, id.weight_bits, id.levels, id.event_credits,
        caps_string(id.capabilities), boot < 4 ? kBoot[boot] : "?");
    for (const auto& [name, v] : counters.items()) std::cout << fmt::format("    {:<28} {}\n", name, v.get<std::uint64_t>());
    return kExitOk;
  } catch (const std::exception& e) {
    return device_error(device, e);
  }
}

int cmd_reg(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink reg options");
  std::string device, op, addr_s, value_s;
  opts.add_options()("help,h", "show this help")(
      "device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)")(
      "op", po::value(&op)->required(), "read or write")("addr", po::value(&addr_s)->required(), "register address")(
      "value", po::value(&value_s), "write: the value; read: how many registers (default 1)");
  po::positional_options_description pos;
  pos.add("op", 1).add("addr", 1).add("value", 1);
  po::variables_map vm;
  std::uint16_t addr = 0;
  std::uint32_t value = 1;
  try {
    if (!parse(args, opts, pos, vm,
               "Usage: spikelink reg read ADDR [COUNT] | reg write ADDR VALUE [--device URI] [--json]\n\n"
               "Reads or writes the board's registers (docs/link.md section 2). Numbers are decimal or 0x hex.\n"))
      return kExitOk;
    if (op != "read" && op != "write") throw po::error("the operation must be 'read' or 'write', not '" + op + "'");
    const auto a = number(addr_s, "address");
    if (a > 0xFFFF) throw po::error(fmt::format("address {:#x} is beyond 0xffff", a));
    addr = static_cast<std::uint16_t>(a);
    if (op == "write" && value_s.empty()) throw po::error("reg write needs a VALUE");
    if (!value_s.empty()) value = number(value_s, op == "write" ? "value" : "count");
    if (op == "read" && (value < 1 || value > 64)) throw po::error("read 1..64 registers at a time");
  } catch (const po::error& e) {
    error(fmt::format("reg: {}", e.what()));
    std::cerr << "Try 'spikelink reg --help'.\n";
    return kExitUsage;
  }
  try {
    auto b = open_board(device);
    if (op == "write") {
      b->write_reg(addr, value);
      if (common.json) std::cout << nlohmann::json{{"addr", addr}, {"written", value}}.dump() << '\n';
      return kExitOk;
    }
    const auto vals = b->read_regs(addr, value);
    if (common.json) {
      nlohmann::json j = nlohmann::json::array();
      for (std::size_t i = 0; i < vals.size(); ++i) j.push_back({{"addr", addr + i}, {"value", vals[i]}});
      std::cout << j.dump(2) << '\n';
    } else {
      for (std::size_t i = 0; i < vals.size(); ++i)
        std::cout << fmt::format("{:#06x}  {:#010x}  {}\n", addr + i, vals[i], vals[i]);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return device_error(device, e);
  }
}

}  // namespace spikelink::cli

namespace spikelink::cli {

// spikelink weights dump [-o FILE] [--all] | weights load FILE: the synapse
// bytes as CSV, "source,neuron,value" (sources: inputs 0..E-1, then neuron
// n as E + n; value: the signed weight, or the {group, level} byte of a
// plastic synapse as an unsigned number). Lines starting with '#' are
// comments.
int cmd_weights(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink weights options");
  std::string device, op, file, out;
  opts.add_options()("help,h", "show this help")(
      "device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)")(
      "op", po::value(&op)->required(), "dump or load")("file", po::value(&file), "load: the CSV file")(
      "output,o", po::value(&out), "dump: write here instead of stdout")("all", "dump: zero weights too")(
      "unsigned", "dump: values as unsigned bytes (plastic synapses' {group, level})");
  po::positional_options_description pos;
  pos.add("op", 1).add("file", 1);
  po::variables_map vm;
  try {
    if (!parse(args, opts, pos, vm,
               "Usage: spikelink weights dump [-o FILE] [--all] [--unsigned] | weights load FILE [--device URI]\n\n"
               "Dumps or loads the board's synapse bytes as CSV: source,neuron,value (sources are the inputs\n"
               "0..E-1, then neuron n as E + n).\n"))
      return kExitOk;
    if (op != "dump" && op != "load") throw po::error("the operation must be 'dump' or 'load', not '" + op + "'");
    if (op == "load" && file.empty()) throw po::error("weights load needs a FILE");
  } catch (const po::error& e) {
    error(fmt::format("weights: {}", e.what()));
    std::cerr << "Try 'spikelink weights --help'.\n";
    return kExitUsage;
  }
  try {
    auto b = open_board(device);
    const auto& id = b->identity();
    const std::size_t n = id.neurons, sources = std::size_t{id.inputs} + id.neurons;
    auto w = b->read_weights();
    if (op == "dump") {
      std::ofstream f;
      if (!out.empty()) {
        f.open(out);
        if (!f) {
          error(fmt::format("cannot write '{}'", out));
          return kExitImage;
        }
      }
      std::ostream& os = out.empty() ? std::cout : f;
      const bool as_unsigned = vm.count("unsigned") > 0;
      os << "# spikelink weights: " << device << ", " << id.inputs << " inputs, " << id.neurons << " neurons\n"
         << "source,neuron,value\n";
      std::size_t lines = 0;
      for (std::size_t s = 0; s < sources; ++s)
        for (std::size_t m = 0; m < n; ++m) {
          const std::uint8_t v = w[s * n + m];
          if (v == 0 && !vm.count("all")) continue;
          os << s << ',' << m << ',' << (as_unsigned ? int{v} : int{static_cast<std::int8_t>(v)}) << '\n';
          ++lines;
        }
      if (!out.empty()) note(common, fmt::format("{}: {} weights", out, lines));
      return kExitOk;
    }
    std::ifstream f(file);
    if (!f) {
      error(fmt::format("cannot open '{}'", file));
      return kExitImage;
    }
    std::string line;
    std::size_t lineno = 0, loaded = 0;
    while (std::getline(f, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#' || line.rfind("source", 0) == 0) continue;
      long s = -1, m = -1, v = 0;
      char tail = 0;
      if (std::sscanf(line.c_str(), "%ld,%ld,%ld%c", &s, &m, &v, &tail) != 3) {
        error(fmt::format("{}:{}: expected 'source,neuron,value', got '{}'", file, lineno, line));
        return kExitImage;
      }
      if (s < 0 || static_cast<std::size_t>(s) >= sources || m < 0 || static_cast<std::size_t>(m) >= n ||
          v < -128 || v > 255) {
        error(fmt::format("{}:{}: source {} (0..{}), neuron {} (0..{}) or value {} (-128..255) out of range", file,
                          lineno, s, sources - 1, m, n - 1, v));
        return kExitImage;
      }
      w[static_cast<std::size_t>(s) * n + static_cast<std::size_t>(m)] = static_cast<std::uint8_t>(v & 0xFF);
      ++loaded;
    }
    b->write_weights(w);
    note(common, fmt::format("{}: {} weights loaded into {}", file, loaded, device));
    return kExitOk;
  } catch (const std::exception& e) {
    return device_error(device, e);
  }
}

}  // namespace spikelink::cli
