// spikelink-sim's server: exports a usb::Device (a simulated board) over TCP
// at the USB-transfer level (docs/link.md §5). One client at a time: a second
// gets a refusal that says who holds the board.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "spikelink/usb.hpp"

namespace spikelink::sim {

struct ServerOptions {
  std::string address = "127.0.0.1";  // loopback unless told otherwise
  std::uint16_t port = 0;             // 0: any free port (see Server::port())
};

class Server {
 public:
  // Binds at once; throws std::runtime_error saying why it cannot.
  Server(usb::Device& device, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Serves until stop() (from another thread or a signal handler's flag).
  void run();
  void stop();

  std::uint64_t clients_served() const;
  std::uint64_t clients_refused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spikelink::sim
