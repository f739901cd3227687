#include <doctest/doctest.h>

#include <vector>

#include "../common/random_messages.hpp"
#include "spikelink/cobs.hpp"

using namespace spikelink;
using Bytes = std::vector<std::uint8_t>;

namespace {
Bytes enc(const Bytes& in) {
  Bytes out(cobs::max_encoded_size(in.size()));
  out.resize(cobs::encode(in, out.data()));
  return out;
}
std::optional<Bytes> dec(const Bytes& in) {
  Bytes out(in.size());
  auto n = cobs::decode(in, out.data());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}
}  // namespace

TEST_CASE("cobs: the textbook vectors") {
  CHECK(enc({}) == Bytes{0x01});
  CHECK(enc({0x00}) == Bytes{0x01, 0x01});
  CHECK(enc({0x00, 0x00}) == Bytes{0x01, 0x01, 0x01});
  CHECK(enc({0x00, 0x11, 0x00}) == Bytes{0x01, 0x02, 0x11, 0x01});
  CHECK(enc({0x11, 0x22, 0x00, 0x33}) == Bytes{0x03, 0x11, 0x22, 0x02, 0x33});
  CHECK(enc({0x11, 0x22, 0x33, 0x44}) == Bytes{0x05, 0x11, 0x22, 0x33, 0x44});
  CHECK(enc({0x11, 0x00, 0x00, 0x00}) == Bytes{0x02, 0x11, 0x01, 0x01, 0x01});
}

TEST_CASE("cobs: a 254-byte run encodes to 255 bytes, one more byte opens a block") {
  Bytes run(254);
  for (std::size_t i = 0; i < run.size(); ++i) run[i] = static_cast<std::uint8_t>(1 + i % 255);
  const Bytes e = enc(run);
  REQUIRE(e.size() == 255);
  CHECK(e[0] == 0xFF);
  CHECK(dec(e) == run);

  Bytes longer = run;
  longer.push_back(0x42);
  const Bytes e2 = enc(longer);
  REQUIRE(e2.size() == 257);
  CHECK(e2[0] == 0xFF);
  CHECK(e2[255] == 0x02);
  CHECK(dec(e2) == longer);
}

TEST_CASE("cobs: random round trips, never a zero in the output, overhead one byte up to 254") {
  testing::Rng rng(1);
  for (int i = 0; i < 2000; ++i) {
    const auto n = testing::uniform<std::size_t>(rng, 0, 600);
    const Bytes in = testing::random_bytes(rng, n, testing::uniform<unsigned>(rng, 0, 60));
    const Bytes e = enc(in);
    CHECK(std::find(e.begin(), e.end(), 0) == e.end());
    if (n <= 254) CHECK(e.size() == n + 1);
    CHECK(e.size() <= cobs::max_encoded_size(n));
    CHECK(dec(e) == in);
  }
}

TEST_CASE("cobs: a block that runs past the group is an error") {
  CHECK_FALSE(dec({0x05, 0x11, 0x22}).has_value());
  CHECK_FALSE(dec({0x02}).has_value());
  CHECK_FALSE(dec({0x01, 0x03, 0x11}).has_value());
  CHECK(dec({0x01}) == Bytes{});
}
