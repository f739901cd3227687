#include "flash/spi_nor_flash.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spikelink::sim {
namespace {

constexpr std::uint8_t kOpWriteEnable = 0x06;
constexpr std::uint8_t kOpWriteDisable = 0x04;
constexpr std::uint8_t kOpReadStatus = 0x05;
constexpr std::uint8_t kOpWriteStatus = 0x01;
constexpr std::uint8_t kOpRead = 0x03;
constexpr std::uint8_t kOpFastRead = 0x0B;
constexpr std::uint8_t kOpPageProgram = 0x02;
constexpr std::uint8_t kOpErase4k = 0x20;
constexpr std::uint8_t kOpErase32k = 0x52;
constexpr std::uint8_t kOpErase64k = 0xD8;
constexpr std::uint8_t kOpChipErase = 0xC7;
constexpr std::uint8_t kOpChipErase2 = 0x60;
constexpr std::uint8_t kOpJedecId = 0x9F;
constexpr std::uint8_t kOpReleasePowerDown = 0xAB;
constexpr std::uint8_t kOpPowerDown = 0xB9;
constexpr std::uint8_t kOpManufacturerId = 0x90;
constexpr std::uint8_t kOpResetEnable = 0x66;
constexpr std::uint8_t kOpReset = 0x99;

constexpr std::size_t kPage = 256;
constexpr std::size_t k4k = 4096;
constexpr std::size_t k32k = 32768;
constexpr std::size_t k64k = 65536;

bool known(std::uint8_t op) {
  switch (op) {
    case kOpWriteEnable: case kOpWriteDisable: case kOpReadStatus: case kOpWriteStatus: case kOpRead:
    case kOpFastRead: case kOpPageProgram: case kOpErase4k: case kOpErase32k: case kOpErase64k:
    case kOpChipErase: case kOpChipErase2: case kOpJedecId: case kOpReleasePowerDown: case kOpPowerDown:
    case kOpManufacturerId: case kOpResetEnable: case kOpReset:
      return true;
    default:
      return false;
  }
}

std::uint64_t to_ns(double seconds) { return static_cast<std::uint64_t>(std::llround(seconds * 1e9)); }

}  // namespace

FlashPart w25q128jv() {
  return FlashPart{"W25Q128JV", {0xEF, 0x40, 0x18}, 16u * 1024 * 1024, FlashTiming{}, 0x17};
}

SpiNorFlash::SpiNorFlash(FlashPart part) : part_(std::move(part)), mem_(part_.size_bytes, 0xFF) {
  if (part_.size_bytes < k64k || part_.size_bytes % k64k != 0 || part_.size_bytes > (1u << 24)) {
    throw std::invalid_argument("SpiNorFlash: size " + std::to_string(part_.size_bytes) +
                                " bytes is not a multiple of 64 KiB between 64 KiB and 16 MiB (24-bit addresses)");
  }
  set_faults(FlashFaults{});
}

// ---- pins ----------------------------------------------------------------

bool SpiNorFlash::pins(bool cs_n, bool sck, bool mosi) {
  if (!powered_) {
    pin_cs_n_ = cs_n;
    pin_sck_ = sck;
    return true;
  }
  if (cs_n != pin_cs_n_) {
    pin_cs_n_ = cs_n;
    pin_sck_ = sck;
    if (cs_n) {
      deselect();
      pin_miso_ = true;
      return true;
    }
    select();
    pin_miso_ = (out_shift_ & 0x80) != 0;
    return pin_miso_;
  }
  if (cs_n) {
    pin_sck_ = sck;
    return true;
  }
  if (sck && !pin_sck_) {
    in_shift_ = static_cast<std::uint8_t>((in_shift_ << 1) | (mosi ? 1 : 0));
    if (++bits_ == 8) {
      bits_ = 0;
      on_byte(in_shift_);
    }
  } else if (!sck && pin_sck_) {
    pin_miso_ = ((out_shift_ >> (7 - bits_)) & 1) != 0;
  }
  pin_sck_ = sck;
  return pin_miso_;
}

