// The YAML reading shared by the configuration files (network
// configurations, bridge configurations): positions, unknown keys with the
// nearest known one, typed values and physical units. Internal to the library.
#pragma once

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "spikelink/config.hpp"
#include "spikelink/suggest.hpp"

namespace spikelink::config::detail {

// Physical dimensions a value can have, with the units each accepts.
enum class Dim { kTime, kVoltage, kRate };

struct UnitDef {
  const char* name;
  double factor;  // to the dimension's base unit (ms, mV, Hz)
};

inline const std::vector<UnitDef>& units_of(Dim d) {
  static const std::vector<UnitDef> time{{"us", 1e-3}, {"ms", 1.0}, {"s", 1e3}, {"min", 60e3}};
  static const std::vector<UnitDef> voltage{{"uV", 1e-3}, {"mV", 1.0}, {"V", 1e3}};
  static const std::vector<UnitDef> rate{{"Hz", 1.0}, {"kHz", 1e3}, {"/s", 1.0}};
  switch (d) {
    case Dim::kTime: return time;
    case Dim::kVoltage: return voltage;
    case Dim::kRate: return rate;
  }
  return time;
}

inline const char* base_unit(Dim d) {
  switch (d) {
    case Dim::kTime: return "ms";
    case Dim::kVoltage: return "mV";
    case Dim::kRate: return "Hz";
  }
  return "";
}

inline std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Splits "-65 mV" into its number and unit. False if it does not start with a number.
inline bool split_quantity(const std::string& text, double& value, std::string& unit) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  value = std::strtod(begin, &end);
  if (end == begin || errno == ERANGE || !std::isfinite(value)) return false;
  std::string rest(end);
  const auto a = rest.find_first_not_of(" \t");
  const auto b = rest.find_last_not_of(" \t");
  unit = a == std::string::npos ? std::string() : rest.substr(a, b - a + 1);
  return true;
}

class Reader {
 public:
  Reader(std::string source, std::string base_dir) : source_(std::move(source)), base_(std::move(base_dir)) {}

  Position at(const YAML::Node& n) const {
    Position p{source_, 0, 0};
    if (!n) return p;
    const auto m = n.Mark();
    if (m.is_null()) return p;
    p.line = m.line + 1;
    p.column = m.column + 1;
    return p;
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const { throw Error(at(n), what); }

  // Every key of `map` must be known; an unknown one is an error at its
  // position, naming the nearest known key when it looks like a slip.
  void keys(const YAML::Node& map, const std::string& where, const std::vector<std::string>& known) const {
    no_repeats(map, where);
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const auto near = closest(key, known);
      fail(kv.first, fmt::format("unknown key '{}' in {}{}; it takes: {} (docs/config.md)", key, where,
                                 near ? " (did you mean '" + *near + "'?)" : "", join(known)));
    }
  }

  // `name` is none of the `known` names of its kind ("a population", "a
  // peer", "a rule"): an error naming the nearest one and listing them.
  [[noreturn]] void unknown(const YAML::Node& n, const std::string& what, const std::string& name,
                            const std::string& kind, const std::vector<std::string>& known) const {
    const auto near = closest(name, known);
    fail(n, fmt::format("{} '{}' is not {}{}{}", what, name, kind, near ? " (did you mean '" + *near + "'?)" : "",
                        known.empty() ? std::string("; there is none") : "; known: " + join(known)));
  }

