// usb::Device on libusb-1.0: the only board-only code under the FTDI layer.
// Bulk IN runs as a ring of asynchronous transfers kept in flight by an
// event thread (the libcaer pattern), so the chip's 4 KiB buffer is drained
// while the caller is busy; completed transfers are queued whole and handed
// out one per bulk_read(). See docs/usb.md.
#include <libusb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "spikelink/usb.hpp"

namespace spikelink::usb {

namespace detail {

// The usb::Error for a libusb return code, with what to do about it.
// `action` is what was being done ("opening", "claiming interface 1 of"),
// `device` names the device ("0403:6010 (bus-port 1-2.3)").
Error libusb_error(int code, const std::string& action, const std::string& device) {
  const std::string dev = "USB device " + device;
  switch (code) {
    case LIBUSB_ERROR_ACCESS:
      return Error(ErrorKind::kAccess, "permission denied " + action + " " + dev +
                                           ": install the udev rule: sudo cp scripts/udev/53-spikelink.rules "
                                           "/etc/udev/rules.d/ && sudo udevadm control --reload && replug the board "
                                           "(docs/usb.md)");
    case LIBUSB_ERROR_BUSY:
      return Error(ErrorKind::kBusy, "device busy " + action + " " + dev +
                                         ": another program holds it (a second spikelink, openFPGALoader, iceprog, "
                                         "or a serial terminal on its ttyUSB port); close that program and retry");
    case LIBUSB_ERROR_NO_DEVICE:
      return Error(ErrorKind::kDisconnected,
                   "device disconnected " + action + " " + dev + ": check the cable and open the board again");
    case LIBUSB_ERROR_NOT_FOUND:
      return Error(ErrorKind::kNotFound, "not found " + action + " " + dev +
                                             ": the device or its interface went away (was it unplugged or "
                                             "re-enumerated?)");
    case LIBUSB_ERROR_TIMEOUT:
      return Error(ErrorKind::kTimeout, "timeout " + action + " " + dev);
    case LIBUSB_ERROR_PIPE:
      return Error(ErrorKind::kIo, "endpoint stalled " + action + " " + dev +
                                       ": the device refused the request (replug the board if it persists)");
    case LIBUSB_ERROR_NOT_SUPPORTED:
      return Error(ErrorKind::kUnsupported, "not supported by this platform's libusb: " + action + " " + dev);
    default:
      return Error(ErrorKind::kIo, std::string("error ") + libusb_error_name(code) + " (" + libusb_strerror(code) + ") " +
                                       action + " " + dev);
  }
}

}  // namespace detail

namespace {

constexpr unsigned kControlTimeoutMs = 1000;
constexpr std::uint8_t kVendorOut = 0x40;  // host to device, vendor, device recipient
constexpr std::uint8_t kVendorIn = 0xC0;
constexpr std::size_t kInTransfers = 4;
constexpr std::size_t kInTransferBytes = 16384;
// Completed transfers queued for the caller beyond which the ring stops
// resubmitting: the chip then buffers, and overruns show in its status bytes
// (counted by the FTDI layer) instead of the host's memory growing.
constexpr std::size_t kMaxQueuedTransfers = 256;
constexpr int kMaxConsecutiveErrors = 8;

std::string ids(std::uint16_t vid, std::uint16_t pid) {
  char s[16];
  std::snprintf(s, sizeof s, "%04x:%04x", vid, pid);
  return s;
}

std::string hex2(unsigned v) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%02x", v & 0xFFu);
  return s;
}

std::string location_of(libusb_device* dev) {
  std::uint8_t ports[8];
  const int n = libusb_get_port_numbers(dev, ports, sizeof ports);
  std::string s = std::to_string(libusb_get_bus_number(dev));
  for (int i = 0; i < n; ++i) s += (i == 0 ? "-" : ".") + std::to_string(ports[i]);
  return s;
}

std::string describe(const DeviceInfo& i) {
  std::string s = ids(i.vid, i.pid) + " (bus-port " + i.location;
  if (!i.serial.empty()) s += ", serial " + i.serial;
  return s + ")";
}

class Context {
 public:
  Context() {
    if (const int r = libusb_init(&ctx_); r != 0) {
      throw Error(ErrorKind::kIo, std::string("cannot initialise libusb: ") + libusb_error_name(r) + " (" +
                                      libusb_strerror(r) + ")");
    }
  }
  ~Context() { libusb_exit(ctx_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  libusb_context* get() const { return ctx_; }

 private:
  libusb_context* ctx_ = nullptr;
};

class DeviceList {
 public:
  explicit DeviceList(libusb_context* ctx) {
    const ssize_t n = libusb_get_device_list(ctx, &list_);
    if (n < 0) throw detail::libusb_error(static_cast<int>(n), "listing", "devices on the bus");
    n_ = static_cast<std::size_t>(n);
  }
  ~DeviceList() { libusb_free_device_list(list_, 1); }
  DeviceList(const DeviceList&) = delete;
  DeviceList& operator=(const DeviceList&) = delete;
  std::span<libusb_device*> devices() const { return {list_, n_}; }

 private:
  libusb_device** list_ = nullptr;
  std::size_t n_ = 0;
};

std::string string_descriptor(libusb_device_handle* h, std::uint8_t index) {
  if (index == 0) return {};
  unsigned char buf[256];
  const int n = libusb_get_string_descriptor_ascii(h, index, buf, sizeof buf);
  if (n <= 0) return {};
  return {reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n)};
}

struct Candidate {
  libusb_device* dev = nullptr;
  DeviceInfo info;
  int open_error = 0;  // libusb code from opening it to read its strings
};

std::vector<Candidate> scan(const DeviceList& list, std::uint16_t vid, std::uint16_t pid) {
  std::vector<Candidate> out;
  for (libusb_device* dev : list.devices()) {
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(dev, &d) != 0 || d.idVendor != vid || d.idProduct != pid) continue;
    Candidate c;
    c.dev = dev;
    c.info.vid = vid;
    c.info.pid = pid;
    c.info.bcd_device = d.bcdDevice;
    c.info.location = location_of(dev);
    libusb_device_handle* h = nullptr;
    c.open_error = libusb_open(dev, &h);
    if (c.open_error == 0) {
      c.info.serial = string_descriptor(h, d.iSerialNumber);
      c.info.description = string_descriptor(h, d.iProduct);
      libusb_close(h);
    } else {
      c.info.description = std::string("(cannot read its strings: ") + libusb_error_name(c.open_error) + ")";
    }
    out.push_back(std::move(c));
  }
  return out;
}

class LibusbDevice final : public Device {
 public:
  LibusbDevice(std::unique_ptr<Context> ctx, libusb_device_handle* h, DeviceInfo info, int interface,
               bool reattach_kernel_driver)
      : ctx_(std::move(ctx)), h_(h), info_(std::move(info)), interface_(interface), reattach_(reattach_kernel_driver) {
    find_max_packet_size();
    events_ = std::thread([this] { event_loop(); });
  }

