#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/topic/store/history.hpp"
#include "actors/topic/store/history_budget.hpp"
#include "config/config.hpp"
#include "core/storage/append_log.hpp"

namespace sluice::actors {

// What one topic keeps: its history in memory, within the topic's bounds and
// its share of the budget across topics, and, with storage, the append log
// that history comes back from after a restart. No actors: the topic tells it
// what to store, when to sync and when to give memory back.
class topic_store {
 public:
  // `arm_sync` is called when an interval fsync is due (the topic calls
  // sync() after storage.fsync_interval); `account` may be null.
  topic_store(std::string topic, const config::topic_rule& rule, config::storage_config storage,
              std::shared_ptr<history_budget::account> account, std::function<void()> arm_sync);
  ~topic_store();  // a pending interval sync happens now
  topic_store(const topic_store&) = delete;
  topic_store& operator=(const topic_store&) = delete;

  bool has_storage() const { return !storage_.path.empty(); }
  // Opens the log: history is restored from it and `epoch` becomes the epoch
  // it holds. False (logged) when it is unusable: appends are then refused
  // rather than acknowledged and lost.
  bool open(std::uint64_t& epoch);
  bool persistent() const { return log_.is_open(); }

  topic_history& history() { return history_; }
  const topic_history& history() const { return history_; }

  // Gives `record` the next offset, writes it to the log (when there is one),
  // then keeps it in history. Null (logged) when the log refused it.
  const stored_message* append(log_record record);
  // The interval fsync that `arm_sync` announced.
  void sync();
  // History was replaced (another node's): the log is rewritten to match.
  void rewrite(std::uint64_t epoch);
  // Once the log holds well over what history keeps, it is rewritten with that.
  void compact_if_long(std::uint64_t epoch);
  // The topic expired: its log goes with it.
  void erase();

  // Over budget: asks the topics over their share that were written to least
  // recently to give back, or gives back itself (history_budget.hpp).
  void relieve_memory();
  // The budget asked this topic to give back.
  void on_trim();

 private:
  void give_back(history_budget& budget);

  std::string topic_;
  config::storage_config storage_;
  topic_history history_;
  append_log log_;
  std::function<void()> arm_sync_;
  bool log_failed_ = false;  // storage is configured but the log is unusable
  bool sync_pending_ = false;
};

}  // namespace sluice::actors
