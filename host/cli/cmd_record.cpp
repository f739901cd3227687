// spikelink record (docs/cli.md): runs the board as it is (a network loaded
// before, or preloaded from its flash), optionally replaying a spike file
// into its inputs, and streams its output spikes into a spike file. The
// file is flushed as the run goes, so Ctrl-C or an unplugged board leaves a
// valid file with every spike received until then.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "spikelink/board.hpp"
#include "spikelink/spike_file.hpp"

namespace po = boost::program_options;

namespace spikelink::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

}  // namespace

int cmd_record(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink record options");
  std::string device, out, input;
  std::uint64_t steps = 0;
  double seconds = 0;
  unsigned flush_ms = 200;
  opts.add_options()("help,h", "show this help")(
      "device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)")(
      "output,o", po::value(&out)->required(), "the spike file to write (.csv or .spk)")(
      "steps", po::value(&steps), "step mode: run this many timesteps as fast as the board goes")(
      "seconds", po::value(&seconds), "real-time mode: run this long (wall time), one timestep per TICK_CYCLES")(
      "input", po::value(&input), "a spike file replayed into the input channels, from the run's first timestep")(
      "flush-ms", po::value(&flush_ms), "write the file through at least this often (default 200)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: spikelink record -o FILE (--steps N | --seconds S) [--input FILE] [--device URI]\n\n"
                   "Runs the board's network as it is and records its output spikes (channel = neuron).\n"
                   "Ctrl-C stops the run and leaves a valid file.\n\n"
                << opts;
      return kExitOk;
    }
    po::notify(vm);
    if ((vm.count("steps") > 0) == (vm.count("seconds") > 0)) throw po::error("give one of --steps and --seconds");
    if (vm.count("seconds") && !(seconds > 0)) throw po::error("--seconds must be more than 0");
    if (flush_ms == 0) throw po::error("--flush-ms must be at least 1");
    spikes::format_for(out);
  } catch (const po::error& e) {
    error(fmt::format("record: {}", e.what()));
    std::cerr << "Try 'spikelink record --help'.\n";
    return kExitUsage;
  } catch (const spikes::Error& e) {
    error(fmt::format("record: {}", e.what()));
    return kExitUsage;
  }

  std::vector<spikes::Spike> in;
  if (!input.empty()) {
    try {
      const auto r = spikes::read(input);
      in = r.spikes;
      if (r.rounded) note(common, fmt::format("{}: {} times rounded to the nearest timestep", input, r.rounded));
    } catch (const spikes::Error& e) {
      error(e.what());
      return kExitImage;
    }
  }

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::uint64_t recorded = 0, first_time = 0, last_time = 0;
  bool interrupted = false;
  std::string failure;
  BoardCounters counters{};
  try {
    if (device.empty()) device = default_device();
    auto b = Board::open(device);
    const auto& id = b->identity();
    const auto tick = b->read_reg(0x0010);
    spikes::Header h;
    h.what = "neuron";
    h.timestep_us = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(1e6 * tick / id.clock_hz + 0.5));
    spikes::Writer w(out, h);
    const std::uint64_t t0 = b->time();
    first_time = t0;
    std::vector<proto::SpikeEvent> events;
    for (const auto& s : in) {
      if (s.channel >= id.inputs) {
        error(fmt::format("{}: channel {} does not exist on {} (it has {} inputs)", input, s.channel, device,
                          id.inputs));
        return kExitImage;
      }
      events.push_back({t0 + s.timestep, s.channel});
    }
    std::vector<proto::SpikeEvent> buf(8192);
    std::vector<spikes::Spike> batch;
    const auto drain = [&] {
      for (;;) {
        const std::size_t n = b->pull(buf);
        if (n == 0) break;
        batch.clear();
        for (std::size_t i = 0; i < n; ++i) batch.push_back({buf[i].timestep - t0, buf[i].address});
        w.write(batch);
        recorded += n;
        last_time = buf[n - 1].timestep;
      }
    };
    ProgressBar bar(!common.quiet && !common.json);
    auto last_flush = std::chrono::steady_clock::now();
    const auto flush_due = [&] {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_flush >= std::chrono::milliseconds(flush_ms)) {
        w.flush();
        last_flush = now;
      }
    };
    try {
      if (!events.empty()) b->send(events);
      if (vm.count("steps")) {
        std::uint64_t done = 0;
        const std::uint64_t chunk = 100;
        while (done < steps && !g_interrupted) {
          const std::uint64_t n = std::min(chunk, steps - done);
          b->step(n);
          done += n;
          drain();
          flush_due();
          bar.update("record", done, steps, "steps");
        }
      } else {
        b->start();
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end && !g_interrupted) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          drain();
          flush_due();
        }
        b->stop();
        drain();
      }
    } catch (const BoardError&) {
      // The board went away (or refused): the spikes it sent before are
      // still in the host's ring; they go into the file before the error.
      drain();
      w.close();
      throw;
    }
    bar.finish();
    interrupted = g_interrupted;
    w.close();
    counters = b->counters();
  } catch (const BoardError& e) {
    failure = e.what();
  } catch (const spikes::Error& e) {
    failure = e.what();
  } catch (const usb::Error& e) {
    failure = e.what();
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // Every place a spike can be lost, counted and shown.
  const std::uint64_t lost_board = counters.board_counter(proto::CounterId::kSpikesDroppedTxFull);
  const std::uint64_t lost_host = counters.host.ring_dropped;
  if (common.json) {
    std::cout << nlohmann::json{{"device", device},
                                {"output", out},
                                {"spikes", recorded},
                                {"interrupted", interrupted},
                                {"failed", failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(failure)},
                                {"board_spikes", counters.board_counter(proto::CounterId::kCoreSpikes)},
                                {"spikes_dropped_tx_full", lost_board},
                                {"host_ring_dropped", lost_host}}
                     .dump(2)
              << '\n';
  } else if (!common.quiet || !failure.empty()) {
    std::cerr << fmt::format("{}: {} spikes{} from timestep {} to {}; lost on the board {}, on the host {}\n", out,
                             recorded, interrupted ? " (interrupted)" : "", first_time, last_time, lost_board,
                             lost_host);
  }
  if (!failure.empty()) {
    error(fmt::format("{}: {} ({} spikes received before it are in {})", device, failure, recorded, out));
    return kExitDevice;
  }
  return kExitOk;
}

}  // namespace spikelink::cli