  ~LibusbDevice() override {
    std::vector<libusb_transfer*> flying;
    {
      std::lock_guard lk(m_);
      stopping_ = true;  // from here no completion resubmits
      for (auto& [ep, s] : streams_) {
        for (auto& slot : s->slots) {
          if (slot.in_flight) flying.push_back(slot.transfer);
        }
      }
    }
    // One that completes meanwhile makes its cancel a harmless NOT_FOUND.
    for (libusb_transfer* t : flying) libusb_cancel_transfer(t);
    events_.join();
    bool leak = false;
    {
      std::lock_guard lk(m_);
      leak = in_flight_ > 0;
    }
    // A transfer libusb never gave back must not be freed under it.
    if (!leak) {
      for (auto& [ep, s] : streams_) {
        for (auto& slot : s->slots) libusb_free_transfer(slot.transfer);
      }
    }
    libusb_release_interface(h_, interface_);
    if (reattach_) libusb_attach_kernel_driver(h_, interface_);
    libusb_close(h_);
  }

  LibusbDevice(const LibusbDevice&) = delete;
  LibusbDevice& operator=(const LibusbDevice&) = delete;

  DeviceInfo info() const override { return info_; }
  std::size_t max_packet_size() const override { return max_packet_; }

  void control_out(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                   std::span<const std::uint8_t> data) override {
    check_connected("sending request " + hex2(request) + " to");
    // libusb takes a non-const buffer for both directions; it only reads an OUT one.
    const int r = libusb_control_transfer(h_, kVendorOut,
                                          request, value, index, const_cast<std::uint8_t*>(data.data()),
                                          static_cast<std::uint16_t>(data.size()), kControlTimeoutMs);
    if (r < 0) fail(r, "sending request " + hex2(request) + " to");
  }

  std::size_t control_in(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                         std::span<std::uint8_t> data) override {
    check_connected("sending request " + hex2(request) + " to");
    const int r = libusb_control_transfer(h_, kVendorIn,
                                          request, value, index, data.data(), static_cast<std::uint16_t>(data.size()),
                                          kControlTimeoutMs);
    if (r < 0) fail(r, "sending request " + hex2(request) + " to");
    return static_cast<std::size_t>(r);
  }

