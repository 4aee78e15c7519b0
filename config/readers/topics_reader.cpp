#include "config/readers/topics_reader.hpp"

#include <algorithm>

#include "config/readers/security_reader.hpp"
#include "core/topic_name.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_history = 10'000'000;

void read_history(yaml_reader& r, const YAML::Node& node, const std::string& path,
                  topic_rule& rule) {
  auto history = node["history"];
  auto hpath = path + ".history";
  if (!r.open_map(history, hpath, {"size", "age", "bytes"})) return;
  r.read_unsigned(history, hpath, "size", rule.history_size, 0, max_history);
  r.read_duration(history, hpath, "age", rule.history_age, 0ms, 24h * 365);
  r.read_size(history, hpath, "bytes", rule.history_bytes, 0, 1ULL << 40);
}

void read_consumers(yaml_reader& r, const YAML::Node& node, const std::string& path,
                    consumer_config& c) {
  auto cpath = path + ".consumers";
  if (!r.open_map(node, cpath,
                  {"ack_wait", "max_deliver", "max_ack_pending", "dead_letter", "max_consumers"}))
    return;
  r.read_duration(node, cpath, "ack_wait", c.ack_wait, 10ms, 24h);
  r.read_unsigned(node, cpath, "max_deliver", c.max_deliver, 1, 1000);
  r.read_unsigned(node, cpath, "max_ack_pending", c.max_ack_pending, 1, 100'000);
  r.read_unsigned(node, cpath, "max_consumers", c.max_consumers, 1, 100'000);
  r.read_string(node, cpath, "dead_letter", c.dead_letter);
  if (!c.dead_letter.empty() &&
      (!topic_name::valid(c.dead_letter) || topic_name::is_inbox(c.dead_letter)))
    r.fail(node["dead_letter"], cpath + ".dead_letter",
           "a dead-letter topic is a topic name (not an inbox): " +
               std::string{topic_name::rule_text});
}

void read_rule(yaml_reader& r, const YAML::Node& node, const std::string& path, topic_rule& rule) {
  if (node.IsNull()) return;  // `"*":` with nothing under it: every default
  if (!r.open_map(node, path,
                  {"history", "subscribe", "publish", "retain_last", "slow_subscriber", "max_lag",
                   "expire_after", "consumers"}))
    return;
  read_history(r, node, path, rule);
  bool one_star = std::count(rule.match.begin(), rule.match.end(), '*') == 1;
  read_access(r, node, path, "subscribe", rule.subscribe, one_star);
  read_access(r, node, path, "publish", rule.publish, one_star);
  r.read_bool(node, path, "retain_last", rule.retain_last);
  if (auto v = r.read_choice(node, path, "slow_subscriber", {"drop_oldest", "disconnect"}))
    rule.slow_subscriber = static_cast<slow_subscriber_policy>(*v);
  r.read_unsigned(node, path, "max_lag", rule.max_lag, 1, max_history);
  r.read_duration(node, path, "expire_after", rule.expire_after, 0ms, 24h * 365);
  read_consumers(r, node["consumers"], path, rule.consumers);
}

// A dead-letter topic must be one a pattern allows (and not one whose own
// dead letters would come back to it).
void check_dead_letters(yaml_reader& r, const YAML::Node& patterns, const topics_config& t) {
  for (const auto& rule : t.rules) {
    const auto& target = rule.consumers.dead_letter;
    if (target.empty()) continue;
    const auto* found = t.find_rule(target);
    auto node = patterns[rule.match]["consumers"]["dead_letter"];
    auto path = "topics.patterns." + rule.match + ".consumers.dead_letter";
    if (found == nullptr)
      r.fail(node, path, "no pattern allows the dead-letter topic \"" + target + "\"");
    else if (found == &rule)
      r.fail(node, path, "a topic's dead letters cannot go to a topic of the same pattern");
  }
}

void read_patterns(yaml_reader& r, const YAML::Node& node, topics_config& t) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) return r.fail(node, "topics.patterns", "expected a mapping of patterns");
  for (const auto& kv : node) {
    auto pattern = kv.first.Scalar();
    auto path = "topics.patterns." + pattern;
    if (!topic_name::valid_pattern(pattern))
      r.fail(kv.first, path,
             "a pattern is 1-128 characters of letters, digits, '.', '_', '-', ':' and '*', "
             "not starting with '.'");
    if (topic_name::matches(pattern, "inbox.x") && pattern.starts_with("inbox"))
      r.fail(kv.first, path, "inbox topics are configured under topics.inbox");
    if (topic_name::matches(pattern, "user.x") && pattern.starts_with("user"))
      r.fail(kv.first, path, "user channels are configured under topics.user");
    topic_rule rule;
    rule.match = pattern;
    read_rule(r, kv.second, path, rule);
    t.rules.push_back(std::move(rule));
  }
  check_dead_letters(r, node, t);
}

