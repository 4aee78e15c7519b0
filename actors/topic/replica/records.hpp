#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/storage/append_log.hpp"

namespace sluice::actors {

// Topic records as they cross between nodes in one message: each one a
// string of offset (8 bytes), timestamp (8), kind (1) and the data, so that
// only types CAF serializes natively travel.
std::string pack_record(const log_record& r);
std::optional<log_record> unpack_record(const std::string& packed);

std::vector<std::string> pack_records(const std::vector<const log_record*>& records);
// Nothing when any entry is malformed.
std::optional<std::vector<log_record>> unpack_records(const std::vector<std::string>& packed);

}  // namespace sluice::actors
