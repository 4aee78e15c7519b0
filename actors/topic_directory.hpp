#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/error_code.hpp"
#include "core/mailbox_gauge.hpp"

namespace sluice::actors {

class cluster_view;

// Held while a topic is in use (a session subscribed to it, an API call
// under way): an inbox is never removed while anyone holds one.
using topic_lease = std::shared_ptr<const void>;

// Every topic of one process by name. Sessions and the HTTP API look topics
// up here from any thread; a topic's actor is started on first use (or at
// start, for topics whose log is in storage). Topics live until stop(),
// except inboxes, which leave once unused for their expire_after.
class topic_directory : public std::enable_shared_from_this<topic_directory> {
 public:
  topic_directory(caf::actor_system& system, config::topics_config cfg, std::size_t mailbox_bound);

  struct lookup {
    caf::actor topic;              // empty when refused
    topic_lease lease;             // keeps the topic from expiring
    ec error = ec::invalid_topic;  // meaningful when `topic` is empty
    std::string message;
    // Publishes sent to the topic and not yet handled (limits.topic_mailbox):
    // a producer checks full() and counts accepted() before it sends.
    std::shared_ptr<mailbox_gauge> mailbox;
  };

  // Where a topic lives: across the cluster (owned by one node), or only on
  // this node (an anonymous connection's own inbox: nobody elsewhere can use it).
  enum class scope : std::uint8_t { cluster, node };

  // The topic, started if a pattern allows it and the topic (or inbox) limit
  // is not reached.
  lookup open(std::string_view name, scope where = scope::cluster);
  // The topic if it exists (it is never started here); `error` unknown_topic if not.
  lookup find(std::string_view name);
  std::vector<std::pair<std::string, caf::actor>> all() const;
  const config::topics_config& config() const { return cfg_; }
  // Why `data_bytes` of published data are too many (topics.max_message_bytes), or "".
  std::string oversize(std::size_t data_bytes) const;

  // Called by an idle inbox: true (and it is forgotten) when no lease is
  // held on it, so that it may stop; nobody can reach it any more.
  bool expire_if_unused(const std::string& name, const caf::actor_addr& topic);

  // Topics find their owner node in `view` (set before start()); without
  // one, every topic is owned here.
  void set_cluster(std::shared_ptr<cluster_view> view) { cluster_ = std::move(view); }

  // Creates the storage directory and starts the topics logged in it.
  // False, with `error`, when the directory cannot be created.
  bool start(std::string& error);
  void stop();

 private:
  struct entry {
    caf::actor actor;
    std::shared_ptr<mailbox_gauge> mailbox;
    std::size_t leases = 0;
  };
  using entry_map = std::map<std::string, entry, std::less<>>;

  entry_map::iterator spawn_locked(const std::string& name, const config::topic_rule& rule,
                                   scope where = scope::cluster);
  lookup leased_locked(entry_map::iterator it);
  void release(const std::string& name, const caf::actor_addr& topic);

  caf::actor_system& system_;
  const config::topics_config cfg_;
  const std::size_t mailbox_bound_;
  mutable std::mutex mutex_;
  entry_map topics_;
  std::size_t inboxes_ = 0;
  bool stopped_ = false;
  std::shared_ptr<cluster_view> cluster_;
};

}  // namespace sluice::actors
