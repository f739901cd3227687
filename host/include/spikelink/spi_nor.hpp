// SPI NOR flash over MPSSE: the commands, a small database of chips with
// their erase sizes and datasheet timings, and the building blocks the
// flasher batches (docs/flashing.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spikelink/board_desc.hpp"
#include "spikelink/mpsse.hpp"

namespace spikelink::spinor {

namespace cmd {
inline constexpr std::uint8_t kWriteStatus1 = 0x01;
inline constexpr std::uint8_t kPageProgram = 0x02;
inline constexpr std::uint8_t kRead = 0x03;
inline constexpr std::uint8_t kWriteDisable = 0x04;
inline constexpr std::uint8_t kReadStatus1 = 0x05;
inline constexpr std::uint8_t kWriteEnable = 0x06;
inline constexpr std::uint8_t kErase4k = 0x20;
inline constexpr std::uint8_t kErase32k = 0x52;
inline constexpr std::uint8_t kResetEnable = 0x66;
inline constexpr std::uint8_t kReset = 0x99;
inline constexpr std::uint8_t kJedecId = 0x9F;
inline constexpr std::uint8_t kReleasePowerDown = 0xAB;
inline constexpr std::uint8_t kPowerDown = 0xB9;
inline constexpr std::uint8_t kErase64k = 0xD8;
}  // namespace cmd

inline constexpr std::uint8_t kStatusBusy = 0x01;
inline constexpr std::uint8_t kStatusWel = 0x02;
inline constexpr std::uint8_t kStatusBpMask = 0x1C;   // BP0..BP2
inline constexpr std::uint8_t kStatusTb = 0x20;
inline constexpr std::uint8_t kStatusSec = 0x40;
inline constexpr std::uint8_t kStatusSrp = 0x80;
inline constexpr std::uint8_t kStatusProtectMask = kStatusBpMask | kStatusTb | kStatusSec;

struct Timing {  // seconds
  double page_program;
  double erase_4k;
  double erase_32k;
  double erase_64k;
};

struct Chip {
  std::string name;
  std::array<std::uint8_t, 3> jedec;
  std::size_t size_bytes;
  std::size_t page_bytes = 256;
  Timing typical;
  Timing maximum;
  // The erase time of a block of `bytes` (4096, 32768 or 65536).
  double erase_time(std::size_t bytes, bool max = false) const;
};

const std::vector<Chip>& chips();
const Chip* find_chip(const std::array<std::uint8_t, 3>& jedec);
std::string jedec_string(const std::array<std::uint8_t, 3>& jedec);  // "EF 40 18"

// The protected byte range [first, last) that status register 1's BP, TB
// and SEC bits select on a W25Q-class chip of `size` bytes (CMP = 0);
// nullopt when nothing is protected.
std::optional<std::pair<std::size_t, std::size_t>> protected_range(std::uint8_t status, std::size_t size);

// The SPI bus of one board: MPSSE pins, chip select and CRESET_B, lines
// driven open-drain style (released as inputs, asserted low as outputs).
class Bus {
 public:
  explicit Bus(const BoardDescription::Pins& pins) : pins_(pins) {}

  // GPIO state while the flasher owns the bus: SCK, MOSI and CS outputs
  // (CS high), CRESET_B held low so the FPGA lets go of the flash.
  std::uint8_t value_idle() const;
  std::uint8_t direction_owned() const;
  void select(mpsse::Batch& b) const;
  void deselect(mpsse::Batch& b) const;
  // All lines released: CRESET_B rises and the FPGA configures.
  void release(mpsse::Batch& b) const;
  // Holds CRESET_B low, everything else released.
  void hold_reset(mpsse::Batch& b) const;
  bool cdone(std::uint8_t pins) const { return (pins >> pins_.cdone) & 1; }
  const BoardDescription::Pins& pins() const { return pins_; }

  // One command: CS low, bytes out, `read` bytes in, CS high.
  void command(mpsse::Batch& b, std::initializer_list<std::uint8_t> out, std::size_t read = 0) const;
  void command_addr(mpsse::Batch& b, std::uint8_t op, std::uint32_t addr, std::size_t read = 0) const;

 private:
  BoardDescription::Pins pins_;
};

}  // namespace spikelink::spinor
