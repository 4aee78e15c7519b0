#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/storage/file_cache.hpp"

// One topic's history on disk: a header (magic, epoch) and then records, each
// with a CRC-32 over its contents. Appends only; a record that fails its
// checksum or is cut short ends the log (a torn write) and is truncated away
// on open. Its descriptor comes from a file_cache, which may close it while
// the log is idle. Not thread-safe: one topic actor owns one log.
namespace sluice {

struct log_record {
  std::uint64_t offset = 0;
  std::int64_t ts_ms = 0;  // Unix time of the publish, milliseconds
  std::uint8_t kind = 0;   // what `data` is; meaning left to the owner
  std::string data;
};

class append_log {
 public:
  struct opened {
    std::uint64_t epoch = 0;
    std::vector<log_record> records;    // in offset order
    std::uint64_t truncated_bytes = 0;  // a torn or corrupt tail that was cut off
    std::string reset_reason;           // non-empty: the file was unusable and set aside
  };

  explicit append_log(file_cache& files = file_cache::global()) : files_(&files) {}
  ~append_log();
  append_log(append_log&& other) noexcept;
  append_log& operator=(append_log&& other) noexcept;

  // Opens (or creates, with `new_epoch`) the log at `path` and reads it.
  // A file whose header is unreadable is renamed to `path.corrupt` and a
  // fresh one started. Returns false, with `error`, only when the file
  // cannot be created or read at all.
  bool open(const std::string& path, std::uint64_t new_epoch, opened& out, std::string& error);

  // Writes one record; with `sync`, also waits until it is on disk.
  bool append(const log_record& record, bool sync, std::string& error);
  bool sync(std::string& error);

  // Replaces the file's records by `records` (written to a new file that is
  // synced and renamed over the old one): keeps the log as short as history.
  bool rewrite(std::uint64_t epoch, const std::vector<const log_record*>& records,
               std::string& error);

  std::uint64_t records_written() const { return records_; }
  bool is_open() const { return file_ != nullptr; }

 private:
  void close();

  file_cache* files_;
  std::shared_ptr<file_cache::file> file_;  // null: not open
  std::string path_;
  std::uint64_t records_ = 0;  // records in the file
};

// The file name of a topic's log inside `directory`.
std::string topic_log_path(const std::string& directory, const std::string& topic);

// The file name of an inbox's claim (the digest of its resume credential).
std::string topic_claim_path(const std::string& directory, const std::string& topic);

// The file name of a topic's acknowledged consumers (their cursors).
std::string topic_consumers_path(const std::string& directory, const std::string& topic);

// The topics that have a log in `directory`.
std::vector<std::string> logged_topics(const std::string& directory);

}  // namespace sluice
