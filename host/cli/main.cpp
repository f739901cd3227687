// spikelink: the command-line tool (docs/cli.md). Global options come
// before the command; each command parses its own.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "server/server_main.hpp"
#include "spikelink/protocol.hpp"
#include "spikelink/suggest.hpp"
#include "spikelink/version.hpp"

namespace {

using namespace spikelink::cli;

void print_version(std::ostream& os) {
  os << "spikelink " << spikelink::kVersion << " (wire protocol " << int{spikelink::proto::kVersionMajor} << '.'
     << int{spikelink::proto::kVersionMinor} << ")\n";
}

void print_help(std::ostream& os) {
  os << "Usage: spikelink [--quiet|--verbose] [--json] <command> [args]\n\n"
        "Host tool for spikelink neuromorphic FPGA boards and their simulator.\n\n"
        "Commands:\n"
        "  list               boards on USB (by serial number) and the simulators\n"
        "  info               identify a board: gateware, protocol, shape, counters\n"
        "  reg read|write     read or write the board's registers\n"
        "  weights dump|load  the synapse bytes as CSV (source,neuron,value)\n"
        "  run CONFIG.yaml    load a network configuration, drive its inputs, record, summarise\n"
        "  record -o FILE     run the board's network and record its spikes (.csv or .spk)\n"
        "  bridge CONFIG      be one site of a spike network over UDP (silicon, synapse, culture)\n"
        "  flash IMAGE        write an image to a board's flash, verify, reboot\n"
        "  image pack         make an image from a bitstream (and a network blob)\n"
        "  image inspect      check an image and print its header\n"
        "  sim-server         serve a simulated board over TCP (tcp://), as spikelink-sim\n"
        "  version            print the tool and wire-protocol versions\n\n"
        "Options:\n"
        "  -h, --help         show this help ('spikelink <command> --help' for a command's)\n"
        "  -V, --version      print the version\n"
        "  -q, --quiet        no progress bars or notes\n"
        "  -v, --verbose      more detail\n"
        "  --json             machine-readable output on stdout\n\n"
        "Exit codes: 0 success, 1 other failure, 2 usage, 3 device, 4 image, configuration or\n"
        "input file, 5 verify failed, 6 board did not boot, 130 interrupted. Documentation: docs/cli.md.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Common common;
  std::size_t i = 0;
  for (; i < args.size() && !args[i].empty() && args[i][0] == '-'; ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      print_help(std::cout);
      return kExitOk;
    } else if (a == "-V" || a == "--version") {
      print_version(std::cout);
      return kExitOk;
    } else if (a == "-q" || a == "--quiet") {
      common.quiet = true;
    } else if (a == "-v" || a == "--verbose") {
      common.verbose = true;
    } else if (a == "--json") {
      common.json = true;
    } else {
      error("unknown option '" + a + "'");
      std::cerr << "Try 'spikelink --help'.\n";
      return kExitUsage;
    }
  }
  if (i == args.size()) {
    print_help(std::cerr);
    return kExitUsage;
  }
  const std::string cmd = args[i];
  std::vector<std::string> rest;
  // Global flags may also follow the command.
  for (std::size_t k = i + 1; k < args.size(); ++k) {
    if (args[k] == "--json") common.json = true;
    else if (args[k] == "-q" || args[k] == "--quiet") common.quiet = true;
    else if (args[k] == "-v" || args[k] == "--verbose") common.verbose = true;
    else rest.push_back(args[k]);
  }
  try {
    if (cmd == "version") {
      print_version(std::cout);
      return kExitOk;
    }
    if (cmd == "image") return cmd_image(rest, common);
    if (cmd == "flash") return cmd_flash(rest, common);
    if (cmd == "list") return cmd_list(rest, common);
    if (cmd == "info") return cmd_info(rest, common);
    if (cmd == "reg") return cmd_reg(rest, common);
    if (cmd == "weights") return cmd_weights(rest, common);
    if (cmd == "record") return cmd_record(rest, common);
    if (cmd == "run") return cmd_run(rest, common);
    if (cmd == "bridge") return cmd_bridge(rest, common);
    if (cmd == "sim-server") return spikelink::sim::sim_server_main(rest, "spikelink sim-server");
  } catch (const std::exception& e) {
    error(e.what());
    return kExitFailure;
  }
  const auto near = spikelink::closest(
      cmd, {"list", "info", "reg", "weights", "run", "record", "bridge", "flash", "image", "sim-server", "version"});
  error("unknown command '" + cmd + "'" + (near ? " (did you mean '" + *near + "'?)" : ""));
  std::cerr << "Try 'spikelink --help'.\n";
  return kExitUsage;
}
