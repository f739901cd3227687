// Device URIs to usb::Device (docs/link.md): the simulated boards sit behind
// the FT2232H model, so everything above usb::Device is the same for all.
#include "devices/devices.hpp"

#include <cstdlib>
#include <stdexcept>

#include "ftdi/ft2232h_model.hpp"
#include "model/model_board.hpp"
#include "spikelink/tcp_device.hpp"
#ifdef SPIKELINK_HAVE_RTL_BOARD
#include "board/rtl_board.hpp"
#endif

namespace spikelink {
namespace {

std::uint64_t number(const DeviceUri& u, const std::string& key, std::uint64_t fallback) {
  const std::string v = u.param(key);
  if (v.empty()) return fallback;
  if (v.find_first_not_of("0123456789") != std::string::npos || v.size() > 12)
    throw BoardError(BoardError::Kind::kUsage, u.scheme + "://: '" + key + "=" + v + "' is not a whole number");
  return std::stoull(v);
}

void only_keys(const DeviceUri& u, std::initializer_list<const char*> keys) {
  for (const auto& [k, v] : u.query) {
    bool ok = false;
    for (const char* key : keys) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (const char* key : keys) list += std::string(list.empty() ? "" : ", ") + key;
      throw BoardError(BoardError::Kind::kUsage, u.scheme + "://: unknown parameter '" + k + "' (known: " +
                                                     (list.empty() ? "none" : list) + ")");
    }
  }
}

}  // namespace

std::unique_ptr<usb::Device> open_device(const DeviceUri& u, int usb_interface) {
  if (u.scheme == "model") {
    only_keys(u, {"clock"});
    sim::ModelBoardOptions o;
    o.clock_hz = number(u, "clock", o.clock_hz);
    return std::make_unique<sim::SimulatedDevice>(std::make_unique<sim::ModelBoard>(o), "MODEL0001");
  }
  if (u.scheme == "sim") {
#ifdef SPIKELINK_HAVE_RTL_BOARD
    only_keys(u, {"phy", "baud", "clock", "trace"});
    sim::RtlBoardOptions o;
    const std::string phy = u.param("phy", "byte");
    if (phy == "uart") {
      o.phy = sim::RtlBoardOptions::Phy::kUart;
    } else if (phy != "byte") {
      throw BoardError(BoardError::Kind::kUsage, "sim://: phy must be 'byte' (default) or 'uart', not '" + phy + "'");
    }
    o.baud = static_cast<double>(number(u, "baud", static_cast<std::uint64_t>(o.baud)));
    // 12 Mbaud needs a PHY clock of at least 48 MHz (docs/link.md §4).
    o.clock_hz = number(u, "clock", o.phy == sim::RtlBoardOptions::Phy::kUart && o.baud > 6'000'000 ? 48'000'000 : o.clock_hz);
    o.fst_path = u.param("trace");
    if (o.fst_path.empty()) {
      if (const char* t = std::getenv("SPIKELINK_TRACE")) o.fst_path = t;
    }
    return std::make_unique<sim::SimulatedDevice>(std::make_unique<sim::RtlBoard>(o), "SIM000001");
#else
    throw BoardError(BoardError::Kind::kUsage,
                     "sim:// needs the Verilator model, and this build has none (configured with SPIKELINK_RTL=OFF): "
                     "use model:// or rebuild with the RTL");
#endif
  }
  if (u.scheme == "tcp") {
    only_keys(u, {});
    return usb::open_tcp(u.host, u.port);
  }
  if (u.scheme == "usb") {
    only_keys(u, {"serial"});
    return usb::open_libusb(u.vid, u.pid, u.param("serial"), usb_interface);
  }
  throw BoardError(BoardError::Kind::kUsage, "unknown device scheme '" + u.scheme + "'");
}

std::unique_ptr<Board> Board::open(const std::string& uri, const BoardOptions& options) {
  const DeviceUri u = parse_uri(uri);
  BoardOptions o = options;
  if (u.scheme == "sim") {
    const std::string baud = u.param("baud");
    if (!baud.empty()) o.baud = static_cast<std::uint32_t>(std::stoul(baud));
  }
  return std::make_unique<Board>(open_device(u), uri, o);
}

}  // namespace spikelink
