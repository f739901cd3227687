// Firmware images (docs/image-format.md): pack, parse, and every way a
// damaged image is refused with the field and the offset.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "spikelink/crc32c.hpp"
#include "spikelink/image.hpp"
#include "common/image_fixtures.hpp"

using namespace spikelink;
using spikelink::test::fake_bitstream;

namespace {

image::PackInput input(std::size_t bitstream_bytes = 5000, std::size_t network_bytes = 0) {
  image::PackInput in;
  in.board_id = 1;
  in.board_name = "icebreaker";
  in.gw_major = 0;
  in.gw_minor = 6;
  in.gw_patch = 2;
  in.source_hash = 0xC0FFEE11;
  in.build_time = 1'790'000'000;
  in.bitstream = fake_bitstream(bitstream_bytes, 7);
  std::mt19937 rng(11);
  for (std::size_t i = 0; i < network_bytes; ++i) in.network.push_back(static_cast<std::uint8_t>(rng()));
  return in;
}

image::Error::Kind kind_of(const std::vector<std::uint8_t>& bytes) {
  try {
    image::parse(bytes);
  } catch (const image::Error& e) {
    return e.kind();
  }
  FAIL("the image parsed");
  return image::Error::Kind::kInput;
}

}  // namespace

TEST_CASE("image: pack then parse gives back every field and part") {
  const auto in = input(104'090, 3000);
  const auto bytes = image::pack(in);
  const auto img = image::parse(bytes);
  const auto& h = img.header;
  CHECK(h.format_major == 1);
  CHECK(h.board_id == 1);
  CHECK(h.board_name == "icebreaker");
  CHECK(h.gateware_version() == "0.6.2");
  CHECK(h.source_hash == 0xC0FFEE11);
  CHECK(h.build_time == 1'790'000'000);
  CHECK(h.bitstream_offset == 128);
  CHECK(h.bitstream_length == 104'090);
  CHECK(h.has_network());
  CHECK(h.network_offset % 256 == 0);
  CHECK(h.network_offset >= 128 + 104'090);
  CHECK(h.network_offset < 128 + 104'090 + 256);
  CHECK(h.image_length == bytes.size());
  CHECK(img.bitstream == in.bitstream);
  CHECK(img.network == in.network);
  // Padding between the parts reads as erased flash.
  CHECK(std::all_of(bytes.begin() + 128 + 104'090, bytes.begin() + h.network_offset, [](auto b) { return b == 0xFF; }));
  // The sync word lies in the first page, after the header.
  const auto sync = image::find_sync(bytes);
  REQUIRE(sync);
  CHECK(*sync >= 128);
  CHECK(*sync + 4 <= image::kFirstPage);
}

TEST_CASE("image: the header layout is the documented one") {
  const auto bytes = image::pack(input(1000));
  CHECK(std::equal(image::kMagic.begin(), image::kMagic.end(), bytes.begin()));
  CHECK(bytes[8] == 1);     // format_major, little-endian
  CHECK(bytes[9] == 0);
  CHECK(bytes[12] == 128);  // header_bytes
  CHECK(bytes[14] == 1);    // board_id
  CHECK(bytes[17] == 6);    // gw_minor
  CHECK(bytes[20] == 0x11);  // source_hash LSB first
  CHECK(bytes[23] == 0xC0);
  CHECK(bytes[36] + (bytes[37] << 8) == 1000);  // bitstream_length
  const std::uint32_t stored = bytes[124] | bytes[125] << 8 | bytes[126] << 16 | std::uint32_t{bytes[127]} << 24;
  CHECK(stored == crc32c(std::span<const std::uint8_t>(bytes).first(124)));
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()) + 60) == "icebreaker");
}

TEST_CASE("image: without a network the image ends with the bitstream") {
  const auto bytes = image::pack(input(777));
  const auto img = image::parse(bytes);
  CHECK(!img.header.has_network());
  CHECK(img.header.network_offset == 0);
  CHECK(bytes.size() == 128 + 777);
  CHECK(img.network.empty());
  CHECK(image::extents(img.header).size() == 2);
}

TEST_CASE("image: parse reads only the image from a longer flash dump") {
  auto bytes = image::pack(input(2000, 100));
  const auto n = bytes.size();
  bytes.resize(16 * 1024, 0xFF);
  const auto img = image::parse(bytes);
  CHECK(img.header.image_length == n);
}

TEST_CASE("image: each damaged byte is refused with the part it is in") {
  const auto good = image::pack(input(3000, 500));
  const auto img = image::parse(good);
  // A byte in the header, in the bitstream, in the network blob.
  auto bad = good;
  bad[21] ^= 0x01;
  CHECK(kind_of(bad) == image::Error::Kind::kHeaderCrc);
  bad = good;
  bad[128 + 2000] ^= 0x80;
  CHECK(kind_of(bad) == image::Error::Kind::kBitstreamCrc);
  bad = good;
  bad[img.header.network_offset + 10] ^= 0x04;
  CHECK(kind_of(bad) == image::Error::Kind::kNetworkCrc);
  // Every single-bit flip anywhere in the parts is caught.
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    bad = good;
    const auto at = rng() % good.size();
    if (at >= 128 + 3000 && at < img.header.network_offset) continue;  // padding
    bad[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    CHECK_THROWS_AS(image::parse(bad), image::Error);
  }
}

TEST_CASE("image: errors name the field and its offset") {
  const auto good = image::pack(input(3000));
  try {
    auto bad = good;
    bad[40] ^= 0xFF;  // bitstream_crc, header CRC fixed up so the layout check is reached
    const auto h = image::decode_header(good);
    auto h2 = h;
    h2.bitstream_crc ^= 0xFF;
    const auto hb = image::encode_header(h2);
    std::copy(hb.begin(), hb.end(), bad.begin());
    image::parse(bad);
    FAIL("parsed");
  } catch (const image::Error& e) {
    CHECK(e.kind() == image::Error::Kind::kBitstreamCrc);
    CHECK(e.offset() == 128);
    CHECK(std::string(e.what()).find("bitstream CRC mismatch") != std::string::npos);
  }
  try {
    auto bad = good;
    bad[124] ^= 1;
    image::parse(bad);
    FAIL("parsed");
  } catch (const image::Error& e) {
    CHECK(e.offset() == 124);
    CHECK(std::string(e.what()).find("header CRC") != std::string::npos);
  }
}

TEST_CASE("image: truncated, foreign, other-version and inconsistent images are refused") {
  const auto good = image::pack(input(3000, 600));
  auto cut = good;
  cut.resize(good.size() - 1);
  CHECK(kind_of(cut) == image::Error::Kind::kTruncated);
  cut.resize(100);
  CHECK(kind_of(cut) == image::Error::Kind::kTruncated);

  // A bare bitstream: told so.
  const auto bare = fake_bitstream(2000, 1);
  try {
    image::parse(bare);
    FAIL("parsed");
  } catch (const image::Error& e) {
    CHECK(e.kind() == image::Error::Kind::kNotImage);
    CHECK(std::string(e.what()).find("bare iCE40 bitstream") != std::string::npos);
  }
  CHECK(kind_of(std::vector<std::uint8_t>(4096, 0xFF)) == image::Error::Kind::kNotImage);

  auto h = image::decode_header(good);
  const auto with = [&](const image::Header& hh) {
    auto b = good;
    const auto hb = image::encode_header(hh);
    std::copy(hb.begin(), hb.end(), b.begin());
    return b;
  };
  auto v2 = h;
  v2.format_major = 2;
  CHECK(kind_of(with(v2)) == image::Error::Kind::kVersion);
  auto len = h;
  len.image_length += 1;
  CHECK(kind_of(with(len)) == image::Error::Kind::kLayout);
  auto flags = h;
  flags.flags = 0;  // says no network, but has one
  CHECK(kind_of(with(flags)) == image::Error::Kind::kLayout);
  auto overlap = h;
  overlap.network_offset = 256;  // inside the bitstream
  CHECK(kind_of(with(overlap)) == image::Error::Kind::kLayout);
  auto unknown = h;
  unknown.flags |= 0x80;
  CHECK(kind_of(with(unknown)) == image::Error::Kind::kLayout);
}

TEST_CASE("image: a first page without the sync word is refused") {
  auto in = input(3000);
  auto bytes = image::pack(in);
  // Erased first page after the header (as a flash interrupted before its
  // last page program would read, header apart): no sync, no boot.
  std::fill(bytes.begin() + 128, bytes.begin() + 256, 0xFF);
  auto h = image::decode_header(bytes);
  h.bitstream_crc = crc32c(std::span<const std::uint8_t>(bytes).subspan(128, 3000));
  const auto hb = image::encode_header(h);
  std::copy(hb.begin(), hb.end(), bytes.begin());
  CHECK(kind_of(bytes) == image::Error::Kind::kSync);
}

TEST_CASE("image: pack refuses what cannot boot") {
  auto in = input();
  in.bitstream.clear();
  CHECK_THROWS_AS(image::pack(in), image::Error);
  in = input();
  std::replace(in.bitstream.begin(), in.bitstream.end(), std::uint8_t{0x7E}, std::uint8_t{0x7F});
  CHECK_THROWS_WITH_AS(image::pack(in), doctest::Contains("no iCE40 sync word"), image::Error);
  in = input();
  // Sync word at byte 200 of the bitstream: past the first page.
  std::vector<std::uint8_t> late(1000, 0x00);
  std::fill(late.begin(), late.begin() + 200, std::uint8_t{0xFF});
  std::copy(image::kSyncWord.begin(), image::kSyncWord.end(), late.begin() + 200);
  in.bitstream = late;
  CHECK_THROWS_WITH_AS(image::pack(in), doctest::Contains("first 124 bytes"), image::Error);
  in = input();
  in.board_name = "a-board-name-longer-than-16";
  CHECK_THROWS_AS(image::pack(in), image::Error);
}

TEST_CASE("image: a header that would contain the sync word moves the build time on") {
  auto in = input(1000);
  in.build_time = 0x7E99AA7E;  // bytes 24..27 would read 7E AA 99 7E
  const auto bytes = image::pack(in);
  const auto img = image::parse(bytes);
  CHECK(img.header.build_time == 0x7E99AA7F);
  CHECK(*image::find_sync(bytes) >= 128);
  // A field pack may not change (the source hash) cannot be moved: refused.
  in = input(1000);
  in.source_hash = 0x7E99AA7E;
  CHECK_THROWS_WITH_AS(image::pack(in), doctest::Contains("sync word"), image::Error);
}
