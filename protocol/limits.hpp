#pragma once

#include <cstddef>

// Bounds every decoder of protocol v1 applies (docs/protocol.md).
namespace sluice::protocol {

constexpr std::size_t max_id_bytes = 128;
constexpr std::size_t max_route_bytes = 64;
constexpr std::size_t max_json_depth = 64;

}  // namespace sluice::protocol
