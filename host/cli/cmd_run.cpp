// spikelink run (docs/cli.md, docs/config.md): loads a network configuration
// onto a board, drives its inputs phase by phase, records what it says, and
// prints a summary; draws the raster and the weights over time with gnuplot.
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "spikelink/board.hpp"
#include "spikelink/config.hpp"
#include "spikelink/plots.hpp"
#include "spikelink/run.hpp"

namespace po = boost::program_options;

namespace spikelink::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop(int) { g_stop = true; }

// Counters that only count work done; every other counter counts something
// lost, damaged or late, and is shown when it is not zero.
bool is_work_counter(const std::string& name) {
  for (const char* w : {"rx_frames_ok", "tx_frames", "core_spikes", "core_events", "core_sops", "core_pulses_pot",
                        "core_pulses_dep"})
    if (name == w) return true;
  return false;
}

std::string seconds(double ms) {
  if (ms >= 1000) return fmt::format("{:g} s", ms / 1000);
  return fmt::format("{:g} ms", ms);
}

void print_summary(std::ostream& os, const config::Config& cfg, const config::Plan& plan, const run::Result& r,
                   const std::string& device, bool verbose) {
  os << fmt::format("{}: {} on {}, {} timesteps of {:g} ms in {:.1f} s ({:.1f}x real time)\n", cfg.name,
                    r.interrupted ? "interrupted" : (r.failure.empty() ? "ran" : "stopped"), device, r.timesteps,
                    cfg.timestep_ms, r.wall_seconds,
                    r.wall_seconds > 0 ? static_cast<double>(r.timesteps) * cfg.timestep_ms / 1000 / r.wall_seconds
                                       : 0.0);
  // Spikes per population per phase (and the rate per neuron).
  std::string head = fmt::format("  {:<20} {:>9}", "phase", "duration");
  for (const auto& p : cfg.populations) head += fmt::format("  {:>18}", p.name);
  os << "\nspikes (rate per neuron)\n" << head << '\n';
  for (const auto& p : r.phases) {
    std::string line = fmt::format("  {:<20} {:>9}", p.name, seconds(static_cast<double>(p.completed) * cfg.timestep_ms));
    const double secs = static_cast<double>(p.completed) * cfg.timestep_ms / 1000;
    for (std::size_t i = 0; i < cfg.populations.size(); ++i)
      line += fmt::format("  {:>18}", fmt::format("{} ({:.1f} Hz)", p.spikes[i],
                                                   secs > 0 ? static_cast<double>(p.spikes[i]) / secs / cfg.populations[i].size : 0.0));
    os << line << '\n';
  }
  // Responses.
  for (std::size_t k = 0; k < cfg.responses.size(); ++k) {
    const auto& rc = cfg.responses[k];
    os << fmt::format("\nresponses: {} spikes followed by a {} spike {:g}..{:g} ms later\n", rc.from, rc.to,
                      rc.min_steps * cfg.timestep_ms, rc.max_steps * cfg.timestep_ms);
    for (const auto& p : r.phases) {
      const auto& x = p.responses[k];
      os << fmt::format("  {:<20} {:>5} of {:<5} {:>5.0f} %\n", p.name, x.hits, x.trials, 100 * x.fraction());
    }
  }
  // Weights of the plastic synapses before and after each phase.
  if (!plan.plastic.empty()) {
    const std::size_t shown = verbose ? plan.plastic.size() : std::min<std::size_t>(plan.plastic.size(), 8);
    os << fmt::format("\nweights (level, mV) before -> after each phase{}\n",
                      shown < plan.plastic.size()
                          ? fmt::format(", {} of {} synapses (--verbose for all)", shown, plan.plastic.size())
                          : "");
    for (std::size_t s = 0; s < shown; ++s) {
      os << "  " << plan.plastic[s].label << '\n';
      for (const auto& p : r.phases) {
        if (s >= p.levels_before.size()) continue;
        const double mv = plan.plastic[s].mv_per_level;
        os << fmt::format("    {:<20} {:>2} ({:5.2f} mV) -> {}\n", p.name, p.levels_before[s],
                          p.levels_before[s] * mv,
                          s < p.levels_after.size()
                              ? fmt::format("{:>2} ({:5.2f} mV)", p.levels_after[s], p.levels_after[s] * mv)
                              : std::string("(not reached)"));
      }
    }
  }
  // Counters: the work done, and every loss.
  const auto counters = named_counters(r.counters);
  const auto get = [&](const char* n) {
    for (const auto& [k, v] : counters)
      if (k == n) return v;
    return std::uint64_t{0};
  };
  if (r.board_counters)
    os << fmt::format("\ncounters: {} spikes, {} input events, {} synaptic operations, {} potentiation and {} "
                    "depression pulses\n",
                    get("core_spikes"), get("core_events"), get("core_sops"), get("core_pulses_pot"),
                    get("core_pulses_dep"));
  std::string losses;
  for (const auto& [k, v] : counters)
    if (!is_work_counter(k) && v != 0 && (r.board_counters || k.rfind("host_", 0) == 0))
      losses += fmt::format("  {} {}\n", k, v);
  if (!r.board_counters)
    os << "\nboard counters: not read (the board went away); the host's are below\n";
  os << (losses.empty() ? (r.board_counters ? "losses: none (every counter of dropped, damaged or late data is 0)\n"
                                            : "host losses: none\n")
                        : "losses and errors:\n" + losses);
}

}  // namespace

