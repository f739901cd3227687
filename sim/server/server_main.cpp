// The spikelink-sim command: exports a simulated board over TCP (docs/link.md §5).
//   spikelink-sim [--board sim://|sim://?phy=uart|model://] [--listen ADDR] [--port N]
#include <boost/program_options.hpp>
#include <csignal>
#include <iostream>

#include "devices/devices.hpp"
#include "server/server_main.hpp"
#include "server/sim_server.hpp"

namespace po = boost::program_options;

namespace spikelink::sim {
namespace {
Server* g_server = nullptr;
extern "C" void on_signal(int) {
  if (g_server) g_server->stop();
}
}  // namespace

int sim_server_main(const std::vector<std::string>& args, const std::string& prog) {
  std::string board_uri = "sim://", listen = "127.0.0.1";
  unsigned port = 7531;
  po::options_description desc(prog + ": export a simulated board over TCP, one client at a time\nOptions");
  desc.add_options()("help,h", "show this help")(
      "board", po::value(&board_uri)->default_value(board_uri), "simulated board: sim://, sim://?phy=uart[&baud=B], model://")(
      "listen", po::value(&listen)->default_value(listen), "address to bind (loopback unless told otherwise)")(
      "port", po::value(&port)->default_value(port), "TCP port (0: any free port, printed at start)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << prog << ": " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  try {
    const auto uri = parse_uri(board_uri);
    if (uri.scheme != "sim" && uri.scheme != "model") {
      std::cerr << "spikelink-sim: --board must be a simulated board (sim:// or model://), not " << board_uri << "\n";
      return 2;
    }
    if (port > 65535) {
      std::cerr << "spikelink-sim: --port " << port << " is not a TCP port\n";
      return 2;
    }
    auto device = open_device(uri);
    Server server(*device, {listen, static_cast<std::uint16_t>(port)});
    g_server = &server;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cout << prog << ": serving " << board_uri << " on tcp://" << listen << ":" << server.port() << std::endl;
    server.run();
    g_server = nullptr;
    std::cout << prog << ": stopped after " << server.clients_served() << " client(s), refused "
              << server.clients_refused() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << prog << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace spikelink::sim
