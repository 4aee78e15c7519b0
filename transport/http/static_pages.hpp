#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "transport/http/http_endpoints.hpp"

// Pages served on the WebSocket port: the dashboard compiled into the binary
// (server.dashboard, at /dashboard/) and a user's own files from a directory
// (server.static: {path, prefix}).
namespace sluice::transport {

// A file compiled into the binary (embedded_assets.cpp, generated from
// clients/ at build time).
struct embedded_file {
  std::string_view name;  // e.g. "index.html"
  std::string_view body;
};
std::span<const embedded_file> dashboard_files();

constexpr std::string_view dashboard_prefix = "/dashboard";
// Files larger than this are not served from server.static.
constexpr std::size_t max_static_file_bytes = 16 * 1024 * 1024;

// The Content-Type for a file name, by its extension.
std::string_view content_type_of(std::string_view name);

// Whether server.static.path is a readable directory: nothing, or why not.
std::optional<std::string> check_static_root(const config::static_site_config& site);

class static_pages {
 public:
  explicit static_pages(const config::server_config& server);

  // The answer when `target` is one of these pages' paths (GET and HEAD; 405
  // for other methods, 404 for a missing file); nothing when it is not.
  std::optional<http_reply> answer(std::string_view method, std::string_view target) const;

 private:
  std::optional<http_reply> dashboard(std::string_view rest) const;
  http_reply from_disk(std::string_view rest) const;

  bool dashboard_;
  std::string root_;    // canonical; empty: no static site
  std::string prefix_;  // without a trailing '/': "" serves from the root
};

}  // namespace sluice::transport
