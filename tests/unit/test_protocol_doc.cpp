// docs/protocol.md quotes the worked examples byte for byte; this keeps the
// document and the codec in step.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../common/stream_fixture.hpp"
#include "../common/wire_examples.hpp"

using namespace spikelink;

namespace {

std::string read_doc() {
  std::ifstream f(SPIKELINK_SOURCE_DIR "/docs/protocol.md");
  REQUIRE_MESSAGE(f.good(), "cannot open docs/protocol.md");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Hex bytes after `key` on the first line starting with it, after `from`.
std::vector<std::uint8_t> hex_after(const std::string& doc, std::size_t from, const std::string& key) {
  const std::size_t at = doc.find("\n" + key, from);
  REQUIRE_MESSAGE(at != std::string::npos, "no '", key, "' line after offset ", from);
  const std::size_t eol = doc.find('\n', at + 1);
  std::istringstream line(doc.substr(at + 1 + key.size(), eol - at - 1 - key.size()));
  std::vector<std::uint8_t> out;
  std::string tok;
  while (line >> tok) out.push_back(static_cast<std::uint8_t>(std::stoul(tok, nullptr, 16)));
  return out;
}

// The 32-bit word on the example's "crc32c:" line.
std::uint32_t crc_after(const std::string& doc, std::size_t from) {
  const std::string key = "\ncrc32c: ";
  const std::size_t at = doc.find(key, from);
  REQUIRE_MESSAGE(at != std::string::npos, "no 'crc32c:' line after offset ", from);
  return static_cast<std::uint32_t>(std::stoul(doc.substr(at + key.size(), 8), nullptr, 16));
}

}  // namespace

TEST_CASE("protocol doc: every worked example matches the codec byte for byte") {
  const std::string doc = read_doc();
  std::array<bool, 16> covered{};
  for (const auto& e : examples::wire_examples()) {
    CAPTURE(e.name);
    const std::size_t at = doc.find("<!-- wire-example " + e.name + " -->");
    REQUIRE_MESSAGE(at != std::string::npos, "docs/protocol.md has no example ", e.name);
    CHECK(hex_after(doc, at, "frame:") == examples::raw_of(e));
    CHECK(hex_after(doc, at, "wire:") == examples::wire_of(e));
    CHECK(crc_after(doc, at) == crc32c(examples::raw_of(e)));
    covered[static_cast<std::size_t>(proto::type_of(e.msg))] = true;
  }
  for (unsigned t = 1; t <= 15; ++t) CHECK_MESSAGE(covered[t], "no worked example for frame type ", t);
}

TEST_CASE("protocol doc: the examples decode back to their messages") {
  for (const auto& e : examples::wire_examples()) {
    CAPTURE(e.name);
    testing::Collected c;
    Receiver rx;
    rx.feed(examples::wire_of(e), c);
    REQUIRE(c.got.size() == 1);
    CHECK(c.got[0].first == e.seq);
    CHECK(c.got[0].second == e.msg);
  }
}
