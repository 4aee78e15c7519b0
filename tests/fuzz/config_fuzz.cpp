// libFuzzer target: the config loader must report errors for any text, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::config::load_string({reinterpret_cast<const char*>(data), size}, "fuzz.yaml");
  return 0;
}
