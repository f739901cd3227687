// The host-board wire protocol: frame types, limits and message bodies.
// docs/protocol.md is the specification; this header and rtl/link/ implement it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace spikelink::proto {

inline constexpr std::uint8_t kVersionMajor = 1;
inline constexpr std::uint8_t kVersionMinor = 0;
inline constexpr std::uint32_t kMagic = 0x4C4B5053u;  // "SPKL" on the wire

// A raw frame is header (type, seq) + body + CRC-32C (little-endian).
inline constexpr std::size_t kHeaderSize = 2;
inline constexpr std::size_t kCrcSize = 4;
inline constexpr std::size_t kMaxRawFrame = 254;                         // header + body + CRC
inline constexpr std::size_t kMinRawFrame = kHeaderSize + kCrcSize;      // empty body
inline constexpr std::size_t kMaxBody = kMaxRawFrame - kHeaderSize - kCrcSize;  // 248
inline constexpr std::size_t kMaxEncodedGroup = kMaxRawFrame + 1;        // COBS adds one byte
inline constexpr std::size_t kMaxWireFrame = kMaxEncodedGroup + 1;       // plus the 0x00 delimiter
// Host frames sent but not yet covered by a CREDIT report: under half the
// 8-bit sequence space, so "at or before last_seq" is unambiguous. The last
// place is kept for a credit probe (an empty SPIKES frame).
inline constexpr std::size_t kMaxInFlightFrames = 127;

enum class FrameType : std::uint8_t {
  kSpikes = 0x01,       // both directions
  kIdentifyReq = 0x02,  // host -> board
  kIdentify = 0x03,     // board -> host
  kRegWrite = 0x04,     // host -> board
  kRegRead = 0x05,      // host -> board
  kRegData = 0x06,      // board -> host
  kMemWrite = 0x07,     // host -> board
  kMemRead = 0x08,      // host -> board
  kMemData = 0x09,      // board -> host
  kControl = 0x0A,      // host -> board
  kAck = 0x0B,          // board -> host
  kCredit = 0x0C,       // board -> host
  kCountersReq = 0x0D,  // host -> board
  kCounters = 0x0E,     // board -> host
  kError = 0x0F,        // board -> host
};

std::string_view to_string(FrameType t);

// Who may send a frame type. A receiver counts a frame from the wrong side
// as malformed.
enum class Sender : std::uint8_t { kHost, kBoard, kEither };
Sender sender_of(FrameType t);

// ---- spike batches --------------------------------------------------------
// Body: base timestep (u32, low 32 bits of board time) then 16-bit records:
//   bits 15..12 dt, bits 11..0 address. dt 0..14: time += dt, then a spike
//   at `address`. dt 15: time += address (0..4095), no spike.
inline constexpr std::size_t kSpikeBatchHeader = 4;
inline constexpr std::size_t kMaxSpikeRecords = (kMaxBody - kSpikeBatchHeader) / 2;  // 122
inline constexpr std::uint16_t kMaxAddress = 0x0FFF;
inline constexpr unsigned kMaxInlineDt = 14;
inline constexpr std::uint16_t kAdvanceMarker = 0xF000;
inline constexpr std::uint32_t kMaxAdvance = 0x0FFF;

struct SpikeEvent {
  std::uint64_t timestep = 0;  // host time: 64-bit, monotonic, in timesteps
  std::uint16_t address = 0;   // host -> board: input channel; board -> host: neuron
  friend bool operator==(const SpikeEvent&, const SpikeEvent&) = default;
};

// ---- commands and replies -------------------------------------------------
inline constexpr std::size_t kMaxRegWrites = kMaxBody / 6;          // 41
inline constexpr std::size_t kMaxRegReadCount = (kMaxBody - 3) / 4;  // 61
inline constexpr std::size_t kMaxMemWords = (kMaxBody - 6) / 2;      // 121

enum class MemSpace : std::uint8_t {
  kNeuronParams = 0x00,
  kWeights = 0x01,
  kPlasticity = 0x02,   // plasticity registers and step tables (docs/plasticity.md §6)
  kNeuronState = 0x03,  // v, a, r per neuron (docs/link.md §1.1)
};

