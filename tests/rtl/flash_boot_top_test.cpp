// spikelink_top's boot (docs/link.md §4.2) at its pins: while the boot
// loader replays a flash image's network blob, the PHY is shut out (bytes
// that come anyway, on the byte port or the UART, are dropped and counted
// in rx_uart_errors), nothing is sent to the host, and the blob's frames
// take effect.
#include <doctest/doctest.h>

#include <Vspikelink_top.h>

#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <variant>
#include <vector>

#include "common/verilated_model.hpp"
#include "flash/spi_nor_flash.hpp"
#include "spikelink/image.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/protocol.hpp"

namespace spikelink::rtl_test {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kRegScratch = 0x0013;
constexpr std::uint16_t kRegBootStatus = 0x0024;
constexpr std::uint16_t kCntUartErrors = 0x0100 + 15;
constexpr unsigned kClksPerBit = 8;  // the top's default, as tests/rtl verilates it

struct Collect {
  std::vector<proto::Message> messages;
  void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent>, std::uint8_t) {}
  void on_message(const proto::Message& m, std::uint8_t) { messages.push_back(m); }
};

Bytes image_with_scratch(std::uint32_t value) {
  Transmitter tx;
  Bytes blob;
  for (std::uint32_t i = 0; i < 20; ++i) tx.append(proto::RegWrite{{{kRegScratch, value + i}}}, blob);
  image::PackInput in;
  in.board_name = "sim";
  in.bitstream = {0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E, 1, 2, 3};
  in.network = blob;
  return image::pack(in);
}

class BootTop {
 public:
  explicit BootTop(const Bytes& img) {
    flash_.backdoor_write(0, img);
    auto& t = m_.top;
    t.clk_i = 0;
    t.rst_ni = 0;
    t.uart_rx_i = 1;
    t.byte_mode_i = 1;
    t.byte_rx_valid_i = 0;
    t.byte_tx_ready_i = 1;
    t.flash_miso_i = 1;
    t.eval();
    for (int i = 0; i < 4; ++i) tick();
    t.rst_ni = 1;
  }

  // One clock; the flash sees the pins of the last edge.
  void tick() {
    auto& t = m_.top;
    t.flash_miso_i = flash_.pins(t.flash_csn_o, t.flash_sck_o, t.flash_mosi_o) ? 1 : 0;
    t.clk_i = 0;
    t.eval();
    if (t.rst_ni && t.byte_tx_valid_o && t.byte_tx_ready_i) from_board_.push_back(t.byte_tx_data_o);
    t.clk_i = 1;
    t.eval();
    ++m_.cycles;
  }

  // Host bytes on the byte port, only while it is ready.
  proto::Message call(const proto::Message& msg) {
    auto& t = m_.top;
    Bytes wire;
    tx_.append(msg, wire);
    std::deque<std::uint8_t> q(wire.begin(), wire.end());
    const std::size_t had = got_.messages.size();
    for (std::uint64_t n = 0; n < 200'000; ++n) {
      if (!q.empty() && t.byte_rx_ready_o) {
        t.byte_rx_valid_i = 1;
        t.byte_rx_data_i = q.front();
        q.pop_front();
      } else {
        t.byte_rx_valid_i = 0;
      }
      tick();
      rx_.feed(std::span<const std::uint8_t>(from_board_), got_);
      from_board_.clear();
      for (std::size_t i = had; i < got_.messages.size(); ++i) {
        if (!std::holds_alternative<proto::Credit>(got_.messages[i])) return got_.messages[i];
      }
    }
    throw std::runtime_error("no reply from the board");
  }
  std::uint32_t reg(std::uint16_t addr) {
    const proto::Message r = call(proto::RegRead{addr, 1});
    const auto* d = std::get_if<proto::RegData>(&r);
    if (d == nullptr || d->values.size() != 1) throw std::runtime_error("REG_READ: no REG_DATA");
    return d->values[0];
  }

  // A byte on the byte port once it is ready.
  void send_byte(std::uint8_t v) {
    auto& t = m_.top;
    while (!t.byte_rx_ready_o) tick();
    t.byte_rx_valid_i = 1;
    t.byte_rx_data_i = v;
    tick();
    t.byte_rx_valid_i = 0;
  }

  auto& top() { return m_.top; }
  sim::SpiNorFlash& flash() { return flash_; }
  const Bytes& from_board() const { return from_board_; }
  std::uint64_t cycles() const { return m_.cycles; }

 private:
  sim::VerilatedModel<Vspikelink_top> m_{"boot top"};
  sim::SpiNorFlash flash_;
  Bytes from_board_;
  Transmitter tx_;
  Receiver rx_{proto::Sender::kBoard};
  Collect got_;
};

TEST_CASE("boot top: byte port bytes offered while booting are dropped and counted") {
  BootTop b(image_with_scratch(0x1000));
  auto& t = b.top();
  unsigned dropped = 0;
  while (!t.byte_rx_ready_o) {
    REQUIRE(b.cycles() < 1'000'000);
    // An IDENTIFY_REQ's bytes, over and over, ignoring ready.
    t.byte_rx_valid_i = 1;
    t.byte_rx_data_i = static_cast<std::uint8_t>(dropped % 3 == 2 ? 0x00 : 0x02);
    b.tick();
    ++dropped;
  }
  t.byte_rx_valid_i = 0;
  CHECK(b.from_board().empty());  // the blob's replies were not sent
  CHECK(b.flash().counters().bytes_read > 128);
  CHECK(t.flash_csn_o == 1);
  CHECK(b.reg(kRegBootStatus) == 1);
  CHECK(b.reg(kRegScratch) == 0x1000 + 19);
  CHECK(b.reg(kCntUartErrors) == dropped);
}

TEST_CASE("boot top: UART bytes that arrive while booting are dropped and counted") {
  BootTop b(image_with_scratch(0x2000));
  auto& t = b.top();
  t.byte_mode_i = 0;
  unsigned sent = 0;
  std::uint64_t bit_clock = 0;
  std::uint32_t frame = 0;
  unsigned bits_left = 0;
  // Bytes back to back on uart_rx_i until the boot is done; a byte still on
  // the line then is finished (it is dropped too, or not, by when it ends).
  while (!t.byte_rx_ready_o || bits_left != 0) {
    REQUIRE(b.cycles() < 2'000'000);
    if (bits_left == 0 && !t.byte_rx_ready_o) {
      frame = (1U << 9) | (0x55U << 1);
      bits_left = 10;
      bit_clock = 0;
      ++sent;
    }
    t.uart_rx_i = bits_left != 0 ? (frame & 1U) : 1;
    b.tick();
    if (bits_left != 0 && ++bit_clock == kClksPerBit) {
      bit_clock = 0;
      frame >>= 1;
      --bits_left;
    }
  }
  t.uart_rx_i = 1;
  for (int i = 0; i < 100; ++i) b.tick();
  CHECK(t.uart_tx_o == 1);
  t.byte_mode_i = 1;
  b.send_byte(0x00);  // ends whatever the last UART byte began in the framer
  CHECK(b.reg(kRegScratch) == 0x2000 + 19);
  const std::uint32_t counted = b.reg(kCntUartErrors);
  // The last byte may have ended after the boot (then it reached the framer
  // as line noise, not counted as a drop).
  CHECK(counted + 1 >= sent);
  CHECK(counted <= sent);
  CHECK(sent > 10);
}

}  // namespace
}  // namespace spikelink::rtl_test
