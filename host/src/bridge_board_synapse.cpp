// spikelink bridge, role synapse with `device:` (docs/bridge.md section 3.6):
// the synapse site's memristive synapses on a board (model://, sim://,
// usb://), learning with the board's own plastic synapses and rule.
//
// The mapping: each pre-synaptic id of the connectivity table is an input
// channel of the board (a source with a rate slot), each post-synaptic id a
// neuron, each synapse (pre, post) a plastic synapse of group 0. A post
// event that teaches drives the post neuron's teach channels (static
// synapses of group 1, strong enough together to make it fire in that
// timestep), so that the board evaluates the post's synapses with its rule;
// the plastic synapses alone can never make it fire. Pre spikes are
// delivered to the board (the rate slot counts them) and forwarded at once
// with the weight byte of the synapse's level, which the host caches and
// re-reads after every step in which a post was taught.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>

#include <fmt/format.h>

#include "spikelink/board.hpp"
#include "spikelink/bridge.hpp"
#include "bridge_node.hpp"

namespace spikelink::bridge::detail {

namespace {

// Group 0 stays static, so that every other synapse byte (0) weighs nothing
// and is never evaluated.
constexpr unsigned kTeachGroup = 1;
constexpr unsigned kPlasticGroup = 2;
constexpr unsigned kTeachLevel = 63;  // a static synapse of weight 2 * 63 = 126 units
constexpr unsigned kMaxUnits = 126;   // the largest weight of any synapse byte (2 * 63)
constexpr std::uint64_t kWindowSteps = 1;  // the least timesteps stepped at a time

}  // namespace

// The step tables of the site's devices (bridge.devices) on `levels` levels:
// the bounded nonlinear model scripts/memristor-tables uses, on the same
// normalised state x = level / (levels - 1) the software site keeps.
model::DeviceTables board_tables_from_devices(const sites::SynapseSiteParams& p, unsigned levels) {
  model::DeviceTables t;
  t.levels = levels;
  const double a_up = sites::querlioz_amplitude(p.pulses_up, p.nonlinearity_up);
  const double a_down = sites::querlioz_amplitude(p.pulses_down, p.nonlinearity_down);
  const double span = static_cast<double>(levels - 1);
  for (unsigned l = 0; l < levels; ++l) {
    const double x = static_cast<double>(l) / span;
    const double up = a_up * std::exp(-p.nonlinearity_up * x) * span;
    const double down = a_down * std::exp(-p.nonlinearity_down * (1 - x)) * span;
    t.pot[l] = static_cast<std::uint8_t>(std::clamp<long>(std::lround(up * 16), 0, 255));
    t.dep[l] = static_cast<std::uint8_t>(std::clamp<long>(std::lround(down * 16), 0, 255));
  }
  return t;
}

void run_synapse_board(const Config& cfg, const std::atomic<bool>* stop, Stats& st) {
  const auto& sp = cfg.synapse;
  const model::DeviceTables tables = cfg.board_tables ? *cfg.board_tables : board_tables_from_devices(sp, cfg.board_levels);
  const unsigned levels = tables.levels;

  // The mapping: pres to input channels, posts to neurons, in table order.
  std::vector<std::uint32_t> pres, posts;
  std::map<std::uint32_t, unsigned> pre_channel, post_neuron;
  for (const auto& e : cfg.connectivity) {
    if (!pre_channel.contains(e.pre)) {
      pre_channel[e.pre] = static_cast<unsigned>(pres.size());
      pres.push_back(e.pre);
    }
    if (!post_neuron.contains(e.post)) {
      post_neuron[e.post] = static_cast<unsigned>(posts.size());
      posts.push_back(e.post);
    }
  }
  // Each post: its synapses (indices into the table) and its teach channels,
  // one more than it has synapses, so that they together outweigh every
  // plastic synapse onto it at its top level.
  struct Post {
    std::vector<std::size_t> synapses;
    unsigned first_teach = 0, teach = 0;
    std::uint64_t next_free = 0;  // the first timestep a new teach may take
  };
  std::vector<Post> post(posts.size());
  for (std::size_t i = 0; i < cfg.connectivity.size(); ++i) post[post_neuron[cfg.connectivity[i].post]].synapses.push_back(i);
  unsigned channels = static_cast<unsigned>(pres.size());
  for (auto& p : post) {
    p.first_teach = channels;
    p.teach = static_cast<unsigned>(p.synapses.size()) + 1;
    channels += p.teach;
  }

  auto board = Board::open(cfg.synapse_device);
  const auto& ident = board->identity();
  const std::string where = "the synapse site's board (" + cfg.synapse_device + ")";
  if (ident.levels == 0)
    throw BoardError(BoardError::Kind::kUsage, where + " has no plastic synapses (its gateware reports 0 levels)");
  if (levels > ident.levels)
    throw BoardError(BoardError::Kind::kUsage,
                     fmt::format("{} has {} conductance levels; the synapses need {}", where, ident.levels, levels));
  const std::size_t E = ident.inputs, N = ident.neurons;
  if (channels > E || posts.size() > N)
    throw BoardError(BoardError::Kind::kUsage,
                     fmt::format("{} has {} input channels and {} neurons; the connectivity table needs {} channels "
                                 "({} pre-synaptic ids, then each post's teach channels) and {} neurons",
                                 where, E, N, channels, pres.size(), posts.size()));

  // The start level: r_initial on the device's range.
  const double x0 = (sp.r_initial_ohm - sp.r_min_ohm) / (sp.r_max_ohm - sp.r_min_ohm);
  const auto level0 = static_cast<unsigned>(std::clamp<long>(std::lround(x0 * (levels - 1)), 0, levels - 1));

  Network net;
  net.weights.assign((E + N) * N, 0);
  // The board's other neurons never fire: no input reaches them.
  model::NeuronRegs idle;
  idle.v_thresh = INT16_MAX;
  idle.k_leak = model::kMaxLeak;
  net.neurons.assign(N, idle);
  for (std::size_t j = 0; j < posts.size(); ++j) {
    const auto& p = post[j];
    // v in Q8.8 mV, one weight unit 1/256 mV, back to rest every timestep
    // (full leak), no refractory period: a post fires in a timestep iff that
    // timestep's input reaches the threshold, which lies half a synapse
    // above the most its plastic synapses can give (each source is
    // delivered at most once a timestep) and half one below its teach
    // channels together.
    model::NeuronRegs r;
    r.v_thresh = static_cast<std::int16_t>(kMaxUnits * p.synapses.size() + kMaxUnits / 2);
    r.k_leak = model::kMaxLeak;
    r.w_scale = 1;
    net.neurons[j] = r;
    for (const auto i : p.synapses)
      net.weights[pre_channel[cfg.connectivity[i].pre] * N + j] = model::synapse_byte(kPlasticGroup, level0);
    for (unsigned c = 0; c < p.teach; ++c)
      net.weights[(p.first_teach + c) * N + j] = model::synapse_byte(kTeachGroup, kTeachLevel);
    if ((p.synapses.size() + 1) * kMaxUnits > 32767)
      throw BoardError(BoardError::Kind::kUsage, fmt::format("post-synaptic id {} has {} synapses; a neuron takes "
                                                             "at most 258",
                                                             posts[j], p.synapses.size()));
  }
  Network::Plasticity pl;
  pl.plastic = true;
  pl.learning = true;
  auto& g = pl.groups[kPlasticGroup];
  g.rule = sp.rule == sites::SiteRule::kRate   ? model::Rule::kRate
           : sp.rule == sites::SiteRule::kStdp ? model::Rule::kStdp
                                               : model::Rule::kStatic;
  g.tables = tables;
  // The site's windows are in 50 us ticks; a timestep is 1 ms.
  const auto steps = [](std::uint64_t ticks) {
    return static_cast<std::uint16_t>(std::min<std::uint64_t>((ticks + 10) / 20, model::kMaxWindow));
  };
  g.rate_window = steps(sp.rate_window);
  g.w_plus = steps(sp.stdp_pot_window);
  g.w_minus = steps(sp.stdp_dep_window);
  g.rate_high = static_cast<std::uint8_t>(std::min(sp.rate_high, 255u));
  g.rate_low = static_cast<std::uint8_t>(std::min(sp.rate_low, 255u));
  pl.groups[kTeachGroup].rule = model::Rule::kStatic;
  for (std::size_t k = 0; k < pres.size() && k < model::kRateSlots; ++k) pl.rate_slots[k] = static_cast<int>(k);
  net.plasticity = pl;

  board->on_spikes([](std::span<const proto::SpikeEvent>) {});  // the post neurons' spikes are only for learning
  board->reset();
  board->load(net);
  board->write_mem(proto::MemSpace::kNeuronState, 0, rest_state_words(net, N));
  std::uint64_t t = board->time();  // the next timestep to run
  const std::uint64_t t0 = t;

  // The levels, cached: synapse i's weight byte is byte(level[i]).
  std::vector<unsigned> level(cfg.connectivity.size(), level0);
  const auto byte = [&](unsigned l) {
    return static_cast<std::uint8_t>(std::lround(255.0 * std::min(l, levels - 1) / (levels - 1)));
  };
  // Reads the levels of the synapses given, one weight word each (two
  // synapses a word, the lower byte index in the low byte).
  const auto refresh = [&](const std::vector<std::size_t>& which) {
    for (const auto i : which) {
      const auto& e = cfg.connectivity[i];
      const std::size_t b = pre_channel[e.pre] * N + post_neuron[e.post];
      const auto w = board->read_mem(proto::MemSpace::kWeights, static_cast<std::uint32_t>(b / 2), 1);
      level[i] = model::level_of(static_cast<std::uint8_t>(b % 2 ? w.at(0) >> 8 : w.at(0) & 0xFF));
    }
  };

  Node node(cfg, st);
  const auto owner = [&](std::uint32_t p) -> const PostOwner* {
    for (const auto& o : cfg.posts)
      if (p >= o.first_id && p < o.first_id + o.count) return &o;
    return nullptr;
  };
  std::map<std::string, std::uint64_t> c{{"pre_events", 0},  {"post_events", 0}, {"forwards", 0},
                                         {"unknown_pre", 0}, {"unknown_post", 0}, {"bad_type", 0}};
  std::vector<proto::SpikeEvent> pending;          // for the next step
  std::vector<std::uint64_t> pre_next(pres.size());  // per pre: the first timestep a new delivery may take
  std::vector<bool> taught(posts.size(), false);

  // A spike of a pre-synaptic id: delivered to the board (at most once a
  // timestep: a second one in the same window takes the next timestep) and
  // forwarded along its synapses with their weight bytes.
  const auto spike = [&](std::uint32_t pre, std::uint64_t tick) {
    const unsigned ch = pre_channel.at(pre);
    const std::uint64_t at = std::max(t, pre_next[ch]);
    pre_next[ch] = at + 1;
    pending.push_back({at, static_cast<std::uint16_t>(ch)});
    for (std::size_t i = 0; i < cfg.connectivity.size(); ++i) {
      const auto& e = cfg.connectivity[i];
      if (e.pre != pre) continue;
      ++c["forwards"];
      const auto* o = owner(e.post);
      if (!o) {
        ++st.out_unrouted;
        continue;
      }
      node.queue(o->peer, cfg.site, e.post, byte(level[i]), tick * kLegacyTickUs);
    }
  };
  const auto teach = [&](unsigned j) {
    auto& p = post[j];
    const std::uint64_t at = std::max(t, p.next_free);
    p.next_free = at + 1;
    for (unsigned k = 0; k < p.teach; ++k) pending.push_back({at, static_cast<std::uint16_t>(p.first_teach + k)});
    taught[j] = true;
  };
  // An event of a post-synaptic id, typed as the legacy format: 0 PSP, 1
  // evoked, 2 spontaneous (a silicon post neuron's spike is a 2). 0 and 2
  // teach; 1 and 2 are spikes, forwarded when the id is also a pre.
  const auto post_event = [&](std::uint32_t id, std::uint8_t type, std::uint64_t tick) {
    if (type > 2) {
      ++c["bad_type"];
      return;
    }
    const auto pn = post_neuron.find(id);
    const bool is_pre = pre_channel.contains(id);
    if (pn == post_neuron.end() && !is_pre) {
      ++c["unknown_post"];
      return;
    }
    ++c["post_events"];
    if ((type == 0 || type == 2) && pn != post_neuron.end()) teach(pn->second);
    if (type != 0 && is_pre) spike(id, tick);
  };

  while (!done(node, cfg.duration_s, stop)) {
    node.receive(std::chrono::milliseconds(1), [&](const Incoming& e, const Peer& p) {
      const std::uint64_t tick = node.now_us() / kLegacyTickUs;  // the site's clock, as the software site's
      if (e.site == kLegacyAxon) {
        if (post_neuron.contains(e.id)) post_event(e.id, 2, tick);
        else if (pre_channel.contains(e.id)) {
          ++c["pre_events"];
          spike(e.id, tick);
        } else {
          ++c["unknown_pre"];
        }
      } else if (e.site == kLegacyDendrite) {
        post_event(e.id, e.value, tick);
      } else {
        ++st.peers[p.name].wrong_site;
      }
    });
    node.flush();
    // Board time keeps pace with the wall clock, 1 ms a timestep, stepped
    // up to the elapsed milliseconds each time round (short steps, so that
    // datagrams arriving meanwhile wait little); events received since the
    // last step go in at its first timestep (or the ones after, for a
    // source or post already taken in that timestep).
    const std::uint64_t due = t0 + node.now_us() / 1000;
    if (due < t + kWindowSteps) continue;
    std::uint64_t n = due - t;
    for (const auto& e : pending) n = std::max(n, e.timestep - t + 1);
    if (n == 0) continue;
    std::stable_sort(pending.begin(), pending.end(),
                     [](const proto::SpikeEvent& a, const proto::SpikeEvent& b) { return a.timestep < b.timestep; });
    if (!pending.empty()) board->send(pending);
    board->step(n);
    t += n;
    pending.clear();
    std::vector<std::size_t> stale;
    for (std::size_t j = 0; j < posts.size(); ++j) {
      if (!taught[j]) continue;
      taught[j] = false;
      stale.insert(stale.end(), post[j].synapses.begin(), post[j].synapses.end());
    }
    refresh(stale);
  }
  if (!pending.empty()) {
    std::stable_sort(pending.begin(), pending.end(),
                     [](const proto::SpikeEvent& a, const proto::SpikeEvent& b) { return a.timestep < b.timestep; });
    board->send(pending);
    board->step(pending.back().timestep - t + 1);
  }
  node.close_log();
  std::vector<std::size_t> all(cfg.connectivity.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  refresh(all);
  const auto bc = board->counters();
  st.site = c;
  st.site["pulses_pot"] = bc.board_counter(proto::CounterId::kCorePulsesPot);
  st.site["pulses_dep"] = bc.board_counter(proto::CounterId::kCorePulsesDep);
  st.site["timesteps"] = board->time() - t0;
  for (std::size_t i = 0; i < cfg.connectivity.size(); ++i) {
    const auto& e = cfg.connectivity[i];
    st.weights.push_back({fmt::format("{}->{}", e.pre, e.post), byte(level[i])});
  }
}

}  // namespace spikelink::bridge::detail
