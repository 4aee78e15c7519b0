#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

struct options {
  std::optional<std::string> config_file;
  std::optional<std::uint16_t> port;
  bool check_config = false;
  bool version = false;
  bool help = false;
};

// Parses argv; on failure returns nothing and sets `error`.
std::optional<options> parse(const std::vector<std::string>& args, std::string& error);

std::string usage();

}  // namespace sluice::cli
