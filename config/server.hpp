#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// The `server:` section: the listening socket, its limits, TLS and the pages
// served on it. Part of config.hpp's configuration.
namespace sluice::config {

using std::chrono::milliseconds;

// Where an entry stands in its configuration file (1-based; 0: unknown), for
// errors found when what it names is loaded (keys, certificates).
struct source_place {
  int line = 0;
  int column = 0;
};

// `tls:`: wss:// and https:// on the server's port (plain ws:// and http://
// are still accepted there unless `require` is set).
struct tls_config {
  std::string cert_file;  // PEM certificate chain; empty: no TLS
  std::string key_file;   // PEM private key
  bool require = false;   // refuse connections that do not start a TLS handshake
  source_place place;     // of the `tls` entry
};

// server.static: a directory of the user's files served at `prefix`.
struct static_site_config {
  std::string path;          // empty: none
  std::string prefix = "/";  // a URL path; "/" serves at the root (server paths come first)
  source_place place;        // of the `static` entry
};

struct server_config {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;  // 0: any free port (the log says which)
  std::string node_name = "sluice-1";
  std::size_t max_frame_bytes = 1024 * 1024;
  std::size_t max_connections = 10000;
  milliseconds idle_timeout{60000};   // no frame and no pong for this long: close
  milliseconds drain_timeout{10000};  // on SIGTERM, how long running jobs may finish
  unsigned io_threads = 1;            // Asio threads that own the sockets
  unsigned actor_threads = 1;         // CAF scheduler threads that run the actors
  // A connection must send a complete request head within this long
  // (slowloris); a kept-alive HTTP connection may stay idle this long.
  milliseconds request_timeout{10000};
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_connections_per_ip = 0;    // WebSocket connections from one address; 0: no limit
  std::vector<std::string> allowed_origins;  // `Origin` values allowed to upgrade; empty: any
  bool frame_timestamps = false;  // every frame of a request stream carries `ts` (Unix ms)
  tls_config tls;
  bool dashboard = false;  // the built-in dashboard at /dashboard/
  static_site_config static_site;
};

}  // namespace sluice::config
