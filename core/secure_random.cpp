#include "core/secure_random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/observe/log.hpp"

namespace sluice {
namespace {

constexpr std::size_t id_bytes = 16;  // 128 bits

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xF]);
  }
  return out;
}

}  // namespace

void secure_random_bytes(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    auto got = ::getrandom(p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      // Without the kernel's randomness no id is safe to hand out.
      log::error("random", "getrandom_failed", {{"error", std::strerror(errno)}});
      std::abort();
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::string random_id(std::string_view prefix) {
  std::string id;
  id.reserve(prefix.size() + 2 * id_bytes);
  id.append(prefix);
  id.append(random_secret());
  return id;
}

std::string random_secret() {
  unsigned char bytes[id_bytes];
  secure_random_bytes(bytes, sizeof bytes);
  return hex(bytes, sizeof bytes);
}

}  // namespace sluice
