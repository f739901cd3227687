#include "ftdi/simulated_fpga.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "flash/spi_nor_flash.hpp"
#include "spikelink/image.hpp"

namespace spikelink::sim {
namespace {

std::string hex(unsigned v, int digits) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%0*x", digits, v);
  return s;
}

}  // namespace

SimulatedFpga::SimulatedFpga(SimulatedFpgaOptions options, Factory factory, SpiNorFlash& flash)
    : opt_(options), factory_(std::move(factory)), flash_(flash) {
  if (!factory_) throw std::invalid_argument("SimulatedFpga: no board factory");
  if (opt_.boot_from_flash) {
    configure(0, true);
    return;
  }
  board_ = factory_(nullptr);
  if (board_->clock_hz() != opt_.clock_hz) {
    throw std::invalid_argument("SimulatedFpga: the board runs at " + std::to_string(board_->clock_hz()) +
                                " Hz, the options say " + std::to_string(opt_.clock_hz));
  }
  status_.state = State::kUser;
  status_.image_valid = true;
  status_.boots = status_.configured = 1;
  diagnostic_ = "configured at power-on with the build's own gateware (the flash was not read)";
}

SimulatedFpga::SimulatedFpga(std::unique_ptr<ChannelPort> board, SpiNorFlash& flash)
    : flash_(flash), board_(std::move(board)) {
  opt_.clock_hz = board_->clock_hz();
  status_.state = State::kUser;
  status_.image_valid = true;
  status_.boots = status_.configured = 1;
  diagnostic_ = "configured at power-on with the build's own gateware (the flash was not read)";
}

void SimulatedFpga::set_baud(double baud) {
  baud_ = baud;
  if (board_) board_->set_baud(baud);
}

void SimulatedFpga::run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board,
                        std::vector<std::uint8_t>& from_board) {
  const auto stopped = [&](std::uint64_t n) {
    cycles_ += n;
    status_.stopped_cycles += n;
    status_.dropped_to_board += to_board.size();
    to_board.clear();
  };
  while (cycles > 0) {
    if (status_.state == State::kConfiguring) {
      const std::uint64_t take = std::min(cycles, config_cycles_left_);
      stopped(take);
      cycles -= take;
      config_cycles_left_ -= take;
      if (config_cycles_left_ == 0) configured();
      continue;
    }
    if (status_.state == State::kUser && board_) {
      board_->run(cycles, to_board, from_board);
      cycles_ += cycles;
    } else {
      stopped(cycles);
    }
    cycles = 0;
  }
}

// The configuration takes its time on both clocks: channel A's (CDONE,
// which the host polls) and channel B's (the board's clocks). Whichever
// gets there first ends it on both, so a host that saw CDONE high talks to
// a running board, and a board that runs shows CDONE high.
void SimulatedFpga::configured() {
  if (status_.state != State::kConfiguring) return;
  config_cycles_left_ = 0;
  cdone_at_ns_ = std::min(cdone_at_ns_, a_now_ns_);
  status_.state = status_.image_valid ? State::kUser : State::kUnconfigured;
}

void SimulatedFpga::channel_a_time(std::uint64_t now_ns) {
  a_now_ns_ = now_ns;
  if (status_.state == State::kConfiguring && now_ns >= cdone_at_ns_) configured();
}

void SimulatedFpga::set_creset_b(bool high, std::uint64_t now_ns) {
  a_now_ns_ = now_ns;
  if (!high) {
    if (creset_low_) return;
    creset_low_ = true;
    flash_.deselect();  // the FPGA in reset lets go of the SPI bus
    status_.state = State::kReset;
    config_cycles_left_ = 0;
    if (factory_) board_.reset();  // a fresh board comes with the next configuration
    return;
  }
  if (!creset_low_) return;
  creset_low_ = false;
  configure(now_ns, false);
}

bool SimulatedFpga::cdone(std::uint64_t now_ns) const {
  if (creset_low_ || !status_.image_valid) return false;
  if (status_.state != State::kConfiguring && status_.state != State::kUser) return false;
  return now_ns >= cdone_at_ns_;
}

