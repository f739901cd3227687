#include "spikelink/image.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "spikelink/crc32c.hpp"

namespace spikelink::image {
namespace {

// Field offsets (docs/image-format.md section 2).
constexpr std::size_t kOffMagic = 0, kOffMajor = 8, kOffMinor = 10, kOffHeaderBytes = 12, kOffBoardId = 14,
                      kOffGwMajor = 16, kOffGwMinor = 17, kOffGwPatch = 18, kOffFlags = 19, kOffSourceHash = 20,
                      kOffBuildTime = 24, kOffBitOffset = 32, kOffBitLength = 36, kOffBitCrc = 40,
                      kOffNetOffset = 44, kOffNetLength = 48, kOffNetCrc = 52, kOffImageLength = 56,
                      kOffBoardName = 60, kBoardNameBytes = 16, kOffHeaderCrc = 124;

template <class T>
void put(std::span<std::uint8_t> b, std::size_t at, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) b[at + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i));
}

template <class T>
T get(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
  return static_cast<T>(v);
}

std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

}  // namespace

std::string Header::gateware_version() const { return fmt::format("{}.{}.{}", gw_major, gw_minor, gw_patch); }

std::array<std::uint8_t, kHeaderBytes> encode_header(const Header& h) {
  std::array<std::uint8_t, kHeaderBytes> out{};
  std::span<std::uint8_t> b(out);
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  put(b, kOffMajor, h.format_major);
  put(b, kOffMinor, h.format_minor);
  put(b, kOffHeaderBytes, h.header_bytes);
  put(b, kOffBoardId, h.board_id);
  put(b, kOffGwMajor, h.gw_major);
  put(b, kOffGwMinor, h.gw_minor);
  put(b, kOffGwPatch, h.gw_patch);
  put(b, kOffFlags, h.flags);
  put(b, kOffSourceHash, h.source_hash);
  put(b, kOffBuildTime, h.build_time);
  put(b, kOffBitOffset, h.bitstream_offset);
  put(b, kOffBitLength, h.bitstream_length);
  put(b, kOffBitCrc, h.bitstream_crc);
  put(b, kOffNetOffset, h.network_offset);
  put(b, kOffNetLength, h.network_length);
  put(b, kOffNetCrc, h.network_crc);
  put(b, kOffImageLength, h.image_length);
  std::memcpy(out.data() + kOffBoardName, h.board_name.data(), std::min(h.board_name.size(), kBoardNameBytes));
  put(b, kOffHeaderCrc, crc32c(b.first(kOffHeaderCrc)));
  return out;
}

