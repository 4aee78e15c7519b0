#include "transport/http/static_pages.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/error_code.hpp"
#include "transport/http/api_request.hpp"
#include "transport/http/query_string.hpp"

namespace sluice::transport {
namespace {

namespace fs = std::filesystem;

// The server's own paths win over a static site served at "/".
bool is_server_path(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == websocket_path ||
         path == workers_path || path == "/api" || path.starts_with(api_prefix);
}

std::string normalized_prefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return std::string{prefix};
}

// `path` under `prefix`: the rest ("" or "/…"), or nothing when it is not.
std::optional<std::string_view> under(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  auto rest = path.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/app2" is not under "/app"
  return rest;
}

http_reply page(std::string_view name, std::string body) {
  http_reply r;
  r.content_type = std::string{content_type_of(name)};
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

http_reply redirect(std::string location) {
  http_reply r;
  r.status = 308;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "see " + location + "\n";
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

http_reply not_found(std::string_view path) {
  return http_error(404, to_string(ec::not_found), "no such file: " + std::string{path});
}

// Whether `inner` is `root` or inside it (both canonical).
bool inside(const fs::path& root, const fs::path& inner) {
  auto [r, i] = std::mismatch(root.begin(), root.end(), inner.begin(), inner.end());
  return r == root.end();
}

}  // namespace

std::string_view content_type_of(std::string_view name) {
  struct by_extension {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr by_extension types[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
      {".ts", "text/plain; charset=utf-8"},
  };
  for (const auto& t : types)
    if (name.ends_with(t.extension)) return t.type;
  return "application/octet-stream";
}

std::optional<std::string> check_static_root(const config::static_site_config& site) {
  std::error_code ec;
  if (!fs::is_directory(site.path, ec))
    return "server.static.path: " + site.path + " is not a directory" +
           (ec ? " (" + ec.message() + ")" : std::string{});
  return std::nullopt;
}

static_pages::static_pages(const config::server_config& server)
    : dashboard_(server.dashboard), prefix_(normalized_prefix(server.static_site.prefix)) {
  if (server.static_site.path.empty()) return;
  std::error_code ec;
  auto root = fs::canonical(server.static_site.path, ec);
  root_ = ec ? server.static_site.path : root.string();
}

std::optional<http_reply> static_pages::answer(std::string_view method,
                                               std::string_view target) const {
  auto path = target.substr(0, target.find('?'));
  if (is_server_path(path)) return std::nullopt;
  auto dashboard_rest = dashboard_ ? under(path, dashboard_prefix) : std::nullopt;
  auto site_rest = root_.empty() ? std::nullopt : under(path, prefix_);
  if (!dashboard_rest && !site_rest) return std::nullopt;
  if (method != "GET" && method != "HEAD") {
    auto r = http_error(405, to_string(ec::method_not_allowed),
                        std::string{method} + " is not allowed on " + std::string{path});
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (dashboard_rest) {
    if (auto r = dashboard(*dashboard_rest)) return r;
    if (!site_rest) return not_found(path);  // the site may have its own /dashboard/x
  }
  if (site_rest->empty() && !prefix_.empty()) return redirect(prefix_ + "/");
  return from_disk(*site_rest);
}

std::optional<http_reply> static_pages::dashboard(std::string_view rest) const {
  if (rest.empty()) return redirect(std::string{dashboard_prefix} + "/");
  auto name = rest.substr(1);
  if (name.empty()) name = "index.html";
  for (const auto& f : dashboard_files()) {
    if (f.name != name) continue;
    auto r = page(f.name, std::string{f.body});
    // Its own scripts and styles only; it talks to this server alone.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:");
    return r;
  }
  return std::nullopt;
}

// Reads the file on the I/O thread: meant for a page's few small files, not
// for downloads (at most max_static_file_bytes).
http_reply static_pages::from_disk(std::string_view rest) const {
  auto decoded = percent_decoded(rest);
  if (!decoded || decoded->find('\0') != std::string::npos)
    return http_error(400, to_string(ec::bad_request), "malformed path");
  fs::path relative{decoded->empty() ? "/" : *decoded};
  for (const auto& part : relative)
    if (part == "..") return http_error(400, to_string(ec::bad_request), "'..' in the path");
  auto wanted = fs::path{root_} / relative.relative_path();
  if (decoded->empty() || decoded->back() == '/') wanted /= "index.html";
  std::error_code ec;
  auto real = fs::canonical(wanted, ec);
  // A symbolic link may not lead out of the directory.
  if (ec || !inside(fs::path{root_}, real)) return not_found(rest);
  if (fs::is_directory(real, ec)) {
    auto slash = prefix_ + std::string{rest} + "/";
    return redirect(std::move(slash));
  }
  auto size = fs::file_size(real, ec);
  if (ec) return not_found(rest);
  if (size > max_static_file_bytes)
    return http_error(403, to_string(ec::forbidden),
                      "files over 16 MiB are not served from server.static");
  std::ifstream in{real, std::ios::binary};
  if (!in) return http_error(403, to_string(ec::forbidden), "the file cannot be read");
  std::string body{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  return page(real.filename().string(), std::move(body));
}

}  // namespace sluice::transport
