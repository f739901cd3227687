// usb::Device over TCP (docs/link.md §5), with Boost.Asio's blocking sockets.
#include "spikelink/tcp_device.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <cstring>
#include <mutex>
#include <vector>

namespace spikelink::usb {
namespace {

namespace asio = boost::asio;
namespace ip = asio::ip;

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

class TcpDevice final : public Device {
 public:
  TcpDevice(const std::string& host, std::uint16_t port) : socket_(io_), where_(host + ":" + std::to_string(port)) {
    boost::system::error_code ec;
    ip::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec)
      throw Error(ErrorKind::kNotFound, "cannot connect to spikelink-sim at " + where_ + ": " + ec.message() +
                                            " (start one with `spikelink-sim --port " + std::to_string(port) + "`)");
    socket_.set_option(ip::tcp::no_delay(true));
    std::uint8_t hello[sizeof(tcp::kGreeting)];
    read_exact(hello, sizeof hello);
    if (std::memcmp(hello, tcp::kGreeting, sizeof hello) != 0)
      throw Error(ErrorKind::kIo, where_ + " is not a spikelink-sim server (bad greeting)");
    auto [status, payload] = read_reply();
    if (status != 0) throw make_error(status, payload);
  }

  DeviceInfo info() const override {
    auto [status, p] = const_cast<TcpDevice*>(this)->request(tcp::Op::kInfo, {});
    if (status != 0) throw make_error(status, p);
    DeviceInfo d;
    if (p.size() < 6) throw Error(ErrorKind::kIo, "short INFO reply from " + where_);
    d.vid = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
    d.pid = static_cast<std::uint16_t>(p[2] | (p[3] << 8));
    d.bcd_device = static_cast<std::uint16_t>(p[4] | (p[5] << 8));
    std::vector<std::string> strs;
    std::string cur;
    for (std::size_t i = 6; i < p.size(); ++i) {
      if (p[i] == 0) {
        strs.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(static_cast<char>(p[i]));
      }
    }
    strs.resize(3);
    d.serial = strs[0];
    d.description = strs[1];
    d.location = "tcp:" + where_ + (strs[2].empty() ? "" : "/" + strs[2]);
    return d;
  }

  void control_out(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                   std::span<const std::uint8_t> data) override {
    std::vector<std::uint8_t> b{request};
    put16(b, value);
    put16(b, index);
    b.insert(b.end(), data.begin(), data.end());
    auto [status, p] = this->request(tcp::Op::kControlOut, b);
    if (status != 0) throw make_error(status, p);
  }

  std::size_t control_in(std::uint8_t request, std::uint16_t value, std::uint16_t index,
                         std::span<std::uint8_t> data) override {
    std::vector<std::uint8_t> b{request};
    put16(b, value);
    put16(b, index);
    put16(b, static_cast<std::uint16_t>(data.size()));
    auto [status, p] = this->request(tcp::Op::kControlIn, b);
    if (status != 0) throw make_error(status, p);
    const std::size_t n = std::min(p.size(), data.size());
    std::memcpy(data.data(), p.data(), n);
    return n;
  }

  void bulk_write(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                  std::chrono::milliseconds timeout) override {
    std::vector<std::uint8_t> b{endpoint};
    put32(b, static_cast<std::uint32_t>(timeout.count()));
    b.insert(b.end(), data.begin(), data.end());
    auto [status, p] = request(tcp::Op::kBulkWrite, b);
    if (status != 0) throw make_error(status, p);
  }

  std::size_t bulk_read(std::uint8_t endpoint, std::span<std::uint8_t> buf,
                        std::chrono::milliseconds timeout) override {
    std::vector<std::uint8_t> b{endpoint};
    put32(b, static_cast<std::uint32_t>(buf.size()));
    put32(b, static_cast<std::uint32_t>(timeout.count()));
    auto [status, p] = request(tcp::Op::kBulkRead, b);
    if (status != 0) throw make_error(status, p);
    if (p.size() > buf.size()) throw Error(ErrorKind::kIo, "bulk read reply larger than the buffer from " + where_);
    std::memcpy(buf.data(), p.data(), p.size());
    return p.size();
  }

 private:
  Error make_error(std::uint8_t status, const std::vector<std::uint8_t>& msg) const {
    const auto kind = static_cast<ErrorKind>(status - 1);
    return Error(kind, std::string(msg.begin(), msg.end()) + " (spikelink-sim at " + where_ + ")");
  }

  void read_exact(std::uint8_t* p, std::size_t n) {
    boost::system::error_code ec;
    asio::read(socket_, asio::buffer(p, n), ec);
    if (ec) throw Error(ErrorKind::kDisconnected, "spikelink-sim at " + where_ + " closed the connection: " + ec.message());
  }

  std::pair<std::uint8_t, std::vector<std::uint8_t>> read_reply() {
    std::uint8_t head[5];
    read_exact(head, 5);
    const std::uint32_t len = get32(head + 1);
    if (len > tcp::kMaxPayload) throw Error(ErrorKind::kIo, "oversized reply from " + where_);
    std::vector<std::uint8_t> payload(len);
    if (len) read_exact(payload.data(), len);
    if (head[0] > static_cast<std::uint8_t>(ErrorKind::kUnsupported) + 1)
      throw Error(ErrorKind::kIo, "bad reply status from " + where_);
    return {head[0], std::move(payload)};
  }

  std::pair<std::uint8_t, std::vector<std::uint8_t>> request(tcp::Op op, const std::vector<std::uint8_t>& body) {
    std::lock_guard lock(mu_);
    std::vector<std::uint8_t> msg{static_cast<std::uint8_t>(op)};
    put32(msg, static_cast<std::uint32_t>(body.size()));
    msg.insert(msg.end(), body.begin(), body.end());
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(msg), ec);
    if (ec) throw Error(ErrorKind::kDisconnected, "spikelink-sim at " + where_ + " went away: " + ec.message());
    return read_reply();
  }

  asio::io_context io_;
  ip::tcp::socket socket_;
  std::string where_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<Device> open_tcp(const std::string& host, std::uint16_t port) {
  return std::make_unique<TcpDevice>(host, port);
}

}  // namespace spikelink::usb
