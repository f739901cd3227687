// Opens the usb::Device a URI names: the simulated board (sim://), the
// golden model behind the same link (model://), a spikelink-sim server
// (tcp://) or a real board (usb://). Board::open() is built on it.
#pragma once

#include <memory>
#include <string>

#include "spikelink/board.hpp"
#include "spikelink/usb.hpp"

namespace spikelink {

// `usb_interface` picks the FT2232H channel a real board is opened on
// (usb://): 1 = channel B, the link; 0 = channel A, the flash (MPSSE). The
// simulated devices serve both channels from one usb::Device.
std::unique_ptr<usb::Device> open_device(const DeviceUri& uri, int usb_interface = 1);

}  // namespace spikelink
