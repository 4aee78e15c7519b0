#include "security/client_ids.hpp"

#include <openssl/crypto.h>

#include "core/topic_name.hpp"
#include "security/authenticator.hpp"

namespace sluice::security {
namespace {

constexpr std::size_t max_plain_tag = 48;
constexpr std::size_t hashed_tag_digits = 32;

bool plain(std::string_view principal) {
  if (principal.empty() || principal.size() > max_plain_tag || principal.starts_with("h-"))
    return false;
  for (char c : principal) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> principal_of(const identity& who) {
  if (!who.subject.empty()) return who.subject;
  if (!who.key_name.empty()) return "key:" + who.key_name;
  return std::nullopt;
}

std::string principal_tag(std::string_view principal) {
  if (plain(principal)) return std::string{principal};
  return "h-" + sha256_hex(principal).substr(0, hashed_tag_digits);
}

std::string client_inbox(const identity& who, std::string_view client_id) {
  auto principal = principal_of(who);
  if (!principal) return topic_name::inbox_of(client_id);
  auto owned = principal_tag(*principal);
  owned += ':';
  owned += client_id;
  return topic_name::inbox_of(owned);
}

std::string credential_digest(std::string_view credential) {
  return sha256_hex(credential);
}

bool same_digest(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sluice::security
