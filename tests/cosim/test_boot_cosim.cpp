// The gateware's boot loader end to end (docs/link.md §4.2): sim::RtlBoard
// with a sim::SpiNorFlash on its flash pins holding an image (image::pack)
// whose network blob is link frames. After boot the registers and memories
// hold what the blob wrote, BOOT_STATUS says so, the boot's replies never
// reached the host, and the host's first frame (sequence 0) is taken
// without a sequence-gap ERROR.
#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "board/rtl_board.hpp"
#include "flash/spi_nor_flash.hpp"
#include "spikelink/board.hpp"
#include "spikelink/image.hpp"
#include "spikelink/link_codec.hpp"
#include "spikelink/protocol.hpp"

using namespace spikelink;
using sim::RtlBoard;
using sim::RtlBoardOptions;

namespace {

constexpr std::uint16_t kRegScratch = 0x0013;
constexpr std::uint16_t kRegTickCycles = 0x0010;
constexpr std::uint16_t kRegBootStatus = 0x0024;
constexpr std::uint16_t kCounterBase = 0x0100;
constexpr std::uint16_t kCntSeqLost = 9;
constexpr std::uint16_t kCntUartErrors = 15;
constexpr std::uint16_t kCntRxOk = 0;
constexpr std::uint32_t kNeurons = 256;
constexpr std::uint32_t kInputs = 256;

struct Collect {
  std::vector<proto::Message> messages;
  void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent>, std::uint8_t) {}
  void on_message(const proto::Message& m, std::uint8_t) { messages.push_back(m); }
};

// The host end of the link on the board's ChannelPort.
class Host {
 public:
  explicit Host(RtlBoard& port) : port_(port) {}

  // Sends `m` and runs until the reply to it (the next message that is not
  // CREDIT) arrives.
  proto::Message call(const proto::Message& m) {
    std::vector<std::uint8_t> wire;
    tx_.append(m, wire);
    to_board_.insert(to_board_.end(), wire.begin(), wire.end());
    const std::uint64_t until = port_.cycles() + 5'000'000;
    while (port_.cycles() < until) {
      while (seen_ < got_.messages.size()) {
        const proto::Message& r = got_.messages[seen_++];
        if (!std::holds_alternative<proto::Credit>(r)) return r;
      }
      run(1000);
    }
    FAIL("no reply from the board");
    return {};
  }
  void run(std::uint64_t cycles) {
    from_board_.clear();
    port_.run(cycles, to_board_, from_board_);
    rx_.feed(std::span<const std::uint8_t>(from_board_), got_);
  }

  std::uint32_t reg(std::uint16_t addr) {
    const proto::Message r = call(proto::RegRead{addr, 1});
    const auto* d = std::get_if<proto::RegData>(&r);
    REQUIRE_MESSAGE(d != nullptr, "REG_READ ", addr, " got message index ", r.index());
    REQUIRE(d->values.size() == 1);
    return d->values[0];
  }
  std::vector<std::uint16_t> mem(proto::MemSpace space, std::uint32_t addr, std::uint8_t count) {
    const proto::Message r = call(proto::MemRead{space, addr, count});
    const auto* d = std::get_if<proto::MemData>(&r);
    REQUIRE_MESSAGE(d != nullptr, "MEM_READ got message index ", r.index());
    return d->words;
  }

  const std::vector<proto::Message>& messages() const { return got_.messages; }

 private:
  RtlBoard& port_;
  Transmitter tx_;
  Receiver rx_{proto::Sender::kBoard};
  Collect got_;
  std::size_t seen_ = 0;
  std::deque<std::uint8_t> to_board_;
  std::vector<std::uint8_t> from_board_;
};

std::vector<std::uint8_t> fake_bitstream() {
  std::vector<std::uint8_t> b{0xFF, 0x00, 0x00, 0xFF};
  b.insert(b.end(), image::kSyncWord.begin(), image::kSyncWord.end());
  for (std::size_t i = b.size(); i < 3000; ++i) b.push_back(static_cast<std::uint8_t>(i * 13 + 5));
  return b;
}

std::vector<std::uint8_t> pack_image(std::vector<std::uint8_t> network) {
  image::PackInput in;
  in.board_name = "sim";
  in.gw_minor = 1;
  in.bitstream = fake_bitstream();
  in.network = std::move(network);
  return image::pack(in);
}

RtlBoardOptions board_options(sim::SpiNorFlash& flash, RtlBoardOptions::Phy phy) {
  RtlBoardOptions o;
  o.phy = phy;
  o.flash = &flash;
  return o;
}

// A blob of `frames` frames (sequence numbers 0..frames-1): SCRATCH counts
// up, then TICK_CYCLES and a few synaptic words are written.
std::vector<std::uint8_t> register_blob(unsigned frames, const proto::MemWrite& mem) {
  Transmitter tx;
  std::vector<std::uint8_t> wire;
  for (unsigned i = 0; i + 2 < frames; ++i) tx.append(proto::RegWrite{{{kRegScratch, i}}}, wire);
  tx.append(proto::RegWrite{{{kRegScratch, 0xB007B007}, {kRegTickCycles, 4321}}}, wire);
  tx.append(mem, wire);
  return wire;
}

}  // namespace