  void bulk_write(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                  std::chrono::milliseconds timeout) override {
    const std::string action = "writing to endpoint " + hex2(endpoint) + " of";
    check_connected(action);
    std::size_t sent = 0;
    while (sent < data.size()) {
      const std::size_t chunk = std::min<std::size_t>(data.size() - sent, 1u << 20);
      int done = 0;
      const int r = libusb_bulk_transfer(h_, endpoint, const_cast<std::uint8_t*>(data.data() + sent),
                                         static_cast<int>(chunk), &done,
                                         static_cast<unsigned>(std::max<std::int64_t>(timeout.count(), 1)));
      sent += static_cast<std::size_t>(std::max(done, 0));
      if (r != 0) {
        if (r == LIBUSB_ERROR_NO_DEVICE) mark_disconnected();
        const Error e = detail::libusb_error(r, action, describe(info_));
        throw Error(e.kind(), std::string(e.what()) + " (" + std::to_string(sent) + " of " +
                                  std::to_string(data.size()) + " bytes sent)");
      }
    }
  }

  std::size_t bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                        std::chrono::milliseconds timeout) override {
    if (buf.empty() || buf.size() % max_packet_ != 0) {
      throw Error(ErrorKind::kIo, "bulk_read buffer of " + std::to_string(buf.size()) +
                                      " bytes is not a non-zero multiple of the packet size " +
                                      std::to_string(max_packet_));
    }
    if (!(endpoint & LIBUSB_ENDPOINT_IN)) {
      throw Error(ErrorKind::kIo, "bulk_read from " + hex2(endpoint) + ", which is an OUT endpoint");
    }
    std::unique_lock lk(m_);
    Stream& s = stream(endpoint, lk);
    cv_.wait_for(lk, timeout, [&] { return !s.done.empty() || s.error || disconnected_; });
    if (!s.done.empty()) {
      // Whole packets only: buf is a multiple of the packet size, so a cut
      // transfer resumes at a packet boundary on the next call.
      std::vector<std::uint8_t>& front = s.done.front();
      const std::size_t n = std::min(buf.size(), front.size() - s.front_offset);
      std::memcpy(buf.data(), front.data() + s.front_offset, n);
      s.front_offset += n;
      if (s.front_offset == front.size()) {
        s.done.pop_front();
        s.front_offset = 0;
      }
      resubmit_parked(s, lk);
      return n;
    }
    if (s.error) throw *s.error;
    if (disconnected_) {
      throw detail::libusb_error(LIBUSB_ERROR_NO_DEVICE, "reading from endpoint " + hex2(endpoint) + " of",
                                 describe(info_));
    }
    return 0;
  }

 private:
  struct Stream;
  struct Slot {
    LibusbDevice* owner = nullptr;
    Stream* stream = nullptr;
    libusb_transfer* transfer = nullptr;
    std::vector<std::uint8_t> buffer;
    bool in_flight = false;
  };
  struct Stream {
    std::uint8_t endpoint = 0;
    std::deque<Slot> slots;  // stable addresses: libusb holds pointers to them
    std::deque<std::vector<std::uint8_t>> done;
    std::size_t front_offset = 0;
    std::vector<Slot*> parked;  // completed but not resubmitted (queue full)
    std::optional<Error> error;
    int consecutive_errors = 0;
  };