// ---- bytes ---------------------------------------------------------------

void SpiNorFlash::select() {
  if (!powered_ || selected_) return;
  pin_cs_n_ = false;  // so a later pins() call sees CS where the bytes left it
  selected_ = true;
  begin_command();
}

void SpiNorFlash::deselect() {
  pin_cs_n_ = true;
  if (!powered_ || !selected_) return;
  end_command();
  selected_ = false;
}

std::uint8_t SpiNorFlash::transfer(std::uint8_t mosi) {
  if (!powered_) {
    ++counters_.ignored_power_off;
    return 0xFF;
  }
  if (!selected_) return 0xFF;  // CS high: the chip does not listen, MISO floats high
  if (bits_ != 0) return transfer_bits(mosi, 8);
  const std::uint8_t out = out_shift_;
  on_byte(mosi);
  return out;
}

std::uint8_t SpiNorFlash::transfer_bits(std::uint8_t mosi, unsigned n) {
  if (!powered_) {
    ++counters_.ignored_power_off;
    return static_cast<std::uint8_t>((1u << n) - 1);
  }
  if (!selected_) return static_cast<std::uint8_t>((1u << n) - 1);
  unsigned in = 0;
  for (unsigned i = 0; i < n && i < 8; ++i) {
    const unsigned miso = (out_shift_ >> (7 - bits_)) & 1u;
    in = (in << 1) | miso;
    in_shift_ = static_cast<std::uint8_t>((in_shift_ << 1) | ((mosi >> (7 - i)) & 1u));
    if (++bits_ == 8) {
      bits_ = 0;
      on_byte(in_shift_);
    }
  }
  return static_cast<std::uint8_t>(in);
}

void SpiNorFlash::begin_command() {
  nbytes_ = 0;
  bits_ = 0;
  in_shift_ = 0;
  ignoring_ = false;
  op_ = 0;
  addr_ = 0;
  next_out_ = 0xFF;
  out_shift_ = 0xFF;
  pending_read_ = false;
  pending_flip_ = false;
}

void SpiNorFlash::on_byte(std::uint8_t in) {
  if (pending_read_) {  // the data byte prepared for this slot went out
    ++counters_.bytes_read;
    if (pending_flip_) ++counters_.read_bit_flips;
    pending_read_ = pending_flip_ = false;
  }
  ++nbytes_;
  if (nbytes_ == 1) {
    op_ = in;
    ++counters_.commands;
    if (busy_ && in != kOpReadStatus) {
      ignoring_ = true;
      ++counters_.ignored_busy;
    } else if (deep_power_down_ && in != kOpReleasePowerDown) {
      ignoring_ = true;
      ++counters_.ignored_powered_down;
    } else if (!known(in)) {
      ignoring_ = true;
      ++counters_.unknown_commands;
    }
  } else if (!ignoring_) {
    switch (op_) {
      case kOpRead: case kOpFastRead: case kOpPageProgram: case kOpErase4k: case kOpErase32k: case kOpErase64k:
      case kOpManufacturerId:
        if (nbytes_ <= 4) {
          addr_ = (addr_ << 8) | in;
          if (nbytes_ == 4) {
            addr_ = static_cast<std::uint32_t>(addr_mask(addr_ & 0xFFFFFFu));
            if (op_ == kOpPageProgram) {
              page_buf_.fill(0xFF);
              page_set_.fill(false);
              page_data_ = 0;
            }
          }
        } else if (op_ == kOpPageProgram) {
          // Past the page's end the address wraps to its start; a later byte
          // for a column replaces an earlier one (datasheet, page program).
          const std::size_t col = ((addr_ & (kPage - 1)) + page_data_) % kPage;
          page_buf_[col] = in;
          page_set_[col] = true;
          ++page_data_;
        }
        break;
      case kOpWriteStatus:
        if (nbytes_ == 2) wrsr_value_ = in;
        break;
      default:
        break;
    }
  }
  next_out_ = data_out();
  out_shift_ = next_out_;
}