Header decode_header(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderBytes)
    throw Error(Error::Kind::kTruncated, b.size(),
                fmt::format("truncated: {} bytes, a spikelink image header has {}", b.size(), kHeaderBytes));
  if (!std::equal(kMagic.begin(), kMagic.end(), b.begin())) {
    const bool bitstream = find_sync(b.first(std::min(b.size(), kFirstPage))).has_value();
    throw Error(Error::Kind::kNotImage, kOffMagic,
                bitstream ? "not a spikelink image (no 'SPKLIMG' magic at offset 0): this looks like a bare "
                            "iCE40 bitstream; make an image with 'spikelink image pack'"
                          : "not a spikelink image (no 'SPKLIMG' magic at offset 0)");
  }
  Header h;
  h.format_major = get<std::uint16_t>(b, kOffMajor);
  h.format_minor = get<std::uint16_t>(b, kOffMinor);
  if (h.format_major != kFormatMajor)
    throw Error(Error::Kind::kVersion, kOffMajor,
                fmt::format("image format {}.{} at offset {}: this tool reads format {}.x; use a spikelink that "
                            "knows it",
                            h.format_major, h.format_minor, kOffMajor, kFormatMajor));
  h.header_bytes = get<std::uint16_t>(b, kOffHeaderBytes);
  if (h.header_bytes != kHeaderBytes)
    throw Error(Error::Kind::kLayout, kOffHeaderBytes,
                fmt::format("header_bytes at offset {} is {}, format 1 has {}", kOffHeaderBytes, h.header_bytes,
                            kHeaderBytes));
  h.header_crc = get<std::uint32_t>(b, kOffHeaderCrc);
  const std::uint32_t crc = crc32c(b.first(kOffHeaderCrc));
  if (crc != h.header_crc)
    throw Error(Error::Kind::kHeaderCrc, kOffHeaderCrc,
                fmt::format("header CRC mismatch at offset {}: stored {:08x}, bytes 0..123 give {:08x} (the header "
                            "is damaged)",
                            kOffHeaderCrc, h.header_crc, crc));
  h.board_id = get<std::uint16_t>(b, kOffBoardId);
  h.gw_major = b[kOffGwMajor];
  h.gw_minor = b[kOffGwMinor];
  h.gw_patch = b[kOffGwPatch];
  h.flags = b[kOffFlags];
  h.source_hash = get<std::uint32_t>(b, kOffSourceHash);
  h.build_time = get<std::uint64_t>(b, kOffBuildTime);
  h.bitstream_offset = get<std::uint32_t>(b, kOffBitOffset);
  h.bitstream_length = get<std::uint32_t>(b, kOffBitLength);
  h.bitstream_crc = get<std::uint32_t>(b, kOffBitCrc);
  h.network_offset = get<std::uint32_t>(b, kOffNetOffset);
  h.network_length = get<std::uint32_t>(b, kOffNetLength);
  h.network_crc = get<std::uint32_t>(b, kOffNetCrc);
  h.image_length = get<std::uint32_t>(b, kOffImageLength);
  const auto* name = reinterpret_cast<const char*>(b.data() + kOffBoardName);
  h.board_name.assign(name, strnlen(name, kBoardNameBytes));

  // Layout: the parts in order, inside the image, flags agreeing.
  const auto layout = [](std::size_t off, const std::string& what) {
    return Error(Error::Kind::kLayout, off, fmt::format("inconsistent header at offset {}: {}", off, what));
  };
  if (h.flags & ~kFlagNetwork) throw layout(kOffFlags, fmt::format("unknown flags {:#04x}", h.flags));
  if (h.bitstream_offset != kHeaderBytes)
    throw layout(kOffBitOffset, fmt::format("bitstream_offset {} (must be {})", h.bitstream_offset, kHeaderBytes));
  if (h.bitstream_length == 0) throw layout(kOffBitLength, "bitstream_length is 0");
  const std::uint64_t bit_end = std::uint64_t{h.bitstream_offset} + h.bitstream_length;
  if (h.has_network() != (h.network_length != 0))
    throw layout(kOffNetLength, fmt::format("flags say {} network but network_length is {}",
                                            h.has_network() ? "a" : "no", h.network_length));
  std::uint64_t end = bit_end;
  if (h.has_network()) {
    if (h.network_offset < bit_end || h.network_offset % kPartAlign != 0)
      throw layout(kOffNetOffset, fmt::format("network_offset {} (must be page-aligned, at or after the "
                                              "bitstream's end {})",
                                              h.network_offset, bit_end));
    end = std::uint64_t{h.network_offset} + h.network_length;
  } else if (h.network_offset != 0 || h.network_crc != 0) {
    throw layout(kOffNetOffset, "network_offset and network_crc must be 0 without a network");
  }
  if (h.image_length != end)
    throw layout(kOffImageLength, fmt::format("image_length {} but the parts end at {}", h.image_length, end));
  return h;
}

std::optional<std::size_t> find_sync(std::span<const std::uint8_t> bytes) {
  const auto it = std::search(bytes.begin(), bytes.end(), kSyncWord.begin(), kSyncWord.end());
  if (it == bytes.end()) return std::nullopt;
  return static_cast<std::size_t>(it - bytes.begin());
}

std::vector<Extent> extents(const Header& h) {
  std::vector<Extent> out{{0, kHeaderBytes}, {h.bitstream_offset, h.bitstream_length}};
  if (h.has_network()) out.push_back({h.network_offset, h.network_length});
  return out;
}

