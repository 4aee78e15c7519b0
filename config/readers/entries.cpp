#include "config/readers/entries.hpp"

#include <cctype>

namespace sluice::config {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

std::string checked_entry(yaml_reader& r, const YAML::Node& key, const std::string& section,
                          const std::string& what, bool duplicate) {
  auto path = section + "." + key.Scalar();
  if (!valid_name(key.Scalar()))
    r.fail(key, path, what + " names are 1-64 characters of letters, digits, '_', '-', '.'");
  if (duplicate) r.fail(key, path, "duplicate " + what);
  return path;
}

}  // namespace sluice::config