enum class ControlOp : std::uint8_t {
  kReset = 0x01,    // arg 0: core state, FIFOs, time, core counters; 1: also link counters
  kStart = 0x02,    // run in real time, one timestep per tick of the divider
  kStop = 0x03,     // stop advancing time
  kStep = 0x04,     // advance `arg` timesteps as fast as possible, then stop
  kSetTime = 0x05,  // board time := arg; 1.0 gateware answers ACK unsupported (docs/link.md)
};

enum class Status : std::uint8_t {
  kOk = 0x00,
  kUnknownType = 0x01,
  kMalformed = 0x02,
  kBadAddress = 0x03,
  kNoCredit = 0x04,
  kSequenceGap = 0x05,
  kBusy = 0x06,
  kUnsupported = 0x07,
};

std::string_view to_string(Status s);

struct IdentifyReq {
  friend bool operator==(const IdentifyReq&, const IdentifyReq&) = default;
};

struct Identify {
  std::uint32_t magic = kMagic;
  std::uint8_t proto_major = kVersionMajor;
  std::uint8_t proto_minor = kVersionMinor;
  std::uint8_t gw_major = 0, gw_minor = 0, gw_patch = 0;
  std::uint16_t board_id = 0;
  std::uint32_t build_hash = 0;
  std::uint32_t clock_hz = 0;
  std::uint16_t neurons = 0;
  std::uint16_t inputs = 0;
  std::uint8_t weight_bits = 0;
  std::uint8_t levels = 0;  // conductance levels per synapse, 0 = no plasticity
  std::uint16_t event_credits = 0;
  std::uint8_t command_credits = 0;
  std::uint32_t capabilities = 0;
  friend bool operator==(const Identify&, const Identify&) = default;
};
inline constexpr std::size_t kIdentifyBody = 34;

struct RegWrite {
  struct Item {
    std::uint16_t addr;
    std::uint32_t value;
    friend bool operator==(const Item&, const Item&) = default;
  };
  std::vector<Item> items;  // 1..kMaxRegWrites
  friend bool operator==(const RegWrite&, const RegWrite&) = default;
};

struct RegRead {
  std::uint16_t addr = 0;
  std::uint8_t count = 1;  // 1..kMaxRegReadCount consecutive registers
  friend bool operator==(const RegRead&, const RegRead&) = default;
};

struct RegData {
  std::uint8_t req_seq = 0;
  std::uint16_t addr = 0;
  std::vector<std::uint32_t> values;
  friend bool operator==(const RegData&, const RegData&) = default;
};

struct MemWrite {
  MemSpace space = MemSpace::kNeuronParams;
  std::uint32_t addr = 0;  // word address
  std::vector<std::uint16_t> words;  // 1..kMaxMemWords
  friend bool operator==(const MemWrite&, const MemWrite&) = default;
};

struct MemRead {
  MemSpace space = MemSpace::kNeuronParams;
  std::uint32_t addr = 0;
  std::uint8_t count = 1;  // 1..kMaxMemWords
  friend bool operator==(const MemRead&, const MemRead&) = default;
};

struct MemData {
  std::uint8_t req_seq = 0;
  MemSpace space = MemSpace::kNeuronParams;
  std::uint32_t addr = 0;
  std::vector<std::uint16_t> words;
  friend bool operator==(const MemData&, const MemData&) = default;
};

struct Control {
  ControlOp op = ControlOp::kStop;
  std::uint32_t arg = 0;
  friend bool operator==(const Control&, const Control&) = default;
};

struct Ack {
  std::uint8_t req_seq = 0;
  FrameType req_type = FrameType::kControl;
  Status status = Status::kOk;
  friend bool operator==(const Ack&, const Ack&) = default;
};

struct Credit {
  std::uint8_t last_seq = 0;       // last host frame the board has processed
  std::uint16_t event_free = 0;    // free input-event slots after it
  std::uint8_t command_free = 0;   // free command slots after it
  friend bool operator==(const Credit&, const Credit&) = default;
};

