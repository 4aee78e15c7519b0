#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// One HTTP request, one whole response (upstreams of kind `http`). Transport
// owns the sockets; actors see http_exchange_handle and get an http_answer.
// Redirects are not followed: a 3xx is an answer like any other.
namespace sluice::transport {

class io_runtime;
class tls_client_context;

// One HTTP request to an upstream (both kinds that speak HTTP).
struct http_request_base {
  std::string host;
  std::string port;
  std::string target = "/";
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::shared_ptr<const tls_client_context> tls;  // https; null: plain http
};

struct http_request_spec {
  http_request_base request;
  std::size_t max_response_bytes = 1024 * 1024;
};

struct http_answer {
  unsigned status = 0;  // 0: no response (`error` says why)
  std::string body;
  std::string error;       // with status 0, or a response over max_response_bytes
  bool too_large = false;  // the response was over max_response_bytes
};

class http_exchange_handle {
 public:
  virtual ~http_exchange_handle() = default;
  virtual void abort() = 0;  // closes the connection; no answer follows
};

// Runs its exchanges on `io`, which must outlive it.
class http_client {
 public:
  explicit http_client(io_runtime& io);

  // `done` is called once, on the client's thread, unless the exchange is aborted first.
  std::shared_ptr<http_exchange_handle> start(http_request_spec spec,
                                              std::function<void(http_answer)> done);

 private:
  io_runtime& io_;
};

}  // namespace sluice::transport