int cmd_run(const std::vector<std::string>& args, const Common& common) {
  po::options_description opts("spikelink run options");
  std::string path, device, out_dir, format = "csv";
  std::uint64_t seed = 0;
  opts.add_options()("help,h", "show this help")("config", po::value(&path), "the network configuration (YAML)")(
      "device,d", po::value(&device), "device URI (default: the only board on USB, else sim://)")(
      "output,o", po::value(&out_dir), "directory for the recordings, summary and plots (default runs/NAME-TIME)")(
      "format", po::value(&format), "spike files: csv (default) or spk (binary)")(
      "seed", po::value(&seed), "override the configuration's seed")(
      "no-plots", "do not draw the PNG plots")(
      "check", "check the configuration against the device and print the plan; do not run");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: spikelink run CONFIG.yaml [--device URI] [--output DIR]\n\n"
                   "Loads the network of CONFIG.yaml (docs/config.md) onto the device, drives its inputs\n"
                   "phase by phase and records spikes, weights and state into DIR as the run goes. Prints a\n"
                   "summary per phase; writes summary.json, raster.png and weights.png (with gnuplot).\n"
                   "Ctrl-C ends the run early and leaves valid files.\n\n"
                << opts;
      return kExitOk;
    }
    po::notify(vm);
    if (path.empty()) throw po::error("give the network configuration (spikelink run CONFIG.yaml)");
    if (format != "csv" && format != "spk") throw po::error("--format is csv or spk, not '" + format + "'");
  } catch (const po::error& e) {
    error(fmt::format("run: {}", e.what()));
    std::cerr << "Try 'spikelink run --help'.\n";
    return kExitUsage;
  }

  config::Config cfg;
  try {
    cfg = config::load(path);
    if (vm.count("seed")) cfg.seed = seed;
  } catch (const config::Error& e) {
    error(e.what());
    return kExitImage;
  }

  std::unique_ptr<Board> board;
  config::Plan plan;
  try {
    board = open_board(device);
    plan = config::compile(cfg, config::shape_of(board->identity()), device);
    config::InputSchedule check_inputs(cfg);  // reads and checks input files before the board is touched
  } catch (const config::Error& e) {
    error(e.what());
    return kExitImage;
  } catch (const std::exception& e) {
    return device_error(device, e);
  }
  if (common.verbose || vm.count("check")) {
    std::cerr << fmt::format("{}: {} neurons, {} inputs, {} synapses ({} plastic), {} phases, {} timesteps on {}\n",
                             cfg.name, cfg.neurons_used(), cfg.inputs_used(), plan.synapses, plan.plastic.size(),
                             cfg.phases.size(), cfg.total_steps(), device);
    std::cerr << "quantisation (requested -> realised):\n";
    for (const auto& q : plan.quantisation)
      std::cerr << fmt::format("  {:<44} {:>10.4g} -> {:<10.4g} {} (error {:+.3g})\n", q.what, q.requested,
                               q.realised, q.unit, q.realised - q.requested);
  }
  if (vm.count("check")) {
    if (common.json) {
      nlohmann::ordered_json q = nlohmann::ordered_json::array();
      for (const auto& x : plan.quantisation)
        q.push_back({{"what", x.what}, {"requested", x.requested}, {"realised", x.realised}, {"unit", x.unit}});
      std::cout << nlohmann::ordered_json{{"network", cfg.name},        {"device", device},
                                          {"neurons", cfg.neurons_used()}, {"inputs", cfg.inputs_used()},
                                          {"synapses", plan.synapses},  {"plastic_synapses", plan.plastic.size()},
                                          {"timesteps", cfg.total_steps()}, {"quantisation", q}}
                       .dump(2)
                << '\n';
    }
    return kExitOk;
  }

  run::Options opt;
  opt.out_dir = out_dir.empty() ? default_out_dir(cfg.name) : out_dir;
  opt.spike_format = format == "csv" ? spikes::Format::kCsv : spikes::Format::kBinary;
  opt.stop = &g_stop;
  ProgressBar bar(!common.quiet && !common.json);
  opt.progress = [&](std::uint64_t done, std::uint64_t total, const std::string& phase) {
    bar.update(phase, done, total, "steps");
  };
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  run::Result r;
  try {
    r = run::run(*board, cfg, plan, opt);
  } catch (const config::Error& e) {
    error(e.what());
    return kExitImage;
  } catch (const spikes::Error& e) {
    error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    return device_error(device, e);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  bar.finish();

  // Plots: the raster of every recorded spike, and the plastic weights.
  nlohmann::ordered_json plots_json;
  std::vector<std::string> plot_notes;
  const auto raster_png = (std::filesystem::path(opt.out_dir) / "raster.png").string();
  const auto weights_png = (std::filesystem::path(opt.out_dir) / "weights.png").string();
  if (!vm.count("no-plots")) {
    std::vector<plots::PhaseMark> marks;
    for (const auto& p : r.phases)
      marks.push_back({p.name, static_cast<double>(p.start) * cfg.timestep_ms,
                       static_cast<double>(p.start + p.completed) * cfg.timestep_ms});
    if (opt.spike_format == spikes::Format::kCsv) {
      std::vector<plots::Band> bands;
      for (const auto& p : cfg.populations) bands.push_back({p.name, p.first, p.size});
      const auto pr = plots::raster(r.files.spikes, bands, marks, raster_png, cfg.name + ": spikes");
      plots_json["raster"] = pr.ok ? nlohmann::ordered_json(raster_png) : nlohmann::ordered_json(nullptr);
      if (!pr.ok) plot_notes.push_back("raster not drawn: " + pr.message);
    } else {
      plot_notes.push_back("raster not drawn: the plots read CSV spike files (--format csv)");
    }
    if (!r.files.weights.empty()) {
      const auto pw = plots::weights(r.files.weights, marks, weights_png, cfg.name + ": plastic weights", "level");
      plots_json["weights"] = pw.ok ? nlohmann::ordered_json(weights_png) : nlohmann::ordered_json(nullptr);
      if (!pw.ok) plot_notes.push_back("weights not drawn: " + pw.message);
    }
  }

  if (common.json) {
    auto j = nlohmann::ordered_json::parse(run::summary_json(cfg, plan, r, device));
    j["out_dir"] = opt.out_dir;
    j["plots"] = plots_json;
    j["plot_notes"] = plot_notes;
    std::cout << j.dump(2) << '\n';
  } else if (!common.quiet) {
    print_summary(std::cout, cfg, plan, r, device, common.verbose);
    std::cout << "\nfiles in " << opt.out_dir << ": " << std::filesystem::path(r.files.spikes).filename().string()
              << ", " << std::filesystem::path(r.files.inputs).filename().string()
              << (r.files.weights.empty() ? "" : ", weights.csv") << (r.files.state.empty() ? "" : ", state.csv")
              << ", summary.json";
    for (const auto& [k, v] : plots_json.items())
      if (!v.is_null()) std::cout << ", " << std::filesystem::path(v.get<std::string>()).filename().string();
    std::cout << '\n';
  }
  for (const auto& n : plot_notes) note(common, n);
  if (!r.failure.empty()) {
    error(fmt::format("{}: {} (everything received before it is in {})", device, r.failure, opt.out_dir));
    return kExitDevice;
  }
  if (r.interrupted) {
    note(common, fmt::format("interrupted after {} timesteps; the files in {} hold everything until then",
                             r.timesteps, opt.out_dir));
    return 130;
  }
  return kExitOk;
}

}  // namespace spikelink::cli