std::uint8_t SpiNorFlash::data_out() {
  if (ignoring_) return 0xFF;
  switch (op_) {
    case kOpReadStatus:
      return status();
    case kOpRead:
    case kOpFastRead: {
      if (nbytes_ < (op_ == kOpRead ? 4u : 5u)) return 0xFF;
      std::uint8_t v = mem_[addr_];
      addr_ = static_cast<std::uint32_t>(addr_mask(std::size_t{addr_} + 1));
      pending_read_ = true;
      if (chance(faults_.read_bit_flip_rate)) {
        v = static_cast<std::uint8_t>(v ^ (1u << (next_random() % 8)));
        pending_flip_ = true;
      }
      return v;
    }
    case kOpJedecId:
      return nbytes_ <= 3 ? part_.jedec[nbytes_ - 1] : 0xFF;
    case kOpReleasePowerDown:
      return nbytes_ >= 4 ? part_.device_id : 0xFF;
    case kOpManufacturerId:
      if (nbytes_ < 4) return 0xFF;
      return ((nbytes_ - 4 + (addr_ & 1)) % 2) == 0 ? part_.jedec[0] : part_.device_id;
    default:
      return 0xFF;
  }
}

void SpiNorFlash::end_command() {
  const bool whole = bits_ == 0;  // CS rose after the 8th bit of a byte
  bits_ = 0;
  if (nbytes_ == 0 || ignoring_) {
    reset_enabled_ = false;
    return;
  }
  const bool was_reset_enable = reset_enabled_;
  reset_enabled_ = false;
  const auto needs = [&](bool complete) {
    if (!whole || !complete) {
      ++counters_.ignored_incomplete;
      return false;
    }
    return true;
  };
  const auto writable = [&]() {
    if (!wel_) {
      ++counters_.ignored_without_wel;
      return false;
    }
    return true;
  };
  switch (op_) {
    case kOpWriteEnable:
      if (needs(nbytes_ == 1)) wel_ = true;
      return;
    case kOpWriteDisable:
      if (needs(nbytes_ == 1)) wel_ = false;
      return;
    case kOpWriteStatus:
      if (!needs(nbytes_ >= 2) || !writable()) return;
      // No /WP pin is modelled (it is tied high), so SRP does not lock.
      sr_nv_ = static_cast<std::uint8_t>(wrsr_value_ & 0xFC);
      ++counters_.status_writes;
      start_busy(part_.timing.write_status);
      return;
    case kOpPageProgram:
      if (!needs(nbytes_ >= 5) || !writable()) return;
      if (is_protected(addr_ & ~(kPage - 1), kPage)) {
        ++counters_.ignored_protected;
        wel_ = false;
        return;
      }
      program_page();
      return;
    case kOpErase4k:
    case kOpErase32k:
    case kOpErase64k: {
      if (!needs(nbytes_ == 4) || !writable()) return;
      const std::size_t len = op_ == kOpErase4k ? k4k : op_ == kOpErase32k ? k32k : k64k;
      const std::size_t first = addr_ & ~(len - 1);  // the address is aligned down
      if (is_protected(first, len)) {
        ++counters_.ignored_protected;
        wel_ = false;
        return;
      }
      (op_ == kOpErase4k ? counters_.erases_4k : op_ == kOpErase32k ? counters_.erases_32k : counters_.erases_64k)++;
      erase(first, len,
            op_ == kOpErase4k    ? part_.timing.erase_4k
            : op_ == kOpErase32k ? part_.timing.erase_32k
                                 : part_.timing.erase_64k);
      return;
    }
    case kOpChipErase:
    case kOpChipErase2:
      if (!needs(nbytes_ == 1) || !writable()) return;
      if (protected_range().second > protected_range().first) {  // any protected block refuses it
        ++counters_.ignored_protected;
        wel_ = false;
        return;
      }
      ++counters_.chip_erases;
      erase(0, mem_.size(), part_.timing.erase_chip);
      return;
    case kOpPowerDown:
      if (needs(nbytes_ == 1)) deep_power_down_ = true;
      return;
    case kOpReleasePowerDown:
      deep_power_down_ = false;
      return;
    case kOpResetEnable:
      reset_enabled_ = whole && nbytes_ == 1;
      return;
    case kOpReset:
      if (was_reset_enable && needs(nbytes_ == 1)) {
        wel_ = false;
        deep_power_down_ = false;
      }
      return;
    default:
      return;
  }
}

