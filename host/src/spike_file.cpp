#include "spikelink/spike_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace spikelink::spikes {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'P', 'K', 'L', 'S', 'P', 'K', 0};
constexpr std::uint16_t kVersion = 1;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

template <class T>
void put(std::uint8_t* b, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i));
}

template <class T>
T get(const std::uint8_t* b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{b[i]} << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

Format format_for(const std::string& path) {
  if (ends_with(path, ".csv")) return Format::kCsv;
  if (ends_with(path, ".spk")) return Format::kBinary;
  throw Error(fmt::format("{}: a spike file is .csv (time_ms,channel) or .spk (binary); docs/spike-files.md", path));
}

Writer::Writer(const std::string& path, const Header& header) : path_(path), format_(format_for(path)), header_(header) {
  if (header.timestep_us == 0) throw Error(path + ": the timestep must be at least 1 us");
  if (header.what.size() > 16) throw Error(path + ": the header's 'what' is longer than 16 characters");
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw Error(fmt::format("{}: cannot create it: {}", path, std::strerror(errno)));
  if (format_ == Format::kCsv) {
    std::fprintf(f_, "# spikelink spikes%s%s, timestep %u us\ntime_ms,channel\n", header.what.empty() ? "" : ": ",
                 header.what.c_str(), header.timestep_us);
  } else {
    std::array<std::uint8_t, kHeaderBytes> h{};
    std::copy(kMagic.begin(), kMagic.end(), h.begin());
    put(h.data() + 8, kVersion);
    put(h.data() + 10, static_cast<std::uint16_t>(kHeaderBytes));
    put(h.data() + 12, header.timestep_us);
    std::memcpy(h.data() + 16, header.what.data(), header.what.size());
    std::fwrite(h.data(), 1, h.size(), f_);
  }
  flush();
}

Writer::~Writer() {
  try {
    close();
  } catch (...) {
  }
}

void Writer::write(std::span<const Spike> spikes) {
  if (!f_) throw Error(path_ + ": written after close");
  for (const auto& s : spikes) {
    if (s.timestep < last_)
      throw Error(fmt::format("{}: spikes must come in time order: timestep {} after {}", path_, s.timestep, last_));
    if (s.timestep > kMaxTimestep) throw Error(fmt::format("{}: timestep {} is beyond 2^48", path_, s.timestep));
    last_ = s.timestep;
    if (format_ == Format::kCsv) {
      const double ms = static_cast<double>(s.timestep) * header_.timestep_us / 1000.0;
      std::fprintf(f_, "%.3f,%u\n", ms, unsigned{s.channel});
    } else {
      std::array<std::uint8_t, kRecordBytes> r{};
      put(r.data(), s.timestep);  // low 6 bytes
      put(r.data() + 6, s.channel);
      std::fwrite(r.data(), 1, r.size(), f_);
    }
    ++written_;
  }
  if (std::ferror(f_)) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
}

void Writer::flush() {
  if (!f_) return;
  if (std::fflush(f_) != 0) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  ::fsync(::fileno(f_));
}

void Writer::close() {
  if (!f_) return;
  flush();
  std::fclose(f_);
  f_ = nullptr;
}

ReadResult read(const std::string& path, std::uint32_t timestep_us) {
  const Format format = format_for(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open it", path));
  ReadResult r;
  if (format == Format::kBinary) {
    const std::vector<std::uint8_t> b{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (b.size() < kHeaderBytes || !std::equal(kMagic.begin(), kMagic.end(), b.begin()))
      throw Error(fmt::format("{}: offset 0: not a spikelink spike file (no 'SPKLSPK' magic)", path));
    const auto version = get<std::uint16_t>(b.data() + 8);
    if (version != kVersion)
      throw Error(fmt::format("{}: offset 8: format version {}, this tool reads {}", path, version, kVersion));
    const auto hbytes = get<std::uint16_t>(b.data() + 10);
    if (hbytes < kHeaderBytes || hbytes > b.size())
      throw Error(fmt::format("{}: offset 10: header length {} is impossible", path, hbytes));
    r.header.timestep_us = get<std::uint32_t>(b.data() + 12);
    if (r.header.timestep_us == 0) throw Error(fmt::format("{}: offset 12: timestep 0 us", path));
    const auto* name = reinterpret_cast<const char*>(b.data() + 16);
    r.header.what.assign(name, strnlen(name, 16));
    std::uint64_t last = 0;
    std::size_t at = hbytes;
    for (; at + kRecordBytes <= b.size(); at += kRecordBytes) {
      const Spike s{get<std::uint64_t>(b.data() + at) & kMaxTimestep, get<std::uint16_t>(b.data() + at + 6)};
      if (s.timestep < last)
        throw Error(fmt::format("{}: offset {}: timestep {} after {} (records must be in time order)", path, at,
                                s.timestep, last));
      last = s.timestep;
      r.spikes.push_back(s);
    }
    r.trailing_bytes = b.size() - at;
    return r;
  }
  r.header.timestep_us = timestep_us;
  std::string line;
  std::size_t lineno = 0;
  std::uint64_t last = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line.compare(first, 4, "time") == 0) continue;  // the header line
    double ms = 0;
    long channel = -1;
    char tail = 0;
    if (std::sscanf(line.c_str(), " %lf , %ld %c", &ms, &channel, &tail) != 2)
      throw Error(fmt::format("{}:{}: expected 'time_ms,channel', got '{}'", path, lineno, line));
    if (!(ms >= 0) || !std::isfinite(ms))
      throw Error(fmt::format("{}:{}: time {} ms is not a time at or after 0", path, lineno, ms));
    if (channel < 0 || channel > 0xFFFF)
      throw Error(fmt::format("{}:{}: channel {} is outside 0..65535", path, lineno, channel));
    const double steps = ms * 1000.0 / timestep_us;
    const double rounded = std::nearbyint(steps);
    if (rounded > static_cast<double>(kMaxTimestep))
      throw Error(fmt::format("{}:{}: time {} ms is too late", path, lineno, ms));
    if (std::fabs(steps - rounded) > 1e-6) ++r.rounded;
    const Spike s{static_cast<std::uint64_t>(rounded), static_cast<std::uint16_t>(channel)};
    if (s.timestep < last)
      throw Error(fmt::format("{}:{}: time {} ms comes before the line above (spikes must be in time order)", path,
                              lineno, ms));
    last = s.timestep;
    r.spikes.push_back(s);
  }
  return r;
}

}  // namespace spikelink::spikes
