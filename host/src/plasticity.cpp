#include "spikelink/plasticity.hpp"

#include <algorithm>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace spikelink::model {
namespace {

[[noreturn]] void bad(const std::string& path, const YAML::Node& node, const std::string& what) {
  const auto m = node.Mark();
  std::string where = path;
  if (!m.is_null()) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  throw std::runtime_error(where + ": " + what);
}

}  // namespace

DeviceTables DeviceTables::linear(unsigned levels, std::uint8_t q) {
  DeviceTables t;
  t.levels = levels;
  t.pot.fill(q);
  t.dep.fill(q);
  return t;
}

DeviceTables DeviceTables::from_yaml(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                             ": " + e.msg);
  }
  if (!root.IsMap()) bad(path, root, "expected a map with levels, pot and dep");
  DeviceTables t;
  const auto levels = root["levels"];
  if (!levels) bad(path, root, "missing 'levels'");
  try {
    t.levels = levels.as<unsigned>();
  } catch (const YAML::Exception&) {
    bad(path, levels, "'levels' must be a whole number");
  }
  if (t.levels < 2 || t.levels > kMaxLevels) bad(path, levels, "'levels' must be 2..64");
  for (const char* key : {"pot", "dep"}) {
    const auto seq = root[key];
    if (!seq || !seq.IsSequence()) bad(path, seq ? seq : root, std::string("missing list '") + key + "'");
    if (seq.size() != t.levels) {
      bad(path, seq, std::string("'") + key + "' has " + std::to_string(seq.size()) + " entries, levels is " +
                         std::to_string(t.levels));
    }
    auto& dst = std::string(key) == "pot" ? t.pot : t.dep;
    for (std::size_t i = 0; i < seq.size(); ++i) {
      int v = -1;
      try {
        v = seq[i].as<int>();
      } catch (const YAML::Exception&) {
      }
      if (v < 0 || v > 255) bad(path, seq[i], std::string("'") + key + "' entries are 0..255 sixteenths of a level");
      dst[i] = static_cast<std::uint8_t>(v);
    }
  }
  return t;
}

std::uint32_t lfsr_advance(std::uint32_t s, unsigned steps) {
  for (unsigned i = 0; i < steps; ++i) s = (s >> 1) ^ ((s & 1u) ? 0x80200003u : 0u);
  return s;
}

int d2d_offset(unsigned s, unsigned n, std::uint32_t seed, std::uint8_t amp) {
  std::uint32_t h = ((s << 8) | n) ^ seed;
  for (int round = 0; round < 3; ++round) {  // one round mixes neighbouring synapses poorly
    h ^= h << 13;
    h ^= h >> 17;
    h ^= h << 5;
  }
  return ((static_cast<int>(h >> 27) - 16) * amp) >> 4;
}

unsigned pulse(unsigned level, bool potentiate, const DeviceTables& t, const Variability& v, unsigned s, unsigned n,
               std::uint32_t& lfsr) {
  int q = potentiate ? t.pot[level] : t.dep[level];
  if (v.d2d_amp) q = std::clamp(q + d2d_offset(s, n, v.d2d_seed, v.d2d_amp), 0, 255);
  unsigned steps;
  if (v.c2c_amp) {
    lfsr = lfsr_advance(lfsr);
    q = std::clamp(q + (((static_cast<int>(lfsr & 31u) - 16) * v.c2c_amp) >> 4), 0, 255);
    steps = static_cast<unsigned>(q >> 4) + (((lfsr >> 9) & 15u) < static_cast<unsigned>(q & 15) ? 1u : 0u);
  } else {
    steps = static_cast<unsigned>((q + 8) >> 4);
  }
  const unsigned top = t.levels - 1;
  return potentiate ? std::min(top, level + steps) : (level > steps ? level - steps : 0u);
}

}  // namespace spikelink::model