// ---- operations ----------------------------------------------------------

void SpiNorFlash::program_page() {
  const std::size_t base = addr_ & ~(kPage - 1);
  const std::size_t start = addr_ & (kPage - 1);
  std::size_t count = 0;
  for (bool s : page_set_) count += s ? 1 : 0;
  std::size_t allowed = count;
  bool cut = false;
  if (faults_.power_cut_at_programmed_bytes) {
    const std::uint64_t at = *faults_.power_cut_at_programmed_bytes;
    if (counters_.bytes_programmed + count >= at) {
      allowed = static_cast<std::size_t>(at > counters_.bytes_programmed ? at - counters_.bytes_programmed : 0);
      cut = true;
    }
  }
  const std::uint64_t n = ++programs_since_faults_;
  const bool fail = !cut && (faults_.fail_program_number == n || chance(faults_.program_failure_rate));
  std::array<std::uint8_t, kPage> before{};
  std::copy_n(mem_.begin() + static_cast<std::ptrdiff_t>(base), kPage, before.begin());
  std::size_t done = 0;
  for (std::size_t i = 0; i < kPage && done < allowed; ++i) {
    const std::size_t col = (start + i) % kPage;
    if (!page_set_[col]) continue;
    mem_[base + col] &= page_buf_[col];
    ++done;
  }
  if (fail) {
    ++counters_.failed_programs;
    const std::size_t k = 1 + next_random() % 8;
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t col = next_random() % kPage;
      const auto stuck = static_cast<std::uint8_t>(before[col] & ~mem_[base + col] & next_random());
      mem_[base + col] |= stuck;
    }
  }
  counters_.bytes_programmed += done;
  ++counters_.page_programs;
  changed(base, kPage);
  if (cut) {
    faults_.power_cut_at_programmed_bytes.reset();
    cut_power();
    return;
  }
  start_busy(part_.timing.page_program);
}

void SpiNorFlash::erase(std::size_t first, std::size_t length, double seconds) {
  const std::uint64_t n = ++erases_since_faults_;
  if (faults_.power_cut_at_erase && counters_.erases() >= *faults_.power_cut_at_erase) {
    std::fill_n(mem_.begin() + static_cast<std::ptrdiff_t>(first), length / 2, std::uint8_t{0xFF});
    changed(first, length);
    faults_.power_cut_at_erase.reset();
    cut_power();
    return;
  }
  std::fill_n(mem_.begin() + static_cast<std::ptrdiff_t>(first), length, std::uint8_t{0xFF});
  if (faults_.fail_erase_number == n || chance(faults_.erase_failure_rate)) {
    ++counters_.failed_erases;
    const std::size_t k = 1 + next_random() % 16;
    for (std::size_t j = 0; j < k; ++j) {
      auto v = static_cast<std::uint8_t>(next_random());
      if (v == 0xFF) v = 0x7F;  // a byte left not erased has a zero bit somewhere
      mem_[first + next_random() % length] = v;
    }
  }
  changed(first, length);
  start_busy(seconds);
}

void SpiNorFlash::start_busy(double seconds) {
  const std::uint64_t ns = to_ns(seconds);
  busy_ = true;
  busy_until_ns_ = now_ns_ + ns;
  counters_.busy_ns += ns;
  finish_busy_if_due();
}

void SpiNorFlash::finish_busy_if_due() {
  if (busy_ && now_ns_ >= busy_until_ns_) {
    busy_ = false;
    wel_ = false;
  }
}

