// usb::Device over TCP: the client side of a spikelink-sim server, which
// exports a simulated board at the USB-transfer level (docs/link.md §5).
// Every usb::Device call is one request and one reply on the socket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "spikelink/usb.hpp"

namespace spikelink::usb {

// The wire format shared by the client and sim::serve().
namespace tcp {
inline constexpr char kGreeting[8] = {'S', 'P', 'K', 'L', 'S', 'I', 'M', '1'};
enum class Op : std::uint8_t { kInfo = 1, kControlOut = 2, kControlIn = 3, kBulkWrite = 4, kBulkRead = 5 };
// Reply status: 0 ok, else 1 + usb::ErrorKind, with the message as payload.
inline constexpr std::uint32_t kMaxPayload = 1u << 20;
}  // namespace tcp

// Connects to HOST:PORT. Throws usb::Error: kNotFound when nothing listens,
// kBusy when the server already serves a client (its message says which).
std::unique_ptr<Device> open_tcp(const std::string& host, std::uint16_t port);

}  // namespace spikelink::usb
