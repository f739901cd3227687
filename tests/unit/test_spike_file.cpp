// Spike files (docs/spike-files.md): CSV and binary round trips, a file cut
// short mid-record, streaming (what is flushed is readable while the writer
// runs), and every malformed input named by file:line or offset.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "spikelink/spike_file.hpp"

using namespace spikelink;

namespace {

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("spikelink-test-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::vector<spikes::Spike> train(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<spikes::Spike> v;
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += rng() % 3;
    v.push_back({t, static_cast<std::uint16_t>(rng() % 300)});
  }
  return v;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string error_of(const std::string& path, std::uint32_t ts = 1000) {
  try {
    spikes::read(path, ts);
  } catch (const spikes::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("spike files: CSV and binary round trips") {
  const auto v = train(5000, 1);
  for (const char* ext : {".csv", ".spk"}) {
    CAPTURE(ext);
    const auto path = temp(std::string("rt") + ext);
    {
      spikes::Writer w(path, {1000, "neuron"});
      w.write(std::span(v).first(2000));
      w.write(std::span(v).subspan(2000));
      CHECK(w.written() == v.size());
    }
    const auto r = spikes::read(path);
    CHECK(r.spikes == v);
    CHECK(r.rounded == 0);
    CHECK(r.header.timestep_us == 1000);
    if (std::string(ext) == ".spk") CHECK(r.header.what == "neuron");
    std::filesystem::remove(path);
  }
  // The binary file is compact: 8 bytes a spike after a 32-byte header.
  const auto path = temp("size.spk");
  { spikes::Writer(path, {}).write(v); }
  CHECK(std::filesystem::file_size(path) == 32 + 8 * v.size());
  std::filesystem::remove(path);
}

TEST_CASE("spike files: a binary file cut mid-record keeps every whole spike") {
  const auto v = train(1000, 2);
  const auto path = temp("cut.spk");
  { spikes::Writer(path, {}).write(v); }
  std::filesystem::resize_file(path, 32 + 8 * 700 + 5);
  const auto r = spikes::read(path);
  CHECK(r.spikes.size() == 700);
  CHECK(r.trailing_bytes == 5);
  CHECK(std::equal(r.spikes.begin(), r.spikes.end(), v.begin()));
  std::filesystem::remove(path);
}

TEST_CASE("spike files: what is flushed is readable while the writer still runs") {
  const auto v = train(3000, 3);
  for (const char* ext : {".csv", ".spk"}) {
    CAPTURE(ext);
    const auto path = temp(std::string("stream") + ext);
    spikes::Writer w(path, {});
    w.write(std::span(v).first(1000));
    w.flush();
    // As if the process died here: another reader sees the first 1000.
    CHECK(spikes::read(path).spikes.size() == 1000);
    w.write(std::span(v).subspan(1000));
    w.flush();
    CHECK(spikes::read(path).spikes == v);
    w.close();
    std::filesystem::remove(path);
  }
}

TEST_CASE("spike files: CSV times in ms are converted with the timestep, and rounding is counted") {
  const auto path = temp("times.csv");
  write_text(path, "# a comment\ntime_ms,channel\n0,1\n0.5,2\n1.0,3\n2.25,4\r\n  10 , 5\n");
  auto r = spikes::read(path, 500);  // 0.5 ms timesteps
  REQUIRE(r.spikes.size() == 5);
  CHECK(r.spikes[1] == spikes::Spike{1, 2});
  CHECK(r.spikes[2] == spikes::Spike{2, 3});
  CHECK(r.spikes[3].timestep == 4);  // 2.25 ms -> 4.5 steps, rounded to even
  CHECK(r.spikes[4] == spikes::Spike{20, 5});
  CHECK(r.rounded == 1);
  r = spikes::read(path, 1000);
  CHECK(r.spikes[4] == spikes::Spike{10, 5});
  std::filesystem::remove(path);
}

TEST_CASE("spike files: malformed input is named by file and line, or offset") {
  const auto path = temp("bad.csv");
  write_text(path, "time_ms,channel\n1,2\n3;4\n");
  CHECK(error_of(path).find(path + ":3: expected 'time_ms,channel'") == 0);
  write_text(path, "1,2\n-1,2\n");
  CHECK(error_of(path).find(path + ":2: time -1 ms") == 0);
  write_text(path, "1,70000\n");
  CHECK(error_of(path).find(path + ":1: channel 70000") == 0);
  write_text(path, "5,1\n4,1\n");
  CHECK(error_of(path).find(path + ":2: time 4 ms comes before") == 0);
  write_text(path, "1,2,3\n");
  CHECK(error_of(path).find(path + ":1:") == 0);
  std::filesystem::remove(path);

  const auto bin = temp("bad.spk");
  write_text(bin, "not a spike file at all, not at all");
  CHECK(error_of(bin).find("offset 0: not a spikelink spike file") != std::string::npos);
  CHECK_THROWS_WITH_AS(spikes::read(temp("x.txt")), doctest::Contains(".csv (time_ms,channel) or .spk"), spikes::Error);
  CHECK_THROWS_WITH_AS(spikes::read(temp("missing.csv")), doctest::Contains("cannot open"), spikes::Error);
  std::filesystem::remove(bin);
}

TEST_CASE("spike files: the writer refuses spikes out of time order") {
  const auto path = temp("order.spk");
  spikes::Writer w(path, {});
  const spikes::Spike a[] = {{5, 1}, {7, 2}};
  w.write(a);
  const spikes::Spike b[] = {{6, 1}};
  CHECK_THROWS_WITH_AS(w.write(b), doctest::Contains("time order"), spikes::Error);
  w.close();
  CHECK(spikes::read(path).spikes.size() == 2);  // what came before stays
  std::filesystem::remove(path);
}
