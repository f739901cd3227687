// Cycle-accurate simulation of the RTL framing layer (spl_link_framer).
//
// Drives wire bytes into the receiver and header+body frames into the
// transmitter and collects what comes out, one clock at a time. The Verilated
// model stays inside the implementation, so users need no Verilator headers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace spikelink::sim {

// The RTL's drop and traffic counters (32-bit, wrapping, zero after reset).
struct FramerCounters {
  uint32_t rx_ok = 0;
  uint32_t rx_crc = 0;
  uint32_t rx_cobs = 0;
  uint32_t rx_short = 0;
  uint32_t rx_long = 0;
  uint32_t rx_overflow = 0;
  uint32_t rx_bytes_discarded = 0;
  uint32_t tx_frames = 0;
  uint32_t tx_dropped_long = 0;

  friend bool operator==(const FramerCounters&, const FramerCounters&) = default;
};

class FramerSim {
 public:
  // The fast model has no tracing: a non-empty fst_path throws
  // std::invalid_argument rather than silently writing nothing.
  explicit FramerSim(const std::string& fst_path = {});
  ~FramerSim();
  FramerSim(const FramerSim&) = delete;
  FramerSim& operator=(const FramerSim&) = delete;
  FramerSim(FramerSim&&) noexcept;
  FramerSim& operator=(FramerSim&&) noexcept;

  // Deasserts the receiver's frame_ready_i on `percent` of clocks, chosen by
  // a generator seeded with `seed`. 100 stalls for good: rx_bytes then stops
  // waiting for delivery, so overflow can be provoked and released later.
  void set_rx_ready_stall(uint32_t seed, unsigned percent);
  // The same for the transmitter's tx_ready_i (below 100 only).
  void set_tx_ready_stall(uint32_t seed, unsigned percent);

  // Feeds wire bytes, one per (1 + gap_cycles) clocks, then runs until every
  // stored frame has been delivered (unless the receiver is stalled for good).
  void rx_bytes(std::span<const uint8_t> wire, unsigned gap_cycles = 0);
  // Header+body of each frame delivered so far, in order; clears the list.
  std::vector<std::vector<uint8_t>> take_rx_frames();

  // Sends one header+body frame (non-empty) and returns the wire bytes that
  // came out: COBS of header+body+CRC, then 0x00. Empty if the RTL dropped it.
  std::vector<uint8_t> tx_frame(std::span<const uint8_t> raw);

  FramerCounters counters() const;
  uint64_t cycles() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spikelink::sim
