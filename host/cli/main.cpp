// spikelink: the command-line tool. Subcommands arrive with the driver and
// CLI issues; today it reports its version and the wire protocol it speaks.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "spikelink/protocol.hpp"
#include "spikelink/version.hpp"

namespace po = boost::program_options;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

void print_version(std::ostream& os) {
  os << "spikelink " << spikelink::kVersion << " (wire protocol "
     << int{spikelink::proto::kVersionMajor} << '.' << int{spikelink::proto::kVersionMinor} << ")\n";
}

void print_help(std::ostream& os, const po::options_description& opts) {
  os << "Usage: spikelink [options] <command> [args]\n\n"
        "Host tool for spikelink neuromorphic FPGA boards and their simulator.\n\n"
        "Commands:\n"
        "  version     print the tool and wire-protocol versions\n\n"
     << opts
     << "\nExit codes: 0 success, 2 usage error.\n"
        "Documentation: docs/ in the source tree (docs/protocol.md for the wire protocol).\n";
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help and exit")("version,V", "print the version and exit");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>(), "")("args", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "spikelink: " << e.what() << "\nTry 'spikelink --help'.\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    print_help(std::cout, opts);
    return kExitOk;
  }
  if (vm.count("version")) {
    print_version(std::cout);
    return kExitOk;
  }
  if (!vm.count("command")) {
    print_help(std::cerr, opts);
    return kExitUsage;
  }
  const auto cmd = vm["command"].as<std::string>();
  if (cmd == "version") {
    print_version(std::cout);
    return kExitOk;
  }
  std::cerr << "spikelink: unknown command '" << cmd << "'\nTry 'spikelink --help'.\n";
  return kExitUsage;
}
