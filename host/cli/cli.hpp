// Shared pieces of the spikelink command-line tool: exit codes, messages,
// progress bars and the default device.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace spikelink {
class Board;
}

namespace spikelink::cli {

// Exit codes (docs/cli.md). 0 success.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // anything not below
inline constexpr int kExitUsage = 2;    // bad command line
inline constexpr int kExitDevice = 3;   // no device, USB failure, flash not answering, protected, wrong chip
inline constexpr int kExitImage = 4;    // unreadable, damaged or wrong-board image or input file
inline constexpr int kExitVerify = 5;   // read-back differs from what was written
inline constexpr int kExitBoot = 6;     // written, but the board did not come up (CDONE low)

struct Common {
  bool quiet = false;
  bool verbose = false;
  bool json = false;
};

// A one-line progress bar on stderr, redrawn in place on a terminal; off
// when stderr is not a terminal or with --quiet.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  void update(const std::string& label, std::size_t done, std::size_t total, const char* unit = "KiB");
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point last_{};
};

bool stderr_is_terminal();
// Colour only on a terminal and never with NO_COLOR set.
bool use_colour();
void error(const std::string& msg);  // "spikelink: error: msg" on stderr
void note(const Common& c, const std::string& msg);  // stderr unless --quiet

// The device to use when none was given: the only board on USB, else the
// simulator. Several boards: throws std::runtime_error listing them.
std::string default_device();

// Called in a catch block: a failure while talking to the device gets its
// message and exit code (2 for a bad URI or request, 3 for the device);
// anything else is thrown on.
int device_error(const std::string& device, const std::exception& e);
// Opens `device`, or the default device (and sets `device` to it).
std::unique_ptr<Board> open_board(std::string& device);

// runs/NAME-YYYYmmdd-HHMMSS: a fresh folder for a run's files, so that no
// run overwrites another's.
std::string default_out_dir(const std::string& name);

int cmd_image(const std::vector<std::string>& args, const Common& common);
int cmd_flash(const std::vector<std::string>& args, const Common& common);
int cmd_list(const std::vector<std::string>& args, const Common& common);
int cmd_info(const std::vector<std::string>& args, const Common& common);
int cmd_reg(const std::vector<std::string>& args, const Common& common);
int cmd_weights(const std::vector<std::string>& args, const Common& common);
int cmd_record(const std::vector<std::string>& args, const Common& common);
int cmd_run(const std::vector<std::string>& args, const Common& common);
int cmd_bridge(const std::vector<std::string>& args, const Common& common);

}  // namespace spikelink::cli
