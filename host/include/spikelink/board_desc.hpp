// Board descriptions (firmware/boards/*/board.yaml, docs/boards.md): what
// the host needs to know about a board to open, flash and talk to it. The
// descriptions in the source tree are compiled in; more can be loaded from
// files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikelink {

struct BoardDescription {
  std::string name;
  std::uint16_t board_id = 0;
  std::string description;
  std::uint16_t usb_vid = 0;
  std::uint16_t usb_pid = 0;
  int flash_interface = 0;  // channel A (MPSSE)
  int link_interface = 1;   // channel B (UART)
  // ADBUS bit numbers of the MPSSE pins.
  struct Pins {
    unsigned sck = 0, mosi = 1, miso = 2, cs = 4, cdone = 6, creset = 7;
  } pins;
  std::size_t flash_size = 0;
  std::array<std::uint8_t, 3> flash_jedec{};
  std::size_t page_bytes = 256;
  std::vector<std::size_t> erase_bytes;  // ascending
  std::uint64_t oscillator_hz = 0;
  std::uint64_t core_hz = 0;
  std::uint32_t baud = 0;
  std::uint32_t max_baud = 0;
  std::size_t image_offset = 0;
  std::size_t image_max_bytes = 0;
  std::string source;  // where it came from: a file path or "built in"
};

class BoardDescriptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a description; `source` names it in errors (file:line:column).
BoardDescription parse_board_description(const std::string& yaml, const std::string& source);
BoardDescription load_board_description(const std::string& path);
// The descriptions compiled in from firmware/boards/.
const std::vector<BoardDescription>& builtin_boards();
// A built-in board by name or board id ("icebreaker", "1", "0x0001");
// throws BoardDescriptionError listing the known boards.
const BoardDescription& find_board(const std::string& name_or_id);
const BoardDescription& find_board(std::uint16_t board_id);

}  // namespace spikelink
