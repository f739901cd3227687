// ftdi: the FT2232H's vendor requests, baud-rate divisors and the status
// bytes that head every bulk IN packet, on top of a usb::Device (a real
// board through libusb, or sim::Ft2232hModel). See docs/usb.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spikelink/usb.hpp"

namespace spikelink::ftdi {

inline constexpr std::uint16_t kVid = 0x0403;
inline constexpr std::uint16_t kPidFt2232h = 0x6010;
inline constexpr std::uint16_t kPidFt232h = 0x6014;

// Vendor control requests (bRequest).
namespace req {
inline constexpr std::uint8_t kReset = 0x00;
inline constexpr std::uint8_t kModemCtrl = 0x01;
inline constexpr std::uint8_t kSetFlowCtrl = 0x02;
inline constexpr std::uint8_t kSetBaudRate = 0x03;
inline constexpr std::uint8_t kSetData = 0x04;
inline constexpr std::uint8_t kPollModemStatus = 0x05;
inline constexpr std::uint8_t kSetEventChar = 0x06;
inline constexpr std::uint8_t kSetLatencyTimer = 0x09;
inline constexpr std::uint8_t kGetLatencyTimer = 0x0A;
inline constexpr std::uint8_t kSetBitmode = 0x0B;
inline constexpr std::uint8_t kReadPins = 0x0C;
inline constexpr std::uint8_t kReadEeprom = 0x90;
inline constexpr std::uint8_t kWriteEeprom = 0x91;
inline constexpr std::uint8_t kEraseEeprom = 0x92;
}  // namespace req

// wValue of kReset. FTDI's names for 1 and 2 ("purge RX", "purge TX") are
// from the chip's USB side and are easy to read backwards, so these say the
// direction: 1 drops what the host sent and the UART has not yet sent on,
// 2 drops what the UART received and the host has not yet read (libftdi
// 1.5's SIO_TCOFLUSH and SIO_TCIFLUSH).
inline constexpr std::uint16_t kResetSio = 0;
inline constexpr std::uint16_t kResetPurgeHostToBoard = 1;
inline constexpr std::uint16_t kResetPurgeBoardToHost = 2;

// wIndex high byte of kSetFlowCtrl (0: none).
inline constexpr std::uint16_t kFlowNone = 0x0000;
inline constexpr std::uint16_t kFlowRtsCts = 0x0100;
inline constexpr std::uint16_t kFlowDtrDsr = 0x0200;
inline constexpr std::uint16_t kFlowXonXoff = 0x0400;

// wValue of kSetData: data bits in the low byte, parity << 8, stop << 11,
// break << 14.
inline constexpr std::uint16_t kData8N1 = 0x0008;

// wValue of kModemCtrl: levels in the low byte, which lines to change in the high byte.
inline constexpr std::uint16_t kModemDtr = 0x01;
inline constexpr std::uint16_t kModemRts = 0x02;

enum class Bitmode : std::uint8_t {
  kReset = 0x00,  // UART (or FIFO, as the EEPROM says)
  kBitbang = 0x01,
  kMpsse = 0x02,
  kSyncBitbang = 0x04,
  kMcuHost = 0x08,
  kOpto = 0x10,
  kSyncFifo = 0x40,
};

// Status bytes. Byte 0 (modem status): low nibble 0x1 on H chips, then:
inline constexpr std::uint8_t kModemCts = 0x10;
inline constexpr std::uint8_t kModemDsr = 0x20;
inline constexpr std::uint8_t kModemRi = 0x40;
inline constexpr std::uint8_t kModemDcd = 0x80;
// Byte 1 (line status):
inline constexpr std::uint8_t kLineDataReady = 0x01;
inline constexpr std::uint8_t kLineOverrun = 0x02;
inline constexpr std::uint8_t kLineParity = 0x04;
inline constexpr std::uint8_t kLineFraming = 0x08;
inline constexpr std::uint8_t kLineBreak = 0x10;
inline constexpr std::uint8_t kLineThre = 0x20;
inline constexpr std::uint8_t kLineTemt = 0x40;
inline constexpr std::uint8_t kLineFifoError = 0x80;
inline constexpr std::size_t kStatusBytes = 2;

// The FT2232H's two channels. The value is the wIndex of the vendor requests.
enum class Port : std::uint8_t { kA = 1, kB = 2 };

constexpr std::uint16_t index_of(Port p) { return static_cast<std::uint16_t>(p); }
constexpr int interface_of(Port p) { return p == Port::kA ? 0 : 1; }
constexpr std::uint8_t out_endpoint(Port p) { return p == Port::kA ? 0x02 : 0x04; }
constexpr std::uint8_t in_endpoint(Port p) { return p == Port::kA ? 0x81 : 0x83; }
constexpr char port_name(Port p) { return p == Port::kA ? 'A' : 'B'; }

// What SET_BAUDRATE is sent with for a rate, and the rate the chip then
// runs at. H chips divide a 12 MHz reference (120 MHz / 10; bit 17 of the
// encoded divisor selects it) or the legacy 3 MHz one by n + k/8 (n ≥ 2), or
// by 1 (code 0) or 1.5 (code 1). wValue holds n (bits 0..13) and the low two
// bits of the eighths code; wIndex's high byte holds the code's third bit
// (bit 8) and the 12 MHz select (bit 9), its low byte the channel.
struct BaudSetting {
  std::uint16_t value = 0;
  std::uint16_t index = 0;
  std::uint32_t encoded = 0;  // the 18-bit divisor word (value | index_high << 16)
  double actual = 0;          // baud the chip produces
};

inline constexpr double kMaxBaudError = 0.03;

// The setting whose actual rate is nearest `baud`. Throws
// std::invalid_argument if that is more than 3 % off (for example 10 Mbaud:
// the nearest are 8 and 12 Mbaud; or below 184 baud).
BaudSetting baud_setting(double baud, Port port);

// Counts of what the channel has seen in the status bytes and moved.
struct LineCounters {
  std::uint64_t bytes_read = 0;     // data bytes, status bytes stripped
  std::uint64_t bytes_written = 0;
  std::uint64_t transfers = 0;      // bulk IN transfers that returned data
  std::uint64_t packets = 0;        // IN packets (status-only included)
  std::uint64_t status_only_packets = 0;
  std::uint64_t runt_packets = 0;   // packets shorter than the 2 status bytes (ignored)
  // Packets whose line status reported the error. The FT2232H reports an
  // overrun when its 4 KiB receive buffer was full and the board's bytes
  // were lost: data is missing before the packet that reports it.
  std::uint64_t overrun_errors = 0;
  std::uint64_t parity_errors = 0;
  std::uint64_t framing_errors = 0;
  std::uint64_t break_conditions = 0;
};

struct Status {
  std::uint8_t modem = 0;  // kModem*
  std::uint8_t line = 0;   // kLine*
};

// One channel of an FT2232H. Thread-safety as usb::Device: one thread may
// read() while another writes and sends requests.
class Channel {
 public:
  // `read_size`: bytes asked of each bulk IN transfer, rounded up to whole packets.
  Channel(usb::Device& dev, Port port, std::size_t read_size = 16384);

