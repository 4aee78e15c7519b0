#include "actors/topic/store/history_budget.hpp"

#include <algorithm>
#include <vector>

namespace sluice::actors {
namespace {

constexpr std::size_t asks_per_round = 4;

}  // namespace

history_budget::history_budget(std::size_t bound, metrics::gauge* used_gauge)
    : bound_(bound), used_gauge_(used_gauge) {}

std::shared_ptr<history_budget::account> history_budget::open(std::function<void()> ask_to_trim) {
  auto a = std::make_shared<account>(shared_from_this(), std::move(ask_to_trim));
  std::lock_guard lock{mutex_};
  accounts_.insert(a.get());
  return a;
}

std::size_t history_budget::fair_share() const {
  return bound_ / std::max<std::size_t>(holders_.load(std::memory_order_relaxed), 1);
}

std::size_t history_budget::ask_others(const account& except) {
  if (asks_pending_.load() > 0) return 0;
  auto share = fair_share();
  std::lock_guard lock{mutex_};
  std::vector<account*> above;
  for (auto* a : accounts_)
    if (a != &except && a->bytes() > share && !a->asked_.load()) above.push_back(a);
  auto n = std::min(above.size(), asks_per_round);
  auto end = above.begin() + static_cast<std::ptrdiff_t>(n);
  std::partial_sort(above.begin(), end, above.end(),
                    [](account* x, account* y) { return x->written_ < y->written_; });
  std::size_t asked = 0;
  // Asked under the lock, so that no account closes meanwhile; an ask only
  // sends its topic a message.
  for (auto it = above.begin(); it != end; ++it)
    if (!(*it)->asked_.exchange(true)) {
      asks_pending_.fetch_add(1);
      (*it)->ask_to_trim_();
      ++asked;
    }
  return asked;
}

void history_budget::changed(account&, std::size_t before, std::size_t after) {
  if (before == 0 && after > 0) holders_.fetch_add(1);
  if (before > 0 && after == 0) holders_.fetch_sub(1);
  if (used_gauge_)
    used_gauge_->inc(static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before));
}

void history_budget::closed(account* a) {
  std::lock_guard lock{mutex_};
  accounts_.erase(a);
}

history_budget::account::~account() {
  shrink(bytes());
  if (asked_.load()) budget_->asks_pending_.fetch_sub(1);
  budget_->closed(this);
}

void history_budget::account::grow(std::size_t n) {
  if (n == 0) return;
  auto before = bytes_.fetch_add(n);
  written_.store(budget_->clock_.fetch_add(1) + 1);
  budget_->used_.fetch_add(n);
  budget_->changed(*this, before, before + n);
}

void history_budget::account::shrink(std::size_t n) {
  n = std::min(n, bytes());
  if (n == 0) return;
  auto before = bytes_.fetch_sub(n);
  budget_->used_.fetch_sub(n);
  budget_->changed(*this, before, before - n);
}

void history_budget::account::trimmed() {
  if (asked_.exchange(false)) budget_->asks_pending_.fetch_sub(1);
}

}  // namespace sluice::actors
