#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "core/observe/metrics.hpp"

namespace sluice::actors {

// The bytes of history that many topics hold together, against one bound:
// topics.max_history_bytes for named topics and user channels,
// topics.inbox.max_total_bytes for inboxes. Each topic has an account. When
// the total is over the bound, the topics holding more than their fair share
// (the bound divided among the topics holding anything) give back their
// oldest messages, those written to least recently first: a topic (or a
// client that left) nobody wrote to for long loses history before a busy one.
// Asked topics trim on their own threads; if the total runs past the bound by
// more than an eighth meanwhile, the writing topic trims itself. Socket- and
// actor-free; thread-safe (topics run on any thread).
class history_budget : public std::enable_shared_from_this<history_budget> {
 public:
  class account;

  // 0: no bound. `used_gauge` (optional) follows used().
  explicit history_budget(std::size_t bound, metrics::gauge* used_gauge = nullptr);

  // A topic's account; `ask_to_trim` (called on any thread, at most once
  // until the account calls trimmed()) asks its topic to give bytes back.
  std::shared_ptr<account> open(std::function<void()> ask_to_trim);

  std::size_t bound() const { return bound_; }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  bool over() const { return bound_ > 0 && used() > bound_; }
  // Over by more than asked topics may take to catch up.
  bool overshot() const { return bound_ > 0 && used() > bound_ + bound_ / 8; }
  // What one topic may keep while the budget is over.
  std::size_t fair_share() const;
  // Asks the accounts above their fair share (not `except`) that were written
  // to least recently to trim, unless such asks are still under way; returns
  // how many it asked.
  std::size_t ask_others(const account& except);

 private:
  friend class account;
  void changed(account& a, std::size_t before, std::size_t after);
  void closed(account* a);

  const std::size_t bound_;
  metrics::gauge* used_gauge_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> holders_{0};       // accounts holding more than nothing
  std::atomic<std::size_t> asks_pending_{0};  // asked, not yet trimmed
  std::atomic<std::uint64_t> clock_{0};       // stamps each account's last growth
  std::mutex mutex_;
  std::set<account*> accounts_;
};

class history_budget::account {
 public:
  account(std::shared_ptr<history_budget> budget, std::function<void()> ask_to_trim)
      : budget_(std::move(budget)), ask_to_trim_(std::move(ask_to_trim)) {}
  ~account();
  account(const account&) = delete;
  account& operator=(const account&) = delete;

  void grow(std::size_t bytes);
  void shrink(std::size_t bytes);
  std::size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  history_budget& budget() { return *budget_; }
  // The topic handled an ask: it may be asked again.
  void trimmed();

 private:
  friend class history_budget;
  std::shared_ptr<history_budget> budget_;  // outlives its accounts
  std::function<void()> ask_to_trim_;
  std::atomic<std::size_t> bytes_{0};
  std::atomic<std::uint64_t> written_{0};  // budget clock at its last growth
  std::atomic<bool> asked_{false};
};

}  // namespace sluice::actors
