#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::json {

// Appends `s` as a JSON string literal (quotes included). Control characters
// and invalid UTF-8 bytes are escaped so the output is always valid JSON.
void append_string(std::string& out, std::string_view s);

// `s` as a JSON string literal.
std::string quoted(std::string_view s);

// `values` as a JSON array of strings.
std::string string_array(const std::vector<std::string>& values);

// Builds one JSON object into a string, in the order the fields are added.
// Values given as `raw` must already be valid JSON (e.g. an id echoed back).
class object {
 public:
  object() { out_.push_back('{'); }

  object& str(std::string_view key, std::string_view value);
  object& num(std::string_view key, std::int64_t value);
  object& num(std::string_view key, std::uint64_t value);  // offsets, counts
  object& num(std::string_view key, double value);
  object& boolean(std::string_view key, bool value);
  object& raw(std::string_view key, std::string_view json);

  // Closes the object and hands over its text (the builder is spent).
  std::string finish();

 private:
  void key(std::string_view k);
  std::string out_;
};

}  // namespace sluice::json
