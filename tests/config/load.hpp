#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"

// What the loader tests share: load a YAML text as "test.yaml" and look at
// its configuration or its errors.
namespace sluice::config {

// The errors of a configuration that must not load, as "line:col: key: message".
inline std::vector<std::string> errors_of(std::string_view yaml) {
  auto result = load_string(yaml, "test.yaml");
  auto* errors = std::get_if<std::vector<error>>(&result);
  if (errors == nullptr) return {"(loaded without errors)"};
  std::vector<std::string> out;
  for (const auto& e : *errors) {
    EXPECT_EQ(e.file, "test.yaml");
    out.push_back(e.to_string().substr(std::string{"test.yaml:"}.size()));
  }
  return out;
}

inline config loaded(std::string_view yaml) {
  auto result = load_string(yaml, "test.yaml");
  if (auto* errors = std::get_if<std::vector<error>>(&result)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return std::get<config>(result);
}

inline constexpr std::string_view minimal = "routes:\n  up:\n    kind: uppercase\n";

}  // namespace sluice::config