  // YAML parsers keep a repeated key and lookups find the first, so the
  // second would be silently ignored: refuse it at its position.
  void no_repeats(const YAML::Node& map, const std::string& where) const {
    if (!map.IsMap()) return;
    std::vector<std::string> seen;
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        fail(kv.first, fmt::format("'{}' appears twice in {}; give it once", key, where));
      seen.push_back(key);
    }
  }

  YAML::Node map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, fmt::format("{} must be a mapping (key: value lines)", what));
    return n;
  }

  YAML::Node seq(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, fmt::format("{} must be a list", what));
    return n;
  }

  std::string text(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, fmt::format("{} must be text", what));
    return n.Scalar();
  }

  std::string name(const YAML::Node& n, const std::string& what) const {
    const std::string s = text(n, what);
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        }))
      fail(n, fmt::format("{} '{}' is not a name: use letters, digits, '_', '-' and '.'", what, s));
    return s;
  }

  bool boolean(const YAML::Node& n, const std::string& what) const {
    bool b = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) fail(n, fmt::format("{} must be true or false", what));
    return b;
  }

  double number(const YAML::Node& n, const std::string& what, double lo, double hi) const {
    if (!n.IsScalar()) fail(n, fmt::format("{} must be a number", what));
    double v = 0;
    std::string unit;
    if (!split_quantity(n.Scalar(), v, unit) || !unit.empty())
      fail(n, fmt::format("{} must be a number, not '{}'", what, n.Scalar()));
    if (v < lo || v > hi) fail(n, fmt::format("{} = {} is outside {}..{}", what, v, lo, hi));
    return v;
  }

  std::uint64_t whole(const YAML::Node& n, const std::string& what, std::uint64_t lo, std::uint64_t hi) const {
    if (!n.IsScalar()) fail(n, fmt::format("{} must be a whole number", what));
    const std::string& s = n.Scalar();
    std::uint64_t v = 0;
    const char* b = s.c_str();
    char* e = nullptr;
    errno = 0;
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    v = std::strtoull(b, &e, hex ? 16 : 10);  // decimal, or 0x hex; never octal
    if (e == b || *e != '\0' || errno == ERANGE || s.find('-') != std::string::npos)
      fail(n, fmt::format("{} must be a whole number, not '{}'", what, s));
    if (v < lo || v > hi) fail(n, fmt::format("{} = {} is outside {}..{}", what, v, lo, hi));
    return v;
  }

  // A physical value: "20 ms", "-65 mV", "10 Hz"; a bare number is in the
  // dimension's base unit. Returned in the base unit.
  double quantity(const YAML::Node& n, const std::string& what, Dim d, double lo, double hi) const {
    if (!n.IsScalar()) fail(n, fmt::format("{} must be a value such as '{}'", what, example(d)));
    double v = 0;
    std::string unit;
    if (!split_quantity(n.Scalar(), v, unit))
      fail(n, fmt::format("{} must be a value such as '{}', not '{}'", what, example(d), n.Scalar()));
    if (!unit.empty()) {
      const auto& us = units_of(d);
      const auto it = std::find_if(us.begin(), us.end(), [&](const UnitDef& u) { return unit == u.name; });
      if (it == us.end()) {
        std::vector<std::string> names;
        for (const auto& u : us) names.emplace_back(u.name);
        const auto near = closest(unit, names);
        fail(n, fmt::format("{}: unknown unit '{}'{}; use {}", what, unit,
                            near ? " (did you mean '" + *near + "'?)" : "", join(names)));
      }
      v *= it->factor;
    }
    if (v < lo || v > hi)
      fail(n, fmt::format("{} = {} {} is outside {}..{} {}", what, v, base_unit(d), lo, hi, base_unit(d)));
    return v;
  }

  std::string path(const YAML::Node& n, const std::string& what) const {
    const std::string p = text(n, what);
    if (p.empty()) fail(n, fmt::format("{} is empty", what));
    std::filesystem::path fp(p);
    if (fp.is_relative()) fp = std::filesystem::path(base_) / fp;
    return fp.lexically_normal().string();
  }

  static const char* example(Dim d) {
    switch (d) {
      case Dim::kTime: return "20 ms";
      case Dim::kVoltage: return "-65 mV";
      case Dim::kRate: return "10 Hz";
    }
    return "";
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::string base_;
};

}  // namespace spikelink::config::detail
