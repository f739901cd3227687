// spikelink bridge (docs/bridge.md): this process becomes one site of a
// network that exchanges spikes over UDP: a silicon-neuron site (a board
// running a network), the memristive synapse site, or a stand-in for the
// biological site. Prints what it received, sent and dropped, by peer.
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "cli.hpp"
#include "spikelink/board.hpp"
#include "spikelink/bridge.hpp"

namespace po = boost::program_options;

namespace spikelink::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_bridge_stop(int) { g_stop = true; }

}  // namespace

int cmd_bridge(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink bridge options");
  std::string path, device, out_dir, listen;
  double seconds = 0, stats_every = 10;
  opts.add_options()("help,h", "show this help")("config", po::value(&path), "the bridge configuration (YAML)")(
      "device,d", po::value(&device), "silicon: device URI (default: the only board on USB, else sim://)")(
      "output,o", po::value(&out_dir), "silicon: directory for the recordings (default runs/NAME-bridge-TIME)")(
      "listen", po::value(&listen), "listen on HOST:PORT instead of the configuration's bridge.listen")(
      "seconds", po::value(&seconds), "synapse, culture: run this long instead of bridge.duration")(
      "stats-every", po::value(&stats_every), "print a line of statistics this often while running (s, default 10, 0: never)");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: spikelink bridge CONFIG.yaml [--device URI] [--listen HOST:PORT]\n\n"
                   "Makes this process one site of a spike network over UDP (docs/bridge.md): role silicon\n"
                   "runs the file's network on a board, role synapse the memristive synapse site, role\n"
                   "culture a stand-in for the biological site. Ctrl-C stops it; it then prints, per peer,\n"
                   "the events in and out, loss, duplication, reordering, delay and every drop.\n\n"
                << opts;
      return kExitOk;
    }
    po::notify(vm);
    if (path.empty()) throw po::error("give the bridge configuration (spikelink bridge CONFIG.yaml)");
  } catch (const po::error& e) {
    error(fmt::format("bridge: {}", e.what()));
    std::cerr << "Try 'spikelink bridge --help'.\n";
    return kExitUsage;
  }
  bridge::Config cfg;
  try {
    cfg = bridge::load(path);
    if (!listen.empty()) cfg.listen = udp::parse_endpoint(listen, bridge::kLegacyPort);
    if (vm.count("seconds")) cfg.duration_s = seconds;
  } catch (const config::Error& e) {
    error(e.what());
    return kExitImage;
  } catch (const udp::Error& e) {
    error(fmt::format("bridge: --listen {}", e.what()));
    return kExitUsage;
  }
  if (cfg.role == bridge::Role::kSilicon && device.empty()) {
    try {
      device = default_device();
    } catch (const std::exception& e) {
      error(e.what());
      return kExitDevice;
    }
  }
  if (out_dir.empty() && cfg.role == bridge::Role::kSilicon) out_dir = default_out_dir(cfg.network->name + "-bridge");
  note(common, fmt::format("bridge: role {}, listening on {}{}", bridge::to_string(cfg.role), cfg.listen.str(),
                           cfg.role == bridge::Role::kSilicon ? ", device " + device : std::string()));
  if (!common.quiet && stats_every > 0) {
    cfg.progress_every_s = stats_every;
    cfg.progress = [](const bridge::Stats& s) {
      std::uint64_t in = 0, out = 0, dropped = s.unknown_peer + s.oversized + s.malformed + s.duplicates_dropped;
      for (const auto& [name, p] : s.peers) {
        in += p.events_in;
        out += p.events_out;
        dropped += p.rate_limited + p.unrouted + p.wrong_site + p.send_failed;
      }
      std::uint64_t lost = 0;
      for (const auto& [id, p] : s.receive.peers()) lost += p.seq.total().lost;
      std::cerr << fmt::format("bridge: {:.1f} s: {} events in, {} out, {} dropped, {} datagrams lost on the way\n",
                               s.seconds, in, out, dropped, lost);
    };
  }
  std::signal(SIGINT, on_bridge_stop);
  std::signal(SIGTERM, on_bridge_stop);
  bridge::Stats st;
  int rc = kExitOk;
  try {
    st = bridge::run_bridge(cfg, device, out_dir, &g_stop);
  } catch (const udp::Error& e) {
    error(fmt::format("bridge: {}", e.what()));
    return kExitDevice;
  } catch (const config::Error& e) {
    error(e.what());
    return kExitImage;
  } catch (const std::exception& e) {
    rc = device_error(device, e);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (common.json) std::cout << st.json() << '\n';
  else if (!common.quiet) std::cout << st.report();
  return rc;
}

}  // namespace spikelink::cli
