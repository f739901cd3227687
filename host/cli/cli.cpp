#include "cli.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

#include <fmt/format.h>

#include "spikelink/board.hpp"
#include "spikelink/ftdi.hpp"
#include "spikelink/usb.hpp"

namespace spikelink::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

bool use_colour() {
  const char* nc = std::getenv("NO_COLOR");
  return stderr_is_terminal() && !(nc && *nc);
}

void error(const std::string& msg) {
  if (use_colour())
    std::cerr << "spikelink: \033[1;31merror:\033[0m " << msg << '\n';
  else
    std::cerr << "spikelink: error: " << msg << '\n';
}

void note(const Common& c, const std::string& msg) {
  if (!c.quiet) std::cerr << msg << '\n';
}

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && stderr_is_terminal()) {}
ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(const std::string& label, std::size_t done, std::size_t total, const char* unit) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (label == label_ && done < total && now - last_ < std::chrono::milliseconds(50)) return;
  if (drawn_ && label != label_) std::cerr << '\n';
  label_ = label;
  last_ = now;
  constexpr int kWidth = 30;
  const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int fill = static_cast<int>(f * kWidth + 0.5);
  std::string bar(static_cast<std::size_t>(fill), '#');
  bar.resize(kWidth, '.');
  const double div = std::string(unit) == "KiB" ? 1024.0 : 1.0;
  std::cerr << fmt::format("\r{:<8} [{}] {:3.0f}% {:.0f}/{:.0f} {}", label, bar, f * 100, static_cast<double>(done) / div,
                           static_cast<double>(total) / div, unit)
            << std::flush;
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) std::cerr << '\n';
  drawn_ = false;
  label_.clear();
}

std::string default_device() {
  std::vector<usb::DeviceInfo> boards;
  try {
    boards = usb::enumerate(ftdi::kVid, ftdi::kPidFt2232h);
  } catch (const std::exception&) {
    return "sim://";  // no USB access at all: the simulator
  }
  if (boards.empty()) return "sim://";
  if (boards.size() == 1)
    return boards[0].serial.empty() ? "usb://" : "usb://0403:6010?serial=" + boards[0].serial;
  std::string list;
  for (const auto& b : boards)
    list += fmt::format("\n  usb://0403:6010?serial={}  ({})", b.serial.empty() ? "?" : b.serial, b.location);
  throw std::runtime_error("several boards are attached; choose one with --device:" + list);
}

int device_error(const std::string& device, const std::exception& e) {
  const auto* be = dynamic_cast<const BoardError*>(&e);
  if (!be && !dynamic_cast<const usb::Error*>(&e)) throw;  // not the device's: main reports it
  error(fmt::format("{}: {}", device, e.what()));
  return be && be->kind() == BoardError::Kind::kUsage ? kExitUsage : kExitDevice;
}

std::unique_ptr<Board> open_board(std::string& device) {
  if (device.empty()) device = default_device();
  return Board::open(device);
}

std::string default_out_dir(const std::string& name) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return (std::filesystem::path("runs") / (name + "-" + stamp)).string();
}

}  // namespace spikelink::cli
