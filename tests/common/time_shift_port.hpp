// A board whose clock reads `offset` timesteps later than the one inside:
// board times on the wire (SPIKES bases both ways, the TIME register) are
// shifted, frames re-encoded with the same sequence numbers. With an offset
// just below 2^32 the host sees its board's 32-bit time wrap within a few
// timesteps.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "ftdi/channel_port.hpp"
#include "spikelink/framing.hpp"
#include "spikelink/protocol.hpp"

namespace spikelink::testing {

template <class Inner>
class TimeShiftPort final : public sim::ChannelPort {
 public:
  explicit TimeShiftPort(std::uint32_t offset) : offset_(offset) {}
  std::uint64_t clock_hz() const override { return inner_.clock_hz(); }
  void set_baud(double b) override { inner_.set_baud(b); }
  std::uint64_t cycles() const override { return inner_.cycles(); }
  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board, std::vector<std::uint8_t>& from_board) override {
    std::vector<std::uint8_t> host(to_board.begin(), to_board.end()), wire;
    to_board.clear();
    from_host_.feed(host, [&](const RawFrame& f) { rewrite(f, 0u - offset_, false, wire); });
    inner_in_.insert(inner_in_.end(), wire.begin(), wire.end());
    std::vector<std::uint8_t> raw;
    inner_.run(cycles, inner_in_, raw);
    from_board_.feed(raw, [&](const RawFrame& f) { rewrite(f, offset_, true, from_board); });
  }

 private:
  static void add32(std::uint8_t* p, std::uint32_t d) {
    std::uint32_t v = static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
                      (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    v += d;
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  void rewrite(const RawFrame& f, std::uint32_t delta, bool to_host, std::vector<std::uint8_t>& out) {
    std::vector<std::uint8_t> hb{f.type, f.seq};
    hb.insert(hb.end(), f.body.begin(), f.body.end());
    const auto type = static_cast<proto::FrameType>(f.type);
    if (type == proto::FrameType::kSpikes && f.body.size() >= 4) add32(&hb[2], delta);
    // REG_DATA: req_seq u8, addr u16, values; TIME is register 0x0021.
    if (to_host && type == proto::FrameType::kRegData && f.body.size() >= 7) {
      const unsigned addr = f.body[1] | (f.body[2] << 8);
      for (std::size_t i = 0; 3 + 4 * i + 4 <= f.body.size(); ++i)
        if (addr + i == 0x0021) add32(&hb[2 + 3 + 4 * i], delta);
    }
    append_wire_frame(hb, out);
  }

  std::uint32_t offset_;
  Inner inner_;
  FrameDecoder from_host_, from_board_;
  std::deque<std::uint8_t> inner_in_;
};

}  // namespace spikelink::testing
