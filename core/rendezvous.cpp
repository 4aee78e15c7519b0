#include "core/rendezvous.hpp"

#include <cstdint>

namespace sluice {
namespace {

// FNV-1a, then a 64-bit finalizer (splitmix64) so that similar names spread.
std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void fnv(std::uint64_t& h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
}

}  // namespace

std::uint64_t rendezvous_weight(std::string_view node, std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  fnv(h, node);
  fnv(h, std::string_view{"\0", 1});
  fnv(h, key);
  return mix(h);
}

std::string rendezvous_owner(std::span<const std::string> nodes, std::string_view key) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& n : nodes) {
    auto w = rendezvous_weight(n, key);
    // Ties (practically never) go to the smaller name, the same everywhere.
    if (best == nullptr || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best != nullptr ? *best : std::string{};
}

}  // namespace sluice
