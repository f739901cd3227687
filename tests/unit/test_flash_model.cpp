// sim::SpiNorFlash, the W25Q128JV-class flash model: commands at byte and
// pin level, BUSY timing, WEL, protection, page wrap, erase alignment and
// the injected faults (docs/sim-flash.md).
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "flash/spi_nor_flash.hpp"

using spikelink::sim::FlashFaults;
using spikelink::sim::SpiNorFlash;
namespace fs = spikelink::sim::flash_status;

namespace {

// One command at byte level: CS low, the bytes, `extra` more bytes clocked
// with 0x00 (their MISO returned), CS high.
std::vector<std::uint8_t> cmd(SpiNorFlash& f, std::initializer_list<std::uint8_t> out, std::size_t extra = 0) {
  std::vector<std::uint8_t> in;
  f.select();
  for (std::uint8_t b : out) in.push_back(f.transfer(b));
  for (std::size_t i = 0; i < extra; ++i) in.push_back(f.transfer(0x00));
  f.deselect();
  return in;
}

std::vector<std::uint8_t> read(SpiNorFlash& f, std::uint32_t addr, std::size_t n) {
  auto in = cmd(f, {0x03, static_cast<std::uint8_t>(addr >> 16), static_cast<std::uint8_t>(addr >> 8),
                    static_cast<std::uint8_t>(addr)},
                n);
  return {in.begin() + 4, in.end()};
}

void program(SpiNorFlash& f, std::uint32_t addr, const std::vector<std::uint8_t>& data) {
  cmd(f, {0x06});
  f.select();
  f.transfer(0x02);
  f.transfer(static_cast<std::uint8_t>(addr >> 16));
  f.transfer(static_cast<std::uint8_t>(addr >> 8));
  f.transfer(static_cast<std::uint8_t>(addr));
  for (std::uint8_t b : data) f.transfer(b);
  f.deselect();
}

void erase(SpiNorFlash& f, std::uint8_t op, std::uint32_t addr) {
  cmd(f, {0x06});
  cmd(f, {op, static_cast<std::uint8_t>(addr >> 16), static_cast<std::uint8_t>(addr >> 8),
          static_cast<std::uint8_t>(addr)});
}

std::uint8_t rdsr(SpiNorFlash& f) { return cmd(f, {0x05}, 1)[1]; }

void wait_idle(SpiNorFlash& f) {
  while (rdsr(f) & fs::kBusy) f.advance_ns(100'000);
}

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 37);
  return v;
}

// A driver of the pins, SPI mode 0, one clock edge per call.
struct PinDriver {
  SpiNorFlash& f;
  bool sck = false;
  std::uint8_t byte(std::uint8_t out) {
    std::uint8_t in = 0;
    for (int b = 7; b >= 0; --b) {
      const bool mosi = ((out >> b) & 1) != 0;
      const bool miso = f.pins(false, false, mosi);  // data set up while SCK is low
      in = static_cast<std::uint8_t>((in << 1) | (miso ? 1 : 0));
      f.pins(false, true, mosi);   // rising: the flash samples MOSI
      f.pins(false, false, mosi);  // falling: the flash shifts MISO
    }
    return in;
  }
  void cs_low() { f.pins(false, false, false); }
  void cs_high() { f.pins(true, false, false); }
};

}  // namespace

TEST_CASE("flash model: a fresh W25Q128JV is erased and answers JEDEC EF 40 18") {
  SpiNorFlash f;
  CHECK(f.size() == 16u * 1024 * 1024);
  CHECK(f.contents()[0] == 0xFF);
  CHECK(f.contents()[f.size() - 1] == 0xFF);
  const auto id = cmd(f, {0x9F}, 3);
  CHECK(id == std::vector<std::uint8_t>{0xFF, 0xEF, 0x40, 0x18});
  CHECK(rdsr(f) == 0x00);
  CHECK(read(f, 0x123456, 4) == std::vector<std::uint8_t>(4, 0xFF));
}

