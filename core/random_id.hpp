#pragma once

#include <random>
#include <string>
#include <string_view>

namespace sluice {

// `prefix` followed by `digits` random hex digits (at most 16), e.g. "s-3fa9…":
// ids for sessions and workers that are unique in practice and say what they name.
inline std::string random_id(std::string_view prefix, int digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id{prefix};
  auto bits = rng();
  for (int i = 0; i < digits; ++i, bits >>= 4) id.push_back(hex[bits & 0xF]);
  return id;
}

}  // namespace sluice
