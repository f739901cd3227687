// Receive-side statistics of `spikelink bridge` (docs/bridge.md, section 2):
// per peer, what arrived, what was lost, duplicated or reordered, sender
// restarts, and the one-way delay's distribution and jitter. Bounded
// memory per peer whatever the run's length.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "spikelink/bridge_format.hpp"

namespace spikelink::bridge {

// Counts of datagrams. Invariants, per session and in total:
//   received = unique + duplicates + too_old + stale_session
//   unique + lost = expected (the sequence numbers from the session's base
//                   to the highest seen)
struct SeqCounts {
  std::uint64_t received = 0;       // every datagram handed to the tracker
  std::uint64_t lost = 0;           // numbers skipped and not (yet) filled
  std::uint64_t duplicates = 0;     // a number already seen (within the window)
  std::uint64_t reordered = 0;      // arrived after a higher number: a gap filled late (no longer lost)
  std::uint64_t too_old = 0;        // below the window or the session's base: cannot tell fill from duplicate
  std::uint64_t jumps = 0;          // forward steps of more than the window (a suspiciously large gap)
  std::uint64_t restarts = 0;       // a new session id from the peer
  std::uint64_t stale_session = 0;  // a late datagram of the session before the current one
  SeqCounts& operator+=(const SeqCounts& o);
  friend bool operator==(const SeqCounts&, const SeqCounts&) = default;
};

// One peer's sequence numbers. Memory: a 1024-bit window of the numbers
// just below the highest seen, whatever the gap sizes.
class SeqTracker {
 public:
  static constexpr std::uint64_t kWindow = 1024;

  enum class Verdict : std::uint8_t {
    kInOrder,       // above the highest so far (any gap is counted lost)
    kFill,          // a number skipped earlier: reordered
    kDuplicate,
    kTooOld,
    kRestart,       // the first datagram of a new session (also kInOrder for it)
    kStaleSession,  // from the previous session: ignored
  };

  Verdict on(std::uint64_t session, std::uint64_t seq);

  // This session's counts (restarts is 0), and all sessions' plus merged-in counts.
  const SeqCounts& session_counts() const { return session_; }
  SeqCounts total() const;
  bool started() const { return started_; }
  std::uint64_t session() const { return session_id_; }
  std::uint64_t highest() const { return highest_; }
  // Adds another tracker's totals (another receiver of the same peer, or an
  // earlier period); the window stays this tracker's own.
  void merge(const SeqTracker& other);

 private:
  bool test(std::uint64_t seq) const { return (bits_[(seq % kWindow) / 64] >> (seq % 64)) & 1u; }
  void set(std::uint64_t seq) { bits_[(seq % kWindow) / 64] |= std::uint64_t{1} << (seq % 64); }
  void clear(std::uint64_t seq) { bits_[(seq % kWindow) / 64] &= ~(std::uint64_t{1} << (seq % 64)); }
  void start(std::uint64_t session, std::uint64_t seq);

  bool started_ = false;
  bool has_previous_ = false;
  std::uint64_t session_id_ = 0;
  std::uint64_t previous_id_ = 0;
  std::uint64_t base_ = 0;
  std::uint64_t highest_ = 0;
  std::array<std::uint64_t, kWindow / 64> bits_{};  // bit (seq % kWindow) set: seq received
  SeqCounts session_;
  SeqCounts past_;  // finished sessions and merged-in counts
};

// Counts of non-negative values (ns) in log buckets: exact below 64, then
// 64 buckets per power of two, so a reported value (a bucket's middle) is
// within 1/128 (0.8 %) of the true one, up to 2^40 ns (about 18 min);
// larger values go in the top bucket (max() stays exact). 2240 counters.
class LogHistogram {
 public:
  static constexpr unsigned kSubBits = 6;
  static constexpr unsigned kTopBits = 40;
  static constexpr std::size_t kBuckets = (std::size_t{1} << kSubBits) * (kTopBits - kSubBits + 1);

  void record(std::uint64_t v, std::uint64_t n = 1);
  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return min_; }
  std::uint64_t max() const { return max_; }
  // The value of the rank-th smallest (1-based), as its bucket's middle
  // clamped to [min, max] (the first and last exactly); 0 when empty.
  std::uint64_t at_rank(std::uint64_t rank) const;
  void merge(const LogHistogram& o);

  static std::size_t bucket_of(std::uint64_t v);
  static std::uint64_t bucket_low(std::size_t i);
  static std::uint64_t bucket_high(std::size_t i);  // inclusive

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

// One-way delay = receive time - sender's clock at send, per datagram, in
// ns. With unsynchronised clocks the delay includes the clocks' offset
// (it can be negative): its spread and the jitter are still right, the
// absolute values are not (docs/bridge.md).
class DelayRecorder {
 public:
  struct Summary {
    std::uint64_t count = 0;
    std::uint64_t negative = 0;  // delays below 0: the clocks disagree
    std::int64_t min_ns = 0;
    std::int64_t p50_ns = 0;
    std::int64_t p99_ns = 0;
    std::int64_t max_ns = 0;
    double mean_ns = 0;
    double jitter_ns = 0;      // RFC 3550 interarrival jitter
    std::int64_t spread_ns = 0;  // p99 - min: the slow 1 % against the fastest, offset-free
  };

  void record(std::uint64_t send_ns, std::uint64_t recv_ns);
  void record_delay(std::int64_t delay_ns);
  // Nearest rank: the smallest delay with at least ceil(q n) delays at or
  // below it, within the histogram's resolution. q in [0, 1].
  std::int64_t quantile(double q) const;
  Summary summary() const;
  // Histograms and extremes add up exactly; the jitter becomes the
  // count-weighted mean of the two (the RFC estimator is per stream).
  void merge(const DelayRecorder& o);
  std::uint64_t count() const { return pos_.count() + neg_.count(); }

 private:
  LogHistogram pos_;  // delays >= 0
  LogHistogram neg_;  // -delay for delays < 0
  double sum_ns_ = 0;
  double jitter_ns_ = 0;
  bool has_last_ = false;
  std::int64_t last_delay_ = 0;
};

struct PeerId {
  std::uint8_t site = 0;
  std::uint16_t node = 0;
  friend auto operator<=>(const PeerId&, const PeerId&) = default;
};

// Everything a receiver knows about its peers (keyed by the framed
// header's site and node) and the datagrams it could not decode.
class ReceiveStats {
 public:
  struct Peer {
    SeqTracker seq;
    DelayRecorder delay;
  };

  // A decoded datagram received at recv_ns (CLOCK_REALTIME, ns).
  SeqTracker::Verdict on_datagram(const FramedHeader& h, std::uint64_t recv_ns);
  void on_malformed(FramedStatus s) { ++framed_bad_[static_cast<std::size_t>(s)]; }
  void on_malformed(LegacyStatus s) { ++legacy_bad_[static_cast<std::size_t>(s)]; }

  const std::map<PeerId, Peer>& peers() const { return peers_; }
  std::uint64_t malformed(FramedStatus s) const { return framed_bad_[static_cast<std::size_t>(s)]; }
  std::uint64_t malformed(LegacyStatus s) const { return legacy_bad_[static_cast<std::size_t>(s)]; }

  void merge(const ReceiveStats& o);
  // A few lines for people: one per peer, then the malformed datagrams.
  std::string report() const;

 private:
  std::map<PeerId, Peer> peers_;
  std::array<std::uint64_t, kFramedStatusCount> framed_bad_{};
  std::array<std::uint64_t, kLegacyStatusCount> legacy_bad_{};
};

}  // namespace spikelink::bridge
