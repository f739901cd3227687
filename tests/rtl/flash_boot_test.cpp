// spl_flash_boot (the boot loader, docs/link.md section 4.2) alone, against
// the SPI NOR flash model (sim::SpiNorFlash) holding images built with the
// host's image::pack: the bytes it offers are the network blob, and a bad
// or absent image offers nothing and says why in its status.
#include <doctest/doctest.h>

#include <Vspl_flash_boot_h1.h>
#include <Vspl_flash_boot_h3.h>

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "common/verilated_model.hpp"
#include "flash/spi_nor_flash.hpp"
#include "spikelink/crc32c.hpp"
#include "spikelink/image.hpp"

namespace spikelink::rtl_test {
namespace {

using Bytes = std::vector<std::uint8_t>;

enum BootStatus : unsigned { kNoImage = 0, kLoaded = 1, kNoNetwork = 2, kBadHeader = 3 };

// A bitstream stand-in: icepack's comment block, then the sync word.
Bytes fake_bitstream(std::size_t n) {
  Bytes b{0xFF, 0x00, 0x00, 0xFF};
  b.insert(b.end(), image::kSyncWord.begin(), image::kSyncWord.end());
  for (std::size_t i = b.size(); i < n; ++i) b.push_back(static_cast<std::uint8_t>(i * 7 + 3));
  return b;
}

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

Bytes make_image(const Bytes& network, std::size_t bitstream_bytes = 1000) {
  image::PackInput in;
  in.board_id = 1;
  in.board_name = "test";
  in.gw_minor = 1;
  in.bitstream = fake_bitstream(bitstream_bytes);
  in.network = network;
  return image::pack(in);
}

// Rewrites the header's CRC after a field was changed.
void fix_header_crc(Bytes& img) {
  const std::uint32_t crc = crc32c(std::span(img.data(), 124));
  for (unsigned i = 0; i < 4; ++i) img[124 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

struct Result {
  Bytes offered;
  unsigned status = 0;
  unsigned resyncs = 0;
  std::uint64_t cycles = 0;  // until busy_o fell
  bool stall_ok = true;      // data_o held while valid_o and not ready_i
  bool cs_released = true;   // CS high and SCK low once done
};

template <class Top>
class BootBench {
 public:
  // flash null: no flash, MISO pulled up.
  explicit BootBench(sim::SpiNorFlash* flash) : flash_(flash) {
    auto& t = m_.top;
    t.clk_i = 0;
    t.rst_ni = 0;
    t.flash_miso_i = 1;
    t.ready_i = 0;
    t.link_idle_i = 1;
    t.eval();
    for (int i = 0; i < 3; ++i) tick();
    t.rst_ni = 1;
  }

  void set_stall(unsigned percent) { stall_ = percent; }
  void set_link_busy_until(std::uint64_t cycle) { link_busy_until_ = cycle; }

  void tick() {
    auto& t = m_.top;
    t.flash_miso_i = flash_ != nullptr ? flash_->pins(t.flash_csn_o, t.flash_sck_o, t.flash_mosi_o) : 1;
    t.ready_i = (stall_ == 0 || rng_() % 100 >= stall_) ? 1 : 0;
    t.link_idle_i = m_.cycles >= link_busy_until_ ? 1 : 0;
    t.clk_i = 0;
    t.eval();
    if (t.rst_ni) {
      if (held_ && (!t.valid_o || t.data_o != held_data_)) res_.stall_ok = false;
      held_ = false;
      if (t.valid_o) {
        if (t.ready_i) {
          res_.offered.push_back(t.data_o);
        } else {
          held_ = true;
          held_data_ = t.data_o;
        }
      }
      if (t.seq_resync_o) ++res_.resyncs;
    }
    t.clk_i = 1;
    t.eval();
    ++m_.cycles;
  }

  Result run(std::uint64_t max_cycles) {
    auto& t = m_.top;
    while (t.busy_o) {
      if (m_.cycles > max_cycles) throw std::runtime_error("the boot loader did not finish");
      tick();
    }
    res_.cycles = m_.cycles;
    res_.status = t.status_o;
    for (int i = 0; i < 50; ++i) {
      tick();
      if (!t.flash_csn_o || t.flash_sck_o || t.valid_o) res_.cs_released = false;
    }
    return res_;
  }

 private:
  sim::VerilatedModel<Top> m_{"flash boot"};
  sim::SpiNorFlash* flash_;
  std::mt19937 rng_{42};
  unsigned stall_ = 0;
  std::uint64_t link_busy_until_ = 0;
  bool held_ = false;
  std::uint8_t held_data_ = 0;
  Result res_;
};

template <class Top = Vspl_flash_boot_h1>
Result boot(const Bytes* img, unsigned stall = 0, std::uint64_t max_cycles = 2'000'000,
            sim::SpiNorFlash* flash_out = nullptr) {
  sim::SpiNorFlash local;
  sim::SpiNorFlash* flash = flash_out != nullptr ? flash_out : &local;
  if (img != nullptr) flash->backdoor_write(0, *img);
  BootBench<Top> b(img != nullptr ? flash : nullptr);
  b.set_stall(stall);
  return b.run(max_cycles);
}

TEST_CASE("flash boot: a valid image's network blob is offered byte for byte") {
  const Bytes net = random_bytes(777, 1);
  const Bytes img = make_image(net);
  sim::SpiNorFlash flash;
  const Result r = boot(&img, 0, 2'000'000, &flash);
  CHECK(r.status == kLoaded);
  CHECK(r.offered == net);
  CHECK(r.resyncs == 1);
  CHECK(r.cs_released);
  // Two READs: the header, then the blob.
  CHECK(flash.counters().commands == 2);
  CHECK(flash.counters().bytes_read == 128 + net.size());
  // SCK is half the clock: 16 clocks a byte, and a clock to hand it over.
  CHECK(r.cycles < 20 * (128 + net.size()) + 200);
}

TEST_CASE("flash boot: ready low stalls the blob, nothing lost or repeated") {
  const Bytes net = random_bytes(500, 2);
  const Bytes img = make_image(net);
  for (unsigned stall : {30U, 90U}) {
    CAPTURE(stall);
    const Result r = boot(&img, stall, 5'000'000);
    CHECK(r.status == kLoaded);
    CHECK(r.offered == net);
    CHECK(r.stall_ok);
  }
}

TEST_CASE("flash boot: SCK at a sixth of the clock (SckHalf 3)") {
  const Bytes net = random_bytes(300, 3);
  const Bytes img = make_image(net);
  const Result r = boot<Vspl_flash_boot_h3>(&img, 20, 5'000'000);
  CHECK(r.status == kLoaded);
  CHECK(r.offered == net);
  CHECK(r.stall_ok);
  CHECK(r.resyncs == 1);
}

TEST_CASE("flash boot: no flash or an erased one: no image, found at the first byte") {
  const Result none = boot(nullptr);
  CHECK(none.status == kNoImage);
  CHECK(none.offered.empty());
  CHECK(none.resyncs == 1);
  CHECK(none.cycles < 200);  // 32 command bits and one byte

  const Bytes erased(4096, 0xFF);
  const Result r = boot(&erased);
  CHECK(r.status == kNoImage);
  CHECK(r.offered.empty());
  CHECK(r.cs_released);
}

TEST_CASE("flash boot: a damaged magic is no image") {
  Bytes img = make_image(random_bytes(100, 4));
  img[6] = 'X';
  fix_header_crc(img);
  const Result r = boot(&img);
  CHECK(r.status == kNoImage);
  CHECK(r.offered.empty());
}

TEST_CASE("flash boot: a bad header offers nothing") {
  const Bytes good = make_image(random_bytes(100, 5));
  SUBCASE("header CRC") {
    Bytes img = good;
    img[80] ^= 0x01;  // reserved, under the CRC
    const Result r = boot(&img);
    CHECK(r.status == kBadHeader);
    CHECK(r.offered.empty());
  }
  SUBCASE("header CRC field") {
    Bytes img = good;
    img[127] ^= 0x80;
    const Result r = boot(&img);
    CHECK(r.status == kBadHeader);
    CHECK(r.offered.empty());
  }
  SUBCASE("format major 2") {
    Bytes img = good;
    img[8] = 2;
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kBadHeader);
    CHECK(r.offered.empty());
  }
  SUBCASE("format major 257") {
    Bytes img = good;
    img[9] = 1;
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kBadHeader);
  }
  SUBCASE("header_bytes 64") {
    Bytes img = good;
    img[12] = 64;
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kBadHeader);
    CHECK(r.offered.empty());
  }
  SUBCASE("a newer format minor is fine") {
    Bytes img = good;
    img[10] = 3;
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kLoaded);
  }
}

