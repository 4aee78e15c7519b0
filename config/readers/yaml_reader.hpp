#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/loader.hpp"

namespace sluice::config {

// Reads typed values out of a YAML tree and records every problem, with its
// place, in one list; the loader keeps going after an error so that one run
// reports everything that is wrong.
class yaml_reader {
 public:
  yaml_reader(std::string file, std::vector<error>& errors)
      : file_(std::move(file)), errors_(errors) {}

  // True when `node` is a mapping whose values can be read. Reports keys that
  // are not in `allowed` or repeated (still true: the known keys get read too),
  // and a node that is not a mapping (false). An absent node is false without
  // an error: everything under it keeps its default.
  bool open_map(const YAML::Node& node, const std::string& path,
                std::initializer_list<std::string_view> allowed);
  bool open_map(const YAML::Node& node, const std::string& path,
                std::span<const std::string_view> allowed);

  // Each reader leaves `out` untouched when the key is absent or invalid.
  void read_string(const YAML::Node& map, const std::string& path, const char* key,
                   std::string& out);
  void read_bool(const YAML::Node& map, const std::string& path, const char* key, bool& out);
  void read_duration(const YAML::Node& map, const std::string& path, const char* key,
                     std::chrono::milliseconds& out, std::chrono::milliseconds min,
                     std::chrono::milliseconds max);
  template <class Int>
  void read_unsigned(const YAML::Node& map, const std::string& path, const char* key, Int& out,
                     std::uint64_t min, std::uint64_t max) {
    if (auto v = read_number(map, path, key, min, max, false)) out = static_cast<Int>(*v);
  }
  template <class Int>
  void read_size(const YAML::Node& map, const std::string& path, const char* key, Int& out,
                 std::uint64_t min, std::uint64_t max) {
    if (auto v = read_number(map, path, key, min, max, true)) out = static_cast<Int>(*v);
  }
  // A decimal number such as 2 or 1.5, within [min, max].
  void read_decimal(const YAML::Node& map, const std::string& path, const char* key, double& out,
                    double min, double max);
  // A list of strings, e.g. `args: ["-u", "script.py"]`.
  void read_string_list(const YAML::Node& map, const std::string& path, const char* key,
                        std::vector<std::string>& out);
  // A mapping of strings to strings, e.g. `env: {A: "1"}`.
  void read_string_map(const YAML::Node& map, const std::string& path, const char* key,
                       std::vector<std::pair<std::string, std::string>>& out);

  // Strings that only make sense together (a certificate and its key): reads
  // each, and reports `path` when some are given and others not, or none is.
  void read_together(const YAML::Node& map, const std::string& path,
                     std::initializer_list<std::pair<const char*, std::string*>> keys);

  // One of `choices`; returns its index.
  std::optional<std::size_t> read_choice(const YAML::Node& map, const std::string& path,
                                         const char* key,
                                         std::initializer_list<std::string_view> choices);

  // The scalar's text after ${VAR} expansion, or nothing (with an error) if it
  // is not a scalar or does not expand.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path);

  void fail(const YAML::Node& at, const std::string& path, std::string message);
  // "file:line:column" of `node`, for errors found after loading.
  source_place place(const YAML::Node& node) const;
  void fail(const YAML::Mark& at, const std::string& path, std::string message);

 private:
  std::optional<std::uint64_t> read_number(const YAML::Node& map, const std::string& path,
                                           const char* key, std::uint64_t min, std::uint64_t max,
                                           bool size_units);

  std::string file_;
  std::vector<error>& errors_;
};

std::string join_path(const std::string& path, std::string_view key);

}  // namespace sluice::config
