#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace sluice::bench {

struct client_options {
  std::string host = "127.0.0.1";
  std::string port = "3000";
  std::string path = "/ws";
  std::string route = "uppercase";
  std::string payload = R"({"text":"hello world"})";
  unsigned inflight = 1;  // requests kept in flight on the connection
  // text: send `payload` as it is, one request at a time, and take any frame
  // whose type is "final" as its answer. Speaks to Sluice's bare {"text": …}
  // form and to upstream services directly, for side-by-side runs.
  bool text_protocol = false;
};

// What one connection measured.
struct client_stats {
  std::uint64_t requests = 0;               // finals received
  std::uint64_t frames = 0;                 // frames received, welcome excluded
  std::uint64_t errors = 0;                 // error frames received
  std::vector<std::uint32_t> latencies_us;  // request sent → final received
  std::string failure;                      // non-empty when the connection failed
};

// One WebSocket connection that keeps `inflight` requests running: each final
// answer is timed and immediately replaced by a new request.
class client {
 public:
  client(boost::asio::io_context& ioc, client_options options);
  ~client();

  void start();
  // Stops sending new requests; counting stops too.
  void stop();
  // Starts counting (after the warm-up).
  void reset_stats();
  const client_stats& stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace sluice::bench
