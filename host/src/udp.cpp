// UDP for the bridge, on Boost.Asio (docs/bridge.md).
#include "spikelink/udp.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include <boost/asio.hpp>
#include <fmt/format.h>

namespace spikelink::udp {

namespace asio = boost::asio;
using asio::ip::udp;

std::string Endpoint::str() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Endpoint parse_endpoint(const std::string& text, int default_port) {
  Endpoint e;
  std::string host = text, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) throw Error(fmt::format("'{}': an IPv6 address needs its closing ']'", text));
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw Error(fmt::format("'{}': expected ':PORT' after ']'", text));
      port = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw Error(fmt::format("'{}': no host (for example 127.0.0.1:5005)", text));
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) throw Error(fmt::format("'{}': '{}' is not an IP address (names are not looked up)", text, host));
  e.host = host;
  if (port.empty()) {
    if (default_port < 0) throw Error(fmt::format("'{}': no port (for example {}:5005)", text, host));
    e.port = static_cast<std::uint16_t>(default_port);
    return e;
  }
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) || port.size() > 5 ||
      std::stoul(port) > 65535)
    throw Error(fmt::format("'{}': the port '{}' is not 0..65535", text, port));
  e.port = static_cast<std::uint16_t>(std::stoul(port));
  return e;
}

namespace {

udp::endpoint to_asio(const Endpoint& e) { return udp::endpoint(asio::ip::make_address(e.host), e.port); }

Endpoint from_asio(const udp::endpoint& e) {
  auto addr = e.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  return Endpoint{addr.to_string(), e.port()};
}

}  // namespace

struct Socket::Impl {
  asio::io_context io;
  udp::socket sock{io};
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(65536);
};

Socket::Socket(const Endpoint& local) : impl_(std::make_unique<Impl>()) {
  boost::system::error_code ec;
  const auto ep = to_asio(local);
  impl_->sock.open(ep.protocol(), ec);
  if (!ec) impl_->sock.bind(ep, ec);
  if (ec) throw Error(fmt::format("cannot listen on {}: {}", local.str(), ec.message()));
  impl_->sock.non_blocking(true, ec);
  // A deep receive buffer: bursts wait in the kernel, not on the wire.
  impl_->sock.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  // The kernel's receive time of each datagram (Datagram::at).
  const int on = 1;
  ::setsockopt(impl_->sock.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

Socket::~Socket() = default;

Endpoint Socket::local() const { return from_asio(impl_->sock.local_endpoint()); }

std::optional<Datagram> Socket::receive(std::chrono::microseconds timeout) {
  auto& s = impl_->sock;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // recvmsg rather than Asio's receive_from, for the kernel's receive
    // timestamp: a datagram may wait in the socket while the bridge steps
    // the board, and its arrival time must include that wait.
    udp::endpoint from;
    iovec iov{impl_->buf.data(), impl_->buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_name = from.data();
    msg.msg_namelen = static_cast<socklen_t>(from.capacity());
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = ::recvmsg(s.native_handle(), &msg, MSG_TRUNC);
    if (got >= 0) {
      const auto now = std::chrono::steady_clock::now();
      from.resize(msg.msg_namelen);
      const auto n = static_cast<std::size_t>(got);  // with MSG_TRUNC: the datagram's real size
      Datagram d;
      d.from = from_asio(from);
      d.size = n;
      d.bytes.assign(impl_->buf.begin(),
                     impl_->buf.begin() + static_cast<std::ptrdiff_t>(std::min({n, kMaxDatagram, impl_->buf.size()})));
      d.at = now;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        const auto kernel = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
        const auto waited = std::chrono::system_clock::now() - kernel;
        if (waited > std::chrono::system_clock::duration::zero() && waited < std::chrono::seconds(60))
          d.at = now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(waited);
      }
      return d;
    }
    const int err = errno;
    if (err != EAGAIN && err != EWOULDBLOCK && err != ECONNREFUSED && err != EINTR)
      throw Error(fmt::format("receiving on {}: {}", local().str(), std::strerror(err)));
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    // Wait for readability, at most until the deadline.
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
    timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    pollfd pfd{s.native_handle(), POLLIN, 0};
    if (ppoll(&pfd, 1, &ts, nullptr) < 0 && errno != EINTR)
      throw Error(fmt::format("waiting on {}: {}", local().str(), std::strerror(errno)));
  }
}

bool Socket::send(const Endpoint& to, std::span<const std::uint8_t> bytes) {
  boost::system::error_code ec;
  impl_->sock.send_to(asio::buffer(bytes.data(), bytes.size()), to_asio(to), 0, ec);
  return !ec;
}

RateLimit::RateLimit(double rate, double burst)
    : rate_(rate), burst_(burst > 0 ? burst : std::max(1.0, rate / 10)), tokens_(burst_) {}

bool RateLimit::allow(std::chrono::steady_clock::time_point now, double n) {
  if (rate_ <= 0) return true;
  if (started_) {
    const double dt = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + dt * rate_);
  }
  started_ = true;
  last_ = now;
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

}  // namespace spikelink::udp