Image parse(std::span<const std::uint8_t> bytes) {
  Image img;
  img.header = decode_header(bytes);
  const Header& h = img.header;
  if (bytes.size() < h.image_length)
    throw Error(Error::Kind::kTruncated, bytes.size(),
                fmt::format("truncated: the header says the image has {} bytes, there are {}", h.image_length,
                            bytes.size()));
  const auto first_page = bytes.first(std::min<std::size_t>(kFirstPage, h.image_length));
  const auto sync = find_sync(first_page);
  if (!sync || *sync < kHeaderBytes)
    throw Error(Error::Kind::kSync, sync.value_or(kHeaderBytes),
                sync ? fmt::format("the iCE40 sync word appears inside the header at offset {}", *sync)
                     : fmt::format("no iCE40 sync word (7E AA 99 7E) in the first {} bytes: the bitstream is "
                                   "not an iCE40 bitstream or is damaged",
                                   first_page.size()));
  const auto bit = bytes.subspan(h.bitstream_offset, h.bitstream_length);
  if (const auto crc = crc32c(bit); crc != h.bitstream_crc)
    throw Error(Error::Kind::kBitstreamCrc, h.bitstream_offset,
                fmt::format("bitstream CRC mismatch (bytes {}..{}): header says {:08x}, the bytes give {:08x}",
                            h.bitstream_offset, h.bitstream_offset + h.bitstream_length - 1, h.bitstream_crc, crc));
  img.bitstream.assign(bit.begin(), bit.end());
  if (h.has_network()) {
    const auto net = bytes.subspan(h.network_offset, h.network_length);
    if (const auto crc = crc32c(net); crc != h.network_crc)
      throw Error(Error::Kind::kNetworkCrc, h.network_offset,
                  fmt::format("network blob CRC mismatch (bytes {}..{}): header says {:08x}, the bytes give {:08x}",
                              h.network_offset, h.network_offset + h.network_length - 1, h.network_crc, crc));
    img.network.assign(net.begin(), net.end());
  }
  return img;
}

std::vector<std::uint8_t> pack(const PackInput& in) {
  if (in.bitstream.empty()) throw Error(Error::Kind::kInput, 0, "the bitstream is empty");
  const auto sync = find_sync(in.bitstream);
  if (!sync)
    throw Error(Error::Kind::kInput, 0, "the bitstream has no iCE40 sync word (7E AA 99 7E): is it icepack output?");
  if (kHeaderBytes + *sync + kSyncWord.size() > kFirstPage)
    throw Error(Error::Kind::kInput, *sync,
                fmt::format("the bitstream's sync word is at byte {}; it must lie in the first {} bytes so the "
                            "image's first page holds it (docs/image-format.md section 1)",
                            *sync, kFirstPage - kHeaderBytes - kSyncWord.size()));
  if (in.board_name.size() > kBoardNameBytes)
    throw Error(Error::Kind::kInput, kOffBoardName,
                fmt::format("board name '{}' is longer than {} characters", in.board_name, kBoardNameBytes));
  Header h;
  h.board_id = in.board_id;
  h.board_name = in.board_name;
  h.gw_major = in.gw_major;
  h.gw_minor = in.gw_minor;
  h.gw_patch = in.gw_patch;
  h.source_hash = in.source_hash;
  h.build_time = in.build_time;
  h.bitstream_length = static_cast<std::uint32_t>(in.bitstream.size());
  h.bitstream_crc = crc32c(in.bitstream);
  std::uint64_t end = kHeaderBytes + in.bitstream.size();
  if (!in.network.empty()) {
    h.flags |= kFlagNetwork;
    h.network_offset = static_cast<std::uint32_t>(align_up(static_cast<std::size_t>(end), kPartAlign));
    h.network_length = static_cast<std::uint32_t>(in.network.size());
    h.network_crc = crc32c(in.network);
    end = std::uint64_t{h.network_offset} + in.network.size();
  }
  if (end > std::numeric_limits<std::uint32_t>::max())
    throw Error(Error::Kind::kInput, 0, "the image would be larger than 4 GiB");
  h.image_length = static_cast<std::uint32_t>(end);

  std::vector<std::uint8_t> out(h.image_length, 0xFF);  // padding reads as erased flash
  std::copy(in.bitstream.begin(), in.bitstream.end(), out.begin() + kHeaderBytes);
  // The FPGA starts at the first sync word: none may start in the header.
  // Only the build time may move (a second at a time; the CRC moves too).
  for (int tries = 0;; ++tries) {
    const auto hb = encode_header(h);
    std::copy(hb.begin(), hb.end(), out.begin());
    const auto s = find_sync(std::span<const std::uint8_t>(out).first(kHeaderBytes + 3));
    if (!s || *s >= kHeaderBytes) break;
    if (tries == 16)
      throw Error(Error::Kind::kInput, *s,
                  fmt::format("the header's fields hold the iCE40 sync word at offset {} whatever the build time "
                              "(change the source hash or version)",
                              *s));
    ++h.build_time;
  }
  if (!in.network.empty()) std::copy(in.network.begin(), in.network.end(), out.begin() + h.network_offset);
  return out;
}

}  // namespace spikelink::image
