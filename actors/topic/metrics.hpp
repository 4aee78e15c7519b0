#pragma once

#include <string>
#include <string_view>

#include "core/observe/metrics.hpp"

namespace sluice::actors {

// Metrics of topics, registered once in the global registry. None is labelled
// by topic: clients choose topic names, so such labels would be unbounded.
struct topic_metrics {
  static topic_metrics& get();
  // The label of a topic's kind: "inbox", "user" or "topic".
  static std::string kind_of(std::string_view topic);
  // The label of a history budget: "inboxes" or "topics".
  static std::string budget_of(std::string_view topic);

  metrics::gauge& topics;
  metrics::gauge& subscriptions;
  metrics::counter& published;                     // messages given an offset
  metrics::counter& delivered;                     // event frames queued to subscribers
  metrics::counter& filtered;                      // messages a subscription's `kinds` kept from it
  metrics::family<metrics::counter>& gaps;         // {reason}: gap frames sent
  metrics::counter& slow_disconnects;              // subscribers closed by policy `disconnect`
  metrics::family<metrics::counter>& expired;      // {kind}: topics removed after their expiry
  metrics::family<metrics::gauge>& history_bytes;  // {kind}: held against the budget
  metrics::family<metrics::gauge>& history_bound_bytes;  // {kind}: the budget
  metrics::family<metrics::counter>& history_evictions;  // {kind}: messages evicted for it
  metrics::histogram& fanout_seconds;     // one batch of appended messages, to every subscriber
  metrics::histogram& fanout_batch;       // messages in one such batch
  metrics::counter& log_truncated_bytes;  // torn or corrupt log tails cut off at start
  metrics::counter& log_resets;           // unreadable logs set aside at start
  metrics::counter& log_errors;           // appends or syncs that failed
  metrics::counter& log_syncs;
  // Acknowledged consumers (consumers.cpp).
  metrics::gauge& consumers_attached;       // consumers with a connection now
  metrics::counter& consumer_acks;          // ack frames that moved or kept a cursor
  metrics::counter& consumer_redeliveries;  // messages sent again (redelivered: true)
  metrics::family<metrics::counter>& consumer_dead_letters;  // {result}: sent, dropped, failed
  metrics::counter& consumer_skipped;  // unacknowledged messages history let go

 private:
  topic_metrics();
};

}  // namespace sluice::actors
