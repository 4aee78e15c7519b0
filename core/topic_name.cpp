#include "core/topic_name.hpp"

namespace sluice::topic_name {
namespace {

bool allowed_char(char c, bool star) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || c == '.' || c == '_' || c == '-' || c == ':' || (star && c == '*');
}

bool valid_chars(std::string_view text, bool star) {
  if (text.empty() || text.size() > max_bytes || text.front() == '.') return false;
  for (char c : text)
    if (!allowed_char(c, star)) return false;
  return true;
}

}  // namespace

bool valid(std::string_view name) {
  return valid_chars(name, false);
}

bool valid_pattern(std::string_view pattern) {
  return valid_chars(pattern, true);
}

// Glob matching with `*` only, backtracking to the last star: linear in
// practice for the short names and patterns allowed here.
bool matches(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool is_inbox(std::string_view name) {
  return name.starts_with(inbox_prefix);
}

bool is_user_channel(std::string_view name) {
  return name.starts_with(user_prefix);
}

std::string user_channel_of(std::string_view subject) {
  std::string name{user_prefix};
  name.append(subject);
  return !subject.empty() && valid(name) ? name : std::string{};
}

std::string inbox_of(std::string_view client_id) {
  std::string name{inbox_prefix};
  name.append(client_id);
  return name;
}

}  // namespace sluice::topic_name
