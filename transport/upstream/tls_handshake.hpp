#pragma once

// Private to transport's .cpp files (includes Asio's SSL): what every client
// TLS connection to an upstream does before its handshake, and how a refused
// handshake is described.
#include <boost/asio/ssl.hpp>

#include <string>

#include "transport/beast.hpp"

namespace sluice::transport {

// SNI, and checking the peer's chain and that its certificate names `host`.
template <class SslStream>
void prepare_client_tls(SslStream& s, const std::string& host) {
  SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
  s.set_verify_mode(net::ssl::verify_peer);
  s.set_verify_callback(net::ssl::host_name_verification(host));
}

// Why a handshake on `ssl` failed: the certificate's refusal (expired,
// self-signed, another host's) when that was it.
inline std::string tls_failure(SSL* ssl, const beast::error_code& ec) {
  auto verdict = SSL_get_verify_result(ssl);
  if (verdict == X509_V_OK) return ec.message();
  std::string out{"the certificate was refused: "};
  out += X509_verify_cert_error_string(verdict);
  return out;
}

}  // namespace sluice::transport
