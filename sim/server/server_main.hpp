// The spikelink-sim command (docs/link.md section 5), shared by the
// spikelink-sim binary and `spikelink sim-server`.
#pragma once

#include <string>
#include <vector>

namespace spikelink::sim {

// `prog` names the command in messages. Returns the exit code: 0, 1 on a
// failure while serving, 2 on bad options.
int sim_server_main(const std::vector<std::string>& args, const std::string& prog);

}  // namespace spikelink::sim
