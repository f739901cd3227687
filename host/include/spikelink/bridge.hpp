// spikelink bridge (docs/bridge.md): one node of a network of sites that
// exchange spikes over UDP, as the three labs of the 2017 experiment did.
// A bridge plays one role:
//   silicon  a board (or its simulator) running a network configuration:
//            remote spikes drive its input channels, its neurons' spikes go
//            to remote ids;
//   synapse  the memristive synapse site (sites::SynapseSite): forwards
//            pre-synaptic spikes with their weight byte and learns from
//            post-synaptic events;
//   culture  a stand-in for the biological site (sites::Culture):
//            spontaneous and bursting activity, responses to stimulation.
// It listens on one address, takes datagrams only from its configured
// peers, and counts every datagram and event it drops, by reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spikelink/bridge_format.hpp"
#include "spikelink/bridge_stats.hpp"
#include "spikelink/config.hpp"
#include "spikelink/culture.hpp"
#include "spikelink/plasticity.hpp"
#include "spikelink/synapse_site.hpp"
#include "spikelink/udp.hpp"

namespace spikelink::bridge {

enum class Role : std::uint8_t { kSilicon, kSynapse, kCulture };
enum class Format : std::uint8_t { kLegacy, kFramed };
const char* to_string(Role r);
const char* to_string(Format f);

struct Peer {
  std::string name;
  udp::Endpoint address;  // where it listens: datagrams go there, and only datagrams from there are taken
  Format format = Format::kLegacy;
  double max_rate = 0;     // events a second taken from it (token bucket, bursts of a tenth of a second); 0: no limit
  bool legacy_deltas = false;  // legacy timestamps sent to it as inter-event deltas (as silicon sites did)
  config::Position at;
};

// silicon: remote ids [first_id, first_id + count) from `peer` drive the
// channels of input `input`, id first_id on its first channel. With
// weight_channels > 1 each id has that many consecutive channels and the
// event's weight byte picks one (w × weight_channels / 256): a graded synapse
// made of static ones.
struct InRoute {
  std::string peer;
  std::uint32_t first_id = 0, count = 1;
  std::string input;
  unsigned weight_channels = 1;
  config::Position at;
};

// silicon: the neurons of `population` are remote ids first_id.. at `peer`.
struct OutRoute {
  std::string population;
  std::string peer;
  std::uint32_t first_id = 0;
  config::Position at;
};

// synapse: which peer each post-synaptic id belongs to.
struct PostOwner {
  std::string peer;
  std::uint32_t first_id = 0, count = 1;
  config::Position at;
};

struct Stats;

struct Config {
  std::string source;
  Role role = Role::kSilicon;
  udp::Endpoint listen{"127.0.0.1", kLegacyPort};
  char site = kLegacyAxon;       // this site's code in legacy and framed datagrams
  std::uint16_t node = 0;        // framed: this node within its site
  double duration_s = 0;         // synapse, culture: how long (0: until stopped); silicon: the network's phases
  std::uint64_t chunk_steps = 5; // silicon: timesteps a window (the added latency is up to one window)
  std::vector<Peer> peers;
  std::vector<InRoute> in;       // silicon
  std::vector<OutRoute> out;     // silicon
  std::optional<config::Config> network;  // silicon
  // synapse
  sites::SynapseTable connectivity;
  sites::SynapseSiteParams synapse;
  std::vector<PostOwner> posts;
  // synapse on a board (docs/bridge.md section 3.6): its device URI; empty
  // runs the site in software
  std::string synapse_device;
  unsigned board_levels = model::kMaxLevels;        // conductance levels of its synapses
  std::optional<model::DeviceTables> board_tables;  // from `table`; else from `devices` on board_levels
  // culture
  sites::CultureParams culture;
  std::string culture_peer;      // where its events go
  std::string events_file;       // optional: every event in and out as CSV (time_us,dir,peer,site,id,value)

  // Set by the caller, not read from the file: called with the statistics
  // so far every progress_every_s seconds while the bridge runs.
  std::function<void(const Stats&)> progress;
  double progress_every_s = 10;

  const Peer* peer(const std::string& name) const;
};

// Reads a bridge configuration: the `bridge:` section of a network
// configuration (role silicon), or a file with only a `bridge:` section
// (roles synapse and culture). Throws config::Error at file:line:column.
Config load(const std::string& path);
Config parse(const std::string& yaml, const std::string& source, const std::string& base_dir = ".");

struct PeerCounters {
  std::uint64_t datagrams_in = 0, events_in = 0;
  std::uint64_t datagrams_out = 0, events_out = 0;
  std::uint64_t rate_limited = 0;      // events dropped: over the peer's max_rate
  std::uint64_t send_failed = 0;       // datagrams the OS refused
  std::uint64_t unrouted = 0;          // events from it with an id no route takes: dropped
  std::uint64_t wrong_site = 0;        // events with a site code this role does not take: dropped
};

struct Stats {
  std::map<std::string, PeerCounters> peers;
  ReceiveStats receive;                 // framed: loss, duplicates, reordering, delay per sender; malformed
  std::uint64_t unknown_peer = 0;       // datagrams from an address that is no peer: dropped
  std::uint64_t oversized = 0;          // datagrams over udp::kMaxDatagram: dropped
  std::uint64_t malformed = 0;          // datagrams that did not decode (by kind in `receive`): dropped
  std::uint64_t duplicates_dropped = 0; // events of framed datagrams seen before: dropped
  std::uint64_t late_dropped = 0;       // events of framed datagrams too old to tell, or of a past session: dropped
  std::uint64_t out_unrouted = 0;       // spikes of neurons no out route takes (silicon) or posts no peer owns (synapse)
  // Delay from a datagram's arrival to its events' hand-over to the board
  // (silicon), in µs.
  LogHistogram in_latency_us;
  std::string role;
  double seconds = 0;
  std::map<std::string, std::uint64_t> site;                   // the role's own counters
  std::vector<std::pair<std::string, std::uint8_t>> weights;   // synapse: each synapse's weight byte at the end
  std::string report() const;  // lines for people
  std::string json() const;    // for --json
};

// Runs the bridge until its duration (or the network's phases) ends or
// *stop becomes true. Silicon: opens `device`, runs the network with
// run::run (recordings and summary in `out_dir`), paced by the wall clock.
// Throws udp::Error (cannot listen), config::Error, BoardError.
Stats run_bridge(const Config& cfg, const std::string& device, const std::string& out_dir,
                 const std::atomic<bool>* stop = nullptr);

namespace detail {
// Role synapse with a `device`: the synapses on a board (docs/bridge.md
// section 3.6), and the step tables of `devices` on `levels` levels.
void run_synapse_board(const Config& cfg, const std::atomic<bool>* stop, Stats& st);
model::DeviceTables board_tables_from_devices(const sites::SynapseSiteParams& p, unsigned levels);
}  // namespace detail

}  // namespace spikelink::bridge
