// libFuzzer target: what a client controls in HTTP (the target with its query,
// the body of POST /api/publish) must always parse to a call or an error reply.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/http/api_request.hpp"
#include "transport/websocket/connect_params.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  sluice::transport::parse_api_request("POST", "/api/publish", text);
  sluice::transport::parse_api_request("GET", text, "");
  std::string error;
  sluice::transport::parse_connect_params(text, error);
  return 0;
}
