// usb::Device: the transfer-level interface every transport implements.
// Above it (the FTDI layer, the link engine, spikelink::Board) the code is
// one path for a real board (libusb), the simulated board (sim::Ft2232hModel)
// and a simulator on another process (usb::TcpDevice). See docs/link.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikelink::usb {

enum class ErrorKind {
  kNotFound,      // no such device
  kAccess,        // permission denied (install the udev rule)
  kBusy,          // claimed by another process
  kDisconnected,  // unplugged, or the peer went away
  kTimeout,
  kIo,            // any other transfer failure
  kUnsupported,   // a request the device (or model) does not implement
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

struct DeviceInfo {
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  std::uint16_t bcd_device = 0;
  std::string serial;
  std::string description;  // product string
  std::string location;     // bus-port path ("1-2.3"), "sim", "tcp:HOST:PORT"
};

// Vendor control requests and bulk transfers on one device. Thread-safety:
// one thread may sit in bulk_read() while another calls bulk_write() and the
// control requests.
class Device {
 public:
  virtual ~Device() = default;

  virtual DeviceInfo info() const = 0;
  // bmRequestType 0x40 (host to device, vendor, device recipient).
  virtual void control_out(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                           std::span<const std::uint8_t> data = {}) = 0;
  // bmRequestType 0xC0; returns the bytes received.
  virtual std::size_t control_in(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                                 std::span<std::uint8_t> data) = 0;
  // Sends all of `data` to an OUT endpoint or throws (kTimeout, kDisconnected, ...).
  virtual void bulk_write(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                          std::chrono::milliseconds timeout) = 0;
  // Receives the data of one IN transfer: whole packets of max_packet_size()
  // bytes, only the last possibly short. buf.size() must be a non-zero
  // multiple of max_packet_size(). Returns 0 if nothing came within timeout.
  virtual std::size_t bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                                std::chrono::milliseconds timeout) = 0;
  virtual std::size_t max_packet_size() const { return 512; }
};

// Lists the FTDI devices on the bus with the given ids (libusb).
std::vector<DeviceInfo> enumerate(std::uint16_t vid, std::uint16_t pid);
// Opens a device by ids and optional serial (empty: the only one; several
// throw kNotFound listing their serials), claims `interface` (detaching the
// ftdi_sio kernel driver, reattached on close). Throws usb::Error with a
// message that says what to do (for kAccess: install the udev rule).
std::unique_ptr<Device> open_libusb(std::uint16_t vid, std::uint16_t pid, const std::string& serial,
                                    int interface);

}  // namespace spikelink::usb
