// sim::SpiNorFlash: a W25Q128JV-class SPI NOR flash for the simulator, at
// two levels: pins (the FPGA's boot loader clocks it bit by bit, SPI mode 0)
// and bytes (the FT2232H's MPSSE engine moves whole bytes). Both drive one
// command decoder, so a byte moved by either is the same 8 SCK cycles.
//
// Time is the caller's: advance_ns() moves it, and page program, erase and
// write status keep BUSY set for the part's typical time after CS rises.
// Contents change when the operation starts (CS rising edge); only BUSY and
// WEL follow time. Faults (failed erase / program, power cut, read bit
// flips) are injected deterministically from a seed. docs/sim-flash.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace spikelink::sim {

struct FlashTiming {  // seconds, typical (W25Q128JV datasheet)
  double page_program = 0.4e-3, erase_4k = 45e-3, erase_32k = 120e-3, erase_64k = 150e-3, erase_chip = 40.0,
         write_status = 10e-3;
};

struct FlashPart {
  std::string name;
  std::array<std::uint8_t, 3> jedec;
  std::size_t size_bytes;
  FlashTiming timing;
  std::uint8_t device_id = 0x17;  // what AB (and 90) return after the dummy bytes
};

FlashPart w25q128jv();  // EF 40 18, 16 MiB

// Status register 1.
namespace flash_status {
inline constexpr std::uint8_t kBusy = 0x01;
inline constexpr std::uint8_t kWel = 0x02;
inline constexpr std::uint8_t kBpMask = 0x1C;  // BP0..BP2
inline constexpr std::uint8_t kTb = 0x20;
inline constexpr std::uint8_t kSec = 0x40;
inline constexpr std::uint8_t kSrp = 0x80;
}  // namespace flash_status

// Injected faults. Random choices come from `seed` alone, so a run repeats.
struct FlashFaults {
  std::uint64_t seed = 1;
  // Chance that an erase leaves some bytes (1..16) of its range not erased
  // (they keep some zero bits).
  double erase_failure_rate = 0;
  // Chance that a page program leaves some bits (1..8 bytes' worth) set
  // that it should have cleared.
  double program_failure_rate = 0;
  // Chance per data byte read (03, 0B) that one bit of it arrives flipped
  // (the stored byte is unchanged).
  double read_bit_flip_rate = 0;
  // The n-th page program / erase (1-based, counted since set_faults) fails
  // as above, whatever the rates.
  std::optional<std::uint64_t> fail_program_number;
  std::optional<std::uint64_t> fail_erase_number;
  // Power cut: when the cumulative count of programmed bytes
  // (counters().bytes_programmed) reaches this, the page in progress keeps
  // only the bytes up to it, and the flash is dead until power_on().
  std::optional<std::uint64_t> power_cut_at_programmed_bytes;
  // Power cut during the n-th erase (cumulative counters().erases(), 1-based):
  // the first half of its range is erased, the rest untouched, then dead.
  std::optional<std::uint64_t> power_cut_at_erase;
};

struct FlashCounters {
  std::uint64_t commands = 0;  // opcodes received (CS low, first byte)
  std::uint64_t bytes_read = 0;  // data bytes of 03 / 0B
  std::uint64_t bytes_programmed = 0;
  std::uint64_t page_programs = 0;
  std::uint64_t erases_4k = 0;
  std::uint64_t erases_32k = 0;
  std::uint64_t erases_64k = 0;
  std::uint64_t chip_erases = 0;
  std::uint64_t status_writes = 0;
  std::uint64_t busy_ns = 0;                // total BUSY time scheduled
  std::uint64_t ignored_busy = 0;           // commands (not RDSR) while BUSY
  std::uint64_t ignored_without_wel = 0;    // PP / erase / WRSR with WEL clear
  std::uint64_t ignored_protected = 0;      // PP / erase into a protected range
  std::uint64_t ignored_powered_down = 0;   // commands other than AB after B9
  std::uint64_t ignored_power_off = 0;      // bytes clocked while the power is cut
  std::uint64_t ignored_incomplete = 0;     // CS rose mid-byte or before the command was whole
  std::uint64_t unknown_commands = 0;
  std::uint64_t failed_programs = 0;        // injected
  std::uint64_t failed_erases = 0;          // injected
  std::uint64_t read_bit_flips = 0;         // injected
  std::uint64_t power_cuts = 0;
  std::uint64_t erases() const { return erases_4k + erases_32k + erases_64k + chip_erases; }
};

class SpiNorFlash {
 public:
  explicit SpiNorFlash(FlashPart part = w25q128jv());

  // Pin level, SPI mode 0, MSB first (the FPGA side): call whenever the
  // driver's outputs may have changed (e.g. every clock); MOSI is sampled on
  // SCK rising edges, MISO changes after falling edges. Returns MISO (1,
  // the pull-up, while CS is high or the power is cut).
  bool pins(bool cs_n, bool sck, bool mosi);

