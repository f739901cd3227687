// Plots (docs/plots.md): the raster and the weights drawn by gnuplot into
// real PNG files (checked by their signature and IHDR size), an empty spike
// file, a big one, awkward paths, and gnuplot missing or failing
// (SPIKELINK_GNUPLOT) reported without throwing and without a picture.
// The cases that need gnuplot are skipped, saying so, where it is not
// installed (scripts/setup installs it).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "spikelink/plots.hpp"
#include "spikelink/spike_file.hpp"

using namespace spikelink;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test case, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("spikelink-test-" + std::to_string(::getpid()) + "-plots-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Sets (or, with nullopt, unsets) SPIKELINK_GNUPLOT for a scope.
class GnuplotEnv {
 public:
  explicit GnuplotEnv(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("SPIKELINK_GNUPLOT")) old_ = old;
    if (value) {
      ::setenv("SPIKELINK_GNUPLOT", value->c_str(), 1);
    } else {
      ::unsetenv("SPIKELINK_GNUPLOT");
    }
  }
  ~GnuplotEnv() {
    if (old_) {
      ::setenv("SPIKELINK_GNUPLOT", old_->c_str(), 1);
    } else {
      ::unsetenv("SPIKELINK_GNUPLOT");
    }
  }
  GnuplotEnv(const GnuplotEnv&) = delete;
  GnuplotEnv& operator=(const GnuplotEnv&) = delete;

 private:
  std::optional<std::string> old_;
};

// Whether gnuplot runs here; when not, the caller returns early, which
// doctest reports with this message.
bool have_gnuplot() {
  const auto a = plots::available();
  if (!a.ok) MESSAGE("skipped, gnuplot cannot run here: " << a.message);
  return a.ok;
}

struct PngSize {
  bool png = false;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// The signature, then the IHDR chunk (always first): its width and height,
// big-endian, at offsets 16 and 20.
PngSize png_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 24> b{};
  in.read(reinterpret_cast<char*>(b.data()), b.size());
  PngSize s;
  if (!in) return s;
  constexpr std::array<unsigned char, 8> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  s.png = std::equal(kSignature.begin(), kSignature.end(), b.begin()) && b[12] == 'I' && b[13] == 'H' &&
          b[14] == 'D' && b[15] == 'R';
  auto be32 = [&](std::size_t o) {
    return std::uint32_t{b[o]} << 24 | std::uint32_t{b[o + 1]} << 16 | std::uint32_t{b[o + 2]} << 8 | b[o + 3];
  };
  s.width = be32(16);
  s.height = be32(20);
  return s;
}

void check_picture(const std::string& path) {
  CAPTURE(path);
  REQUIRE(fs::exists(path));
  const auto s = png_size(path);
  CHECK(s.png);
  CHECK(s.width >= 800);
  CHECK(s.width <= 2000);
  CHECK(s.height >= 400);
  CHECK(s.height <= 1200);
}

// Spikes from `neurons` neurons, every neuron firing now and then, in the
// file format spikes::Writer writes.
void write_spikes(const std::string& path, unsigned neurons, std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<spikes::Spike> v;
  v.reserve(n);
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 4 == 0) ++t;
    v.push_back({t, static_cast<std::uint16_t>(rng() % neurons)});
  }
  spikes::Writer w(path, {1000, "neuron"});
  w.write(v);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string weights_text(std::size_t samples) {
  std::string s = "time_ms,exc_0->out_0,exc_1->out_0,inh_0->out_0\n";
  for (std::size_t i = 0; i < samples; ++i) {
    const double t = 10.0 * static_cast<double>(i);
    s += std::to_string(t) + "," + std::to_string(2.0 + 0.01 * static_cast<double>(i)) + "," +
         std::to_string(4.0 - 0.005 * static_cast<double>(i)) + ",-1.5\n";
  }
  return s;
}

// No file in `dir` but the ones named: no script or half-drawn picture left.
void check_only(const TempDir& dir, std::vector<std::string> names) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir.path)) found.push_back(e.path().filename().string());
  std::sort(found.begin(), found.end());
  std::sort(names.begin(), names.end());
  CHECK(found == names);
}

