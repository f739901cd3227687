#include "spikelink/spi_nor.hpp"

#include <fmt/format.h>

namespace spikelink::spinor {

double Chip::erase_time(std::size_t bytes, bool max) const {
  const Timing& t = max ? maximum : typical;
  switch (bytes) {
    case 4096: return t.erase_4k;
    case 32768: return t.erase_32k;
    default: return t.erase_64k;
  }
}

const std::vector<Chip>& chips() {
  // Winbond W25Q..JV datasheets: the same typical (maximum) figures for the
  // family: page program 0.4 ms (3 ms), 4 KB erase 45 ms (400 ms), 32 KB
  // 120 ms (1.6 s), 64 KB 150 ms (2 s).
  static const Timing kWinbondTyp{0.4e-3, 45e-3, 120e-3, 150e-3};
  static const Timing kWinbondMax{3e-3, 400e-3, 1.6, 2.0};
  static const std::vector<Chip> db = {
      {"W25Q128JV", {0xEF, 0x40, 0x18}, 16u << 20, 256, kWinbondTyp, kWinbondMax},
      {"W25Q64JV", {0xEF, 0x40, 0x17}, 8u << 20, 256, kWinbondTyp, kWinbondMax},
      {"W25Q32JV", {0xEF, 0x40, 0x16}, 4u << 20, 256, kWinbondTyp, kWinbondMax},
      {"W25Q16JV", {0xEF, 0x40, 0x15}, 2u << 20, 256, kWinbondTyp, kWinbondMax},
  };
  return db;
}

const Chip* find_chip(const std::array<std::uint8_t, 3>& jedec) {
  for (const auto& c : chips())
    if (c.jedec == jedec) return &c;
  return nullptr;
}

std::string jedec_string(const std::array<std::uint8_t, 3>& j) { return fmt::format("{:02X} {:02X} {:02X}", j[0], j[1], j[2]); }

std::optional<std::pair<std::size_t, std::size_t>> protected_range(std::uint8_t status, std::size_t size) {
  const unsigned bp = (status & kStatusBpMask) >> 2;
  if (bp == 0) return std::nullopt;
  const bool tb = status & kStatusTb;
  std::size_t len = 0;
  if (bp == 7) {
    len = size;
  } else if (status & kStatusSec) {
    // 4 KB .. 32 KB sectors (BP2 = 1 behaves as 32 KB).
    len = std::size_t{4096} << std::min(bp - 1, 3u);
  } else {
    // BP = 1 protects 1/64 of the chip (256 KB of 16 MB), doubling per step.
    len = std::min(size, (size / 64) << (bp - 1));
  }
  if (len >= size) return std::make_pair(std::size_t{0}, size);
  return tb ? std::make_pair(std::size_t{0}, len) : std::make_pair(size - len, size);
}

std::uint8_t Bus::value_idle() const {
  // CS high; CRESET_B low; SCK and MOSI low.
  return static_cast<std::uint8_t>(1u << pins_.cs);
}

std::uint8_t Bus::direction_owned() const {
  return static_cast<std::uint8_t>(1u << pins_.sck | 1u << pins_.mosi | 1u << pins_.cs | 1u << pins_.creset);
}

void Bus::select(mpsse::Batch& b) const { b.set_low(0, direction_owned()); }
void Bus::deselect(mpsse::Batch& b) const { b.set_low(value_idle(), direction_owned()); }
void Bus::release(mpsse::Batch& b) const { b.set_low(0, 0); }
void Bus::hold_reset(mpsse::Batch& b) const {
  b.set_low(0, static_cast<std::uint8_t>(1u << pins_.creset));
}

void Bus::command(mpsse::Batch& b, std::initializer_list<std::uint8_t> out, std::size_t read) const {
  select(b);
  b.write(std::span<const std::uint8_t>(out.begin(), out.size()));
  if (read) b.read(read);
  deselect(b);
}

void Bus::command_addr(mpsse::Batch& b, std::uint8_t op, std::uint32_t addr, std::size_t read) const {
  command(b,
          {op, static_cast<std::uint8_t>(addr >> 16), static_cast<std::uint8_t>(addr >> 8),
           static_cast<std::uint8_t>(addr)},
          read);
}

}  // namespace spikelink::spinor
