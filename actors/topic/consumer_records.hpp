#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/append_log.hpp"

namespace sluice::actors {

// What is kept of one acknowledged consumer: whose it is, its name, the
// offset it acknowledged last and the last one it was sent. Messages in
// between were sent and not acknowledged: they are sent again (redelivered)
// when it comes back.
struct consumer_record {
  std::string principal;
  std::string name;
  std::uint64_t acked = 0;
  std::uint64_t sent = 0;
};

// A topic's consumers, by key(principal, name): a principal's consumer names
// are its own. Written whole to the topic's .consumers file, one line per
// consumer ("<acked> <sent> <name> <principal as hex>"), after a header.
class consumer_records {
 public:
  static std::string key(std::string_view principal, std::string_view name);

  const consumer_record* find(const std::string& key) const;
  void put(consumer_record record);
  // Takes each of `other`'s records that is further on (acknowledged more,
  // or as much and sent more) than the one here, or that is not here.
  void merge(const consumer_records& other);
  bool erase(const std::string& key) { return all_.erase(key) > 0; }
  std::size_t size() const { return all_.size(); }
  const std::map<std::string, consumer_record>& all() const { return all_; }

  std::string serialize() const;
  // Nothing when `text` is not a consumers file; lines that do not read are
  // skipped (a consumer then starts over rather than the topic failing).
  static std::optional<consumer_records> parse(std::string_view text);

 private:
  std::map<std::string, consumer_record> all_;
};

// Between nodes, cursors travel as a record of kind consumers among a topic's
// log records (history_copy, replicate_atom), like an inbox's claim.
log_record consumers_record(const consumer_records& records);
// Takes those records out of `records` and merges them; true if there were any.
bool take_consumers(std::vector<log_record>& records, consumer_records& into);

}  // namespace sluice::actors
