#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/error_code.hpp"

namespace sluice::actors {

// Every topic of one process by name. Sessions and the HTTP API look topics
// up here from any thread; a topic's actor is started on first use (or at
// start, for topics whose log is in storage) and lives until stop().
class topic_directory {
 public:
  topic_directory(caf::actor_system& system, config::topics_config cfg);

  struct lookup {
    caf::actor topic;              // empty when refused
    ec error = ec::invalid_topic;  // meaningful when `topic` is empty
    std::string message;
  };

  // The topic, started if a pattern allows it and topics.max_topics is not reached.
  lookup open(std::string_view name);
  // The topic if it exists (it is never started here).
  caf::actor find(std::string_view name) const;
  std::vector<std::pair<std::string, caf::actor>> all() const;
  const config::topics_config& config() const { return cfg_; }

  // Creates the storage directory and starts the topics logged in it.
  // False, with `error`, when the directory cannot be created.
  bool start(std::string& error);
  void stop();

 private:
  caf::actor spawn_locked(const std::string& name, const config::topic_rule& rule);

  caf::actor_system& system_;
  const config::topics_config cfg_;
  mutable std::mutex mutex_;
  std::map<std::string, caf::actor, std::less<>> topics_;
};

}  // namespace sluice::actors