  void find_max_packet_size() {
    libusb_device* dev = libusb_get_device(h_);
    libusb_config_descriptor* cfg = nullptr;
    if (libusb_get_active_config_descriptor(dev, &cfg) != 0) return;
    for (int i = 0; i < cfg->bNumInterfaces; ++i) {
      const libusb_interface& itf = cfg->interface[i];
      if (itf.num_altsetting < 1 || itf.altsetting[0].bInterfaceNumber != interface_) continue;
      const libusb_interface_descriptor& alt = itf.altsetting[0];
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& ep = alt.endpoint[e];
        if ((ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) && ep.wMaxPacketSize > 0) max_packet_ = ep.wMaxPacketSize;
      }
    }
    libusb_free_config_descriptor(cfg);
  }

  void event_loop() {
    timeval tv{0, 100 * 1000};
    for (;;) {
      {
        std::lock_guard lk(m_);
        if (stopping_ && in_flight_ == 0) return;
        if (stopping_ && ++stop_polls_ > 50) return;  // 5 s: libusb has lost a transfer; leak it
      }
      libusb_handle_events_timeout_completed(ctx_->get(), &tv, nullptr);
    }
  }

  void check_connected(const std::string& action) {
    std::lock_guard lk(m_);
    if (disconnected_) throw detail::libusb_error(LIBUSB_ERROR_NO_DEVICE, action, describe(info_));
  }

  [[noreturn]] void fail(int code, const std::string& action) {
    if (code == LIBUSB_ERROR_NO_DEVICE) mark_disconnected();
    throw detail::libusb_error(code, action, describe(info_));
  }

  void mark_disconnected() {
    std::lock_guard lk(m_);
    disconnected_ = true;
    cv_.notify_all();
  }

  // The stream of `endpoint`, its transfers submitted on first use (so that
  // nothing is read before the caller has purged the chip).
  Stream& stream(std::uint8_t endpoint, std::unique_lock<std::mutex>& lk) {
    auto it = streams_.find(endpoint);
    if (it != streams_.end()) return *it->second;
    auto s = std::make_unique<Stream>();
    s->endpoint = endpoint;
    std::vector<Slot*> fresh;
    for (std::size_t i = 0; i < kInTransfers; ++i) {
      Slot& slot = s->slots.emplace_back();
      slot.owner = this;
      slot.stream = s.get();
      slot.buffer.resize(kInTransferBytes);
      slot.transfer = libusb_alloc_transfer(0);
      if (!slot.transfer) throw Error(ErrorKind::kIo, "libusb_alloc_transfer failed (out of memory)");
      libusb_fill_bulk_transfer(slot.transfer, h_, endpoint, slot.buffer.data(), static_cast<int>(slot.buffer.size()),
                                &LibusbDevice::on_in_complete, &slot, 0);
      fresh.push_back(&slot);
    }
    Stream& ref = *s;
    streams_.emplace(endpoint, std::move(s));
    submit(ref, fresh, lk);
    return ref;
  }

  // Submits outside m_ (a completion may be waiting for it in the event
  // thread), counting the transfers in flight first so close waits for them.
  void submit(Stream& s, const std::vector<Slot*>& slots, std::unique_lock<std::mutex>& lk) {
    if (slots.empty() || stopping_) return;
    for (Slot* slot : slots) {
      slot->in_flight = true;
      ++in_flight_;
    }
    lk.unlock();
    std::vector<std::pair<Slot*, int>> failed;
    for (Slot* slot : slots) {
      if (const int r = libusb_submit_transfer(slot->transfer); r != 0) failed.emplace_back(slot, r);
    }
    lk.lock();
    for (auto [slot, r] : failed) {
      slot->in_flight = false;
      --in_flight_;
      note_submit_error(s, r);
    }
  }

  void note_submit_error(Stream& s, int r) {
    if (r == LIBUSB_ERROR_NO_DEVICE) {
      disconnected_ = true;
    } else if (!s.error) {
      s.error = detail::libusb_error(r, "submitting a read of endpoint " + hex2(s.endpoint) + " of", describe(info_));
    }
    cv_.notify_all();
  }

  void resubmit_parked(Stream& s, std::unique_lock<std::mutex>& lk) {
    if (s.parked.empty() || s.done.size() >= kMaxQueuedTransfers || disconnected_) return;
    std::vector<Slot*> slots;
    slots.swap(s.parked);
    submit(s, slots, lk);
  }

  static void LIBUSB_CALL on_in_complete(libusb_transfer* t) {
    auto* slot = static_cast<Slot*>(t->user_data);
    slot->owner->completed(*slot);
  }

  // Runs on the event thread.
  void completed(Slot& slot) {
    std::lock_guard lk(m_);
    Stream& s = *slot.stream;
    libusb_transfer* t = slot.transfer;
    slot.in_flight = false;
    --in_flight_;
    bool resubmit = false;
    switch (t->status) {
      case LIBUSB_TRANSFER_COMPLETED:
        s.consecutive_errors = 0;
        if (t->actual_length > 0) s.done.emplace_back(slot.buffer.begin(), slot.buffer.begin() + t->actual_length);
        resubmit = true;
        break;
      case LIBUSB_TRANSFER_NO_DEVICE:
        disconnected_ = true;
        break;
      case LIBUSB_TRANSFER_CANCELLED:
        break;
      case LIBUSB_TRANSFER_TIMED_OUT:  // no timeout is set; treat as a retryable glitch
      case LIBUSB_TRANSFER_ERROR:
        // An unplug often shows first as a plain error; the resubmit then
        // fails with NO_DEVICE.
        resubmit = ++s.consecutive_errors < kMaxConsecutiveErrors;
        if (!resubmit && !s.error) {
          s.error = Error(ErrorKind::kIo, "repeated transfer errors reading endpoint " + hex2(s.endpoint) +
                                              " of USB device " + describe(info_) + ": replug the board");
        }
        break;
      case LIBUSB_TRANSFER_STALL:
        if (!s.error) s.error = detail::libusb_error(LIBUSB_ERROR_PIPE, "reading endpoint " + hex2(s.endpoint) + " of",
                                                     describe(info_));
        break;
      case LIBUSB_TRANSFER_OVERFLOW:
        if (!s.error) s.error = detail::libusb_error(LIBUSB_ERROR_OVERFLOW, "reading endpoint " + hex2(s.endpoint) +
                                                     " of", describe(info_));
        break;
    }
    if (resubmit && !stopping_ && !disconnected_) {
      if (s.done.size() >= kMaxQueuedTransfers) {
        s.parked.push_back(&slot);
      } else if (const int r = libusb_submit_transfer(t); r == 0) {
        slot.in_flight = true;
        ++in_flight_;
      } else {
        note_submit_error(s, r);
      }
    }
    cv_.notify_all();
  }

  std::unique_ptr<Context> ctx_;
  libusb_device_handle* h_;
  DeviceInfo info_;
  int interface_;
  bool reattach_;
  std::size_t max_packet_ = 512;

  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::uint8_t, std::unique_ptr<Stream>> streams_;
  int in_flight_ = 0;
  int stop_polls_ = 0;
  bool stopping_ = false;
  bool disconnected_ = false;
  std::thread events_;
};

}  // namespace

