// The flasher's plan (which erases, which pages, in which order) and the
// board descriptions it takes its pins and flash layout from.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "spikelink/board_desc.hpp"
#include "spikelink/flasher.hpp"
#include "spikelink/spi_nor.hpp"
#include "spikelink/suggest.hpp"

using namespace spikelink;

namespace {

const spinor::Chip& w25q128() { return *spinor::find_chip({0xEF, 0x40, 0x18}); }

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> b(n);
  for (auto& v : b) v = static_cast<std::uint8_t>(rng());
  return b;
}

std::vector<std::uint8_t> flash_of(std::span<const std::uint8_t> contents, std::size_t size) {
  std::vector<std::uint8_t> f(size, 0xFF);
  std::copy(contents.begin(), contents.end(), f.begin());
  return f;
}

}  // namespace

TEST_CASE("flash plan: an identical image writes nothing") {
  const auto img = random_bytes(104'218, 1);
  const auto plan = flash::make_plan(flash_of(img, 106'496), img, w25q128());
  CHECK(plan.up_to_date);
  CHECK(plan.erases.empty());
  CHECK(plan.pages.empty());
  CHECK(plan.sectors == 26);
  CHECK(plan.intrinsic_s == 0);
}

TEST_CASE("flash plan: a blank flash needs no erase, and the first page goes last") {
  const auto img = random_bytes(104'218, 2);
  const auto plan = flash::make_plan(std::vector<std::uint8_t>(106'496, 0xFF), img, w25q128());
  CHECK(!plan.up_to_date);
  CHECK(plan.erases.empty());
  REQUIRE(plan.pages.size() == (104'218 + 255) / 256);
  CHECK(plan.pages.back() == 0);
  CHECK(std::is_sorted(plan.pages.begin(), plan.pages.end() - 1));
  CHECK(plan.pages.front() == 256);
  CHECK(plan.intrinsic_s == doctest::Approx(408 * 0.4e-3));
}

TEST_CASE("flash plan: over another image the erase mix is 64K, 32K, then 4K sectors") {
  const auto old_img = random_bytes(104'218, 3);
  const auto img = random_bytes(104'218, 4);
  const auto plan = flash::make_plan(flash_of(old_img, 106'496), img, w25q128());
  REQUIRE(plan.erases.size() == 4);
  CHECK(plan.erases[0].addr == 0);
  CHECK(plan.erases[0].bytes == 65536);
  CHECK(plan.erases[1].addr == 65536);
  CHECK(plan.erases[1].bytes == 32768);
  CHECK(plan.erases[2].addr == 98304);
  CHECK(plan.erases[2].bytes == 4096);
  CHECK(plan.erases[3].addr == 102400);
  CHECK(plan.erases[3].bytes == 4096);
  CHECK(plan.pages.size() == 408);
  CHECK(plan.pages.back() == 0);
  CHECK(plan.intrinsic_s == doctest::Approx(0.150 + 0.120 + 2 * 0.045 + 408 * 0.4e-3));
}

TEST_CASE("flash plan: one changed byte costs its sector and the first sector") {
  auto img = random_bytes(104'218, 5);
  auto cur = flash_of(img, 106'496);
  // The new image differs in the header (first page) and at byte 50000,
  // where it needs a 0 -> 1 change, so sector 12 must be erased.
  img[20] ^= 0xFF;
  cur[50'000] = 0x00;
  img[50'000] = 0x01;
  const auto plan = flash::make_plan(cur, img, w25q128());
  REQUIRE(plan.erases.size() == 2);
  CHECK(plan.erases[0].addr == 0);
  CHECK(plan.erases[0].bytes == 4096);
  CHECK(plan.erases[1].addr == 49'152);
  CHECK(plan.erases[1].bytes == 4096);
  // Both sectors' 16 pages are rewritten, the first page last.
  CHECK(plan.pages.size() == 32);
  CHECK(plan.pages.back() == 0);
  CHECK(plan.sectors_untouched == 24);
  CHECK(plan.pages_skipped == 408 - 32);
}

TEST_CASE("flash plan: a change that only clears bits is programmed without an erase") {
  auto img = random_bytes(104'218, 6);
  auto cur = flash_of(img, 106'496);
  cur[70'000] = 0xFF;
  img[70'000] = 0x0F;  // only 1 -> 0
  // The first page is blank on the flash (an interrupted flash), so nothing
  // needs erasing at all.
  std::fill(cur.begin(), cur.begin() + 256, std::uint8_t{0xFF});
  const auto plan = flash::make_plan(cur, img, w25q128());
  CHECK(plan.erases.empty());
  REQUIRE(plan.pages.size() == 2);
  CHECK(plan.pages[0] == 70'000 / 256 * 256);
  CHECK(plan.pages[1] == 0);
}

TEST_CASE("flash plan: a block erase is chosen only where it is cheaper") {
  // 64 KiB image; only sectors 3 and 9 need erasing besides sector 0: three
  // 4K erases (135 ms) beat a 64K erase (150 ms) plus reprogramming 13
  // untouched sectors.
  auto img = random_bytes(65'536, 7);
  auto cur = flash_of(img, 65'536);
  img[10] ^= 0x01;
  for (const std::size_t at : {std::size_t{3 * 4096 + 7}, std::size_t{9 * 4096 + 100}}) {
    cur[at] = 0x00;
    img[at] = 0xFF;
  }
  const auto plan = flash::make_plan(cur, img, w25q128());
  REQUIRE(plan.erases.size() == 3);
  for (const auto& e : plan.erases) CHECK(e.bytes == 4096);
  // With every sector needing it, one 64K erase.
  auto other = random_bytes(65'536, 8);
  const auto all = flash::make_plan(flash_of(other, 65'536), img, w25q128());
  REQUIRE(all.erases.size() == 1);
  CHECK(all.erases[0].bytes == 65536);
}

TEST_CASE("flash plan: an image at an offset uses blocks aligned in the flash") {
  // Offset 32 KiB: the first 64 KiB block is not aligned, so 32K + 32K.
  const auto img = random_bytes(65'536, 9);
  const auto plan = flash::make_plan(flash_of(random_bytes(65'536, 10), 65'536), img, w25q128(), 32'768);
  REQUIRE(plan.erases.size() == 2);
  CHECK(plan.erases[0].addr == 32'768);
  CHECK(plan.erases[0].bytes == 32'768);
  CHECK(plan.erases[1].addr == 65'536);
  CHECK(plan.pages.back() == 32'768);
}

TEST_CASE("spi nor: the protection bits select the documented ranges") {
  const std::size_t sz = 16u << 20;
  CHECK(!spinor::protected_range(0x00, sz));
  CHECK(!spinor::protected_range(0x03, sz));  // BUSY and WEL protect nothing
  const auto upper = spinor::protected_range(0x04, sz);  // BP0: upper 1/64
  REQUIRE(upper);
  CHECK(upper->first == sz - 256 * 1024);
  CHECK(upper->second == sz);
  const auto lower = spinor::protected_range(0x04 | spinor::kStatusTb, sz);  // TB: from the bottom
  REQUIRE(lower);
  CHECK(lower->first == 0);
  CHECK(lower->second == 256 * 1024);
  const auto all = spinor::protected_range(0x1C, sz);
  REQUIRE(all);
  CHECK(all->second - all->first == sz);
  const auto sec = spinor::protected_range(0x04 | spinor::kStatusSec | spinor::kStatusTb, sz);  // 4 KB bottom
  REQUIRE(sec);
  CHECK(sec->second == 4096);
}

TEST_CASE("board descriptions: the iCEBreaker is built in with the reference pins and flash") {
  const auto& b = find_board("icebreaker");
  CHECK(b.board_id == 1);
  CHECK(&find_board("1") == &b);
  CHECK(&find_board(std::uint16_t{1}) == &b);
  CHECK(b.usb_vid == 0x0403);
  CHECK(b.usb_pid == 0x6010);
  CHECK(b.flash_interface == 0);
  CHECK(b.link_interface == 1);
  CHECK(b.pins.sck == 0);
  CHECK(b.pins.mosi == 1);
  CHECK(b.pins.miso == 2);
  CHECK(b.pins.cs == 4);
  CHECK(b.pins.cdone == 6);
  CHECK(b.pins.creset == 7);
  CHECK(b.flash_size == 16u << 20);
  CHECK(b.flash_jedec == std::array<std::uint8_t, 3>{0xEF, 0x40, 0x18});
  CHECK(b.erase_bytes == std::vector<std::size_t>{4096, 32768, 65536});
  CHECK(b.source == "firmware/boards/icebreaker/board.yaml");
  CHECK_THROWS_WITH_AS(find_board("ulx3s"), doctest::Contains("known: icebreaker (id 1)"), BoardDescriptionError);
}

TEST_CASE("board descriptions: mistakes are reported with file, line and column") {
  const auto& b = find_board("icebreaker");
  (void)b;
  const std::string good = R"(name: x
board_id: 7
usb: {vid: 0x0403, pid: 0x6010}
channels:
  a: {interface: 0, role: flash}
  b: {interface: 1, role: link}
mpsse: {sck: 0, mosi: 1, miso: 2, cs: 4, cdone: 6, creset: 7}
flash: {size_bytes: 16777216, jedec_id: [0xEF, 0x40, 0x18], page_bytes: 256, erase_bytes: [4096, 65536]}
clocks: {oscillator_hz: 12000000, core_hz: 24000000}
link: {baud: 3000000, max_baud: 6000000}
image: {flash_offset: 0, max_bytes: 1048576}
)";
  CHECK(parse_board_description(good, "x.yaml").board_id == 7);
  const auto err = [&](std::string text) {
    try {
      parse_board_description(text, "x.yaml");
    } catch (const BoardDescriptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto t = good;
  t.replace(t.find("cs: 4"), 5, "cs: 1");
  CHECK(err(t).find("x.yaml:7:") == 0);
  CHECK(err(t).find("ADBUS1 is used twice") != std::string::npos);
  t = good;
  t.replace(t.find("pid: 0x6010"), 11, "pid: sixty");
  CHECK(err(t).find("x.yaml:3:") == 0);
  CHECK(err(t).find("usb.pid") != std::string::npos);
  t = good;
  t.erase(t.find("link: {"), t.find("image: {") - t.find("link: {"));
  CHECK(err(t).find("missing section 'link'") != std::string::npos);
  t = good;
  t.replace(t.find("role: link"), 10, "role: uart");
  CHECK(err(t).find("x.yaml:6:") == 0);
  CHECK(err("name: [unclosed\n").find("not valid YAML") != std::string::npos);
  // Unknown keys: a slip is named with the key it resembles, at its position.
  t = good;
  t.replace(t.find("board_id: 7"), 11, "bord_id: 7");
  CHECK(err(t).find("x.yaml:2:1: unknown key 'bord_id' (did you mean 'board_id'?)") == 0);
  t = good;
  t.replace(t.find("max_baud"), 8, "maxbaud");
  CHECK(err(t).find("x.yaml:10:") == 0);
  CHECK(err(t).find("unknown key 'maxbaud' (did you mean 'max_baud'?); 'link' takes: baud, max_baud") != std::string::npos);
  t = good + "colour: blue\n";
  CHECK(err(t).find("unknown key 'colour'; the top level takes:") != std::string::npos);
}

TEST_CASE("did you mean: the nearest known word within a slip's distance") {
  const std::vector<std::string> known = {"tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac"};
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("ihn", "inh") == 1);  // two neighbours swapped: one slip
  CHECK(edit_distance("ca", "abc") == 3);   // not a swap then an insert in between
  CHECK(closest("stpd", {"static", "stdp", "rate"}) == "stdp");
  CHECK(closest("v_thres", known) == "v_thresh");
  CHECK(closest("tau_refract", known) == "tau_refrac");
  CHECK(closest("v_resett", known) == "v_reset");
  CHECK(closest("v_rset", known) == "v_rest");  // one swap from v_rest, one insertion from v_reset: the first wins
  CHECK(!closest("weight", known));
  CHECK(!closest("x", known));
}
