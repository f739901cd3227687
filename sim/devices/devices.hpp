// Opens the usb::Device a URI names: the simulated board (sim://), the
// golden model behind the same link (model://), a spikelink-sim server
// (tcp://) or a real board (usb://). Board::open() is built on it.
#pragma once

#include <memory>
#include <string>

#include "spikelink/board.hpp"
#include "spikelink/usb.hpp"

namespace spikelink {

std::unique_ptr<usb::Device> open_device(const DeviceUri& uri);

}  // namespace spikelink
