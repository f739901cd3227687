#include "spikelink/bridge_format.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "spikelink/crc32c.hpp"

namespace spikelink::bridge {
namespace {

void put_be32(std::uint8_t* b, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

std::uint32_t get_be32(const std::uint8_t* b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | std::uint32_t{b[3]};
}

template <class T>
void put_le(std::uint8_t* b, T v) {
  const auto u = static_cast<std::uint64_t>(v);
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<std::uint8_t>(u >> (8 * i));
}

template <class T>
T get_le(const std::uint8_t* b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{b[i]} << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

// ---------------------------------------------------------------------------
// Legacy

std::string_view to_string(LegacyStatus s) {
  switch (s) {
    case LegacyStatus::kOk: return "ok";
    case LegacyStatus::kWrongSize: return "wrong size";
    case LegacyStatus::kUnknownSender: return "unknown sender";
  }
  return "?";
}

bool is_legacy_sender(char code) {
  return code == kLegacyAxon || code == kLegacyDendrite || code == kLegacySynapse || code == kLegacyReady;
}

std::array<std::uint8_t, kLegacyBytes> encode_legacy(const LegacyPacket& p) {
  if (!is_legacy_sender(p.sender))
    throw std::invalid_argument(fmt::format("legacy bridge packet: sender code {} is none of A, D, S, R",
                                            static_cast<int>(static_cast<unsigned char>(p.sender))));
  if (p.neuron > kLegacyMaxNeuron)
    throw std::invalid_argument(fmt::format("legacy bridge packet: neuron id {} does not fit 24 bits", p.neuron));
  constexpr std::uint32_t send_mask = (std::uint32_t{1} << kLegacySendTimestampBits) - 1;
  std::array<std::uint8_t, kLegacyBytes> out{};
  put_be32(out.data(), std::uint32_t{static_cast<unsigned char>(p.sender)} << 24 | p.neuron);
  put_be32(out.data() + 4, std::uint32_t{p.type_or_weight} << 24 | (p.timestamp & send_mask));
  return out;
}

LegacyDecoded decode_legacy(std::span<const std::uint8_t> datagram) {
  LegacyDecoded d;
  if (datagram.size() != kLegacyBytes) {
    d.status = LegacyStatus::kWrongSize;
    return d;
  }
  const std::uint32_t w0 = get_be32(datagram.data());
  const std::uint32_t w1 = get_be32(datagram.data() + 4);
  const char sender = static_cast<char>(w0 >> 24);
  if (!is_legacy_sender(sender)) {
    d.status = LegacyStatus::kUnknownSender;
    return d;
  }
  constexpr std::uint32_t recv_mask = (std::uint32_t{1} << kLegacyRecvTimestampBits) - 1;
  d.packet = {sender, w0 & kLegacyMaxNeuron, static_cast<std::uint8_t>(w1 >> 24), w1 & recv_mask};
  return d;
}

namespace {
void check_range(double rmin, double rmax) {
  if (!(rmax > rmin) || !std::isfinite(rmin) || !std::isfinite(rmax))
    throw std::invalid_argument(fmt::format("weight byte: Rmax ({} ohm) must be above Rmin ({} ohm)", rmax, rmin));
}
}  // namespace

std::uint8_t weight_byte(double r_ohm, double rmin_ohm, double rmax_ohm) {
  check_range(rmin_ohm, rmax_ohm);
  if (std::isnan(r_ohm)) throw std::invalid_argument("weight byte: the resistance is not a number");
  const double w = std::round(255.0 * (r_ohm - rmin_ohm) / (rmax_ohm - rmin_ohm));
  return static_cast<std::uint8_t>(std::clamp(w, 0.0, 255.0));
}

double resistance_of_weight(std::uint8_t w, double rmin_ohm, double rmax_ohm) {
  check_range(rmin_ohm, rmax_ohm);
  return rmin_ohm + static_cast<double>(w) * (rmax_ohm - rmin_ohm) / 255.0;
}

TimestampUnwrapper::TimestampUnwrapper(unsigned bits) : bits_(bits) {
  if (bits < 2 || bits > 32) throw std::invalid_argument(fmt::format("timestamp unwrapper: {} bits", bits));
}

std::uint64_t TimestampUnwrapper::unwrap(std::uint32_t timestamp) {
  const std::uint64_t modulus = std::uint64_t{1} << bits_;
  const std::uint64_t t = timestamp & (modulus - 1);
  if (!started_) {
    started_ = true;
    last_ = t;
    return t;
  }
  // The step from the reference, modulo 2^bits, read as signed in
  // [-modulus/2, modulus/2).
  const std::uint64_t step = (t - last_) & (modulus - 1);
  if (step < modulus / 2) {
    last_ += step;
    return last_;
  }
  const std::uint64_t back = modulus - step;
  // A late packet from before the first one seen cannot go below 0.
  return back <= last_ ? last_ - back : 0;
}

// ---------------------------------------------------------------------------
// Framed

std::string_view to_string(FramedStatus s) {
  switch (s) {
    case FramedStatus::kOk: return "ok";
    case FramedStatus::kTooShort: return "too short";
    case FramedStatus::kBadMagic: return "bad magic";
    case FramedStatus::kBadCrc: return "bad CRC";
    case FramedStatus::kUnsupportedVersion: return "unsupported version";
    case FramedStatus::kBadCount: return "count inconsistent with length";
  }
  return "?";
}

std::vector<std::uint8_t> encode_framed(const FramedHeader& h, std::span<const Event> events) {
  if (events.size() > kFramedMaxEvents)
    throw std::invalid_argument(
        fmt::format("bridge datagram: {} events, at most {} fit 1472 bytes", events.size(), kFramedMaxEvents));
  std::vector<std::uint8_t> out(framed_size(events.size()), 0);
  std::uint8_t* b = out.data();
  std::copy(kFramedMagic.begin(), kFramedMagic.end(), b);
  b[4] = kFramedVersion;
  b[5] = h.flags;
  put_le(b + 6, static_cast<std::uint16_t>(events.size()));
  b[8] = h.site;
  put_le(b + 10, h.node);
  put_le(b + 16, h.session);
  put_le(b + 24, h.seq);
  put_le(b + 32, h.send_ns);
  std::uint8_t* e = b + kFramedHeaderBytes;
  for (const Event& ev : events) {
    put_le(e, ev.t_us);
    put_le(e + 8, ev.channel);
    e[12] = static_cast<std::uint8_t>(ev.kind);
    e[13] = ev.value;
    e += kFramedEventBytes;
  }
  const std::size_t body = out.size() - kFramedTrailerBytes;
  put_le(b + body, crc32c(std::span<const std::uint8_t>(b, body)));
  return out;
}

FramedDecoded decode_framed(std::span<const std::uint8_t> datagram) {
  FramedDecoded d;
  const std::size_t n = datagram.size();
  const std::uint8_t* b = datagram.data();
  if (n < kFramedHeaderBytes + kFramedTrailerBytes) {
    d.status = FramedStatus::kTooShort;
    return d;
  }
  if (!std::equal(kFramedMagic.begin(), kFramedMagic.end(), b)) {
    d.status = FramedStatus::kBadMagic;
    return d;
  }
  // Every version ends with the CRC of what precedes it, so the CRC is
  // checked before the version and the count are believed: a flipped
  // version byte is corruption, not a sender from the future.
  const std::size_t body = n - kFramedTrailerBytes;
  if (crc32c(datagram.first(body)) != get_le<std::uint32_t>(b + body)) {
    d.status = FramedStatus::kBadCrc;
    return d;
  }
  if (b[4] != kFramedVersion) {
    d.status = FramedStatus::kUnsupportedVersion;
    return d;
  }
  const std::size_t count = get_le<std::uint16_t>(b + 6);
  if (framed_size(count) != n) {
    d.status = FramedStatus::kBadCount;
    return d;
  }
  d.header.flags = b[5];
  d.header.site = b[8];
  d.header.node = get_le<std::uint16_t>(b + 10);
  d.header.session = get_le<std::uint64_t>(b + 16);
  d.header.seq = get_le<std::uint64_t>(b + 24);
  d.header.send_ns = get_le<std::uint64_t>(b + 32);
  d.events.reserve(count);
  const std::uint8_t* e = b + kFramedHeaderBytes;
  for (std::size_t i = 0; i < count; ++i, e += kFramedEventBytes)
    d.events.push_back({get_le<std::uint64_t>(e), get_le<std::uint32_t>(e + 8), static_cast<EventKind>(e[12]), e[13]});
  return d;
}

std::uint64_t random_session_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = std::uint64_t{rd()} << 32 | std::uint64_t{rd()};
  return id;
}

FramedEncoder::FramedEncoder(std::uint8_t site, std::uint16_t node, std::uint64_t session, std::uint8_t flags)
    : site_(site), node_(node), session_(session), flags_(flags) {}

std::vector<std::vector<std::uint8_t>> FramedEncoder::encode(std::span<const Event> events, std::uint64_t send_ns) {
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t at = 0;
  do {
    const std::size_t take = std::min(kFramedMaxEvents, events.size() - at);
    const FramedHeader h{flags_, site_, node_, session_, seq_++, send_ns};
    out.push_back(encode_framed(h, events.subspan(at, take)));
    at += take;
  } while (at < events.size());
  return out;
}

}  // namespace spikelink::bridge
