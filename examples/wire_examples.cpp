// Prints every frame type of the wire protocol byte by byte: header and body,
// then the CRC-32C and the COBS-encoded wire bytes. docs/protocol.md quotes
// this output; a unit test keeps the two in step.
#include <cstdio>

#include "common/wire_examples.hpp"

int main() {
  using namespace spikelink;
  for (const auto& e : examples::wire_examples()) {
    const auto raw = examples::raw_of(e);
    const auto wire = examples::wire_of(e);
    std::printf("%s (%s, seq %u)\n  frame:", e.name.c_str(), std::string(proto::to_string(proto::type_of(e.msg))).c_str(),
                e.seq);
    for (auto b : raw) std::printf(" %02X", b);
    std::printf("\n  crc32c: %08X\n  wire: ", crc32c(raw));
    for (auto b : wire) std::printf(" %02X", b);
    std::printf("\n");
  }
  return 0;
}
