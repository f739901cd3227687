#include "spikelink/plots.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace spikelink::plots {
namespace {

constexpr const char* kInstall = "apt install gnuplot-nox, or scripts/setup";
// Distinct colours for the bands (matplotlib's "tab10"), cycled.
constexpr std::array<unsigned, 10> kBandColours = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
// Below this size a spike file is drawn with small round points; above, with
// one-pixel dots, which stay readable (and fast) at millions of spikes.
constexpr std::uintmax_t kPointsBelowBytes = 1 << 20;
// A key with more entries than this hides the plot; it is left out.
constexpr std::size_t kMaxKeyEntries = 24;

struct Run {
  bool started = false;
  int spawn_errno = 0;
  int status = 0;      // from waitpid
  std::string output;  // stdout and stderr together, the tail
};

// Runs `argv` (argv[0] looked up on PATH) with stdin from /dev/null and its
// stdout and stderr captured. No shell: arguments reach the program as they are.
Run run(const std::vector<std::string>& args) {
  Run r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.spawn_errno = errno;
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    r.spawn_errno = rc;
    return r;
  }
  r.started = true;
  std::array<char, 4096> buf;
  for (;;) {
    const auto n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.output.append(buf.data(), static_cast<std::size_t>(n));
    // Only the last lines are reported; a gnuplot warning per bad line of a
    // huge file must not grow without bound.
    if (r.output.size() > 64 * 1024) r.output.erase(0, r.output.size() - 16 * 1024);
  }
  ::close(fds[0]);
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

std::string last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t^") != std::string::npos) lines.push_back(line);
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  std::string s;
  for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
  return s;
}

bool gnuplot_overridden() {
  const char* env = std::getenv("SPIKELINK_GNUPLOT");
  return env && *env;
}

// Why a run of gnuplot did not work, or nothing when it did.
std::optional<std::string> failure(const std::string& program, const Run& r) {
  if (!r.started) {
    if (r.spawn_errno == ENOENT) {
      return fmt::format("gnuplot not found ('{}'{}): plots need it; install it with {}", program,
                         gnuplot_overridden() ? ", from SPIKELINK_GNUPLOT" : " on PATH", kInstall);
    }
    return fmt::format("cannot run gnuplot ('{}'): {}; install it with {}", program, std::strerror(r.spawn_errno),
                       kInstall);
  }
  if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) return std::nullopt;
  const auto how = WIFEXITED(r.status) ? fmt::format("exit status {}", WEXITSTATUS(r.status))
                                       : fmt::format("signal {}", WTERMSIG(r.status));
  const auto said = last_lines(r.output, 6);
  if (said.empty()) return fmt::format("gnuplot ('{}') failed ({}) and printed nothing", program, how);
  return fmt::format("gnuplot ('{}') failed ({}):\n{}", program, how, said);
}

// A path for gnuplot's plot and set output: relative paths get a "./" so
// that a name starting with '<' or '|' (gnuplot runs those as commands), '~'
// or one of the special files '-', '+', '++' stays a plain file.
std::string path_arg(const std::string& p) {
  return quote(!p.empty() && p.front() == '/' ? p : "./" + p);
}

// Labels go into the script on one line each.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

// A script line cannot hold a line break, so neither can a path in it.
bool bad_path(const std::string& p) {
  return p.find_first_of("\n\r") != std::string::npos;
}

std::string num(double v) {
  return fmt::format("{}", v);
}

std::string rgb(unsigned c) {
  return fmt::format("'#{:06x}'", c);
}

// The lines of a CSV file that hold something: not blank, not a '#' comment.
// Reads only as far as the caller asks, never the whole file.
class Lines {
 public:
  explicit Lines(const std::string& path) : in_(path) {}
  bool is_open() const { return in_.is_open(); }
  std::optional<std::string> next() {
    for (std::string line; std::getline(in_, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#') continue;
      return line.substr(start);
    }
    return std::nullopt;
  }

 private:
  std::ifstream in_;
};

std::vector<std::string> split_header(const std::string& line) {
  std::vector<std::string> cols;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    const auto b = cell.find_first_not_of(" \t\"");
    const auto e = cell.find_last_not_of(" \t\"");
    cols.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == ',') cols.emplace_back();
  return cols;
}

// The phases that can be drawn: finite times (a span given backwards is
// turned round).
std::vector<PhaseMark> usable(const std::vector<PhaseMark>& phases) {
  std::vector<PhaseMark> v;
  for (auto p : phases) {
    if (!std::isfinite(p.start_ms) || !std::isfinite(p.end_ms)) continue;
    if (p.end_ms < p.start_ms) std::swap(p.start_ms, p.end_ms);
    v.push_back(std::move(p));
  }
  return v;
}

double phases_end_s(const std::vector<PhaseMark>& phases) {
  double end = 0;
  for (const auto& p : phases) end = std::max(end, p.end_ms / 1000.0);
  return end;
}

