#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::security {

// RFC 4648 section 5, without padding (as JWTs use it). Nothing for input
// that is not base64url.
std::optional<std::string> base64url_decode(std::string_view in);
std::string base64url_encode(std::string_view in);

}  // namespace sluice::security
