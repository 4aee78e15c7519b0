#include "transport/upstream/tls_client.hpp"

#include <boost/asio/ssl.hpp>

#include <stdexcept>

namespace sluice::transport {

namespace ssl = boost::asio::ssl;

tls_client_context::tls_client_context(std::unique_ptr<ssl::context> ctx) : ctx_(std::move(ctx)) {}

tls_client_context::~tls_client_context() = default;

std::shared_ptr<const tls_client_context> tls_client_context::make(
    const config::upstream_tls& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  auto load = [&](const std::string& file, const char* key, auto&& use) {
    use(ec);
    if (ec) throw std::runtime_error("tls." + std::string{key} + " " + file + ": " + ec.message());
  };
  if (tls.ca_file.empty())
    load("(the system's trusted CAs)", "ca_file",
         [&](boost::system::error_code& e) { ctx->set_default_verify_paths(e); });
  else
    load(tls.ca_file, "ca_file",
         [&](boost::system::error_code& e) { ctx->load_verify_file(tls.ca_file, e); });
  if (!tls.cert_file.empty()) {
    load(tls.cert_file, "cert_file",
         [&](boost::system::error_code& e) { ctx->use_certificate_chain_file(tls.cert_file, e); });
    load(tls.key_file, "key_file", [&](boost::system::error_code& e) {
      ctx->use_private_key_file(tls.key_file, ssl::context::pem, e);
    });
  }
  return std::make_shared<const tls_client_context>(std::move(ctx));
}

std::optional<std::string> tls_client_context::check(const config::upstream_tls& tls) {
  try {
    make(tls);
    return std::nullopt;
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace sluice::transport
