#include "actors/topic/replica/records.hpp"

#include <cstdint>

namespace sluice::actors {
namespace {

constexpr std::size_t header = 8 + 8 + 1;

void put(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get(const std::string& in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::string pack_record(const log_record& r) {
  std::string out;
  out.reserve(header + r.data.size());
  put(out, r.offset);
  put(out, static_cast<std::uint64_t>(r.ts_ms));
  out += static_cast<char>(r.kind);
  out += r.data;
  return out;
}

std::optional<log_record> unpack_record(const std::string& packed) {
  if (packed.size() < header) return std::nullopt;
  log_record r;
  r.offset = get(packed, 0);
  r.ts_ms = static_cast<std::int64_t>(get(packed, 8));
  r.kind = static_cast<std::uint8_t>(packed[16]);
  r.data = packed.substr(header);
  return r;
}

std::vector<std::string> pack_records(const std::vector<const log_record*>& records) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto* r : records) out.push_back(pack_record(*r));
  return out;
}

std::optional<std::vector<log_record>> unpack_records(const std::vector<std::string>& packed) {
  std::vector<log_record> out;
  out.reserve(packed.size());
  for (const auto& p : packed) {
    auto r = unpack_record(p);
    if (!r) return std::nullopt;
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace sluice::actors
