#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

// Parsing of the scalar value forms the YAML schema uses, separate from YAML
// so each form can be tested alone.
namespace sluice::config {

// "250ms", "1s", "5m", "2h", or "0". Plain numbers other than 0 are rejected:
// a unit must be explicit.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "1048576", "64KiB", "1MiB", "2GiB" (also "KB"/"MB"/"GB" as powers of 1000).
std::optional<std::uint64_t> parse_size(std::string_view text);

// A whole number with no sign, no fraction and no trailing characters.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

// A URL: SCHEME://HOST[:PORT][/PATH] (port 80, 443 for https and wss; path
// "/" by default), for the schemes ws, wss, http and https.
struct url_parts {
  std::string host;
  std::string port;
  std::string path;
  bool tls = false;  // https or wss
};
std::optional<url_parts> parse_url(std::string_view text, std::string_view scheme);

// Expands `${VAR}` and `${VAR:-default}` using `lookup` (getenv by default);
// `$${` stands for a literal `${`. On failure returns nothing and says why.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> expand_env(std::string_view text, std::string& why,
                                      const env_lookup& lookup = {});

}  // namespace sluice::config