void read_storage(yaml_reader& r, const YAML::Node& node, storage_config& s) {
  const std::string p = "topics.storage";
  if (!r.open_map(node, p, {"path", "fsync", "fsync_interval", "max_open_files"})) return;
  r.read_string(node, p, "path", s.path);
  if (auto v = r.read_choice(node, p, "fsync", {"always", "interval", "never"}))
    s.fsync = static_cast<fsync_policy>(*v);
  r.read_duration(node, p, "fsync_interval", s.fsync_interval, 1ms, 1h);
  r.read_unsigned(node, p, "max_open_files", s.max_open_files, 1, 1'000'000);
}

// topics.inbox and topics.user: their rule is fixed but for these keys.
bool read_personal(yaml_reader& r, const YAML::Node& node, const std::string& path,
                   topic_rule& rule, bool inbox) {
  std::vector<std::string_view> keys{"history", "max_lag", "expire_after"};
  if (inbox)
    keys.insert(keys.end(),
                {"max_inboxes", "max_per_principal", "max_per_address", "max_total_bytes"});
  if (!r.open_map(node, path, keys)) return false;
  read_history(r, node, path, rule);
  r.read_unsigned(node, path, "max_lag", rule.max_lag, 1, max_history);
  r.read_duration(node, path, "expire_after", rule.expire_after, 0ms, 24h * 365);
  return true;
}

}  // namespace

void read_topics(yaml_reader& r, const YAML::Node& node, topics_config& t) {
  const std::string p = "topics";
  if (!r.open_map(node, p,
                  {"patterns", "inbox", "user", "max_topics", "max_message_bytes", "storage",
                   "max_history_bytes", "max_created_per_principal", "max_created_per_connection"}))
    return;
  read_patterns(r, node["patterns"], t);
  if (read_personal(r, node["inbox"], "topics.inbox", t.inbox, true)) {
    const std::string ip = "topics.inbox";
    auto inbox = node["inbox"];
    r.read_unsigned(inbox, ip, "max_inboxes", t.max_inboxes, 1, 10'000'000);
    r.read_unsigned(inbox, ip, "max_per_principal", t.max_inboxes_per_principal, 0, 10'000'000);
    r.read_unsigned(inbox, ip, "max_per_address", t.max_inboxes_per_address, 0, 10'000'000);
    r.read_size(inbox, ip, "max_total_bytes", t.max_inbox_bytes, 0, 1ULL << 40);
  }
  read_personal(r, node["user"], "topics.user", t.user, false);
  r.read_unsigned(node, p, "max_topics", t.max_topics, 1, 10'000'000);
  r.read_size(node, p, "max_history_bytes", t.max_history_bytes, 0, 1ULL << 40);
  r.read_unsigned(node, p, "max_created_per_principal", t.max_created_per_principal, 0, 10'000'000);
  r.read_unsigned(node, p, "max_created_per_connection", t.max_created_per_connection, 0,
                  10'000'000);
  r.read_size(node, p, "max_message_bytes", t.max_message_bytes, 1, 64ULL << 20);
  read_storage(r, node["storage"], t.storage);
}

}  // namespace sluice::config
