#include "actors/topic_directory.hpp"

#include <caf/all.hpp>

#include <filesystem>

#include "actors/topic.hpp"
#include "core/append_log.hpp"
#include "core/log.hpp"
#include "core/topic_name.hpp"

namespace sluice::actors {

topic_directory::topic_directory(caf::actor_system& system, config::topics_config cfg)
    : system_(system), cfg_(std::move(cfg)) {}

topic_directory::lookup topic_directory::open(std::string_view name) {
  if (!topic_name::valid(name))
    return {{},
            ec::invalid_topic,
            "a topic name is 1-128 characters of letters, digits, '.', '_', '-', ':', not "
            "starting with '.'"};
  std::lock_guard lock{mutex_};
  if (auto it = topics_.find(name); it != topics_.end()) return {it->second, {}, {}};
  const auto* rule = cfg_.find_rule(name);
  if (rule == nullptr)
    return {{},
            ec::topic_forbidden,
            "no pattern under topics.patterns allows the topic \"" + std::string{name} + "\""};
  if (topics_.size() >= cfg_.max_topics)
    return {{},
            ec::too_many_topics,
            "the server already has topics.max_topics (" + std::to_string(cfg_.max_topics) +
                ") topics"};
  return {spawn_locked(std::string{name}, *rule), {}, {}};
}

caf::actor topic_directory::spawn_locked(const std::string& name, const config::topic_rule& rule) {
  auto actor = system_.spawn(topic, name, rule, cfg_.storage);
  topics_.emplace(name, actor);
  return actor;
}

caf::actor topic_directory::find(std::string_view name) const {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  return it == topics_.end() ? caf::actor{} : it->second;
}

std::vector<std::pair<std::string, caf::actor>> topic_directory::all() const {
  std::lock_guard lock{mutex_};
  return {topics_.begin(), topics_.end()};
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
  for (auto& [name, actor] : topics_) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  topics_.clear();
}

}  // namespace sluice::actors