TEST_CASE("flash boot: a valid image without a network offers nothing") {
  SUBCASE("no network") {
    const Bytes img = make_image({});
    const Result r = boot(&img);
    CHECK(r.status == kNoNetwork);
    CHECK(r.offered.empty());
    CHECK(r.resyncs == 1);
  }
  SUBCASE("flag set, length 0") {
    Bytes img = make_image({});
    img[19] |= image::kFlagNetwork;
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kNoNetwork);
    CHECK(r.offered.empty());
  }
  SUBCASE("length set, flag clear") {
    Bytes img = make_image(random_bytes(64, 6));
    img[19] &= static_cast<std::uint8_t>(~image::kFlagNetwork);
    fix_header_crc(img);
    const Result r = boot(&img);
    CHECK(r.status == kNoNetwork);
    CHECK(r.offered.empty());
  }
}

TEST_CASE("flash boot: the blob is read from network_offset") {
  // A blob further out than pack puts it, with other bytes in between.
  Bytes img = make_image(random_bytes(40, 7));
  const Bytes net = random_bytes(200, 8);
  const std::uint32_t off = 0x012345;
  img.resize(off, 0xA5);
  img.insert(img.end(), net.begin(), net.end());
  for (unsigned i = 0; i < 4; ++i) {
    img[44 + i] = static_cast<std::uint8_t>(off >> (8 * i));
    img[48 + i] = static_cast<std::uint8_t>(net.size() >> (8 * i));
  }
  fix_header_crc(img);
  const Result r = boot(&img);
  CHECK(r.status == kLoaded);
  CHECK(r.offered == net);
}

