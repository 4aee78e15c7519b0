#include "security/access.hpp"

#include <algorithm>

namespace sluice::security {
namespace {

bool admits(std::string_view principal, const identity& who, std::string_view owner) {
  auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (!principal.starts_with(prefix)) return std::nullopt;
    return principal.substr(prefix.size());
  };
  if (principal == "authenticated") return !who.anonymous();
  if (principal == "owner") return !owner.empty() && who.subject == owner;
  if (auto role = after("role:"))
    return std::find(who.roles.begin(), who.roles.end(), *role) != who.roles.end();
  if (auto sub = after("sub:")) return !who.subject.empty() && who.subject == *sub;
  if (auto key = after("key:")) return !who.key_name.empty() && who.key_name == *key;
  if (auto claim = after("claim:")) {
    auto eq = claim->find('=');
    auto name = claim->substr(0, eq);
    auto value = claim->substr(eq + 1);
    return std::any_of(who.claims.begin(), who.claims.end(),
                       [&](const auto& c) { return c.first == name && c.second == value; });
  }
  return false;
}

}  // namespace

bool allows(const config::access_list& list, const identity& who, std::string_view owner) {
  if (list.everyone) return true;
  return std::any_of(list.principals.begin(), list.principals.end(),
                     [&](const std::string& p) { return admits(p, who, owner); });
}

std::string_view owner_part(std::string_view pattern, std::string_view name) {
  auto star = pattern.find('*');
  if (star == std::string_view::npos || pattern.find('*', star + 1) != std::string_view::npos)
    return {};
  auto suffix = pattern.size() - star - 1;
  if (name.size() < star + suffix) return {};
  return name.substr(star, name.size() - star - suffix);
}

}  // namespace sluice::security