// The start of every script: a known state whatever the user's ~/.gnuplot
// sets, PNG by cairo (antialiased) when this gnuplot has it, else by libgd,
// and labels as plain text (enhanced text would turn "exc_A" into a subscript).
std::string preamble(const std::string& out, const std::string& title) {
  std::string s = "reset\n";
  s += "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
       "  set terminal pngcairo size 1200,700 noenhanced font 'sans,10'\n"
       "} else {\n"
       "  set terminal png size 1200,700 noenhanced\n"
       "}\n";
  s += fmt::format("set output {}\n", path_arg(out));
  s += "set datafile separator ','\n";
  if (!title.empty()) s += fmt::format("set title {} noenhanced\n", quote(one_line(title)));
  s += "set xlabel 'time (s)'\n";
  s += "set key outside right top noenhanced\n";
  s += "set border 3\nset xtics nomirror\n";
  return s;
}

// Phases: alternating tinted backgrounds behind the data, each named above
// the plot at its middle.
std::string phase_commands(const std::vector<PhaseMark>& phases) {
  if (phases.empty()) return {};
  // Room above the plot for the names, the title lifted above them.
  std::string s = "set tmargin 5\nset title offset 0,1\n";
  int i = 0;
  for (const auto& p : phases) {
    const double a = p.start_ms / 1000.0;
    const double b = p.end_ms / 1000.0;
    s += fmt::format("set object {} rectangle from first {}, graph 0 to first {}, graph 1 behind fillcolor rgb {} "
                     "fillstyle solid 1.0 noborder\n",
                     i + 1, num(a), num(b), rgb(i % 2 == 0 ? 0xdde7f4 : 0xf4ead6));
    if (!p.name.empty()) {
      s += fmt::format("set label {} {} at first {}, graph 1 center offset 0,0.8 noenhanced\n", i + 1,
                       quote(one_line(p.name)), num((a + b) / 2));
    }
    ++i;
  }
  return s;
}

// The time axis starts at 0 and reaches at least the end of the last phase.
std::string xrange(const std::vector<PhaseMark>& phases, bool have_data) {
  const double end = phases_end_s(phases);
  if (!have_data) return fmt::format("set xrange [0:{}]\n", num(end > 0 ? end : 1.0));
  if (end > 0) return fmt::format("set xrange [0:{}<*]\n", num(end));
  return "set xrange [0:*]\n";
}

// Writes `script` next to `png`, runs gnuplot on it, drawing into a
// temporary file that replaces `png` only when gnuplot succeeded: a failed
// run leaves no half-written picture and does not clobber an old one.
Result draw(const std::string& png, const std::function<std::string(const std::string&)>& script_for) {
  if (bad_path(png)) return {false, "a plot's file name cannot hold a line break"};
  const auto program = gnuplot_program();
  const auto tag = fmt::format(".{}.tmp", ::getpid());
  const auto part = png + tag + ".png";
  const auto script_path = png + tag + ".gp";
  {
    std::ofstream out(script_path);
    out << script_for(part);
    out.close();
    if (!out) return {false, fmt::format("{}: cannot write the plot script: {}", script_path, std::strerror(errno))};
  }
  const auto r = run({program, script_path});
  std::error_code ec;
  std::filesystem::remove(script_path, ec);
  if (const auto why = failure(program, r)) {
    std::filesystem::remove(part, ec);
    return {false, *why};
  }
  if (!std::filesystem::exists(part, ec)) return {false, fmt::format("gnuplot ('{}') wrote no picture", program)};
  std::filesystem::rename(part, png, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    return {false, fmt::format("{}: cannot write it: {}", png, ec.message())};
  }
  return {true, {}};
}

}  // namespace

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += '\'';
    q += c;
  }
  return q + "'";
}

std::string gnuplot_program() {
  return gnuplot_overridden() ? std::getenv("SPIKELINK_GNUPLOT") : "gnuplot";
}

Result available() {
  const auto program = gnuplot_program();
  const auto r = run({program, "--version"});
  if (const auto why = failure(program, r)) return {false, *why};
  const auto version = last_lines(r.output, 1);
  if (version.rfind("gnuplot", 0) != 0) {
    return {false, fmt::format("'{}' is not gnuplot (its --version printed '{}'); install gnuplot with {}", program,
                               version, kInstall)};
  }
  return {true, version};
}