TEST_CASE("flash boot: the end waits for the link to be idle") {
  const Bytes net = random_bytes(50, 9);
  const Bytes img = make_image(net);
  sim::SpiNorFlash flash;
  flash.backdoor_write(0, img);
  BootBench<Vspl_flash_boot_h1> b(&flash);
  b.set_link_busy_until(100'000);
  const Result r = b.run(1'000'000);
  CHECK(r.status == kLoaded);
  CHECK(r.offered == net);
  CHECK(r.cycles >= 100'000 + 32);
  CHECK(r.cycles < 100'000 + 40);
  CHECK(r.resyncs == 1);
}

TEST_CASE("flash boot: a link that never goes idle is given up on 2^24 clocks after the blob") {
  const Bytes net = random_bytes(50, 10);
  const Bytes img = make_image(net);
  sim::SpiNorFlash flash;
  flash.backdoor_write(0, img);
  BootBench<Vspl_flash_boot_h1> b(&flash);
  b.set_link_busy_until(~std::uint64_t{0});
  const Result r = b.run(40'000'000);
  CHECK(r.status == kLoaded);
  CHECK(r.offered == net);
  CHECK(r.resyncs == 1);
  const std::uint64_t blob_end = 24 * 128 + 17 * net.size() + 200;  // about
  CHECK(r.cycles > (std::uint64_t{1} << 24));
  CHECK(r.cycles < (std::uint64_t{1} << 24) + blob_end);
}

}  // namespace
}  // namespace spikelink::rtl_test
