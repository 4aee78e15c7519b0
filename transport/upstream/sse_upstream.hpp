#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transport/upstream/http_upstream.hpp"
#include "transport/upstream/sse_parser.hpp"

// HTTP requests whose responses stream Server-Sent Events (one request per
// client request). Transport owns the sockets; actors see sse_request_handle
// and receive sse_events. The client runs its sockets on its own thread.
namespace sluice::transport {

class io_runtime;

struct sse_request_spec {
  http_request_base request;
  std::size_t max_event_bytes = 1024 * 1024;
  // Events delivered and not yet acknowledged, at most; while the window is
  // full the socket is not read.
  std::uint32_t event_window = 16;
};

// Called on the client's thread: on_failed (nothing else follows), or
// on_event for each event's data, then on_end once.
class sse_events {
 public:
  virtual ~sse_events() = default;
  // Could not connect, or the response was not 2xx (`status` 0 when there was none).
  virtual void on_failed(unsigned status, std::string why) = 0;
  // True: the event was handled for good, and takes no room in the event
  // window; false: it does until acknowledge() gives it back.
  virtual bool on_event(std::string data) = 0;
  // The response ended or broke; `protocol_error` when an event was too large.
  virtual void on_end(std::string why, bool protocol_error) = 0;
};

class sse_request_handle {
 public:
  virtual ~sse_request_handle() = default;
  virtual void acknowledge(std::uint32_t n) = 0;
  virtual void abort() = 0;  // closes the connection; no events follow
};

class sse_client {
 public:
  // Runs on `io`, which must outlive it.
  explicit sse_client(io_runtime& io);
  ~sse_client();
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  std::shared_ptr<sse_request_handle> start(sse_request_spec spec,
                                            std::shared_ptr<sse_events> events);
  std::size_t open_requests() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::transport
