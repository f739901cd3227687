// Spike files (docs/spike-files.md): spike trains on disk, as CSV (time in
// ms, channel) or a compact binary format with a header, read and written.
// The writer streams: every record is whole on disk once flush() returns,
// and a file cut short (Ctrl-C, an unplugged board, a full disk) is still a
// valid file holding every spike written before the cut.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikelink::spikes {

struct Spike {
  std::uint64_t timestep = 0;  // in units of the file's timestep
  std::uint16_t channel = 0;   // an input channel or a neuron, as the file says
  friend bool operator==(const Spike&, const Spike&) = default;
};

enum class Format { kCsv, kBinary };

// By extension: ".csv" is CSV, ".spk" binary; anything else is refused.
Format format_for(const std::string& path);

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Binary format (docs/spike-files.md): a 32-byte header, then 8-byte
// records (timestep: 48 bits, channel: 16 bits, little-endian).
inline constexpr std::size_t kHeaderBytes = 32;
inline constexpr std::size_t kRecordBytes = 8;
inline constexpr std::uint64_t kMaxTimestep = (std::uint64_t{1} << 48) - 1;

struct Header {
  std::uint32_t timestep_us = 1000;  // the length of a timestep
  std::string what;                  // up to 16 ASCII characters, e.g. "input", "neuron"
};

class Writer {
 public:
  // Creates (truncates) `path`; the format from its extension.
  Writer(const std::string& path, const Header& header);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Spikes in time order (within and across calls); throws Error otherwise.
  void write(std::span<const Spike> spikes);
  // Everything written so far is on disk (fflush + fsync).
  void flush();
  void close();
  std::uint64_t written() const { return written_; }

 private:
  std::string path_;
  Format format_;
  Header header_;
  std::FILE* f_ = nullptr;
  std::uint64_t written_ = 0;
  std::uint64_t last_ = 0;
};

struct ReadResult {
  Header header;
  std::vector<Spike> spikes;
  std::size_t rounded = 0;         // CSV times not on a timestep boundary, rounded to the nearest
  std::size_t trailing_bytes = 0;  // binary: a partial record at the end (a cut-short file), ignored
};

// Reads a whole file. CSV: "time_ms,channel" lines, a header line and '#'
// comments allowed, times at or after 0 converted with `timestep_us` (the
// binary format carries its own). Throws Error naming file:line (CSV) or
// the byte offset (binary).
ReadResult read(const std::string& path, std::uint32_t timestep_us = 1000);

}  // namespace spikelink::spikes
