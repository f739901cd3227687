// spikelink-sim: exports a simulated board over TCP (docs/link.md §5);
// the same as `spikelink sim-server`.
#include <string>
#include <vector>

#include "server/server_main.hpp"

int main(int argc, char** argv) {
  return spikelink::sim::sim_server_main(std::vector<std::string>(argv + 1, argv + argc), "spikelink-sim");
}
