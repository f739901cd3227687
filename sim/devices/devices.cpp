// Device URIs to usb::Device (docs/link.md): the simulated boards sit behind
// the FT2232H model, so everything above usb::Device is the same for all.
#include "devices/devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "flash/spi_nor_flash.hpp"
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

// The flash of sim://?flash=PATH and model://?flash=PATH: the file holds the
// whole array. A missing file is created erased; a shorter one (an image
// file, say) is the start of the array and is padded with 0xFF to the full
// size, so that writing a later range never leaves a hole of zeros. Every
// range an operation changes is written back at once, so the next process
// boots from what this one flashed.
std::unique_ptr<sim::SpiNorFlash> file_flash(const std::string& scheme, const std::string& path,
                                             const sim::FlashPart& part) {
  auto flash = std::make_unique<sim::SpiNorFlash>(part);
  const auto fail = [&](const std::string& what) {
    return BoardError(BoardError::Kind::kUsage,
                      scheme + "://: flash file '" + path + "': " + what + ": " + std::strerror(errno));
  };
  const int raw = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (raw < 0) throw fail("cannot open or create it");
  auto fd = std::shared_ptr<int>(new int(raw), [](int* p) {
    ::close(*p);
    delete p;
  });
  struct stat st {};
  if (::fstat(raw, &st) != 0) throw fail("cannot stat it");
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > flash->size()) {
    errno = EFBIG;
    throw fail("it holds " + std::to_string(size) + " bytes, more than the " + std::to_string(flash->size()) +
               "-byte flash (" + flash->part().name + ")");
  }
  std::vector<std::uint8_t> bytes(flash->size(), 0xFF);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(raw, bytes.data() + got, size - got, static_cast<off_t>(got));
    if (n <= 0) throw fail("cannot read it");
    got += static_cast<std::size_t>(n);
  }
  flash->backdoor_write(0, bytes);
  const auto write_back = [fd, f = flash.get(), path](std::size_t offset, std::size_t length) {
    const std::span<const std::uint8_t> c = f->contents();
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pwrite(*fd, c.data() + offset + done, length - done, static_cast<off_t>(offset + done));
      if (n <= 0) throw std::runtime_error("flash file '" + path + "': write failed: " + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  };
  if (size < flash->size()) write_back(size, flash->size() - size);
  flash->set_change_observer(write_back);
  return flash;
}

// The simulated board's flash from the URI: flash=PATH (a file, above), and
// three knobs for testing tools against a flash that misbehaves (docs/sim-flash.md):
// flash_jedec=XXXXXX (another chip's JEDEC id), flash_status=XX (status
// register 1's protection bits set), flash_fail_program=N (the N-th page
// program leaves bits set).
std::unique_ptr<sim::SpiNorFlash> make_flash(const DeviceUri& u) {
  sim::FlashPart part = sim::w25q128jv();
  const auto hex = [&](const char* key, std::size_t digits) -> std::optional<std::uint32_t> {
    const std::string v = u.param(key);
    if (v.empty()) return std::nullopt;
    if (v.size() != digits || v.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      throw BoardError(BoardError::Kind::kUsage, u.scheme + "://: '" + key + "=" + v + "' must be " +
                                                     std::to_string(digits) + " hex digits");
    return static_cast<std::uint32_t>(std::stoul(v, nullptr, 16));
  };
  if (const auto j = hex("flash_jedec", 6)) {
    part.name = "JEDEC " + u.param("flash_jedec");
    part.jedec = {static_cast<std::uint8_t>(*j >> 16), static_cast<std::uint8_t>(*j >> 8), static_cast<std::uint8_t>(*j)};
  }
  const std::string path = u.param("flash");
  auto flash = path.empty() ? std::make_unique<sim::SpiNorFlash>(part) : file_flash(u.scheme, path, part);
  if (const auto st = hex("flash_status", 2)) flash->backdoor_set_status(static_cast<std::uint8_t>(*st));
  if (const auto n = number(u, "flash_fail_program", 0); n > 0) {
    sim::FlashFaults f;
    f.fail_program_number = n;
    flash->set_faults(f);
  }
  return flash;
}

// Sets the identity and flash fields of the RTL board's options where this
// build's RtlBoardOptions has them (they arrive with the gateware's boot
// loader, sim/board).
template <class O>
void boot_options(O& o, const sim::BootImage* image, sim::SpiNorFlash* flash) {
  if constexpr (requires { o.flash; }) o.flash = flash;
  if constexpr (requires { o.identity.board_id; }) {
    if (image != nullptr) {
      o.identity.board_id = image->board_id;
      o.identity.gw_major = image->gw_major;
      o.identity.gw_minor = image->gw_minor;
      o.identity.gw_patch = image->gw_patch;
      o.identity.build_hash = image->source_hash;
    }
  }
}

}  // namespace

std::unique_ptr<usb::Device> open_device(const DeviceUri& u, int usb_interface) {
  if (u.scheme == "model") {
    only_keys(u, {"clock", "flash", "flash_jedec", "flash_status", "flash_fail_program"});
    sim::ModelBoardOptions o;
    o.clock_hz = number(u, "clock", o.clock_hz);
    sim::SimulatedFpgaOptions fo;
    fo.clock_hz = o.clock_hz;
    const std::string flash_path = u.param("flash");
    fo.boot_from_flash = !flash_path.empty();
    // Booting from flash makes a fresh ModelBoard with the image's identity
    // and feeds it the network blob as the gateware's boot loader does.
    auto factory = [o](const sim::BootImage* image) -> std::unique_ptr<sim::ChannelPort> {
      sim::ModelBoardOptions mo = o;
      if (image != nullptr) {
        mo.board_id = image->board_id;
        mo.gw_major = image->gw_major;
        mo.gw_minor = image->gw_minor;
        mo.gw_patch = image->gw_patch;
        mo.build_hash = image->source_hash;
      }
      auto board = std::make_unique<sim::ModelBoard>(mo);
      if (image != nullptr && !image->network.empty()) {
        board->boot_stream(image->network);
      } else if (image != nullptr) {
        board->set_boot_status(2);  // a valid image without a network
      }
      return board;
    };
    return std::make_unique<sim::SimulatedDevice>(fo, factory, "MODEL0001", make_flash(u));
  }
  if (u.scheme == "sim") {
#ifdef SPIKELINK_HAVE_RTL_BOARD
    only_keys(u, {"phy", "baud", "clock", "trace", "flash", "flash_jedec", "flash_status", "flash_fail_program"});
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
    sim::SimulatedFpgaOptions fo;
    fo.clock_hz = o.clock_hz;
    const std::string flash_path = u.param("flash");
    fo.boot_from_flash = !flash_path.empty();
    auto flash = make_flash(u);
    // The gateware reads its network from the flash itself (its boot
    // loader); the image gives it its identity.
    auto factory = [o, f = flash.get()](const sim::BootImage* image) -> std::unique_ptr<sim::ChannelPort> {
      sim::RtlBoardOptions ro = o;
      boot_options(ro, image, f);
      return std::make_unique<sim::RtlBoard>(ro);
    };
    return std::make_unique<sim::SimulatedDevice>(fo, factory, "SIM000001", std::move(flash));
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