std::optional<BootImage> SimulatedFpga::check_flash(const SpiNorFlash& flash, std::uint16_t board_id,
                                                    std::string& why, std::size_t& bytes_read) {
  const std::span<const std::uint8_t> all = flash.contents();
  const std::span<const std::uint8_t> page = all.first(std::min(image::kFirstPage, all.size()));
  bytes_read = page.size();
  if (!flash.powered()) {
    why = "CDONE low: the flash does not answer (its power was cut: SpiNorFlash::power_on())";
    return std::nullopt;
  }
  if (!image::find_sync(page)) {
    const bool blank = std::all_of(page.begin(), page.end(), [](std::uint8_t b) { return b == 0xFF; });
    why = std::string("CDONE low: no iCE40 sync word 7E AA 99 7E in the flash's first 256-byte page (") +
          (blank ? "it is erased" : "it holds no bitstream") + ")";
    return std::nullopt;
  }
  image::Image img;
  try {
    img = image::parse(all);
  } catch (const image::Error& e) {
    // The iCE40 reads on to the end of what it takes for the bitstream
    // before its own CRC check fails.
    try {
      const image::Header h = image::decode_header(all.first(image::kHeaderBytes));
      bytes_read = std::min<std::size_t>(all.size(), std::size_t{h.bitstream_offset} + h.bitstream_length);
    } catch (const image::Error&) {
    }
    why = std::string("CDONE low: the image in flash does not configure the FPGA: ") + e.what();
    return std::nullopt;
  }
  const image::Header& h = img.header;
  bytes_read = std::size_t{h.bitstream_offset} + h.bitstream_length;
  if (h.board_id != board_id) {
    why = "CDONE low: the image in flash is for board " + hex(h.board_id, 4) +
          (h.board_name.empty() ? "" : " (" + h.board_name + ")") + ", this board is " + hex(board_id, 4);
    return std::nullopt;
  }
  BootImage b;
  b.board_id = h.board_id;
  b.gw_major = h.gw_major;
  b.gw_minor = h.gw_minor;
  b.gw_patch = h.gw_patch;
  b.source_hash = h.source_hash;
  b.network_offset = h.network_offset;
  b.network_length = h.network_length;
  b.network = std::move(img.network);
  b.bytes_read = bytes_read;
  why = "configured from flash: board " + hex(h.board_id, 4) + (h.board_name.empty() ? "" : " (" + h.board_name + ")") +
        ", gateware " + h.gateware_version() + ", source hash " + hex(h.source_hash, 8) + ", " +
        std::to_string(b.network.size()) + " bytes of network blob";
  return b;
}

void SimulatedFpga::configure(std::uint64_t now_ns, bool power_on) {
  ++status_.boots;
  std::size_t bytes = 0;
  std::optional<BootImage> img = check_flash(flash_, opt_.board_id, diagnostic_, bytes);
  const double seconds = static_cast<double>(bytes) * 8 / opt_.config_spi_hz;
  const auto boot_ns = static_cast<std::uint64_t>(std::llround(seconds * 1e9));
  status_.last_boot_ns = boot_ns;
  // Simulated time starts once the power-on configuration is done: a host
  // does not talk to a board in the first 100 ms after plugging it in.
  config_cycles_left_ =
      power_on ? 0 : static_cast<std::uint64_t>(std::llround(seconds * static_cast<double>(opt_.clock_hz)));
  cdone_at_ns_ = power_on ? now_ns : now_ns + boot_ns;
  status_.image_valid = img.has_value();
  status_.state = config_cycles_left_ > 0 ? State::kConfiguring
                  : img                   ? State::kUser
                                          : State::kUnconfigured;
  if (img) {
    ++status_.configured;
    diagnostic_ += " (" + std::to_string(bytes) + " bytes read in " + std::to_string(boot_ns / 1000) + " us)";
    if (factory_) {
      board_ = factory_(&*img);
      if (board_->clock_hz() != opt_.clock_hz) {
        throw std::logic_error("SimulatedFpga: the factory's board runs at " + std::to_string(board_->clock_hz()) +
                               " Hz, the options say " + std::to_string(opt_.clock_hz));
      }
      if (baud_) board_->set_baud(*baud_);
    }
  } else if (factory_) {
    board_.reset();
  }
  status_.image = std::move(img);
}

}  // namespace spikelink::sim
