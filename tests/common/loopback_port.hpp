// A ChannelPort for tests of the FTDI layer and sim::Ft2232hModel: the
// "board" takes a byte from the host every `clocks_per_byte` clocks, echoes
// it `delay` clocks later (when echo is on), and sends at most one byte
// every `clocks_per_byte` clocks. It can also send bytes of its own
// (inject), as a board that talks unprompted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "ftdi/channel_port.hpp"

namespace spikelink::testing {

class LoopbackPort : public sim::ChannelPort {
 public:
  explicit LoopbackPort(std::uint64_t clock_hz = 24'000'000, std::uint64_t clocks_per_byte = 8, std::uint64_t delay = 16)
      : clock_hz_(clock_hz), clocks_per_byte_(std::max<std::uint64_t>(clocks_per_byte, 1)), delay_(delay) {}

  std::uint64_t clock_hz() const override { return clock_hz_; }
  void set_baud(double baud) override { bauds_.push_back(baud); }
  std::uint64_t cycles() const override { return now_; }

  void run(std::uint64_t cycles, std::deque<std::uint8_t>& to_board, std::vector<std::uint8_t>& from_board) override {
    const std::uint64_t end = now_ + cycles;
    constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
    for (;;) {
      // The next clock at which anything happens; idle spans are skipped.
      const std::uint64_t take = to_board.empty() ? kNever : std::max(now_, rx_free_at_);
      const std::uint64_t echo = pending_.empty() ? kNever : std::max(now_, pending_.front().due);
      const std::uint64_t send = out_.empty() ? kNever : std::max(now_, tx_free_at_);
      const std::uint64_t next = std::min({take, echo, send});
      if (next >= end) break;
      now_ = next;
      if (!to_board.empty() && now_ >= rx_free_at_) {
        const std::uint8_t b = to_board.front();
        to_board.pop_front();
        received_.push_back(b);
        if (echo_) pending_.push_back({now_ + delay_, b});
        rx_free_at_ = now_ + clocks_per_byte_;
      }
      while (!pending_.empty() && pending_.front().due <= now_) {
        out_.push_back(pending_.front().byte);
        pending_.pop_front();
      }
      if (!out_.empty() && now_ >= tx_free_at_) {
        from_board.push_back(out_.front());
        out_.pop_front();
        tx_free_at_ = now_ + clocks_per_byte_;
      }
    }
    now_ = end;
  }

  void inject(const std::vector<std::uint8_t>& bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  void set_echo(bool on) { echo_ = on; }
  const std::vector<std::uint8_t>& received() const { return received_; }
  const std::vector<double>& bauds() const { return bauds_; }
  std::size_t in_flight() const { return pending_.size() + out_.size(); }

 private:
  struct Pending {
    std::uint64_t due;
    std::uint8_t byte;
  };
  std::uint64_t clock_hz_;
  std::uint64_t clocks_per_byte_;
  std::uint64_t delay_;
  bool echo_ = true;
  std::uint64_t now_ = 0;
  std::uint64_t rx_free_at_ = 0;
  std::uint64_t tx_free_at_ = 0;
  std::deque<Pending> pending_;
  std::deque<std::uint8_t> out_;
  std::vector<std::uint8_t> received_;
  std::vector<double> bauds_;
};

}  // namespace spikelink::testing
