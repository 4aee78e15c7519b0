#pragma once

#include <optional>
#include <string>
#include <string_view>

// Small files written whole: a topic's claim next to its log.
namespace sluice {

// The whole file; nothing when it does not exist or cannot be read.
std::optional<std::string> read_small_file(const std::string& path);

// Replaces `path` by `content` atomically (a synced temporary file renamed
// over it); false, with `error`, when that failed.
bool write_small_file(const std::string& path, std::string_view content, std::string& error);

}  // namespace sluice
