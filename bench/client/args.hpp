#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/client/connection.hpp"
#include "config/readers/values.hpp"

// "--name value" pairs as the benchmark modes take them.
namespace sluice::bench {

class args {
 public:
  args(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // Walks the pairs; `take(name, value)` returns false for an option it does not know.
  template <class Take>
  bool parse(Take take) {
    for (int i = 0; i < argc_; i += 2) {
      if (i + 1 >= argc_) return false;
      if (!take(std::string_view{argv_[i]}, std::string{argv_[i + 1]})) return false;
    }
    return true;
  }

  static bool number(const std::string& text, unsigned& out, unsigned min = 0) {
    auto n = config::parse_unsigned(text);
    if (!n || *n < min || *n > 0xffffffffULL) return false;
    out = static_cast<unsigned>(*n);
    return true;
  }
  static bool real(const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0' && out >= 0;
  }
  // --url and --proto, which every pub/sub mode takes.
  static bool endpoint(std::string_view name, const std::string& value, target& t, bool& known) {
    known = true;
    if (name == "--url") return parse_target_url(value, t);
    if (name == "--proto") {
      auto w = wire_named(value);
      if (w) t.protocol = *w;
      return w.has_value();
    }
    known = false;
    return false;
  }

 private:
  int argc_;
  char** argv_;
};

}  // namespace sluice::bench
