#include "spikelink/bridge_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

namespace spikelink::bridge {

SeqCounts& SeqCounts::operator+=(const SeqCounts& o) {
  received += o.received;
  lost += o.lost;
  duplicates += o.duplicates;
  reordered += o.reordered;
  too_old += o.too_old;
  jumps += o.jumps;
  restarts += o.restarts;
  stale_session += o.stale_session;
  return *this;
}

// ---------------------------------------------------------------------------
// SeqTracker

void SeqTracker::start(std::uint64_t session, std::uint64_t seq) {
  started_ = true;
  session_id_ = session;
  bits_ = {};
  // A session first seen within its first window is counted from 0 (the
  // datagrams before the first one seen were lost, or come late and fill
  // in); one joined later is counted from the first number seen, so a
  // receiver started long after its sender does not report the sender's
  // whole past as lost.
  base_ = seq < kWindow ? 0 : seq;
  highest_ = seq;
  set(seq);
  ++session_.received;
  session_.lost += seq - base_;
}

SeqTracker::Verdict SeqTracker::on(std::uint64_t session, std::uint64_t seq) {
  if (!started_) {
    start(session, seq);
    return Verdict::kInOrder;
  }
  if (session != session_id_) {
    // A datagram of the session just replaced, late on the network, must
    // not flip the peer back: that would count two restarts for none.
    if (has_previous_ && session == previous_id_) {
      ++session_.received;
      ++session_.stale_session;
      return Verdict::kStaleSession;
    }
    past_ += session_;
    ++past_.restarts;
    session_ = {};
    previous_id_ = session_id_;
    has_previous_ = true;
    start(session, seq);
    return Verdict::kRestart;
  }
  ++session_.received;
  if (seq > highest_) {
    const std::uint64_t step = seq - highest_;
    session_.lost += step - 1;
    if (step > kWindow) {
      ++session_.jumps;
      bits_ = {};
    } else {
      // The slots of the numbers skipped held numbers a window ago.
      for (std::uint64_t s = highest_ + 1; s < seq; ++s) clear(s);
    }
    set(seq);
    highest_ = seq;
    return Verdict::kInOrder;
  }
  if (seq < base_ || highest_ - seq >= kWindow) {
    ++session_.too_old;
    return Verdict::kTooOld;
  }
  if (test(seq)) {
    ++session_.duplicates;
    return Verdict::kDuplicate;
  }
  set(seq);
  --session_.lost;
  ++session_.reordered;
  return Verdict::kFill;
}

SeqCounts SeqTracker::total() const {
  SeqCounts t = past_;
  t += session_;
  return t;
}

void SeqTracker::merge(const SeqTracker& other) { past_ += other.total(); }

// ---------------------------------------------------------------------------
// LogHistogram

std::size_t LogHistogram::bucket_of(std::uint64_t v) {
  constexpr std::uint64_t sub = std::uint64_t{1} << kSubBits;
  if (v < sub) return static_cast<std::size_t>(v);
  if (v >> kTopBits) return kBuckets - 1;
  const unsigned k = static_cast<unsigned>(std::bit_width(v)) - 1;  // kSubBits .. kTopBits - 1
  const std::uint64_t within = (v >> (k - kSubBits)) & (sub - 1);
  return static_cast<std::size_t>(sub * (k - kSubBits + 1) + within);
}

std::uint64_t LogHistogram::bucket_low(std::size_t i) {
  constexpr std::size_t sub = std::size_t{1} << kSubBits;
  if (i < sub) return i;
  const std::size_t group = i / sub;  // 1: [64, 128), 2: [128, 256), ...
  return std::uint64_t{sub + i % sub} << (group - 1);
}

std::uint64_t LogHistogram::bucket_high(std::size_t i) {
  constexpr std::size_t sub = std::size_t{1} << kSubBits;
  if (i < sub) return i;
  return bucket_low(i) + (std::uint64_t{1} << (i / sub - 1)) - 1;
}

void LogHistogram::record(std::uint64_t v, std::uint64_t n) {
  if (n == 0) return;
  counts_[bucket_of(v)] += n;
  count_ += n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

std::uint64_t LogHistogram::at_rank(std::uint64_t rank) const {
  if (count_ == 0) return 0;
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  // The extremes are known exactly; a bucket's middle would be off by up to 0.8 %.
  if (rank == 1) return min_;
  if (rank == count_) return max_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + (bucket_high(i) - bucket_low(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

void LogHistogram::merge(const LogHistogram& o) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

// ---------------------------------------------------------------------------
// DelayRecorder

void DelayRecorder::record(std::uint64_t send_ns, std::uint64_t recv_ns) {
  // Two's complement difference: right for any two clocks within 292 years.
  record_delay(static_cast<std::int64_t>(recv_ns - send_ns));
}

void DelayRecorder::record_delay(std::int64_t delay_ns) {
  if (delay_ns < 0)
    neg_.record(0 - static_cast<std::uint64_t>(delay_ns));
  else
    pos_.record(static_cast<std::uint64_t>(delay_ns));
  sum_ns_ += static_cast<double>(delay_ns);
  // RFC 3550 section 6.4.1: D is the change in transit time between
  // consecutive datagrams, J += (|D| - J) / 16. A constant clock offset
  // cancels in D.
  if (has_last_) {
    const double d = static_cast<double>(delay_ns) - static_cast<double>(last_delay_);
    jitter_ns_ += (std::abs(d) - jitter_ns_) / 16.0;
  }
  has_last_ = true;
  last_delay_ = delay_ns;
}

std::int64_t DelayRecorder::quantile(double q) const {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The tiny shave keeps q n on the right side of an integer it equals
  // in exact arithmetic (0.99 * 10000 is 9900.000000000002 in doubles).
  const double r = std::ceil(q * static_cast<double>(n) * (1.0 - 1e-12));
  const std::uint64_t rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(r), 1, n);
  // Negative delays, largest magnitude first, then the non-negative ones.
  if (rank <= neg_.count()) return -static_cast<std::int64_t>(neg_.at_rank(neg_.count() - rank + 1));
  return static_cast<std::int64_t>(pos_.at_rank(rank - neg_.count()));
}

DelayRecorder::Summary DelayRecorder::summary() const {
  Summary s;
  s.count = count();
  if (s.count == 0) return s;
  s.negative = neg_.count();
  s.min_ns = neg_.count() ? -static_cast<std::int64_t>(neg_.max()) : static_cast<std::int64_t>(pos_.min());
  s.max_ns = pos_.count() ? static_cast<std::int64_t>(pos_.max()) : -static_cast<std::int64_t>(neg_.min());
  s.p50_ns = quantile(0.5);
  s.p99_ns = quantile(0.99);
  s.mean_ns = sum_ns_ / static_cast<double>(s.count);
  s.jitter_ns = jitter_ns_;
  s.spread_ns = s.p99_ns - s.min_ns;
  return s;
}

void DelayRecorder::merge(const DelayRecorder& o) {
  const double a = static_cast<double>(count());
  const double b = static_cast<double>(o.count());
  if (a + b > 0) jitter_ns_ = (jitter_ns_ * a + o.jitter_ns_ * b) / (a + b);
  pos_.merge(o.pos_);
  neg_.merge(o.neg_);
  sum_ns_ += o.sum_ns_;
  if (!has_last_ && o.has_last_) {
    has_last_ = true;
    last_delay_ = o.last_delay_;
  }
}

// ---------------------------------------------------------------------------
// ReceiveStats

SeqTracker::Verdict ReceiveStats::on_datagram(const FramedHeader& h, std::uint64_t recv_ns) {
  Peer& p = peers_[PeerId{h.site, h.node}];
  // Every datagram measures the path, duplicates and stale ones included:
  // each really crossed it, sent at send_ns.
  p.delay.record(h.send_ns, recv_ns);
  return p.seq.on(h.session, h.seq);
}

void ReceiveStats::merge(const ReceiveStats& o) {
  for (const auto& [id, p] : o.peers_) {
    Peer& mine = peers_[id];
    mine.seq.merge(p.seq);
    mine.delay.merge(p.delay);
  }
  for (std::size_t i = 0; i < kFramedStatusCount; ++i) framed_bad_[i] += o.framed_bad_[i];
  for (std::size_t i = 0; i < kLegacyStatusCount; ++i) legacy_bad_[i] += o.legacy_bad_[i];
}

namespace {

std::string ms(double ns) { return fmt::format("{:.3f} ms", ns / 1e6); }

std::string site_name(std::uint8_t site) {
  if (site >= 0x21 && site <= 0x7e) return std::string(1, static_cast<char>(site));
  return fmt::format("0x{:02x}", site);
}

}  // namespace

std::string ReceiveStats::report() const {
  std::string out;
  for (const auto& [id, p] : peers_) {
    const SeqCounts c = p.seq.total();
    const std::uint64_t expected = c.received - c.duplicates - c.too_old - c.stale_session + c.lost;
    const double lost_pct = expected ? 100.0 * static_cast<double>(c.lost) / static_cast<double>(expected) : 0.0;
    out += fmt::format("peer {}/{} session {:016x}: received {}, lost {} ({:.2f} %), duplicates {}, reordered {}",
                       site_name(id.site), id.node, p.seq.session(), c.received, c.lost, lost_pct, c.duplicates,
                       c.reordered);
    if (c.too_old) out += fmt::format(", too old {}", c.too_old);
    if (c.jumps) out += fmt::format(", jumps {}", c.jumps);
    if (c.restarts) out += fmt::format(", restarts {}", c.restarts);
    if (c.stale_session) out += fmt::format(", stale session {}", c.stale_session);
    const DelayRecorder::Summary d = p.delay.summary();
    if (d.count) {
      out += fmt::format("; delay p50 {}, p99 {}, max {}, jitter {}, spread {}",
                         ms(static_cast<double>(d.p50_ns)), ms(static_cast<double>(d.p99_ns)),
                         ms(static_cast<double>(d.max_ns)), ms(d.jitter_ns), ms(static_cast<double>(d.spread_ns)));
      if (d.negative) out += fmt::format(" ({} negative: the clocks disagree)", d.negative);
    }
    out += '\n';
  }
  std::string bad;
  for (std::size_t i = 1; i < kFramedStatusCount; ++i)
    if (framed_bad_[i])
      bad += fmt::format("{}{} {}", bad.empty() ? "" : ", ", framed_bad_[i], to_string(static_cast<FramedStatus>(i)));
  for (std::size_t i = 1; i < kLegacyStatusCount; ++i)
    if (legacy_bad_[i])
      bad += fmt::format("{}{} legacy {}", bad.empty() ? "" : ", ", legacy_bad_[i],
                         to_string(static_cast<LegacyStatus>(i)));
  if (!bad.empty()) out += "malformed: " + bad + '\n';
  return out;
}

}  // namespace spikelink::bridge
