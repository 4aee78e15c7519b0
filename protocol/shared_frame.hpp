#pragma once

#include <memory>
#include <string>

namespace sluice::protocol {

// A frame toward clients, built once and shared by every queue it enters.
using shared_frame = std::shared_ptr<const std::string>;

}  // namespace sluice::protocol
