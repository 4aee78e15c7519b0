#include "actors/topic/store/store.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "actors/topic/metrics.hpp"
#include "core/clock.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {

topic_store::topic_store(std::string topic, const config::topic_rule& rule,
                         config::storage_config storage,
                         std::shared_ptr<history_budget::account> account,
                         std::function<void()> arm_sync)
    : topic_(std::move(topic)),
      storage_(std::move(storage)),
      // A message is kept for retain_last even when history keeps none.
      history_(topic_, rule.history_size, rule.history_age, rule.history_bytes, std::move(account)),
      arm_sync_(std::move(arm_sync)) {}

topic_store::~topic_store() {
  std::string error;
  if (log_.is_open() && sync_pending_ && !log_.sync(error))
    log::error("topic", "sync_failed", {{"topic", topic_}, {"error", error}});
}

bool topic_store::open(std::uint64_t& epoch) {
  append_log::opened opened;
  std::string error;
  if (!log_.open(topic_log_path(storage_.path, topic_), epoch, opened, error)) {
    log_failed_ = true;
    topic_metrics::get().log_errors.inc();
    log::error("topic", "log_unusable", {{"topic", topic_}, {"error", error}});
    return false;
  }
  auto& m = topic_metrics::get();
  if (!opened.reset_reason.empty()) {
    m.log_resets.inc();
    log::error("topic", "log_reset", {{"topic", topic_}, {"reason", opened.reset_reason}});
  }
  if (opened.truncated_bytes > 0) {
    m.log_truncated_bytes.inc(static_cast<double>(opened.truncated_bytes));
    log::warn("topic", "log_truncated",
              {{"topic", topic_},
               {"bytes", opened.truncated_bytes},
               {"records_kept", opened.records.size()}});
  }
  epoch = opened.epoch;
  history_.restore(std::move(opened.records));
  history_.expire(unix_ms());
  compact_if_long(epoch);
  log::debug("topic", "log_opened",
             {{"topic", topic_}, {"epoch", epoch}, {"last", history_.last()}});
  return true;
}

const stored_message* topic_store::append(log_record record) {
  if (log_failed_) return nullptr;
  record.offset = history_.last() + 1;
  if (log_.is_open()) {
    std::string error;
    bool sync_now = storage_.fsync == config::fsync_policy::always;
    if (!log_.append(record, sync_now, error)) {
      topic_metrics::get().log_errors.inc();
      log::error("topic", "append_failed", {{"topic", topic_}, {"error", error}});
      return nullptr;
    }
    if (sync_now) topic_metrics::get().log_syncs.inc();
    if (storage_.fsync == config::fsync_policy::interval && !sync_pending_) {
      sync_pending_ = true;
      arm_sync_();
    }
  }
  return &history_.append(std::move(record));
}

void topic_store::sync() {
  sync_pending_ = false;
  std::string error;
  if (!log_.is_open()) return;
  if (log_.sync(error)) {
    topic_metrics::get().log_syncs.inc();
  } else {
    topic_metrics::get().log_errors.inc();
    log::error("topic", "sync_failed", {{"topic", topic_}, {"error", error}});
  }
}

void topic_store::rewrite(std::uint64_t epoch) {
  if (!log_.is_open()) return;
  std::string error;
  if (!log_.rewrite(epoch, history_.durable_records(), error)) {
    topic_metrics::get().log_errors.inc();
    log::error("topic", "rewrite_failed", {{"topic", topic_}, {"error", error}});
  }
}

void topic_store::compact_if_long(std::uint64_t epoch) {
  auto keep = std::max<std::uint64_t>(history_.size(), 1);
  if (!log_.is_open() || log_.records_written() < std::max<std::uint64_t>(2 * keep, keep + 1024))
    return;
  std::string error;
  if (!log_.rewrite(epoch, history_.durable_records(), error)) {
    topic_metrics::get().log_errors.inc();
    log::error("topic", "compaction_failed", {{"topic", topic_}, {"error", error}});
  }
}

void topic_store::erase() {
  if (!log_.is_open()) return;
  std::error_code ec;
  std::filesystem::remove(topic_log_path(storage_.path, topic_), ec);
  log_ = append_log{};
  sync_pending_ = false;
}

// Over budget: the topics above their fair share that were written to least
// recently give back their oldest messages (subscribers that had not received
// them get a `gap`). This topic asks them; it trims itself only when nobody
// else can, or when their trimming falls behind (history_budget.hpp).
void topic_store::relieve_memory() {
  auto* account = history_.account();
  if (account == nullptr || !account->budget().over()) return;
  auto& budget = account->budget();
  if (budget.ask_others(*account) == 0 || budget.overshot()) give_back(budget);
}

// Asked by the budget: give back, and pass the ask on while it is still over.
void topic_store::on_trim() {
  auto* account = history_.account();
  if (account == nullptr) return;
  auto& budget = account->budget();
  give_back(budget);
  account->trimmed();
  if (budget.over()) budget.ask_others(*account);
}

void topic_store::give_back(history_budget& budget) {
  auto share = budget.fair_share();
  auto evicted = history_.evict_while([&] { return budget.over() && history_.bytes() > share; });
  if (evicted == 0) return;
  topic_metrics::get().history_evictions.with({topic_metrics::budget_of(topic_)}).inc(evicted);
  log::debug("topic", "history_evicted", {{"topic", topic_}, {"messages", evicted}});
}

}  // namespace sluice::actors