TEST_CASE("flash model: read and fast read return the contents, and wrap at the end of the array") {
  SpiNorFlash f;
  const auto d = bytes(64, 3);
  f.backdoor_write(0x1000, d);
  CHECK(read(f, 0x1000, 64) == d);
  const auto fast = cmd(f, {0x0B, 0x00, 0x10, 0x00, 0x00}, 64);
  CHECK(std::vector<std::uint8_t>(fast.begin() + 5, fast.end()) == d);
  const std::vector<std::uint8_t> ends = {0x11, 0x22};
  f.backdoor_write(f.size() - 1, std::vector<std::uint8_t>{0x11});
  f.backdoor_write(0, std::vector<std::uint8_t>{0x22});
  CHECK(read(f, 0xFFFFFF, 2) == ends);
  CHECK(f.counters().bytes_read == 64 + 64 + 2);
}

TEST_CASE("flash model: page program needs WEL, only clears bits, and clears WEL when done") {
  SpiNorFlash f;
  // Without WREN: ignored.
  f.select();
  for (std::uint8_t b : std::initializer_list<std::uint8_t>{0x02, 0x00, 0x00, 0x00, 0x12}) f.transfer(b);
  f.deselect();
  CHECK(f.contents()[0] == 0xFF);
  CHECK(f.counters().ignored_without_wel == 1);

  program(f, 0x000010, {0xF0, 0x0F});
  CHECK((rdsr(f) & (fs::kBusy | fs::kWel)) == (fs::kBusy | fs::kWel));
  wait_idle(f);
  CHECK(rdsr(f) == 0x00);  // WEL cleared by the completed program
  CHECK(read(f, 0x10, 2) == std::vector<std::uint8_t>{0xF0, 0x0F});
  program(f, 0x000010, {0x3C, 0x3C});  // programming only clears bits
  wait_idle(f);
  CHECK(read(f, 0x10, 2) == std::vector<std::uint8_t>{0x30, 0x0C});
  CHECK(f.counters().bytes_programmed == 4);
  CHECK(f.counters().page_programs == 2);
}

