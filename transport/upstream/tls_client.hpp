#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace boost::asio::ssl {
class context;
}

// The TLS side of reaching an upstream over https:// (docs/protocol.md,
// "TLS to upstreams"): whom to trust, and which certificate to show.
namespace sluice::transport {

class tls_client_context {
 public:
  // TLS 1.2 or later; peers checked against the system's trusted CAs, or
  // `tls.ca_file`'s; `tls.cert_file`/`key_file` shown when the upstream asks.
  // Throws std::runtime_error naming the file that did not load.
  static std::shared_ptr<const tls_client_context> make(const config::upstream_tls& tls);
  // Why `tls` would not load (for --check-config); nothing when it loads.
  static std::optional<std::string> check(const config::upstream_tls& tls);

  explicit tls_client_context(std::unique_ptr<boost::asio::ssl::context> ctx);
  ~tls_client_context();
  boost::asio::ssl::context& native() const { return *ctx_; }

 private:
  std::unique_ptr<boost::asio::ssl::context> ctx_;
};

}  // namespace sluice::transport
