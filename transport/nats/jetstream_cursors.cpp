// Acknowledged consumers' cursors in the JetStream KV bucket PREFIX_CURSORS
// (jetstream.hpp): read and written on the connection's threads, in order
// per key.
#include <nats/nats.h>

#include <cstdio>

#include "transport/nats/jetstream.hpp"

namespace sluice::transport {

std::string jetstream::cursor_key(std::string_view topic, std::string_view principal,
                                  std::string_view name) {
  return escape_name(topic) + "." + escape_name(principal) + "." + escape_name(name);
}

kvStore* jetstream::cursors(std::string& error) {
  std::lock_guard lock{cursors_mutex_};
  if (cursors_ != nullptr) return cursors_;
  auto bucket = cfg_.stream_prefix + "_CURSORS";
  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = bucket.c_str();
  kc.History = 1;
  kc.Replicas = static_cast<int>(cfg_.replicas);
  kc.StorageType =
      cfg_.storage == config::engine_storage::memory ? js_MemoryStorage : js_FileStorage;
  auto s = js_CreateKeyValue(&cursors_, js_, &kc);
  if (s != NATS_OK) s = js_KeyValue(&cursors_, js_, bucket.c_str());  // made by another node
  if (s != NATS_OK) {
    cursors_ = nullptr;
    error = natsStatus_GetText(s);
  }
  return cursors_;
}

// The cursors whose key starts with `topic_token` (a topic's escaped name):
// the bucket's subjects under it, as the stream's state counts them.
bool jetstream::count_cursors(const std::string& topic_token, std::uint64_t& count,
                              std::string& error) {
  auto stream = "KV_" + cfg_.stream_prefix + "_CURSORS";
  auto filter = "$KV." + cfg_.stream_prefix + "_CURSORS." + topic_token + ".>";
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto s = js_GetStreamInfo(&si, js_, stream.c_str(), &o, &code);
  if (s != NATS_OK) {
    error = natsStatus_GetText(s);
    return false;
  }
  count = si->State.Subjects != nullptr ? static_cast<std::uint64_t>(si->State.Subjects->Count) : 0;
  jsStreamInfo_Destroy(si);
  return true;
}

void jetstream::load_cursor(const std::string& key, cursor_loaded_fn done) {
  post(key, [this, key, done = std::move(done)] {
    std::string error;
    auto* kv = cursors(error);
    if (kv == nullptr) return done(std::nullopt, error);
    kvEntry* entry = nullptr;
    auto s = kvStore_Get(&entry, kv, key.c_str());
    if (s == NATS_NOT_FOUND) {
      cursor_state none;
      if (!count_cursors(key.substr(0, key.find('.')), none.others, error))
        return done(std::nullopt, error);
      return done(none, {});
    }
    if (s != NATS_OK) return done(std::nullopt, natsStatus_GetText(s));
    cursor_state c{true, 0, 0, kvEntry_Revision(entry)};
    std::string value{static_cast<const char*>(kvEntry_Value(entry)),
                      static_cast<std::size_t>(kvEntry_ValueLen(entry))};
    kvEntry_Destroy(entry);
    if (std::sscanf(value.c_str(), "%lu %lu", &c.acked, &c.sent) != 2)
      return done(std::nullopt, "unreadable cursor \"" + value + "\"");
    done(c, {});
  });
}

void jetstream::store_cursor(const std::string& key, std::uint64_t acked, std::uint64_t sent,
                             std::uint64_t revision, cursor_stored_fn done) {
  post(key, [this, key, acked, sent, revision, done = std::move(done)] {
    std::string error;
    auto* kv = cursors(error);
    if (kv == nullptr) return done(cursor_write::unavailable, 0);
    auto value = std::to_string(acked) + " " + std::to_string(sent);
    std::uint64_t stored = 0;
    auto s = revision == 0 ? kvStore_Create(&stored, kv, key.c_str(), value.data(),
                                            static_cast<int>(value.size()))
                           : kvStore_Update(&stored, kv, key.c_str(), value.data(),
                                            static_cast<int>(value.size()), revision);
    if (s == NATS_OK) return done(cursor_write::stored, stored);
    // Refused for its revision (another node wrote since), or not answered.
    bool refused = connected() && s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS;
    done(refused ? cursor_write::conflict : cursor_write::unavailable, 0);
  });
}

}  // namespace sluice::transport
