// Firmware images (docs/image-format.md): a 128-byte header, the FPGA
// bitstream and an optional network blob, stored in a board's flash from
// address 0 exactly as in the file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikelink::image {

inline constexpr std::size_t kHeaderBytes = 128;
inline constexpr std::uint16_t kFormatMajor = 1;
inline constexpr std::uint16_t kFormatMinor = 0;
inline constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'P', 'K', 'L', 'I', 'M', 'G', 0};
// The iCE40's synchronisation word: configuration starts after it.
inline constexpr std::array<std::uint8_t, 4> kSyncWord = {0x7E, 0xAA, 0x99, 0x7E};
// The flash page the header and the sync word share; written last.
inline constexpr std::size_t kFirstPage = 256;
// Parts after the bitstream start on a page boundary.
inline constexpr std::size_t kPartAlign = 256;
inline constexpr std::uint8_t kFlagNetwork = 0x01;

class Error : public std::runtime_error {
 public:
  enum class Kind {
    kTruncated,     // fewer bytes than the header or a part needs
    kNotImage,      // not a spikelink image (no magic)
    kVersion,       // another format major
    kHeaderCrc,
    kLayout,        // offsets, lengths or flags that contradict each other
    kBitstreamCrc,
    kNetworkCrc,
    kSync,          // no iCE40 sync word in the first page
    kInput,         // pack: unusable input
  };
  Error(Kind kind, std::size_t offset, const std::string& what)
      : std::runtime_error(what), kind_(kind), offset_(offset) {}
  Kind kind() const { return kind_; }
  // The byte offset in the image the problem is at.
  std::size_t offset() const { return offset_; }

 private:
  Kind kind_;
  std::size_t offset_;
};

struct Header {
  std::uint16_t format_major = kFormatMajor;
  std::uint16_t format_minor = kFormatMinor;
  std::uint16_t header_bytes = kHeaderBytes;
  std::uint16_t board_id = 0;
  std::uint8_t gw_major = 0;
  std::uint8_t gw_minor = 0;
  std::uint8_t gw_patch = 0;
  std::uint8_t flags = 0;
  std::uint32_t source_hash = 0;
  std::uint64_t build_time = 0;  // seconds since 1970-01-01 UTC
  std::uint32_t bitstream_offset = kHeaderBytes;
  std::uint32_t bitstream_length = 0;
  std::uint32_t bitstream_crc = 0;
  std::uint32_t network_offset = 0;
  std::uint32_t network_length = 0;
  std::uint32_t network_crc = 0;
  std::uint32_t image_length = 0;
  std::string board_name;  // at most 16 ASCII characters
  std::uint32_t header_crc = 0;

  bool has_network() const { return (flags & kFlagNetwork) != 0; }
  std::string gateware_version() const;  // "major.minor.patch"
};

// The header's 128 bytes; header_crc is computed here (the field's value
// in `h` is ignored).
std::array<std::uint8_t, kHeaderBytes> encode_header(const Header& h);
// Checks the magic, the format major, the header length and the header
// CRC; throws Error naming the field and its offset.
Header decode_header(std::span<const std::uint8_t> bytes);

struct Image {
  Header header;
  std::vector<std::uint8_t> bitstream;
  std::vector<std::uint8_t> network;  // empty without a network
};

// Decodes and checks a whole image: the header, the layout, both parts'
// CRCs and the sync word in the first page. `bytes` may run past the image
// (a flash's contents); only header.image_length bytes are read.
Image parse(std::span<const std::uint8_t> bytes);

// The offset of the first sync word in `bytes`, if any.
std::optional<std::size_t> find_sync(std::span<const std::uint8_t> bytes);

struct PackInput {
  std::uint16_t board_id = 0;
  std::string board_name;
  std::uint8_t gw_major = 0;
  std::uint8_t gw_minor = 0;
  std::uint8_t gw_patch = 0;
  std::uint32_t source_hash = 0;
  std::uint64_t build_time = 0;
  std::vector<std::uint8_t> bitstream;
  std::vector<std::uint8_t> network;  // optional
};

// Builds an image. Throws Error(kInput) for an empty bitstream, one whose
// sync word would not land in the first page, a board name longer than 16
// characters or an image over 4 GiB. When the header's bytes happen to
// contain the sync word, the build time is moved on by a second until they
// do not (docs/image-format.md section 4).
std::vector<std::uint8_t> pack(const PackInput& in);

// The bytes that hold a part, as [offset, offset + length).
struct Extent {
  std::size_t offset;
  std::size_t length;
};
// Header, bitstream and network (when present), in flash order.
std::vector<Extent> extents(const Header& h);

}  // namespace spikelink::image
