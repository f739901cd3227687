// sim::SimulatedFpga: the iCE40 between the FT2232H's two channels. On
// channel B it is the board (a ChannelPort it makes and re-makes); on
// channel A (ConfigPort) it has CRESET_B, CDONE and the SPI flash it boots
// from. While CRESET_B is low, or when the flash held no image that
// configures, the board is stopped: channel-B time still passes (so
// Ft2232hModel's latency timer runs out) and host bytes are dropped and
// counted. On CRESET_B's rising edge it reads the flash as an iCE40 does
// (taking the time that takes at its configuration SPI clock), and starts a
// fresh board with the image's identity if the image is valid and for this
// board. docs/sim-flash.md.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ftdi/channel_port.hpp"

namespace spikelink::sim {

class SpiNorFlash;

// What the image in flash tells the gateware about itself (header fields,
// docs/image-format.md §2), and its network blob.
struct BootImage {
  std::uint16_t board_id = 0;
  std::uint8_t gw_major = 0;
  std::uint8_t gw_minor = 0;
  std::uint8_t gw_patch = 0;
  std::uint32_t source_hash = 0;
  std::uint32_t network_offset = 0;
  std::uint32_t network_length = 0;
  std::vector<std::uint8_t> network;  // the blob's bytes (empty without one)
  std::size_t bytes_read = 0;         // what the iCE40 read: header and bitstream
};

struct SimulatedFpgaOptions {
  // Channel B's clock (the board's); a board the factory makes must have it.
  std::uint64_t clock_hz = 24'000'000;
  // The board this FPGA sits on: an image for another board does not
  // configure (0x0001: the iCEBreaker).
  std::uint16_t board_id = 0x0001;
  // The iCE40's configuration SPI clock. Its default oscillator setting is
  // 7..10 MHz (iCE40 HX data sheet, "Internal Oscillator Frequency"); the
  // slowest is used, so a simulated boot is never quicker than a board's.
  double config_spi_hz = 7e6;
  // Power-on: configure from flash (sim://?flash=PATH), or come up with the
  // build's own gateware already configured (factory(nullptr)).
  bool boot_from_flash = false;
};

class SimulatedFpga final : public ChannelPort, public ConfigPort {
 public:
  // Makes the board the FPGA runs: nullptr = the build's own gateware
  // (power-on without boot_from_flash), else the image from flash.
  using Factory = std::function<std::unique_ptr<ChannelPort>(const BootImage* image)>;
  enum class State {
    kReset,         // CRESET_B low
    kConfiguring,   // reading the flash
    kUser,          // configured: the board runs (CDONE high)
    kUnconfigured,  // the flash held nothing that configures (CDONE low)
  };
  struct Status {
    State state = State::kReset;
    bool image_valid = false;
    std::uint64_t boots = 0;             // configurations attempted (power-on included)
    std::uint64_t configured = 0;        // ... that succeeded
    std::uint64_t dropped_to_board = 0;  // host bytes on channel B while no board ran
    std::uint64_t stopped_cycles = 0;    // channel-B clocks with no board running
    std::uint64_t last_boot_ns = 0;      // the last configuration's duration
    std::optional<BootImage> image;      // what the last configuration found
  };

  SimulatedFpga(SimulatedFpgaOptions options, Factory factory, SpiNorFlash& flash);
  // A fixed board (no factory): configuring re-starts the same board.
  SimulatedFpga(std::unique_ptr<ChannelPort> board, SpiNorFlash& flash);

  // ChannelPort (channel B).
  std::uint64_t clock_hz() const override { return opt_.clock_hz; }
  void set_baud(double baud) override;
  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board, std::vector<std::uint8_t>& from_board) override;
  std::uint64_t cycles() const override { return cycles_; }

  // ConfigPort (channel A).
  SpiNorFlash* flash() override { return &flash_; }
  void set_creset_b(bool high, std::uint64_t now_ns) override;
  bool cdone(std::uint64_t now_ns) const override;
  void channel_a_time(std::uint64_t now_ns) override;

  const std::string& diagnostic() const { return diagnostic_; }
  const Status& status() const { return status_; }
  ChannelPort* board() { return board_.get(); }
  const SimulatedFpgaOptions& options() const { return opt_; }

  // Reads the flash as the iCE40 would: the image it configures with, or
  // nullopt and why not in `why`. Public for tests and tools.
  static std::optional<BootImage> check_flash(const SpiNorFlash& flash, std::uint16_t board_id, std::string& why,
                                              std::size_t& bytes_read);

 private:
  void configure(std::uint64_t now_ns, bool power_on);
  void configured();  // the configuration time is over on one of the two clocks

  SimulatedFpgaOptions opt_;
  Factory factory_;
  SpiNorFlash& flash_;
  std::unique_ptr<ChannelPort> board_;
  std::optional<double> baud_;
  std::uint64_t cycles_ = 0;
  std::uint64_t config_cycles_left_ = 0;  // channel-B clocks until the board starts
  std::uint64_t cdone_at_ns_ = 0;         // channel-A time CDONE rises
  std::uint64_t a_now_ns_ = 0;            // channel A's time, last heard
  bool creset_low_ = false;
  std::string diagnostic_;
  Status status_{};
};

}  // namespace spikelink::sim
