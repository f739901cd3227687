// The flasher: writes a firmware image (docs/image-format.md) into a
// board's SPI flash through the FT2232H's MPSSE channel, safely and fast
// (docs/flashing.md):
//
//  - the FPGA is held in reset (CRESET_B low) while the flasher owns the bus;
//  - the flash is woken, identified by its JEDEC id (spinor::chips()) and
//    checked for write protection;
//  - the flash is read first, and only what differs is written: the erase
//    mix of 64 KB / 32 KB / 4 KB blocks that minimises the datasheet time,
//    pages that already hold the right bytes skipped;
//  - the first page (the image header and the bitstream's sync word) is
//    erased first and programmed last, after everything else verified, so
//    an interrupted flash leaves a board that does not configure rather
//    than one that boots half an image;
//  - page programs are batched several to a USB transfer, each waiting the
//    datasheet time in the MPSSE's own clock and checked by reading the
//    status register (WEL before, BUSY after), with busy polling where the
//    chip takes longer;
//  - read-back verify by default; then CRESET_B is released and CDONE read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "spikelink/board_desc.hpp"
#include "spikelink/mpsse.hpp"
#include "spikelink/spi_nor.hpp"
#include "spikelink/usb.hpp"

namespace spikelink::flash {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    kUsage,   // options that contradict each other
    kImage,   // the image is damaged, or for another board, or too big
    kDevice,  // USB, no flash, unknown flash, protected flash, a timeout
    kVerify,  // read-back differs from what was written
    kBoot,    // written and verified, but the FPGA did not configure (CDONE low)
  };
  Error(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

enum class Phase { kRead, kErase, kProgram, kVerify, kBoot };
const char* phase_name(Phase p);

struct Progress {
  Phase phase;
  std::size_t done;   // bytes (kBoot: 0 or 1)
  std::size_t total;
};

struct Options {
  bool verify = true;
  bool dry_run = false;     // read and plan only: nothing is erased or written
  bool unprotect = false;   // clear the status register's protection bits when they cover the image
  bool reboot = true;       // release CRESET_B at the end and check CDONE
  double sck_hz = 30e6;     // the flash's SPI clock (rounded down to what the MPSSE makes)
  std::size_t pages_per_batch = 16;  // page programs per USB transfer
  std::function<void(const Progress&)> progress;
};

struct Erase {
  std::uint32_t addr;
  std::uint32_t bytes;  // 4096, 32768 or 65536
};

// What to do to turn `current` into `image` (both from the image's flash
// offset; current at least as long as the image rounded up to 4 KiB).
struct Plan {
  bool up_to_date = false;
  std::vector<Erase> erases;          // the one covering the first page first
  std::vector<std::uint32_t> pages;   // page addresses to program, the first page last
  std::size_t sectors = 0;            // 4 KiB sectors the image spans
  std::size_t sectors_untouched = 0;  // neither erased nor programmed
  std::size_t pages_skipped = 0;      // non-blank pages already right
  double intrinsic_s = 0;             // typical erase + program time of the plan
};
Plan make_plan(std::span<const std::uint8_t> current, std::span<const std::uint8_t> image, const spinor::Chip& chip,
               std::uint32_t offset = 0);

struct Report {
  std::string chip;
  std::array<std::uint8_t, 3> jedec{};
  std::uint8_t status_before = 0;
  bool unprotected = false;
  Plan plan;
  std::size_t bytes_read = 0;
  std::size_t bytes_verified = 0;
  std::size_t page_retries = 0;  // pages re-sent because the chip was still busy
  bool dry_run = false;
  bool rebooted = false;
  bool cdone = false;
  double sck_hz = 0;
  mpsse::Stats usb;
  double wall_s = 0;
};

// Flashes `image` to the board behind `dev` (its flash channel). Throws
// Error. The device is left in the FTDI's default mode.
Report write_image(usb::Device& dev, const BoardDescription& board, std::span<const std::uint8_t> image,
                   const Options& options);

// Pulses CRESET_B and reports CDONE (the FPGA reconfigures from flash).
bool reboot(usb::Device& dev, const BoardDescription& board);

}  // namespace spikelink::flash
