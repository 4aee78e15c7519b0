#include "security/jwt/jwt_keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <variant>

namespace sluice::security {
namespace {

constexpr std::size_t es256_part_bytes = 32;

std::shared_ptr<EVP_PKEY> read_public_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  if (!bio) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  return key == nullptr ? nullptr : std::shared_ptr<EVP_PKEY>{key, &EVP_PKEY_free};
}

bool verify_hmac(const std::string& secret, const jwt::token& t) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(t.signing_input.data()), t.signing_input.size(),
           mac, &mac_len) == nullptr)
    return false;
  return mac_len == t.signature.size() && CRYPTO_memcmp(mac, t.signature.data(), mac_len) == 0;
}

// JWS carries an ES256 signature as r||s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> es256_to_der(const std::string& raw) {
  if (raw.size() != 2 * es256_part_bytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{ECDSA_SIG_new(), &ECDSA_SIG_free};
  BIGNUM* r = BN_bin2bn(bytes, es256_part_bytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + es256_part_bytes, es256_part_bytes, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out{reinterpret_cast<char*>(der), static_cast<std::size_t>(len)};
  OPENSSL_free(der);
  return out;
}

bool verify_signature(EVP_PKEY* key, const jwt::token& t) {
  std::string signature = t.signature;
  if (t.alg == jwt::algorithm::es256) {
    auto der = es256_to_der(t.signature);
    if (!der) return false;
    signature = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(t.signing_input.data()),
                          t.signing_input.size()) == 1;
}

// ES256 is ECDSA over P-256 only (RFC 7518 3.4).
bool on_p256(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t len = 0;
  return EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
         std::string_view{group, len} == "prime256v1";
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

namespace {

// The public key of an RS256 or ES256 entry, or why it cannot be loaded.
std::variant<std::shared_ptr<EVP_PKEY>, std::string> load_public_key(
    const config::jwt_key_config& k) {
  auto pem = k.public_key_file.empty() ? std::optional{k.public_key} : read_file(k.public_key_file);
  if (!pem) return "cannot read public_key_file " + k.public_key_file;
  auto pkey = read_public_key(*pem);
  int want = k.algorithm == "RS256" ? EVP_PKEY_RSA : EVP_PKEY_EC;
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != want ||
      (want == EVP_PKEY_EC && !on_p256(pkey.get())))
    return "not a PEM " + (want == EVP_PKEY_RSA ? std::string{"RSA"} : std::string{"EC P-256"}) +
           " public key (-----BEGIN PUBLIC KEY-----)";
  return pkey;
}

}  // namespace

std::optional<std::string> jwt_keys::check(const config::jwt_key_config& k) {
  if (k.algorithm == "HS256") return std::nullopt;
  auto loaded = load_public_key(k);
  if (auto* why = std::get_if<std::string>(&loaded)) return std::move(*why);
  return std::nullopt;
}

std::optional<jwt_keys> jwt_keys::load(const std::vector<config::jwt_key_config>& keys,
                                       std::string& error) {
  jwt_keys out;
  for (const auto& k : keys) {
    key loaded;
    loaded.kid = k.kid;
    if (k.algorithm == "HS256") {
      loaded.alg = jwt::algorithm::hs256;
      loaded.secret = k.secret;
      out.keys_.push_back(std::move(loaded));
      continue;
    }
    loaded.alg = k.algorithm == "RS256" ? jwt::algorithm::rs256 : jwt::algorithm::es256;
    auto pkey = load_public_key(k);
    if (auto* why = std::get_if<std::string>(&pkey)) {
      error = "auth.jwt key at line " + std::to_string(k.place.line) + ": " + *why;
      return std::nullopt;
    }
    loaded.pkey = std::move(std::get<std::shared_ptr<EVP_PKEY>>(pkey));
    out.keys_.push_back(std::move(loaded));
  }
  return out;
}

bool jwt_keys::verify(const jwt::token& t) const {
  for (const auto& k : keys_) {
    if (k.alg != t.alg) continue;
    if (!k.kid.empty() && !t.kid.empty() && k.kid != t.kid) continue;
    bool ok = k.alg == jwt::algorithm::hs256 ? verify_hmac(k.secret, t)
                                             : verify_signature(k.pkey.get(), t);
    if (ok) return true;
  }
  return false;
}

}  // namespace sluice::security