const std::vector<plots::Band> kBands = {{"exc", 0, 200}, {"inh", 200, 50}, {"out_A", 250, 10}};
const std::vector<plots::PhaseMark> kPhases = {{"train", 0, 1500}, {"test", 1500, 2500}};

}  // namespace

TEST_CASE("plots: gnuplot strings are single-quoted with quotes doubled") {
  CHECK(plots::quote("a b") == "'a b'");
  CHECK(plots::quote("it's") == "'it''s'");
  CHECK(plots::quote("''") == "''''''");
  // Nothing else is special inside single quotes in gnuplot.
  CHECK(plots::quote("`rm` @m $1 \\n \"x\"") == "'`rm` @m $1 \\n \"x\"'");
}

TEST_CASE("plots: available() gives gnuplot's version") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  const auto a = plots::available();
  CHECK(a.message.rfind("gnuplot ", 0) == 0);
  CHECK(a.message.find('\n') == std::string::npos);
}

TEST_CASE("plots: a raster with bands and phases is a PNG of about 1200x700") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("raster");
  write_spikes(dir / "spikes.csv", 260, 5000, 1);
  const auto r = plots::raster(dir / "spikes.csv", kBands, kPhases, dir / "raster.png", "run 1: raster");
  CHECK_MESSAGE(r.ok, r.message);
  check_picture(dir / "raster.png");
  check_only(dir, {"spikes.csv", "raster.png"});
  // Without bands or phases too: one colour, numbered neurons.
  const auto plain = plots::raster(dir / "spikes.csv", {}, {}, dir / "plain.png", "");
  CHECK_MESSAGE(plain.ok, plain.message);
  check_picture(dir / "plain.png");
}

TEST_CASE("plots: an empty spike file still draws the bands and phases") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("empty");
  { spikes::Writer w(dir / "spikes.csv", {1000, "neuron"}); }
  const auto r = plots::raster(dir / "spikes.csv", kBands, kPhases, dir / "raster.png", "silent");
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.message.find("no spikes") != std::string::npos);
  check_picture(dir / "raster.png");
  // And without bands: an empty frame.
  const auto bare = plots::raster(dir / "spikes.csv", {}, {}, dir / "bare.png", "silent");
  CHECK_MESSAGE(bare.ok, bare.message);
  check_picture(dir / "bare.png");
}

TEST_CASE("plots: a million spikes from thousands of neurons") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("big");
  write_spikes(dir / "spikes.csv", 4000, 1000000, 2);
  const auto start = std::chrono::steady_clock::now();
  const auto r = plots::raster(dir / "spikes.csv", {{"exc", 0, 3200}, {"inh", 3200, 800}}, kPhases,
                               dir / "raster.png", "big");
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("a million spikes drawn in " << took << " s");
  CHECK_MESSAGE(r.ok, r.message);
  check_picture(dir / "raster.png");
}

TEST_CASE("plots: weights over time, one keyed line per column") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("weights");
  write_text(dir / "weights.csv", weights_text(300));
  const auto r = plots::weights(dir / "weights.csv", kPhases, dir / "weights.png", "weights", "weight (mV)");
  CHECK_MESSAGE(r.ok, r.message);
  check_picture(dir / "weights.png");
  check_only(dir, {"weights.csv", "weights.png"});
}

TEST_CASE("plots: weights with no samples, or no columns, are refused without a picture") {
  GnuplotEnv env(std::nullopt);
  TempDir dir("noweights");
  write_text(dir / "header.csv", "time_ms,w0,w1\n");
  write_text(dir / "nocols.csv", "time_ms\n0,\n");
  write_text(dir / "nothing.csv", "");
  const auto a = plots::weights(dir / "header.csv", {}, dir / "a.png", "", "level");
  CHECK_FALSE(a.ok);
  CHECK(a.message.find("no weight samples") != std::string::npos);
  const auto b = plots::weights(dir / "nocols.csv", {}, dir / "b.png", "", "level");
  CHECK_FALSE(b.ok);
  CHECK(b.message.find("names no weights") != std::string::npos);
  const auto c = plots::weights(dir / "nothing.csv", {}, dir / "c.png", "", "level");
  CHECK_FALSE(c.ok);
  const auto d = plots::weights(dir / "absent.csv", {}, dir / "d.png", "", "level");
  CHECK_FALSE(d.ok);
  CHECK(d.message.find("cannot read") != std::string::npos);
  check_only(dir, {"header.csv", "nocols.csv", "nothing.csv"});
}

