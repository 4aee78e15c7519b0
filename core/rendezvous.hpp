#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

// Rendezvous (highest random weight) hashing: the owner of `key` is the node
// with the highest hash of (node, key). Every process computes the same owner
// from the same set of nodes, and when a node leaves only the keys it owned
// move, each to the node with its next-highest weight.
std::uint64_t rendezvous_weight(std::string_view node, std::string_view key);

// The owner of `key` among `nodes`; "" when `nodes` is empty.
std::string rendezvous_owner(std::span<const std::string> nodes, std::string_view key);

}  // namespace sluice