void SpiNorFlash::advance_ns(std::uint64_t ns) {
  now_ns_ += ns;
  finish_busy_if_due();
}

void SpiNorFlash::cut_power() {
  ++counters_.power_cuts;
  powered_ = false;
  selected_ = false;
  busy_ = false;
  wel_ = false;
  deep_power_down_ = false;
  reset_enabled_ = false;
}

void SpiNorFlash::power_on() {
  powered_ = true;
  selected_ = false;
  busy_ = false;
  wel_ = false;
  deep_power_down_ = false;
  reset_enabled_ = false;
  bits_ = 0;
  next_out_ = 0xFF;
  out_shift_ = 0xFF;
  pin_miso_ = true;
  pin_cs_n_ = true;  // a CS still low is seen as a new falling edge
}

// ---- status and protection -----------------------------------------------

std::uint8_t SpiNorFlash::status() const {
  return static_cast<std::uint8_t>(sr_nv_ | (wel_ ? flash_status::kWel : 0) | (busy_ ? flash_status::kBusy : 0));
}

void SpiNorFlash::backdoor_set_status(std::uint8_t sr1) { sr_nv_ = static_cast<std::uint8_t>(sr1 & 0xFC); }

// W25Q128JV status register protection with CMP = 0 (datasheet table
// "Status Register Memory Protection (CMP = 0)"): BP2..0 = 0 none, 7 all;
// SEC = 0: 1/64 of the array for BP = 1, doubling up to 1/2 for BP = 6;
// SEC = 1: 4 KB, 8 KB, 16 KB for BP = 1..3 and 32 KB for BP = 4..6.
// TB = 0 protects from the top, TB = 1 from the bottom.
std::pair<std::size_t, std::size_t> SpiNorFlash::protected_range() const {
  const unsigned bp = (sr_nv_ >> 2) & 7u;
  const std::size_t size = mem_.size();
  if (bp == 0) return {0, 0};
  if (bp == 7) return {0, size};
  std::size_t len = 0;
  if (sr_nv_ & flash_status::kSec) {
    len = (bp & 4u) ? k32k : k4k << ((bp & 3u) - 1);
  } else {
    len = (size / 64) << (bp - 1);
  }
  if (sr_nv_ & flash_status::kTb) return {0, len};
  return {size - len, size};
}

bool SpiNorFlash::is_protected(std::size_t first, std::size_t length) const {
  const auto [lo, hi] = protected_range();
  return first < hi && lo < first + length;
}

// ---- backdoor, faults ----------------------------------------------------

void SpiNorFlash::backdoor_write(std::size_t offset, std::span<const std::uint8_t> bytes) {
  if (offset > mem_.size() || bytes.size() > mem_.size() - offset) {
    throw std::out_of_range("SpiNorFlash::backdoor_write: " + std::to_string(bytes.size()) + " bytes at offset " +
                            std::to_string(offset) + " do not fit in " + std::to_string(mem_.size()));
  }
  std::copy(bytes.begin(), bytes.end(), mem_.begin() + static_cast<std::ptrdiff_t>(offset));
  changed(offset, bytes.size());
}

void SpiNorFlash::backdoor_erase() {
  std::fill(mem_.begin(), mem_.end(), std::uint8_t{0xFF});
  changed(0, mem_.size());
}

void SpiNorFlash::changed(std::size_t first, std::size_t length) {
  if (observer_ && length > 0) observer_(first, length);
}

void SpiNorFlash::set_faults(const FlashFaults& faults) {
  faults_ = faults;
  rng_ = faults.seed;
  programs_since_faults_ = 0;
  erases_since_faults_ = 0;
}

// splitmix64: the same sequence on every platform for a seed.
std::uint64_t SpiNorFlash::next_random() {
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool SpiNorFlash::chance(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return static_cast<double>(next_random() >> 11) * 0x1.0p-53 < rate;
}

}  // namespace spikelink::sim
