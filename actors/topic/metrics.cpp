#include "actors/topic/metrics.hpp"

#include "core/topic_name.hpp"

namespace sluice::actors {
std::string topic_metrics::kind_of(std::string_view topic) {
  if (topic_name::is_inbox(topic)) return "inbox";
  if (topic_name::is_user_channel(topic)) return "user";
  return "topic";
}

std::string topic_metrics::budget_of(std::string_view topic) {
  return topic_name::is_inbox(topic) ? "inboxes" : "topics";
}

topic_metrics& topic_metrics::get() {
  static topic_metrics instance;
  return instance;
}

topic_metrics::topic_metrics()
    : topics(metrics::registry::global().add_gauge("sluice_topics",
                                                   "Topics that exist (each is an actor)")),
      subscriptions(metrics::registry::global().add_gauge("sluice_topic_subscriptions",
                                                          "Subscriptions, over all topics")),
      published(metrics::registry::global().add_counter(
          "sluice_topic_messages_published_total",
          "Messages published to topics (each got an offset)")),
      delivered(metrics::registry::global().add_counter(
          "sluice_topic_messages_delivered_total",
          "Topic messages queued to subscribers (replays included)")),
      filtered(metrics::registry::global().add_counter(
          "sluice_topic_messages_filtered_total",
          "Topic messages not sent to a subscriber because its `kinds` did not name their kind")),
      gaps(metrics::registry::global().add_counter_family(
          "sluice_topic_gaps_total", "Gap frames sent, by reason (history, slow, epoch)",
          {"reason"})),
      slow_disconnects(metrics::registry::global().add_counter(
          "sluice_topic_slow_disconnects_total",
          "Subscribers closed for falling behind (slow_subscriber: disconnect)")),
      expired(metrics::registry::global().add_counter_family(
          "sluice_topics_expired_total",
          "Topics removed after their expire_after without use, or soon after their last use "
          "when they held nothing, by kind (inbox, user, topic)",
          {"kind"})),
      history_bytes(metrics::registry::global().add_gauge_family(
          "sluice_topic_history_bytes",
          "Bytes of history held, by budget (topics: topics and user channels; inboxes)",
          {"budget"})),
      history_bound_bytes(metrics::registry::global().add_gauge_family(
          "sluice_topic_history_bound_bytes",
          "The bound on history bytes (topics.max_history_bytes, topics.inbox.max_total_bytes)",
          {"budget"})),
      history_evictions(metrics::registry::global().add_counter_family(
          "sluice_topic_history_evictions_total",
          "Messages taken from history because its budget was full, by budget", {"budget"})),
      fanout_seconds(metrics::registry::global().add_histogram(
          "sluice_topic_fanout_seconds",
          "Time a topic takes to queue one batch of appended messages to its subscribers",
          metrics::latency_buckets())),
      fanout_batch(metrics::registry::global().add_histogram(
          "sluice_topic_fanout_batch_messages",
          "Messages appended to a topic and delivered as one batch",
          {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      log_truncated_bytes(metrics::registry::global().add_counter(
          "sluice_topic_log_truncated_bytes_total",
          "Bytes of torn or corrupt log tails cut off at start")),
      log_resets(metrics::registry::global().add_counter(
          "sluice_topic_log_resets_total", "Unreadable topic logs set aside at start")),
      log_errors(metrics::registry::global().add_counter(
          "sluice_topic_log_errors_total", "Appends or syncs of topic logs that failed")),
      log_syncs(metrics::registry::global().add_counter("sluice_topic_log_syncs_total",
                                                        "fdatasync calls on topic logs")),
      consumers_attached(metrics::registry::global().add_gauge(
          "sluice_consumers_attached", "Acknowledged consumers with a connection attached")),
      consumer_acks(metrics::registry::global().add_counter(
          "sluice_consumer_acks_total", "Ack frames of acknowledged consumers that were accepted")),
      consumer_redeliveries(metrics::registry::global().add_counter(
          "sluice_consumer_redeliveries_total",
          "Messages sent again to an acknowledged consumer (redelivered: true)")),
      consumer_dead_letters(metrics::registry::global().add_counter_family(
          "sluice_consumer_dead_letters_total",
          "Messages given up after max_deliver deliveries, by result (sent: to the "
          "dead-letter topic; dropped: none configured, or history no longer held it; "
          "failed: the dead-letter topic refused it)",
          {"result"})),
      consumer_skipped(metrics::registry::global().add_counter(
          "sluice_consumer_skipped_total",
          "Unacknowledged messages of consumers that history let go before they were acked")) {}

}  // namespace sluice::actors
