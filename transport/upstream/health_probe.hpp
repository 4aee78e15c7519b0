#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

// Health checks of upstreams: a TCP connect, or an HTTP (or HTTPS) GET that
// must answer 2xx. Runs its sockets on its own thread.
namespace sluice::transport {

class io_runtime;
class tls_client_context;

struct probe_spec {
  std::string host;
  std::string port;
  std::string http_target;  // empty: a TCP connect is the whole check
  std::chrono::milliseconds timeout{2000};
  std::shared_ptr<const tls_client_context> tls = {};  // an https health url
};

class health_prober {
 public:
  // Called once on the prober's thread: whether the upstream is healthy, and
  // what was seen ("HTTP 200", "connection refused", …).
  using callback = std::function<void(bool healthy, std::string detail)>;

  // Runs on `io`, which must outlive it.
  explicit health_prober(io_runtime& io);
  ~health_prober();  // stops its thread; probes in flight report nothing
  health_prober(const health_prober&) = delete;
  health_prober& operator=(const health_prober&) = delete;

  void probe(probe_spec spec, callback done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