  Port port() const { return port_; }
  usb::Device& device() { return dev_; }

  // UART mode, 8N1, no flow control, both buffers purged. Returns the
  // actual baud (baud_setting). Throws std::invalid_argument for an
  // impossible rate or latency (1..255 ms), usb::Error from the device.
  double open_uart(double baud, unsigned latency_ms);

  void reset();
  void purge_host_to_board();
  void purge_board_to_host();
  void set_latency_timer(unsigned ms);
  unsigned latency_timer();  // GET_LATENCY_TIMER
  void set_bitmode(Bitmode mode, std::uint8_t pin_mask = 0);
  void set_data(std::uint16_t value);  // kData8N1 …
  void set_flow_control(std::uint16_t flow);  // kFlow*
  double set_baud(double baud);  // returns the actual baud
  void set_modem_control(bool dtr, bool rts);
  // SET_EVENT_CHAR: when the chip receives this byte it sends what it holds
  // at once rather than at the latency timer; nullopt turns it off. The
  // link sets the frame delimiter 0x00, so every frame leaves the chip as
  // soon as it is complete.
  void set_event_char(std::optional<std::uint8_t> c);

  // Sends all of `data` or throws.
  void write(std::span<const std::uint8_t> data,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  // One bulk IN transfer: appends its data bytes to `out` (status bytes
  // stripped from every packet) and returns how many. 0 when nothing came
  // within `timeout`, or only status.
  std::size_t read(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout);

  // POLL_MODEM_STATUS; also updates modem_status().
  Status poll_modem_status();
  // The status bytes of the last packet read (or of the last poll).
  Status modem_status() const;
  LineCounters counters() const;
  double baud() const;  // the actual baud last set

 private:
  void control_out(const char* what, std::uint8_t request, std::uint16_t value, std::uint16_t index);
  [[noreturn]] void rethrow(const usb::Error& e, const std::string& what) const;
  std::string where() const;

  usb::Device& dev_;
  Port port_;
  std::vector<std::uint8_t> in_buf_;  // used by the reading thread only
  mutable std::mutex m_;  // guards the fields below
  Status status_{};
  LineCounters counters_{};
  double baud_ = 0;
};

}  // namespace spikelink::ftdi
