#include "actors/topic_metrics.hpp"

namespace sluice::actors {
namespace {
metrics::registry& reg() {
  return metrics::registry::global();
}
}  // namespace

topic_metrics& topic_metrics::get() {
  static topic_metrics instance;
  return instance;
}

topic_metrics::topic_metrics()
    : topics(reg().add_gauge("sluice_topics", "Topics that exist (each is an actor)")),
      subscriptions(
          reg().add_gauge("sluice_topic_subscriptions", "Subscriptions, over all topics")),
      published(reg().add_counter("sluice_topic_messages_published_total",
                                  "Messages published to topics (each got an offset)")),
      delivered(reg().add_counter("sluice_topic_messages_delivered_total",
                                  "Topic messages queued to subscribers (replays included)")),
      gaps(reg().add_counter_family("sluice_topic_gaps_total",
                                    "Gap frames sent, by reason (history, slow, epoch)",
                                    {"reason"})),
      slow_disconnects(
          reg().add_counter("sluice_topic_slow_disconnects_total",
                            "Subscribers closed for falling behind (slow_subscriber: disconnect)")),
      expired(reg().add_counter("sluice_topic_inboxes_expired_total",
                                "Inboxes removed after expire_after without use")),
      fanout_seconds(reg().add_histogram(
          "sluice_topic_fanout_seconds",
          "Time a topic takes to store one message and queue it to every subscriber",
          metrics::latency_buckets())),
      log_truncated_bytes(reg().add_counter("sluice_topic_log_truncated_bytes_total",
                                            "Bytes of torn or corrupt log tails cut off at start")),
      log_resets(reg().add_counter("sluice_topic_log_resets_total",
                                   "Unreadable topic logs set aside at start")),
      log_errors(reg().add_counter("sluice_topic_log_errors_total",
                                   "Appends or syncs of topic logs that failed")),
      log_syncs(
          reg().add_counter("sluice_topic_log_syncs_total", "fdatasync calls on topic logs")) {}

}  // namespace sluice::actors
