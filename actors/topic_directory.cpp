#include "actors/topic_directory.hpp"

#include <caf/all.hpp>

#include <filesystem>

#include "actors/topic.hpp"
#include "core/append_log.hpp"
#include "core/log.hpp"
#include "core/topic_name.hpp"

namespace sluice::actors {
namespace {

topic_directory::lookup refused(ec why, std::string message) {
  topic_directory::lookup l;
  l.error = why;
  l.message = std::move(message);
  return l;
}

}  // namespace

topic_directory::topic_directory(caf::actor_system& system, config::topics_config cfg,
                                 std::size_t mailbox_bound)
    : system_(system), cfg_(std::move(cfg)), mailbox_bound_(mailbox_bound) {}

topic_directory::lookup topic_directory::open(std::string_view name, scope where) {
  if (!topic_name::valid(name))
    return refused(ec::invalid_topic, std::string{topic_name::rule_text});
  std::lock_guard lock{mutex_};
  if (stopped_) return refused(ec::shutting_down, "the server is shutting down");
  if (auto it = topics_.find(name); it != topics_.end()) return leased_locked(it);
  const auto* rule = cfg_.find_rule(name);
  if (rule == nullptr)
    return refused(ec::topic_forbidden, "no pattern under topics.patterns allows the topic \"" +
                                            std::string{name} + "\"");
  bool inbox = topic_name::is_inbox(name);
  auto count = inbox ? inboxes_ : topics_.size() - inboxes_;
  auto limit = inbox ? cfg_.max_inboxes : cfg_.max_topics;
  if (count >= limit)
    return refused(ec::too_many_topics, std::string{"the server already has topics."}
                                            .append(inbox ? "inbox.max_inboxes" : "max_topics")
                                            .append(" (" + std::to_string(limit) + ")"));
  return leased_locked(spawn_locked(std::string{name}, *rule, where));
}

topic_directory::lookup topic_directory::find(std::string_view name) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it == topics_.end())
    return refused(ec::unknown_topic, "no topic named \"" + std::string{name} + "\"");
  return leased_locked(it);
}

topic_directory::entry_map::iterator topic_directory::spawn_locked(const std::string& name,
                                                                   const config::topic_rule& rule,
                                                                   scope where) {
  auto mailbox = std::make_shared<mailbox_gauge>(mailbox_kind::topic, mailbox_bound_);
  auto actor = system_.spawn(topic, name, rule, cfg_.storage, weak_from_this(), mailbox,
                             where == scope::cluster ? cluster_ : nullptr);
  if (topic_name::is_inbox(name)) ++inboxes_;
  return topics_.emplace(name, entry{std::move(actor), std::move(mailbox), 0}).first;
}

topic_directory::lookup topic_directory::leased_locked(entry_map::iterator it) {
  ++it->second.leases;
  auto release = [self = weak_from_this(), name = it->first,
                  addr = it->second.actor.address()](const void*) {
    if (auto dir = self.lock()) dir->release(name, addr);
  };
  return {it->second.actor,
          topic_lease{static_cast<const void*>(nullptr), std::move(release)},
          ec::invalid_topic,
          {},
          it->second.mailbox};
}

void topic_directory::release(const std::string& name, const caf::actor_addr& topic) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it != topics_.end() && it->second.actor.address() == topic && it->second.leases > 0)
    --it->second.leases;
}

bool topic_directory::expire_if_unused(const std::string& name, const caf::actor_addr& topic) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it == topics_.end() || it->second.actor.address() != topic || it->second.leases > 0)
    return false;
  if (topic_name::is_inbox(name)) --inboxes_;
  topics_.erase(it);
  return true;
}

std::string topic_directory::oversize(std::size_t data_bytes) const {
  if (data_bytes <= cfg_.max_message_bytes) return {};
  return "`data` is " + std::to_string(data_bytes) + " bytes; topics.max_message_bytes is " +
         std::to_string(cfg_.max_message_bytes);
}

std::vector<std::pair<std::string, caf::actor>> topic_directory::all() const {
  std::lock_guard lock{mutex_};
  std::vector<std::pair<std::string, caf::actor>> out;
  for (const auto& [name, e] : topics_) out.emplace_back(name, e.actor);
  return out;
}

bool topic_directory::start(std::string& error) {
  const auto& path = cfg_.storage.path;
  if (path.empty()) return true;
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    error = "cannot create topics.storage.path " + path + ": " + ec.message();
    return false;
  }
  std::lock_guard lock{mutex_};
  for (const auto& name : logged_topics(path)) {
    const auto* rule = cfg_.find_rule(name);
    if (!topic_name::valid(name) || rule == nullptr) {
      log::warn("topics", "log_ignored",
                {{"topic", name}, {"reason", "no pattern under topics.patterns allows it"}});
      continue;
    }
    spawn_locked(name, *rule);
  }
  log::info("topics", "storage_opened", {{"path", path}, {"topics", topics_.size()}});
  return true;
}

void topic_directory::stop() {
  std::lock_guard lock{mutex_};
  stopped_ = true;  // a session that starts late must not start a topic nobody stops
  for (auto& [name, e] : topics_) caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
  topics_.clear();
  inboxes_ = 0;
}

}  // namespace sluice::actors