  // Byte level (the MPSSE side), same semantics as 8 SCK cycles:
  void select();    // CS low
  void deselect();  // CS high: a command completes here (PP, erase, WRSR start busy)
  std::uint8_t transfer(std::uint8_t mosi);
  // `n` (1..8) SCK cycles at byte level: MOSI is bits 7, 6, ... of `mosi`;
  // returns the MISO bits in the low `n` bits, the first one highest (as an
  // MPSSE bit read packs them). A byte may be split over several calls and
  // transfer() calls; a command sees the bits as one stream.
  std::uint8_t transfer_bits(std::uint8_t mosi, unsigned n);
  bool selected() const { return selected_; }

  // Simulated time in ns; busy operations finish when it passes their end.
  void advance_ns(std::uint64_t ns);
  std::uint64_t now_ns() const { return now_ns_; }

  // Backdoor (tests, boot): whole contents; load bytes directly (no timing).
  std::span<const std::uint8_t> contents() const { return mem_; }
  void backdoor_write(std::size_t offset, std::span<const std::uint8_t> bytes);
  void backdoor_erase();  // every byte 0xFF

  const FlashPart& part() const { return part_; }
  std::size_t size() const { return mem_.size(); }
  std::uint8_t status() const;  // status register 1 as RDSR would read it now
  bool busy() const { return busy_; }
  bool write_enabled() const { return wel_; }
  bool powered() const { return powered_; }
  bool deep_power_down() const { return deep_power_down_; }
  // Sets the non-volatile bits 2..7 of status register 1 (no timing, no WEL).
  void backdoor_set_status(std::uint8_t sr1);
  // The byte range [first, last) that BP/TB/SEC protect now (empty: none).
  std::pair<std::size_t, std::size_t> protected_range() const;

  // Faults. set_faults restarts the numbering of fail_*_number.
  void set_faults(const FlashFaults& faults);
  const FlashFaults& faults() const { return faults_; }
  // Power back after a cut (or a power cycle of a healthy flash): volatile
  // state (WEL, BUSY, deep power-down, a command in progress) is cleared,
  // contents and status register bits 2..7 are kept. A cut that has
  // happened does not happen again.
  void power_on();

  const FlashCounters& counters() const { return counters_; }

  // Called with the byte range an operation changed (page program, erase,
  // backdoor write), after the change: what a file-backed flash writes back.
  void set_change_observer(std::function<void(std::size_t offset, std::size_t length)> observer) {
    observer_ = std::move(observer);
  }

 private:
  void begin_command();
  void end_command();
  void on_byte(std::uint8_t in);
  std::uint8_t data_out();  // the byte the chip shifts out in the next byte slot
  void finish_busy_if_due();
  void start_busy(double seconds);
  bool is_protected(std::size_t first, std::size_t length) const;
  void program_page();
  void erase(std::size_t first, std::size_t length, double seconds);
  void cut_power();
  void changed(std::size_t first, std::size_t length);
  std::uint64_t next_random();
  bool chance(double rate);
  std::size_t addr_mask(std::size_t a) const { return a % mem_.size(); }

  FlashPart part_;
  std::vector<std::uint8_t> mem_;
  std::uint64_t now_ns_ = 0;

  // Status.
  std::uint8_t sr_nv_ = 0;  // bits 2..7
  bool wel_ = false;
  bool busy_ = false;
  std::uint64_t busy_until_ns_ = 0;
  bool powered_ = true;
  bool deep_power_down_ = false;
  bool reset_enabled_ = false;  // the previous command was 66

  // The command in progress.
  bool selected_ = false;
  bool ignoring_ = false;       // this command is ignored (busy, powered down, unknown)
  std::uint8_t op_ = 0;
  std::size_t nbytes_ = 0;      // bytes of this command so far, opcode included
  std::uint32_t addr_ = 0;
  std::uint8_t next_out_ = 0xFF;
  std::array<std::uint8_t, 256> page_buf_{};
  std::array<bool, 256> page_set_{};
  std::size_t page_data_ = 0;   // data bytes received for PP
  std::uint8_t wrsr_value_ = 0;
  bool pending_read_ = false;   // next_out_ is a data byte of 03 / 0B
  bool pending_flip_ = false;   // ... with a bit flipped

  // Pin level.
  bool pin_cs_n_ = true;
  bool pin_sck_ = false;
  bool pin_miso_ = true;
  unsigned bits_ = 0;
  std::uint8_t in_shift_ = 0;
  std::uint8_t out_shift_ = 0xFF;

  FlashFaults faults_{};
  std::uint64_t rng_ = 0;
  std::uint64_t programs_since_faults_ = 0;
  std::uint64_t erases_since_faults_ = 0;
  FlashCounters counters_{};
  std::function<void(std::size_t, std::size_t)> observer_;
};

}  // namespace spikelink::sim
