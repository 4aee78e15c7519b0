#include "config/readers/yaml_reader.hpp"

#include <charconv>
#include <set>
#include <sstream>

#include "config/readers/values.hpp"

namespace sluice::config {

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string{key} : path + "." + std::string{key};
}

void yaml_reader::fail(const YAML::Mark& at, const std::string& path, std::string message) {
  bool has_place = at.line >= 0;
  errors_.push_back({file_, has_place ? at.line + 1 : 0, has_place ? at.column + 1 : 0, path,
                     std::move(message)});
}

void yaml_reader::fail(const YAML::Node& at, const std::string& path, std::string message) {
  fail(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), path, std::move(message));
}

source_place yaml_reader::place(const YAML::Node& node) const {
  auto mark = node.Mark();
  return {mark.line + 1, mark.column + 1};
}

bool yaml_reader::open_map(const YAML::Node& node, const std::string& path,
                           std::initializer_list<std::string_view> allowed) {
  return open_map(node, path, std::span<const std::string_view>{allowed.begin(), allowed.size()});
}

bool yaml_reader::open_map(const YAML::Node& node, const std::string& path,
                           std::span<const std::string_view> allowed) {
  if (!node.IsDefined() || node.IsNull()) return false;
  if (!node.IsMap()) {
    fail(node, path, "expected a mapping of keys to values");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    auto key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      fail(kv.first, join_path(path, key), "duplicate key");
    }
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string{a};
      fail(kv.first, join_path(path, key), "unknown key (expected one of: " + list + ")");
    }
  }
  return true;
}

std::optional<std::string> yaml_reader::scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    fail(node, path, "expected a single value, not a list or mapping");
    return std::nullopt;
  }
  std::string why;
  auto expanded = expand_env(node.Scalar(), why);
  if (!expanded) fail(node, path, why);
  return expanded;
}

void yaml_reader::read_string(const YAML::Node& map, const std::string& path, const char* key,
                              std::string& out) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  if (auto v = scalar(node, join_path(path, key))) out = *v;
}

void yaml_reader::read_bool(const YAML::Node& map, const std::string& path, const char* key,
                            bool& out) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = join_path(path, key);
  auto v = scalar(node, full);
  if (!v) return;
  if (*v == "true")
    out = true;
  else if (*v == "false")
    out = false;
  else
    fail(node, full, "expected true or false, got \"" + *v + "\"");
}

void yaml_reader::read_duration(const YAML::Node& map, const std::string& path, const char* key,
                                std::chrono::milliseconds& out, std::chrono::milliseconds min,
                                std::chrono::milliseconds max) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = join_path(path, key);
  auto v = scalar(node, full);
  if (!v) return;
  auto d = parse_duration(*v);
  if (!d) {
    fail(node, full, "expected a duration such as 250ms, 1s, 5m or 0, got \"" + *v + "\"");
  } else if (*d < min || *d > max) {
    fail(node, full,
         "must be between " + std::to_string(min.count()) + "ms and " +
             std::to_string(max.count()) + "ms, got \"" + *v + "\"");
  } else {
    out = *d;
  }
}

std::optional<std::uint64_t> yaml_reader::read_number(const YAML::Node& map,
                                                      const std::string& path, const char* key,
                                                      std::uint64_t min, std::uint64_t max,
                                                      bool size_units) {
  auto node = map[key];
  if (!node.IsDefined()) return std::nullopt;
  auto full = join_path(path, key);
  auto v = scalar(node, full);
  if (!v) return std::nullopt;
  auto n = size_units ? parse_size(*v) : parse_unsigned(*v);
  if (!n) {
    fail(node, full,
         std::string{size_units ? "expected a size such as 65536, 64KiB or 1MiB"
                                : "expected a whole number"} +
             ", got \"" + *v + "\"");
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    fail(node, full,
         "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
             std::to_string(*n));
    return std::nullopt;
  }
  return n;
}

void yaml_reader::read_decimal(const YAML::Node& map, const std::string& path, const char* key,
                               double& out, double min, double max) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = join_path(path, key);
  auto v = scalar(node, full);
  if (!v) return;
  double d = 0;
  auto [end, err] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (err != std::errc{} || end != v->data() + v->size())
    return fail(node, full, "expected a number such as 2 or 1.5, got \"" + *v + "\"");
  if (d < min || d > max) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max << ", got " << *v;
    return fail(node, full, range.str());
  }
  out = d;
}

void yaml_reader::read_string_list(const YAML::Node& map, const std::string& path, const char* key,
                                   std::vector<std::string>& out) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = join_path(path, key);
  if (!node.IsSequence()) return fail(node, full, "expected a list of strings");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.size(); ++i)
    if (auto v = scalar(node[i], full + "[" + std::to_string(i) + "]")) values.push_back(*v);
  out = std::move(values);
}

void yaml_reader::read_string_map(const YAML::Node& map, const std::string& path, const char* key,
                                  std::vector<std::pair<std::string, std::string>>& out) {
  auto node = map[key];
  if (!node.IsDefined()) return;
  auto full = join_path(path, key);
  if (!node.IsMap()) return fail(node, full, "expected a mapping of names to values");
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& kv : node)
    if (auto v = scalar(kv.second, join_path(full, kv.first.Scalar())))
      values.emplace_back(kv.first.Scalar(), *v);
  out = std::move(values);
}

std::optional<std::size_t> yaml_reader::read_choice(
    const YAML::Node& map, const std::string& path, const char* key,
    std::initializer_list<std::string_view> choices) {
  auto node = map[key];
  if (!node.IsDefined()) return std::nullopt;
  auto full = join_path(path, key);
  auto v = scalar(node, full);
  if (!v) return std::nullopt;
  std::size_t i = 0;
  std::string list;
  for (auto c : choices) {
    if (c == *v) return i;
    list += (list.empty() ? "" : ", ") + std::string{c};
    ++i;
  }
  fail(node, full, "expected one of " + list + ", got \"" + *v + "\"");
  return std::nullopt;
}

void yaml_reader::read_together(const YAML::Node& map, const std::string& path,
                                std::initializer_list<std::pair<const char*, std::string*>> keys) {
  bool all = true;
  std::string names;
  std::size_t n = 0;
  for (const auto& [key, out] : keys) {
    read_string(map, path, key, *out);
    all = all && !out->empty();
    names += ++n == 1 ? "" : n == keys.size() ? " and " : ", ";
    names += std::string{"`"} + key + "`";
  }
  if (!all) fail(map, path, std::string{"needs "} + (keys.size() == 2 ? "both " : "") + names);
}

}  // namespace sluice::config
