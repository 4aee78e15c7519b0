#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace sluice::config {

// One problem found in a configuration: `file:line:column: key: message`.
struct error {
  std::string file;
  int line = 0;     // 1-based; 0 when the problem has no place (e.g. unreadable file)
  int column = 0;   // 1-based
  std::string key;  // dotted path, e.g. "routes.uppercase.steps"
  std::string message;

  std::string to_string() const;
};

using load_result = std::variant<config, std::vector<error>>;

// Loads what a configuration names (keys, certificates) and adds an error,
// at the entry that names it, for each that does not load. It runs in the
// same pass as the YAML checks, on what they read, so that one run lists
// every error. (Loading is the other layers' business: the binary passes it.)
using file_check = std::function<void(const config&, std::vector<error>&)>;

// Reads and validates YAML text. Every error is collected before returning.
// `source_name` is what errors call the file.
load_result load_string(std::string_view yaml, std::string source_name,
                        const file_check& check = {});

// Reads and validates the YAML file at `path`.
load_result load_file(const std::string& path, const file_check& check = {});

// The configuration compiled into the binary (config/default.yaml).
std::string_view embedded_default_yaml();
load_result load_embedded_default(const file_check& check = {});

}  // namespace sluice::config