TEST_CASE("flash model: BUSY lasts the datasheet time and everything but RDSR is ignored meanwhile") {
  SpiNorFlash f;
  program(f, 0, {0x00});
  const std::uint64_t t0 = f.now_ns();
  f.advance_ns(399'999);
  CHECK(f.busy());
  const auto id = cmd(f, {0x9F}, 3);  // ignored: MISO stays high
  CHECK(id == std::vector<std::uint8_t>{0xFF, 0xFF, 0xFF, 0xFF});
  CHECK(read(f, 0, 1) == std::vector<std::uint8_t>{0xFF});
  CHECK(f.counters().ignored_busy == 2);
  CHECK((rdsr(f) & fs::kBusy) != 0);
  f.advance_ns(1);
  CHECK(f.now_ns() - t0 == 400'000);
  CHECK_FALSE(f.busy());
  CHECK(read(f, 0, 1) == std::vector<std::uint8_t>{0x00});
  CHECK(f.counters().busy_ns == 400'000);

  // RDSR clocked continuously shows BUSY fall as time passes.
  erase(f, 0x20, 0);
  f.select();
  f.transfer(0x05);
  CHECK((f.transfer(0) & fs::kBusy) != 0);
  f.advance_ns(45'000'000);
  f.transfer(0);  // the byte already prepared
  CHECK((f.transfer(0) & fs::kBusy) == 0);
  f.deselect();
  CHECK(f.counters().busy_ns == 400'000 + 45'000'000);
}

TEST_CASE("flash model: a page program past the page's end wraps to its start, and the last byte for a column wins") {
  SpiNorFlash f;
  std::vector<std::uint8_t> d(20);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i);
  program(f, 0x0000F8, d);  // 8 bytes to the page end, 12 wrap to 0x00..0x0B
  wait_idle(f);
  CHECK(read(f, 0xF8, 8) == std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(read(f, 0x00, 12) == std::vector<std::uint8_t>{8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  CHECK(read(f, 0x100, 1) == std::vector<std::uint8_t>{0xFF});  // next page untouched

  std::vector<std::uint8_t> big(300);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i < 256 ? 0xF0 : 0x0F);
  program(f, 0x000200, big);  // columns 0..43 get 0x0F (the later bytes)
  wait_idle(f);
  CHECK(read(f, 0x200, 2) == std::vector<std::uint8_t>{0x0F, 0x0F});
  CHECK(read(f, 0x200 + 44, 1) == std::vector<std::uint8_t>{0xF0});
  CHECK(f.counters().bytes_programmed == 20 + 256);
}

TEST_CASE("flash model: erases align the address down to their size") {
  SpiNorFlash f;
  std::vector<std::uint8_t> zeros(0x30000, 0x00);
  f.backdoor_write(0, zeros);
  erase(f, 0x20, 0x001234);  // 4 KiB at 0x1000
  wait_idle(f);
  CHECK(f.contents()[0x0FFF] == 0x00);
  CHECK(f.contents()[0x1000] == 0xFF);
  CHECK(f.contents()[0x1FFF] == 0xFF);
  CHECK(f.contents()[0x2000] == 0x00);
  erase(f, 0x52, 0x00ABCD);  // 32 KiB at 0x8000
  wait_idle(f);
  CHECK(f.contents()[0x7FFF] == 0x00);
  CHECK(f.contents()[0x8000] == 0xFF);
  CHECK(f.contents()[0xFFFF] == 0xFF);
  CHECK(f.contents()[0x10000] == 0x00);
  const std::uint64_t t = f.now_ns();
  erase(f, 0xD8, 0x02FFFF);  // 64 KiB at 0x20000
  wait_idle(f);
  CHECK(f.now_ns() - t >= 150'000'000);
  CHECK(f.contents()[0x1FFFF] == 0x00);
  CHECK(f.contents()[0x20000] == 0xFF);
  CHECK(f.contents()[0x2FFFF] == 0xFF);
  CHECK(f.counters().erases_4k == 1);
  CHECK(f.counters().erases_32k == 1);
  CHECK(f.counters().erases_64k == 1);
  cmd(f, {0x06});
  cmd(f, {0x60});
  CHECK(f.busy());
  f.advance_ns(40'000'000'000);
  CHECK_FALSE(f.busy());
  CHECK(f.contents()[0] == 0xFF);
  CHECK(f.counters().chip_erases == 1);
}

TEST_CASE("flash model: an erase with CS raised after a fourth address byte is not executed") {
  SpiNorFlash f;
  f.backdoor_write(0, std::vector<std::uint8_t>{0x00});
  cmd(f, {0x06});
  cmd(f, {0x20, 0x00, 0x00, 0x00, 0x00});
  CHECK(f.contents()[0] == 0x00);
  CHECK(f.counters().ignored_incomplete == 1);
  CHECK_FALSE(f.busy());
}

TEST_CASE("flash model: BP/TB/SEC protect the W25Q128JV's ranges and refuse program and erase there") {
  SpiNorFlash f;
  const std::size_t size = f.size();
  cmd(f, {0x06});
  cmd(f, {0x01, 0x04});  // BP0: upper 1/64 (256 KiB)
  CHECK((rdsr(f) & fs::kBusy) != 0);
  f.advance_ns(10'000'000);
  CHECK(rdsr(f) == 0x04);
  CHECK(f.protected_range() == std::pair<std::size_t, std::size_t>{size - 256 * 1024, size});
  program(f, static_cast<std::uint32_t>(size - 256), {0x00});
  CHECK_FALSE(f.busy());
  CHECK_FALSE(f.write_enabled());  // refused, WEL cleared
  CHECK(f.contents()[size - 256] == 0xFF);
  program(f, static_cast<std::uint32_t>(size - 256 * 1024 - 256), {0x00});  // just below: allowed
  wait_idle(f);
  CHECK(f.contents()[size - 256 * 1024 - 256] == 0x00);
  erase(f, 0xD8, static_cast<std::uint32_t>(size - 1));
  cmd(f, {0x06});
  cmd(f, {0xC7});  // chip erase with any block protected: refused
  CHECK(f.counters().ignored_protected == 3);
  CHECK(f.contents()[size - 256 * 1024 - 256] == 0x00);

  f.backdoor_set_status(0x20 | (6 << 2));  // TB, BP=6: lower half
  CHECK(f.protected_range() == std::pair<std::size_t, std::size_t>{0, size / 2});
  f.backdoor_set_status(0x40 | 0x20 | (2 << 2));  // SEC, TB, BP=2: lower 8 KiB
  CHECK(f.protected_range() == std::pair<std::size_t, std::size_t>{0, 8192});
  erase(f, 0x20, 0x1000);
  CHECK(f.contents()[0x1000] == 0xFF);
  CHECK(f.counters().ignored_protected == 4);
  erase(f, 0x20, 0x2000);  // the next sector is not protected
  CHECK(f.busy());
  wait_idle(f);
  f.backdoor_set_status(0x40 | (5 << 2));  // SEC, BP=5: upper 32 KiB
  CHECK(f.protected_range() == std::pair<std::size_t, std::size_t>{size - 32768, size});
  f.backdoor_set_status(7 << 2);
  CHECK(f.protected_range() == std::pair<std::size_t, std::size_t>{0, size});
}

TEST_CASE("flash model: WREN, WRDI and the reset sequence 66 99 clear or set WEL") {
  SpiNorFlash f;
  cmd(f, {0x06});
  CHECK(rdsr(f) == fs::kWel);
  cmd(f, {0x04});
  CHECK(rdsr(f) == 0);
  cmd(f, {0x06});
  cmd(f, {0x99});  // without 66 first: nothing
  CHECK(f.write_enabled());
  cmd(f, {0x66});
  cmd(f, {0x99});
  CHECK_FALSE(f.write_enabled());
}

TEST_CASE("flash model: power-down ignores everything but AB, and AB returns the device id when clocked on") {
  SpiNorFlash f;
  cmd(f, {0xB9});
  CHECK(f.deep_power_down());
  CHECK(cmd(f, {0x9F}, 3) == std::vector<std::uint8_t>{0xFF, 0xFF, 0xFF, 0xFF});
  CHECK(f.counters().ignored_powered_down == 1);
  const auto r = cmd(f, {0xAB}, 5);
  CHECK(r[4] == 0x17);
  CHECK(r[5] == 0x17);
  CHECK_FALSE(f.deep_power_down());
  CHECK(cmd(f, {0x9F}, 3)[1] == 0xEF);
  const auto m = cmd(f, {0x90, 0, 0, 0}, 2);
  CHECK(m[4] == 0xEF);
  CHECK(m[5] == 0x17);
}

TEST_CASE("flash model: the pin interface in SPI mode 0 reads JEDEC and programs like the byte interface") {
  SpiNorFlash f;
  PinDriver p{f};
  p.cs_low();
  p.byte(0x9F);
  CHECK(p.byte(0) == 0xEF);
  CHECK(p.byte(0) == 0x40);
  CHECK(p.byte(0) == 0x18);
  p.cs_high();

  p.cs_low();
  p.byte(0x06);
  p.cs_high();
  p.cs_low();
  for (std::uint8_t b : std::initializer_list<std::uint8_t>{0x02, 0x00, 0x01, 0x00, 0xA5, 0x5A}) p.byte(b);
  p.cs_high();
  CHECK(f.busy());
  f.advance_ns(400'000);
  p.cs_low();
  for (std::uint8_t b : std::initializer_list<std::uint8_t>{0x03, 0x00, 0x01, 0x00}) p.byte(b);
  CHECK(p.byte(0) == 0xA5);
  CHECK(p.byte(0) == 0x5A);
  CHECK(p.byte(0) == 0xFF);
  p.cs_high();
  CHECK(f.counters().bytes_read == 3);

  // CS raised in the middle of a byte: the program is not executed.
  p.cs_low();
  p.byte(0x06);
  p.cs_high();
  p.cs_low();
  for (std::uint8_t b : std::initializer_list<std::uint8_t>{0x02, 0x00, 0x02, 0x00, 0x00}) p.byte(b);
  f.pins(false, false, true);
  f.pins(false, true, true);
  f.pins(false, false, true);
  p.cs_high();
  CHECK_FALSE(f.busy());
  CHECK(f.contents()[0x200] == 0xFF);
  CHECK(f.counters().ignored_incomplete == 1);
}

TEST_CASE("flash model: an injected failed erase leaves bytes not erased") {
  SpiNorFlash f;
  f.backdoor_write(0, std::vector<std::uint8_t>(4096, 0x00));
  FlashFaults faults;
  faults.seed = 7;
  faults.fail_erase_number = 1;
  f.set_faults(faults);
  erase(f, 0x20, 0);
  wait_idle(f);
  std::size_t not_erased = 0;
  for (std::size_t i = 0; i < 4096; ++i) not_erased += f.contents()[i] != 0xFF ? 1u : 0u;
  CHECK(not_erased >= 1);
  CHECK(not_erased <= 16);
  CHECK(f.counters().failed_erases == 1);
  erase(f, 0x20, 0);  // the second erase works
  wait_idle(f);
  for (std::size_t i = 0; i < 4096; ++i) REQUIRE(f.contents()[i] == 0xFF);
}

TEST_CASE("flash model: an injected failed program leaves bits set, and the same seed fails the same way") {
  std::vector<std::uint8_t> first;
  for (int run = 0; run < 2; ++run) {
    SpiNorFlash f;
    FlashFaults faults;
    faults.seed = 99;
    faults.fail_program_number = 2;
    f.set_faults(faults);
    program(f, 0, std::vector<std::uint8_t>(256, 0x00));
    wait_idle(f);
    CHECK(read(f, 0, 256) == std::vector<std::uint8_t>(256, 0x00));
    program(f, 0x100, std::vector<std::uint8_t>(256, 0x00));
    wait_idle(f);
    const auto page = read(f, 0x100, 256);
    CHECK(page != std::vector<std::uint8_t>(256, 0x00));
    CHECK(f.counters().failed_programs == 1);
    if (run == 0) first = page;
    else CHECK(page == first);
  }
}

TEST_CASE("flash model: a power cut at a programmed-byte count leaves the page half written and the flash dead until power_on") {
  SpiNorFlash f;
  FlashFaults faults;
  faults.power_cut_at_programmed_bytes = 256 + 128;
  f.set_faults(faults);
  program(f, 0, std::vector<std::uint8_t>(256, 0x11));
  wait_idle(f);
  program(f, 0x100, std::vector<std::uint8_t>(256, 0x22));
  CHECK_FALSE(f.powered());
  CHECK(f.counters().power_cuts == 1);
  CHECK(f.counters().bytes_programmed == 384);
  CHECK(f.contents()[0x100 + 127] == 0x22);
  CHECK(f.contents()[0x100 + 128] == 0xFF);
  CHECK(rdsr(f) == 0xFF);  // nothing answers: MISO floats high
  CHECK(cmd(f, {0x9F}, 3)[1] == 0xFF);
  CHECK(f.counters().ignored_power_off > 0);
  f.power_on();
  CHECK(rdsr(f) == 0x00);
  CHECK(cmd(f, {0x9F}, 3)[1] == 0xEF);
  program(f, 0x100 + 128, std::vector<std::uint8_t>(128, 0x22));  // the cut does not come again
  wait_idle(f);
  CHECK(f.contents()[0x1FF] == 0x22);
}

TEST_CASE("flash model: a power cut during an erase leaves the sector partly erased") {
  SpiNorFlash f;
  f.backdoor_write(0, std::vector<std::uint8_t>(0x3000, 0x00));
  FlashFaults faults;
  faults.power_cut_at_erase = 2;
  f.set_faults(faults);
  erase(f, 0x20, 0x0000);
  wait_idle(f);
  erase(f, 0x20, 0x1000);
  CHECK_FALSE(f.powered());
  CHECK(f.contents()[0x1000] == 0xFF);
  CHECK(f.contents()[0x17FF] == 0xFF);
  CHECK(f.contents()[0x1800] == 0x00);
  CHECK(f.contents()[0x1FFF] == 0x00);
  f.power_on();
  CHECK(f.powered());
}

TEST_CASE("flash model: injected read bit flips change what is read, not what is stored") {
  SpiNorFlash f;
  FlashFaults faults;
  faults.seed = 5;
  faults.read_bit_flip_rate = 1.0;
  f.set_faults(faults);
  const auto r = read(f, 0, 16);
  for (std::uint8_t b : r) {
    CHECK(b != 0xFF);
    CHECK(std::popcount(b) == 7);
  }
  CHECK(f.counters().read_bit_flips == 16);
  CHECK(f.contents()[0] == 0xFF);
}

TEST_CASE("flash model: the change observer sees each programmed page and erased range") {
  SpiNorFlash f;
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  f.set_change_observer([&](std::size_t o, std::size_t n) { seen.emplace_back(o, n); });
  program(f, 0x345, {0x00});
  wait_idle(f);
  erase(f, 0x52, 0x9000);
  wait_idle(f);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair<std::size_t, std::size_t>{0x300, 256});
  CHECK(seen[1] == std::pair<std::size_t, std::size_t>{0x8000, 32768});
}
