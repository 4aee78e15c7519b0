#include "actors/topic/consumer_records.hpp"

#include "protocol/topic_frames.hpp"

#include <charconv>
#include <cstdint>
#include <vector>

namespace sluice::actors {
namespace {

constexpr std::string_view header = "sluice-consumers 1\n";
constexpr std::string_view hex_digits = "0123456789abcdef";

std::string to_hex(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char c : text) {
    out += hex_digits[c >> 4];
    out += hex_digits[c & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto hi = hex_digits.find(hex[i]);
    auto lo = hex_digits.find(hex[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

bool read_number(std::string_view text, std::uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    auto space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

std::optional<consumer_record> read_line(std::string_view line) {
  auto fields = fields_of(line);
  if (fields.size() != 4 || fields[2].empty()) return std::nullopt;
  consumer_record r;
  auto principal = from_hex(fields[3]);
  if (!read_number(fields[0], r.acked) || !read_number(fields[1], r.sent) || !principal ||
      r.sent < r.acked)
    return std::nullopt;
  r.name = fields[2];
  r.principal = std::move(*principal);
  return r;
}

}  // namespace

std::string consumer_records::key(std::string_view principal, std::string_view name) {
  std::string out{principal};
  out += '\n';  // in neither: names are [A-Za-z0-9_.-], principals one line
  out += name;
  return out;
}

const consumer_record* consumer_records::find(const std::string& key) const {
  auto it = all_.find(key);
  return it == all_.end() ? nullptr : &it->second;
}

void consumer_records::put(consumer_record record) {
  auto k = key(record.principal, record.name);
  all_.insert_or_assign(std::move(k), std::move(record));
}

void consumer_records::merge(const consumer_records& other) {
  for (const auto& [k, theirs] : other.all_) {
    auto it = all_.find(k);
    if (it == all_.end() || theirs.acked > it->second.acked ||
        (theirs.acked == it->second.acked && theirs.sent > it->second.sent))
      all_.insert_or_assign(k, theirs);
  }
}

std::string consumer_records::serialize() const {
  std::string out{header};
  for (const auto& [k, r] : all_) {
    out += std::to_string(r.acked);
    out += ' ';
    out += std::to_string(r.sent);
    out += ' ';
    out += r.name;
    out += ' ';
    out += to_hex(r.principal);
    out += '\n';
  }
  return out;
}

std::optional<consumer_records> consumer_records::parse(std::string_view text) {
  if (!text.starts_with(header)) return std::nullopt;
  text.remove_prefix(header.size());
  consumer_records out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (auto r = read_line(line)) out.put(std::move(*r));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

log_record consumers_record(const consumer_records& records) {
  return {0, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::consumers),
          records.serialize()};
}

bool take_consumers(std::vector<log_record>& records, consumer_records& into) {
  bool found = false;
  std::erase_if(records, [&](const log_record& r) {
    if (static_cast<protocol::frames::record_kind>(r.kind) !=
        protocol::frames::record_kind::consumers)
      return false;
    if (auto parsed = consumer_records::parse(r.data)) into.merge(*parsed);
    found = true;
    return true;
  });
  return found;
}

}  // namespace sluice::actors