struct CountersReq {
  std::uint8_t first = 0;
  std::uint8_t count = 1;  // 1..kMaxRegReadCount
  friend bool operator==(const CountersReq&, const CountersReq&) = default;
};

struct Counters {
  std::uint8_t req_seq = 0;
  std::uint8_t first = 0;
  std::vector<std::uint32_t> values;
  friend bool operator==(const Counters&, const Counters&) = default;
};

struct Error {
  Status code = Status::kMalformed;
  std::uint8_t ref_seq = 0;
  std::uint8_t ref_type = 0;
  std::uint32_t detail = 0;
  friend bool operator==(const Error&, const Error&) = default;
};

// A decoded spike batch: base time (unwrapped) and its events.
struct SpikeBatch {
  std::uint64_t timestep = 0;
  std::vector<SpikeEvent> events;
  friend bool operator==(const SpikeBatch&, const SpikeBatch&) = default;
};

using Message = std::variant<SpikeBatch, IdentifyReq, Identify, RegWrite, RegRead, RegData,
                             MemWrite, MemRead, MemData, Control, Ack, Credit, CountersReq,
                             Counters, Error>;

FrameType type_of(const Message& m);

// Writes the body of `m` (not SpikeBatch: use encode_spike_body) into `out`
// (at least kMaxBody bytes). Returns the body length. Throws
// std::invalid_argument when a field exceeds what one frame can carry.
std::size_t encode_body(const Message& m, std::uint8_t* out);

// Encodes events[0..] into one spike-batch body, as many as fit, starting at
// base timestep `base` (events must be sorted, with timestep >= base).
// Returns {body length, events consumed}.
struct SpikeBodyResult {
  std::size_t body_size;
  std::size_t consumed;
};
SpikeBodyResult encode_spike_body(std::uint64_t base, std::span<const SpikeEvent> events,
                                  std::uint8_t* out);

// Parses a body of type `t`. Spike bodies are decoded against `base64`
// (the unwrapped batch time) by decode_spike_body instead. Returns nullopt
// when the body is not valid for its type (wrong length, unknown enum).
std::optional<Message> parse_body(FrameType t, std::span<const std::uint8_t> body);

// Appends the spikes of a batch body to `out`, starting at `base64`. Returns
// false (and appends nothing) if the body is malformed.
bool decode_spike_body(std::span<const std::uint8_t> body, std::uint64_t base64,
                       std::vector<SpikeEvent>& out);

// The wire's 32-bit base timestep of a spike body (the first four bytes).
std::optional<std::uint32_t> spike_body_time(std::span<const std::uint8_t> body);

// Board counters, by id, as COUNTERS frames and the register file report them.
enum class CounterId : std::uint8_t {
  kRxFramesOk = 0,
  kRxCrcErrors = 1,
  kRxCobsErrors = 2,
  kRxShortFrames = 3,
  kRxLongFrames = 4,
  kRxOverflow = 5,
  kRxBytesDiscarded = 6,
  kTxFrames = 7,
  kTxDroppedLong = 8,
  kRxSeqLost = 9,
  kRxMalformed = 10,
  kEventsDroppedNoCredit = 11,
  kEventsDroppedBadAddress = 12,
  kEventsLate = 13,  // delivered, but after their timestep
  kSpikesDroppedTxFull = 14,  // output spikes lost: the link to the host was full
  kRxUartErrors = 15,         // bytes lost to UART framing errors (docs/link.md §2.1)
  // The neuron core's (docs/link.md §2.1).
  kCoreAccSaturated = 32,
  kCoreTickOverrun = 33,
  kCoreSpikes = 34,
  kCoreEvents = 35,
  kCoreSops = 36,
  kCorePulsesPot = 37,
  kCorePulsesDep = 38,
  kCoreRateUnslotted = 39,
};
inline constexpr std::size_t kNumLinkCounters = 16;  // ids 0..15
inline constexpr std::size_t kFirstCoreCounter = 32;
inline constexpr std::size_t kNumCoreCounters = 8;   // ids 32..39
inline constexpr std::size_t kNumCounterIds = 48;    // ids 0..47 may be read; unlisted ones read 0
std::string_view to_string(CounterId c);

}  // namespace spikelink::proto