std::vector<DeviceInfo> enumerate(std::uint16_t vid, std::uint16_t pid) {
  Context ctx;
  DeviceList list(ctx.get());
  std::vector<DeviceInfo> out;
  for (Candidate& c : scan(list, vid, pid)) out.push_back(std::move(c.info));
  return out;
}

std::unique_ptr<Device> open_libusb(std::uint16_t vid, std::uint16_t pid, const std::string& serial, int interface) {
  auto ctx = std::make_unique<Context>();
  libusb_device_handle* h = nullptr;
  DeviceInfo info;
  {
    DeviceList list(ctx->get());
    std::vector<Candidate> found = scan(list, vid, pid);
    auto listing = [&] {
      std::string s;
      for (const Candidate& c : found) {
        s += (s.empty() ? "" : ", ") + (c.info.serial.empty() ? std::string("serial unreadable") : "serial " + c.info.serial) +
             " at bus-port " + c.info.location;
      }
      return s;
    };
    if (found.empty()) {
      throw Error(ErrorKind::kNotFound, "no USB device " + ids(vid, pid) +
                                            " found: is the board plugged in? (`lsusb -d " + ids(vid, pid) + "` lists it)");
    }
    const Candidate* chosen = nullptr;
    if (!serial.empty()) {
      for (const Candidate& c : found) {
        if (c.info.serial == serial) chosen = &c;
      }
      if (!chosen) {
        for (const Candidate& c : found) {
          if (c.open_error == LIBUSB_ERROR_ACCESS) {
            throw detail::libusb_error(LIBUSB_ERROR_ACCESS, "reading the serial number of", describe(c.info));
          }
        }
        throw Error(ErrorKind::kNotFound,
                    "no USB device " + ids(vid, pid) + " with serial " + serial + "; found: " + listing());
      }
    } else if (found.size() > 1) {
      throw Error(ErrorKind::kNotFound, "several USB devices " + ids(vid, pid) + " found (" + listing() +
                                            "): choose one by its serial (usb://" + ids(vid, pid) + "?serial=...)");
    } else {
      chosen = &found.front();
    }
    info = chosen->info;
    if (const int r = libusb_open(chosen->dev, &h); r != 0) throw detail::libusb_error(r, "opening", describe(info));
  }
  const std::string itf = "interface " + std::to_string(interface) + " of";
  bool reattach = false;
  const int active = libusb_kernel_driver_active(h, interface);
  if (active == 1) {
    if (const int r = libusb_detach_kernel_driver(h, interface); r != 0) {
      libusb_close(h);
      throw detail::libusb_error(r, "detaching the kernel driver (ftdi_sio) from " + itf, describe(info));
    }
    reattach = true;
  }
  if (const int r = libusb_claim_interface(h, interface); r != 0) {
    if (reattach) libusb_attach_kernel_driver(h, interface);
    libusb_close(h);
    throw detail::libusb_error(r, "claiming " + itf, describe(info));
  }
  return std::make_unique<LibusbDevice>(std::move(ctx), h, std::move(info), interface, reattach);
}

}  // namespace spikelink::usb
