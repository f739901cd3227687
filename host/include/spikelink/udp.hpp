// UDP for the bridge (docs/bridge.md): a socket bound to one address,
// datagrams with their sender, waits with a timeout; and the per-peer rate
// limit. Boost.Asio underneath, used synchronously from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikelink::udp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "HOST:PORT" (IPv4 dotted quad, "localhost", or [IPv6]:PORT).
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string str() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
// Throws Error naming what is wrong. `default_port` when the text has none
// (-1: a port is required).
Endpoint parse_endpoint(const std::string& text, int default_port = -1);

// Datagrams larger than this are oversized for the bridge (a 1500-byte MTU
// less the IPv4 and UDP headers); larger ones are received whole to be
// counted, and dropped.
inline constexpr std::size_t kMaxDatagram = 1472;

struct Datagram {
  Endpoint from;
  std::vector<std::uint8_t> bytes;
  std::size_t size = 0;  // as received: bytes.size() is at most the buffer
  std::chrono::steady_clock::time_point at;  // when the kernel received it (when read, if it gives no time)
};

class Socket {
 public:
  // Binds to `local` (port 0: any free port). Listening on a non-loopback
  // address is the caller's explicit choice.
  explicit Socket(const Endpoint& local);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  Endpoint local() const;  // with the port actually bound
  // Waits up to `timeout` for one datagram; nullopt on timeout.
  std::optional<Datagram> receive(std::chrono::microseconds timeout);
  // Sends one datagram; false (counted by the caller) if the OS refused it.
  bool send(const Endpoint& to, std::span<const std::uint8_t> bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A token bucket: `rate` events a second with bursts of up to `burst`.
// rate 0: no limit.
class RateLimit {
 public:
  RateLimit(double rate = 0, double burst = 0);
  // True if `n` events may pass at `now` (and takes them).
  bool allow(std::chrono::steady_clock::time_point now, double n = 1);

 private:
  double rate_, burst_, tokens_;
  std::chrono::steady_clock::time_point last_{};
  bool started_ = false;
};

}  // namespace spikelink::udp
