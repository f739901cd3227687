// Wire formats of `spikelink bridge` (docs/bridge.md): spike events carried
// over UDP between sites. Pure encoding and decoding, no sockets.
//
// Legacy: the 8-byte datagrams of the 2017 bio-hybrid experiment's software,
// so a bridge can talk to the sites that still speak it.
// Framed: our own format for new deployments: a header naming the sender's
// session and sequence number and its clock at send time, a batch of
// fixed-size events, and a CRC-32C trailer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace spikelink::bridge {

// ---------------------------------------------------------------------------
// Legacy format: two big-endian uint32 words.
//   word 0: bits 31..24 sender code (ASCII), bits 23..0 neuron id
//   word 1: bits 31..24 event type (or weight byte from the synapse site),
//           bits 23..0 timestamp

inline constexpr std::size_t kLegacyBytes = 8;
inline constexpr std::uint16_t kLegacyPort = 5005;   // the synapse site listened here
inline constexpr std::uint32_t kLegacyTickUs = 50;   // the synapse site's clock tick
inline constexpr std::uint32_t kLegacyMaxNeuron = 0xFFFFFF;
// The original packer masked timestamps to 20 bits, its unpacker to 24: we
// accept 24 and send 20 (the value modulo 2^20), so old receivers never see
// bits they did not expect.
inline constexpr unsigned kLegacySendTimestampBits = 20;
inline constexpr unsigned kLegacyRecvTimestampBits = 24;

// Sender codes.
inline constexpr char kLegacyAxon = 'A';      // silicon-neuron site
inline constexpr char kLegacyDendrite = 'D';  // biological site
inline constexpr char kLegacySynapse = 'S';   // synapse (memristor) site
inline constexpr char kLegacyReady = 'R';     // ready

// Event types on packets from the biological site.
inline constexpr std::uint8_t kLegacyPsp = 0;             // post-synaptic potential
inline constexpr std::uint8_t kLegacyStimulatedAp = 1;    // stimulated action potential
inline constexpr std::uint8_t kLegacySpontaneousAp = 2;   // spontaneous action potential

// The weight byte's default resistance range (the final 2017 version).
inline constexpr double kLegacyRminOhm = 4000.0;
inline constexpr double kLegacyRmaxOhm = 9000.0;

struct LegacyPacket {
  char sender = kLegacyAxon;
  std::uint32_t neuron = 0;           // 24 bits
  std::uint8_t type_or_weight = 0;    // event type, or the weight byte from the synapse site
  std::uint32_t timestamp = 0;        // ticks (absolute, or a delta from silicon-neuron sites)
  friend bool operator==(const LegacyPacket&, const LegacyPacket&) = default;
};

enum class LegacyStatus : std::uint8_t {
  kOk,
  kWrongSize,      // not exactly 8 bytes
  kUnknownSender,  // word 0's top byte is none of A, D, S, R
};
inline constexpr std::size_t kLegacyStatusCount = 3;
std::string_view to_string(LegacyStatus s);

struct LegacyDecoded {
  LegacyStatus status = LegacyStatus::kOk;
  LegacyPacket packet;  // meaningful only when status is kOk
};

bool is_legacy_sender(char code);

// Throws std::invalid_argument for an unknown sender code or a neuron id
// beyond 24 bits. The timestamp goes out modulo 2^20 (see above); a
// receiver rebuilds the full time with TimestampUnwrapper.
std::array<std::uint8_t, kLegacyBytes> encode_legacy(const LegacyPacket& p);
// Never throws: every malformed datagram is a status a caller can count.
LegacyDecoded decode_legacy(std::span<const std::uint8_t> datagram);

// w = clip(round(255 (R - Rmin) / (Rmax - Rmin)), 0, 255). Throws
// std::invalid_argument for R not a number or Rmax <= Rmin.
std::uint8_t weight_byte(double r_ohm, double rmin_ohm = kLegacyRminOhm, double rmax_ohm = kLegacyRmaxOhm);
// The inverse: the middle of the resistances that round to `w`,
// Rmin + w (Rmax - Rmin) / 255 (for 0 and 255 the middle of the unclipped
// half-step; clipped resistances beyond Rmin/Rmax cannot be recovered).
double resistance_of_weight(std::uint8_t w, double rmin_ohm = kLegacyRminOhm, double rmax_ohm = kLegacyRmaxOhm);

// Extends a stream of `bits`-bit timestamps (20 from a legacy sender, which
// wraps every 2^20 ticks = 52.4 s) to 64 bits. A step forward of less than
// half the modulus advances the time (across a wrap if need be); a step back
// of less than half is a late packet and gets its earlier time without
// moving the reference. So consecutive packets must be less than half the
// modulus apart (26.2 s at 20 bits and 50 us ticks).
class TimestampUnwrapper {
 public:
  explicit TimestampUnwrapper(unsigned bits = kLegacySendTimestampBits);
  std::uint64_t unwrap(std::uint32_t timestamp);