Result raster(const std::string& spikes_csv, const std::vector<Band>& bands, const std::vector<PhaseMark>& phases,
              const std::string& png, const std::string& title) {
  if (bad_path(spikes_csv)) return {false, "a spike file's name cannot hold a line break"};
  // Only the first line of data is read here, to know whether there is any:
  // gnuplot cannot scale an axis to no data, and an empty raster (a silent
  // network) is still worth a picture of its bands and phases.
  Lines lines(spikes_csv);
  if (!lines.is_open()) return {false, fmt::format("{}: cannot read it: {}", spikes_csv, std::strerror(errno))};
  bool have_data = false;
  while (const auto line = lines.next()) {
    if (line->rfind("time", 0) == 0) continue;  // the header
    have_data = true;
    break;
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(spikes_csv, ec);
  const bool dots = !ec && bytes >= kPointsBelowBytes;

  std::vector<Band> drawn;
  for (const auto& b : bands)
    if (b.count > 0) drawn.push_back(b);
  const auto ph = usable(phases);

  auto script = [&](const std::string& out) {
    std::string s = preamble(out, title);
    s += phase_commands(ph);
    s += xrange(ph, have_data);
    s += "set autoscale xfixmax\n";
    const char* style = dots ? "dots" : "points pointtype 7 pointsize 0.35";
    const auto file = path_arg(spikes_csv);
    if (drawn.empty()) {
      s += "set ylabel 'neuron'\nset ytics nomirror\n";
      if (!have_data) s += "set yrange [0:1]\n";
      if (!have_data) return s + "plot NaN notitle\n";
      return s + fmt::format("plot {} using ($1/1000.0):2 with {} linecolor rgb '#222222' notitle\n", file, style);
    }
    // Neurons on y, each band's label at its centre; the neuron numbers on
    // the right-hand axis. The axis covers every band and whatever spikes
    // fall above them.
    unsigned top = 0;
    for (const auto& b : drawn) top = std::max(top, b.first + b.count);
    s += have_data ? fmt::format("set yrange [-0.5:{}<*]\nset autoscale yfixmax\n", num(top - 0.5))
                   : fmt::format("set yrange [-0.5:{}]\n", num(top - 0.5));
    s += "set ytics (";
    for (std::size_t i = 0; i < drawn.size(); ++i) {
      const auto& b = drawn[i];
      s += fmt::format("{}{} {}", i ? ", " : "", quote(one_line(b.label)), num(b.first + (b.count - 1) / 2.0));
    }
    s += ") scale 0 nomirror\n";
    s += "set link y2\nset y2tics out nomirror\nset y2label 'neuron'\nset border 11\n";
    for (const auto& b : drawn) {
      if (b.first == 0) continue;  // the bottom of the axis already
      s += fmt::format("set arrow from graph 0, first {0} to graph 1, first {0} nohead linecolor rgb '#aaaaaa' "
                       "dashtype 2 back\n",
                       num(b.first - 0.5));
    }
    // One pass over the file: a spike's colour is its band's, computed by
    // gnuplot per row (grey outside every band), so a big file is read once.
    std::string colour = "0x999999";
    for (std::size_t i = drawn.size(); i-- > 0;) {
      const auto& b = drawn[i];
      colour = fmt::format("(c >= {} && c < {} ? {:#x} : {})", b.first, std::uint64_t{b.first} + b.count,
                           kBandColours[i % kBandColours.size()], colour);
    }
    s += fmt::format("band_colour(c) = {}\n", colour);
    s += "plot ";
    s += have_data ? fmt::format("{} using ($1/1000.0):2:(band_colour($2)) with {} linecolor rgb variable notitle",
                                 file, style)
                   : "NaN notitle";
    // The key: one big point per band in its colour.
    for (std::size_t i = 0; i < drawn.size() && i < kMaxKeyEntries; ++i) {
      s += fmt::format(", NaN with points pointtype 7 pointsize 1.5 linecolor rgb {} title {}",
                       rgb(kBandColours[i % kBandColours.size()]), quote(one_line(drawn[i].label)));
    }
    return s + "\n";
  };
  auto r = draw(png, script);
  if (r.ok && !have_data) r.message = fmt::format("{}: no spikes; drew the bands and phases only", spikes_csv);
  return r;
}

Result weights(const std::string& weights_csv, const std::vector<PhaseMark>& phases, const std::string& png,
               const std::string& title, const std::string& y_label) {
  if (bad_path(weights_csv)) return {false, "a weights file's name cannot hold a line break"};
  // The header names the lines; one more line tells whether there is a
  // sample. The rest of the file is gnuplot's to read.
  Lines lines(weights_csv);
  if (!lines.is_open()) return {false, fmt::format("{}: cannot read it: {}", weights_csv, std::strerror(errno))};
  const auto header = lines.next();
  if (!header) return {false, fmt::format("{}: empty, no header line (time_ms,<label>,...)", weights_csv)};
  const auto cols = split_header(*header);
  if (cols.size() < 2) {
    return {false, fmt::format("{}: the header names no weights (time_ms,<label>,...)", weights_csv)};
  }
  if (!lines.next()) return {false, fmt::format("{}: no weight samples to plot", weights_csv)};
  const auto ph = usable(phases);

  auto script = [&](const std::string& out) {
    std::string s = preamble(out, title);
    s += phase_commands(ph);
    s += xrange(ph, true);
    s += "set autoscale xfixmax\n";
    s += fmt::format("set ylabel {} noenhanced\nset ytics nomirror\n", quote(one_line(y_label)));
    if (cols.size() - 1 > kMaxKeyEntries) s += "unset key\n";
    const auto file = path_arg(weights_csv);
    s += "plot ";
    for (std::size_t i = 1; i < cols.size(); ++i) {
      const auto name = cols[i].empty() ? fmt::format("column {}", i + 1) : cols[i];
      s += fmt::format("{}{} using ($1/1000.0):{} with lines linewidth 1.5 title {}", i > 1 ? ", \\\n  " : "", file,
                       i + 1, quote(one_line(name)));
    }
    return s + "\n";
  };
  return draw(png, script);
}

}  // namespace spikelink::plots
