#include "config/readers/values.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace sluice::config {
namespace {

// Splits "250ms" into 250 and "ms".
std::optional<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || end == text.data()) return std::nullopt;
  return std::pair{value, text.substr(static_cast<std::size_t>(end - text.data()))};
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  auto parts = split_number(text);
  if (!parts || !parts->second.empty()) return std::nullopt;
  return parts->first;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  constexpr std::uint64_t max_ms = 365ULL * 24 * 3600 * 1000;
  std::uint64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else if (unit == "h")
    scale = 3600 * 1000;
  else if (unit.empty() && value == 0)
    scale = 1;
  if (scale == 0 || value > max_ms / scale) return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(value * scale)};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "KiB")
    scale = 1ULL << 10;
  else if (unit == "MiB")
    scale = 1ULL << 20;
  else if (unit == "GiB")
    scale = 1ULL << 30;
  else if (unit == "KB")
    scale = 1000;
  else if (unit == "MB")
    scale = 1000 * 1000;
  else if (unit == "GB")
    scale = 1000 * 1000 * 1000;
  if (scale == 0 || value > UINT64_MAX / scale) return std::nullopt;
  return value * scale;
}

std::optional<url_parts> parse_url(std::string_view text, std::string_view scheme) {
  if (!text.starts_with(scheme) || text.substr(scheme.size(), 3) != "://") return std::nullopt;
  auto rest = text.substr(scheme.size() + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto colon = authority.rfind(':');
  bool tls = scheme == "https" || scheme == "wss";
  std::string default_port = tls ? "443" : "80";
  url_parts url{
      std::string{authority.substr(0, colon)},
      colon == std::string_view::npos ? default_port : std::string{authority.substr(colon + 1)},
      slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)}, tls};
  auto port = parse_unsigned(url.port);
  if (url.host.empty() || !port || *port == 0 || *port > 65535) return std::nullopt;
  return url;
}

std::optional<std::string> expand_env(std::string_view text, std::string& why,
                                      const env_lookup& lookup) {
  auto get = [&](const std::string& name) -> std::optional<std::string> {
    if (lookup) return lookup(name);
    if (const char* v = std::getenv(name.c_str())) return std::string{v};
    return std::nullopt;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      why = "unterminated ${ in \"" + std::string{text} + "\"";
      return std::nullopt;
    }
    auto inner = text.substr(i + 2, close - i - 2);
    auto sep = inner.find(":-");
    std::string name{inner.substr(0, sep)};
    bool valid = !name.empty();
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      why = "invalid environment variable name \"" + name + "\"";
      return std::nullopt;
    }
    auto value = get(name);
    if (!value && sep != std::string_view::npos) value = std::string{inner.substr(sep + 2)};
    if (!value) {
      why = "environment variable " + name + " is not set and has no default (${" + name +
            ":-default})";
      return std::nullopt;
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace sluice::config