TEST_CASE("boot: a blob's registers and memory words are there after boot, on both attachments") {
  const proto::MemWrite mem{proto::MemSpace::kWeights, 1000, {0x1234, 0xBEEF, 0x0001, 0x7F80}};
  // 200 frames: the link would expect 200 next, so without the resync the
  // host's sequence 0 would be a gap of 56 frames.
  const auto blob = register_blob(200, mem);
  for (auto phy : {RtlBoardOptions::Phy::kByte, RtlBoardOptions::Phy::kUart}) {
    CAPTURE(static_cast<int>(phy));
    sim::SpiNorFlash flash;
    flash.backdoor_write(0, pack_image(blob));
    RtlBoard board(board_options(flash, phy));
    CHECK(board.boot_cycles() > 17 * blob.size());
    CHECK(flash.counters().bytes_read == 128 + blob.size());
    Host host(board);
    host.run(20'000);
    CHECK(host.messages().empty());  // the boot's replies and CREDITs stayed on the board
    // Sequence 0 first: answered, no ERROR.
    CHECK(host.reg(kRegBootStatus) == 1);
    CHECK(host.reg(kRegScratch) == 0xB007B007);
    CHECK(host.reg(kRegTickCycles) == 4321);
    CHECK(host.mem(mem.space, mem.addr, 4) == mem.words);
    CHECK(host.reg(kCounterBase + kCntSeqLost) == 0);
    CHECK(host.reg(kCounterBase + kCntUartErrors) == 0);
    // The blob's 200 frames and the host's 7 so far, all good.
    CHECK(host.reg(kCounterBase + kCntRxOk) == 200 + 7);
    for (const auto& m : host.messages()) CHECK_FALSE(std::holds_alternative<proto::Error>(m));
  }
}

TEST_CASE("boot: a network blob (network_blob) loads the network Board::load would") {
  Network net;
  net.neurons.resize(8);
  for (std::size_t n = 0; n < net.neurons.size(); ++n) {
    net.neurons[n].v_thresh = static_cast<std::int16_t>(100 + n);
    net.neurons[n].k_leak = static_cast<std::uint16_t>(n + 1);
  }
  net.weights.assign(static_cast<std::size_t>(kInputs + kNeurons) * kNeurons, 0);
  for (std::size_t i = 0; i < net.weights.size(); i += 97) net.weights[i] = static_cast<std::uint8_t>(i * 3 + 1);
  const auto blob = network_blob(net, kNeurons, kInputs);
  const auto writes = network_writes(net, kNeurons, kInputs);
  sim::SpiNorFlash flash;
  flash.backdoor_write(0, pack_image(blob));
  RtlBoard board(board_options(flash, RtlBoardOptions::Phy::kByte));
  Host host(board);
  CHECK(host.reg(kRegBootStatus) == 1);
  CHECK(host.reg(kCounterBase + kCntSeqLost) == 0);
  // Every write of the first, a sample of the rest, and the last.
  for (std::size_t i = 0; i < writes.size(); i += (i < 4 ? 1 : 37)) {
    const auto& w = writes[i];
    CAPTURE(i);
    CHECK(host.mem(w.space, w.addr, static_cast<std::uint8_t>(w.words.size())) == w.words);
  }
  const auto& last = writes.back();
  CHECK(host.mem(last.space, last.addr, static_cast<std::uint8_t>(last.words.size())) == last.words);
  for (const auto& m : host.messages()) CHECK_FALSE(std::holds_alternative<proto::Error>(m));
}

TEST_CASE("boot: no flash, an erased flash, an image without a network, a bad header") {
  SUBCASE("no flash") {
    RtlBoard board;
    CHECK(board.boot_cycles() < 500);
    Host host(board);
    CHECK(host.reg(kRegBootStatus) == 0);
  }
  SUBCASE("erased") {
    sim::SpiNorFlash flash;
    RtlBoard board(board_options(flash, RtlBoardOptions::Phy::kByte));
    Host host(board);
    CHECK(host.reg(kRegBootStatus) == 0);
  }
  SUBCASE("no network") {
    sim::SpiNorFlash flash;
    flash.backdoor_write(0, pack_image({}));
    RtlBoard board(board_options(flash, RtlBoardOptions::Phy::kByte));
    Host host(board);
    CHECK(host.reg(kRegBootStatus) == 2);
  }
  SUBCASE("bad header CRC") {
    sim::SpiNorFlash flash;
    auto img = pack_image(register_blob(3, proto::MemWrite{proto::MemSpace::kWeights, 0, {1}}));
    img[100] ^= 0x10;
    flash.backdoor_write(0, img);
    RtlBoard board(board_options(flash, RtlBoardOptions::Phy::kByte));
    Host host(board);
    CHECK(host.reg(kRegBootStatus) == 3);
    CHECK(host.reg(kRegScratch) == 0);  // nothing of the blob was replayed
  }
}
