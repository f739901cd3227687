#include "sim_server.hpp"

#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "spikelink/tcp_device.hpp"

namespace spikelink::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace wire = usb::tcp;

std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

void send_reply(tcp::socket& s, std::uint8_t status, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> msg{status};
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) msg.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  msg.insert(msg.end(), payload.begin(), payload.end());
  asio::write(s, asio::buffer(msg));
}

std::vector<std::uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

struct Server::Impl {
  usb::Device& device;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> served{0}, refused{0};
  std::mutex mu;
  std::shared_ptr<tcp::socket> client;  // the one being served
  std::string client_name;
  std::thread worker;

  explicit Impl(usb::Device& d) : device(d) {}

  // Runs one request against the device; returns {status, payload}.
  std::pair<std::uint8_t, std::vector<std::uint8_t>> handle(std::uint8_t op, const std::vector<std::uint8_t>& b) {
    try {
      switch (static_cast<wire::Op>(op)) {
        case wire::Op::kInfo: {
          const auto d = device.info();
          std::vector<std::uint8_t> p;
          for (std::uint16_t v : {d.vid, d.pid, d.bcd_device}) {
            p.push_back(static_cast<std::uint8_t>(v));
            p.push_back(static_cast<std::uint8_t>(v >> 8));
          }
          for (const auto* s : {&d.serial, &d.description, &d.location}) {
            p.insert(p.end(), s->begin(), s->end());
            p.push_back(0);
          }
          return {0, p};
        }
        case wire::Op::kControlOut:
          if (b.size() < 5) break;
          device.control_out(b[0], get16(&b[1]), get16(&b[3]), std::span<const std::uint8_t>(b).subspan(5));
          return {0, {}};
        case wire::Op::kControlIn: {
          if (b.size() != 7) break;
          std::vector<std::uint8_t> data(get16(&b[5]));
          data.resize(device.control_in(b[0], get16(&b[1]), get16(&b[3]), data));
          return {0, data};
        }
        case wire::Op::kBulkWrite:
          if (b.size() < 5) break;
          device.bulk_write(b[0], std::span<const std::uint8_t>(b).subspan(5), std::chrono::milliseconds(get32(&b[1])));
          return {0, {}};
        case wire::Op::kBulkRead: {
          if (b.size() != 9) break;
          const std::uint32_t n = get32(&b[1]);
          if (n == 0 || n > wire::kMaxPayload) break;
          std::vector<std::uint8_t> data(n);
          data.resize(device.bulk_read(b[0], data, std::chrono::milliseconds(get32(&b[5]))));
          return {0, data};
        }
      }
      return {1 + static_cast<std::uint8_t>(usb::ErrorKind::kUnsupported),
              text("malformed request (op " + std::to_string(op) + ", " + std::to_string(b.size()) + " bytes)")};
    } catch (const usb::Error& e) {
      return {static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(e.kind())), text(e.what())};
    } catch (const std::exception& e) {
      return {1 + static_cast<std::uint8_t>(usb::ErrorKind::kIo), text(e.what())};
    }
  }

  void serve(std::shared_ptr<tcp::socket> s) {
    try {
      while (!stopping) {
        std::uint8_t head[5];
        asio::read(*s, asio::buffer(head, 5));
        const std::uint32_t len = get32(head + 1);
        if (len > wire::kMaxPayload) break;  // not our client: hang up
        std::vector<std::uint8_t> body(len);
        if (len) asio::read(*s, asio::buffer(body));
        auto [status, payload] = handle(head[0], body);
        send_reply(*s, status, payload);
      }
    } catch (const std::exception&) {
      // the client went away
    }
    std::lock_guard lock(mu);
    client.reset();
  }
};

Server::Server(usb::Device& device, const ServerOptions& options) : impl_(std::make_unique<Impl>(device)) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(options.address, ec);
  if (ec) throw std::runtime_error("spikelink-sim: '" + options.address + "' is not an IP address");
  const tcp::endpoint ep(addr, options.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(4, ec);
  if (ec)
    throw std::runtime_error("spikelink-sim: cannot listen on " + options.address + ":" + std::to_string(options.port) +
                             ": " + ec.message());
  a.non_blocking(true);
}

Server::~Server() {
  stop();
  if (impl_->worker.joinable()) impl_->worker.join();
}

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  auto& m = *impl_;
  while (!m.stopping) {
    boost::system::error_code ec;
    auto s = std::make_shared<tcp::socket>(m.io);
    m.acceptor.accept(*s, ec);
    if (ec) {  // nobody knocking (would_block), or a failed accept: look again shortly
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    s->non_blocking(false);
    s->set_option(tcp::no_delay(true), ec);
    std::string peer = "?";
    if (auto r = s->remote_endpoint(ec); !ec) peer = r.address().to_string() + ":" + std::to_string(r.port());
    std::lock_guard lock(m.mu);
    asio::write(*s, asio::buffer(wire::kGreeting, sizeof wire::kGreeting), ec);
    if (m.client) {
      ++m.refused;
      if (!ec)
        send_reply(*s, 1 + static_cast<std::uint8_t>(usb::ErrorKind::kBusy),
                   text("the simulated board is busy: spikelink-sim serves one client at a time and " + m.client_name +
                        " holds it"));
      s->close(ec);
      continue;
    }
    if (ec) continue;
    send_reply(*s, 0, {});
    ++m.served;
    m.client = s;
    m.client_name = peer;
    if (m.worker.joinable()) m.worker.join();
    m.worker = std::thread([&m, s] { m.serve(s); });
  }
  std::shared_ptr<tcp::socket> c;
  {
    std::lock_guard lock(m.mu);
    c = m.client;
  }
  if (c) {
    boost::system::error_code ec;
    c->shutdown(tcp::socket::shutdown_both, ec);
  }
  if (m.worker.joinable()) m.worker.join();
}

void Server::stop() { impl_->stopping = true; }

std::uint64_t Server::clients_served() const { return impl_->served; }
std::uint64_t Server::clients_refused() const { return impl_->refused; }

}  // namespace spikelink::sim