 private:
  unsigned bits_;
  bool started_ = false;
  std::uint64_t last_ = 0;
};

// Silicon-neuron sites sent inter-event deltas; the absolute time is their
// running sum (what the synapse site kept).
class DeltaClock {
 public:
  std::uint64_t add(std::uint32_t delta) { return now_ += delta; }
  std::uint64_t now() const { return now_; }

 private:
  std::uint64_t now_ = 0;
};

inline constexpr std::uint64_t legacy_ticks_to_us(std::uint64_t ticks) { return ticks * kLegacyTickUs; }

// ---------------------------------------------------------------------------
// Framed format (docs/bridge.md has the byte layout), little-endian.

inline constexpr std::array<std::uint8_t, 4> kFramedMagic = {'S', 'L', 'B', '1'};
inline constexpr std::uint8_t kFramedVersion = 1;
inline constexpr std::size_t kFramedHeaderBytes = 40;
inline constexpr std::size_t kFramedEventBytes = 16;
inline constexpr std::size_t kFramedTrailerBytes = 4;
// 1500-byte MTU less 20 (IPv4) and 8 (UDP): no fragmentation on Ethernet.
inline constexpr std::size_t kFramedMaxDatagram = 1472;
inline constexpr std::size_t kFramedMaxEvents =
    (kFramedMaxDatagram - kFramedHeaderBytes - kFramedTrailerBytes) / kFramedEventBytes;  // 89

// Header flags. Unknown flags are ignored on receive (a later sender may set
// more); the encoder sends only these.
inline constexpr std::uint8_t kFlagClockSynced = 0x01;  // the sender's clock is NTP/PTP disciplined

enum class EventKind : std::uint8_t {
  kSpike = 0,     // value: the legacy event type (0 PSP, 1 stimulated, 2 spontaneous) or 0
  kStimulus = 1,  // a stimulus delivered; value: the stimulus id or 0
  kWeight = 2,    // a synapse's weight changed; value: the weight byte
  // Receivers pass on kinds they do not know (the value type is an open set).
};

struct Event {
  std::uint64_t t_us = 0;     // the sender's experiment time
  std::uint32_t channel = 0;  // neuron / channel / synapse id
  EventKind kind = EventKind::kSpike;
  std::uint8_t value = 0;
  friend bool operator==(const Event&, const Event&) = default;
};

struct FramedHeader {
  std::uint8_t flags = 0;
  std::uint8_t site = 0;        // the sender's site code, ASCII ('A', 'D', 'S', ...)
  std::uint16_t node = 0;       // the sender's node within the site
  std::uint64_t session = 0;    // random per sender run: a restart shows as a new session
  std::uint64_t seq = 0;        // per session, 0 first, +1 per datagram
  std::uint64_t send_ns = 0;    // sender's CLOCK_REALTIME at send, ns since the Unix epoch
  friend bool operator==(const FramedHeader&, const FramedHeader&) = default;
};

enum class FramedStatus : std::uint8_t {
  kOk,
  kTooShort,            // shorter than header + trailer
  kBadMagic,            // not "SLB1": not ours
  kBadCrc,              // corrupted (checked before the fields below are trusted)
  kUnsupportedVersion,  // a sound datagram of a version we do not speak
  kBadCount,            // the event count does not match the length
};
inline constexpr std::size_t kFramedStatusCount = 6;
std::string_view to_string(FramedStatus s);

struct FramedDecoded {
  FramedStatus status = FramedStatus::kOk;
  FramedHeader header;        // meaningful only when status is kOk
  std::vector<Event> events;  // likewise
};

// One datagram of at most kFramedMaxEvents events (throws
// std::invalid_argument beyond). Reserved bytes go out as 0.
std::vector<std::uint8_t> encode_framed(const FramedHeader& h, std::span<const Event> events);
// Never throws.
FramedDecoded decode_framed(std::span<const std::uint8_t> datagram);
inline constexpr std::size_t framed_size(std::size_t events) {
  return kFramedHeaderBytes + events * kFramedEventBytes + kFramedTrailerBytes;
}

// A random session id (std::random_device), never 0.
std::uint64_t random_session_id();

// The sending side of one run: a session id and the running sequence
// number. encode() splits a batch into as many datagrams as it needs (an
// empty batch is one datagram with no events: a heartbeat carrying the
// clock and the sequence number).
class FramedEncoder {
 public:
  FramedEncoder(std::uint8_t site, std::uint16_t node, std::uint64_t session, std::uint8_t flags = 0);
  std::vector<std::vector<std::uint8_t>> encode(std::span<const Event> events, std::uint64_t send_ns);
  std::uint64_t next_seq() const { return seq_; }
  std::uint64_t session() const { return session_; }

 private:
  std::uint8_t site_;
  std::uint16_t node_;
  std::uint64_t session_;
  std::uint8_t flags_;
  std::uint64_t seq_ = 0;
};

}  // namespace spikelink::bridge
