#include "core/json.hpp"

#include <charconv>
#include <cmath>

namespace sluice::json {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (c > 0xF4 || len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (auto len = utf8_sequence_length(s, i)) {
      out.append(s.substr(i, len));
      i += len - 1;
    } else {
      out += "\\ufffd";  // replacement character for a stray byte
    }
  }
  out.push_back('"');
}

void object::key(std::string_view k) {
  if (out_.size() > 1) out_.push_back(',');
  append_string(out_, k);
  out_.push_back(':');
}

object& object::str(std::string_view k, std::string_view value) {
  key(k);
  append_string(out_, value);
  return *this;
}

object& object::num(std::string_view k, std::int64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}

object& object::num(std::string_view k, std::uint64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}

object& object::num(std::string_view k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  out_.append(buf, end);
  return *this;
}

object& object::boolean(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}

object& object::raw(std::string_view k, std::string_view json) {
  key(k);
  out_.append(json);
  return *this;
}

std::string object::finish() {
  out_.push_back('}');
  return std::move(out_);
}

std::string quoted(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

std::string string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    append_string(out, v);
  }
  out += ']';
  return out;
}

}  // namespace sluice::json