TEST_CASE("plots: paths with a single quote and a space") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("it's a dir");
  write_spikes(dir / "o'k spikes.csv", 260, 2000, 3);
  write_text(dir / "we'ights 'x'.csv", weights_text(50));
  const auto r = plots::raster(dir / "o'k spikes.csv", {{"it's", 0, 260}}, {{"ph'ase one", 0, 500}},
                               dir / "the 'raster'.png", "Bob's run");
  CHECK_MESSAGE(r.ok, r.message);
  check_picture(dir / "the 'raster'.png");
  const auto w = plots::weights(dir / "we'ights 'x'.csv", {}, dir / "o'k.png", "it's", "w'");
  CHECK_MESSAGE(w.ok, w.message);
  check_picture(dir / "o'k.png");
}

TEST_CASE("plots: a relative path starting with a pipe is a file, not a command") {
  GnuplotEnv env(std::nullopt);
  if (!have_gnuplot()) return;
  TempDir dir("pipe");
  write_spikes(dir / "spikes.csv", 100, 500, 4);
  const auto cwd = fs::current_path();
  fs::current_path(dir.path);
  const auto r = plots::raster("spikes.csv", {}, {}, "|touch pwned", "");
  fs::current_path(cwd);
  CHECK_MESSAGE(r.ok, r.message);
  check_picture(dir / "|touch pwned");
  CHECK_FALSE(fs::exists(dir / "pwned"));
}

TEST_CASE("plots: without gnuplot, a message saying what to install and no picture") {
  TempDir dir("missing");
  write_spikes(dir / "spikes.csv", 100, 500, 5);
  write_text(dir / "weights.csv", weights_text(10));
  GnuplotEnv env(dir / "no-such-gnuplot");
  plots::Result r, w, a;
  CHECK_NOTHROW(r = plots::raster(dir / "spikes.csv", kBands, kPhases, dir / "raster.png", "t"));
  CHECK_NOTHROW(w = plots::weights(dir / "weights.csv", kPhases, dir / "weights.png", "t", "mV"));
  CHECK_NOTHROW(a = plots::available());
  for (const auto& x : {r, w, a}) {
    CAPTURE(x.message);
    CHECK_FALSE(x.ok);
    CHECK(x.message.find("gnuplot not found") != std::string::npos);
    CHECK(x.message.find("apt install gnuplot-nox") != std::string::npos);
    CHECK(x.message.find("scripts/setup") != std::string::npos);
  }
  check_only(dir, {"spikes.csv", "weights.csv"});
}

TEST_CASE("plots: a failing gnuplot is reported with what it printed, an old picture kept") {
  TempDir dir("failing");
  write_spikes(dir / "spikes.csv", 100, 500, 6);
  write_text(dir / "raster.png", "the previous picture");
  {
    GnuplotEnv env(std::string("/bin/false"));
    plots::Result r;
    CHECK_NOTHROW(r = plots::raster(dir / "spikes.csv", kBands, kPhases, dir / "raster.png", "t"));
    CHECK_FALSE(r.ok);
    CHECK(r.message.find("gnuplot") != std::string::npos);
    CHECK(r.message.find("failed (exit status 1)") != std::string::npos);
    CHECK_FALSE(plots::available().ok);
  }
  {
    // A gnuplot that complains: its last lines make the message.
    const auto fake = dir / "fake gnuplot";
    write_text(fake, "#!/bin/sh\necho 'line 12: undefined variable: x' >&2\nexit 3\n");
    ::chmod(fake.c_str(), 0755);
    GnuplotEnv env(fake);
    const auto r = plots::raster(dir / "spikes.csv", {}, {}, dir / "raster.png", "t");
    CHECK_FALSE(r.ok);
    CHECK(r.message.find("exit status 3") != std::string::npos);
    CHECK(r.message.find("undefined variable: x") != std::string::npos);
  }
  std::ifstream in(dir / "raster.png");
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "the previous picture");
  check_only(dir, {"spikes.csv", "raster.png", "fake gnuplot"});
}
