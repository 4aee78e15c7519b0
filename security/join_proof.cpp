#include "security/join_proof.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sluice::security {

std::string join_proof(std::string_view secret, std::string_view node_name,
                       std::string_view process_id) {
  std::string input{"sluice-join\n"};
  input.append(node_name).append("\n").append(process_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest, &size);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

bool join_proof_matches(std::string_view secret, std::string_view node_name,
                        std::string_view process_id, std::string_view proof) {
  auto expected = join_proof(secret, node_name, process_id);
  return proof.size() == expected.size() &&
         CRYPTO_memcmp(proof.data(), expected.data(), expected.size()) == 0;
}

}  // namespace sluice::security
