#pragma once

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include <functional>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/topic/store/history_budget.hpp"
#include "config/config.hpp"
#include "core/error_code.hpp"
#include "core/observe/mailbox_gauge.hpp"
#include "transport/client_link.hpp"
#include "transport/nats/jetstream.hpp"

namespace sluice::actors {

class cluster_view;

// Held while a topic is in use (a session subscribed to it, an API call
// under way): an inbox is never removed while anyone holds one.
using topic_lease = std::shared_ptr<const void>;

// Who a topic that a client creates by using it is charged to: topics and
// inboxes a principal (or, for anonymous clients, an address) and a
// connection may have created are bounded (topics.max_created_per_*,
// topics.inbox.max_per_*), so that no client can take every slot.
struct topic_creator {
  std::string principal;   // security::principal_of, or the client's address when it has none
  bool anonymous = false;  // `principal` is an address
  std::string connection;  // the session's id
};

// Every topic of one process by name. Sessions and the HTTP API look topics
// up here from any thread; a topic's actor is started on first use (or at
// start, for topics whose log is in storage). Topics live until stop(),
// unless they expire: once unused for their rule's expire_after, or soon
// after their last use when they hold nothing.
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
    bool created = false;  // this lookup started the topic
  };

  // Where a topic lives: across the cluster (owned by one node), or only on
  // this node (a connection's own inbox: in memory, sealed against claims,
  // nobody elsewhere can use it; it must not exist yet).
  enum class scope : std::uint8_t { cluster, node };

  // The topic, started if a pattern allows it and no limit is reached: the
  // topic (or inbox) limit, and, when `creator` is given, what it may create.
  lookup open(std::string_view name, scope where = scope::cluster,
              const topic_creator* creator = nullptr);
  // The topic if it exists (it is never started here); `error` unknown_topic if not.
  lookup find(std::string_view name);
  // find() for a reader that can wait: a topic in the engine that is not
  // open on this node exists when its stream does, and is started then; a
  // read of a topic nobody published to creates no stream. `done` may run
  // on a NATS thread.
  void find_or_attach(std::string_view name, std::function<void(lookup)> done);
  std::vector<std::pair<std::string, caf::actor>> all() const;
  const config::topics_config& config() const { return cfg_; }
  // The history budget a topic of this name is charged to: inboxes', or that
  // of every other topic.
  history_budget& budget_for(std::string_view name);
  // Why `data_bytes` of published data are too many (topics.max_message_bytes), or "".
  std::string oversize(std::size_t data_bytes) const;

  // A connection's own inbox is started only when something is published to
  // it: until then the directory remembers whom to subscribe to it (quietly,
  // before the publish that starts it). forget_own_inbox() when the
  // connection ends.
  void expect_own_inbox(const std::string& name, const caf::actor_addr& session,
                        std::shared_ptr<transport::client_link> link);
  void forget_own_inbox(const std::string& name);

  // Called by an idle inbox: true (and it is forgotten) when no lease is
  // held on it, so that it may stop; nobody can reach it any more.
  bool expire_if_unused(const std::string& name, const caf::actor_addr& topic);

  // Topics find their owner node in `view` (set before start()); without
  // one, every topic is owned here.
  void set_cluster(std::shared_ptr<cluster_view> view) { cluster_ = std::move(view); }
  // Topics that `engine`'s config holds live there (engine: nats); set
  // before start(). A client id's inbox may live there (its claim too); a
  // connection's own inbox never does (docs/engine.md).
  void set_engine(std::shared_ptr<transport::jetstream> engine) { engine_ = std::move(engine); }
  // The engine when `topic` lives there, else null.
  std::shared_ptr<transport::jetstream> engine_for(std::string_view topic) const;

  // Creates the storage directory and starts the topics logged in it.
  // False, with `error`, when the directory cannot be created.
  bool start(std::string& error);
  void stop();

 private:
  struct entry {
    caf::actor actor;
    std::shared_ptr<mailbox_gauge> mailbox;
    std::size_t leases = 0;
    std::string principal;  // charged to (topic_creator); empty: nobody
    std::string connection;
  };
  using entry_map = std::map<std::string, entry, std::less<>>;
  struct own_inbox {
    caf::actor_addr session;
    std::shared_ptr<transport::client_link> link;
  };
  using own_inbox_map = std::map<std::string, own_inbox, std::less<>>;
  lookup start_own_inbox(own_inbox_map::iterator own, const config::topic_rule& rule);
  using count_map = std::map<std::string, std::size_t, std::less<>>;

  entry_map::iterator spawn_locked(const std::string& name, const config::topic_rule& rule,
                                   scope where = scope::cluster);
  lookup leased_locked(entry_map::iterator it);
  void release(const std::string& name, const caf::actor_addr& topic);
  // Why `creator` may not create one more topic (or inbox), or "".
  std::string over_quota_locked(const topic_creator& creator, bool inbox) const;
  void charge_locked(entry& e, const topic_creator& creator, bool inbox);
  void erase_locked(entry_map::iterator it);
  bool expired_while_stopped(const std::string& name, const config::topic_rule& rule);

  caf::actor_system& system_;
  const config::topics_config cfg_;
  const std::size_t mailbox_bound_;
  mutable std::mutex mutex_;
  entry_map topics_;
  std::size_t inboxes_ = 0;
  // Topics and inboxes alive per creator (principal or connection).
  count_map topics_by_creator_;
  count_map inboxes_by_creator_;
  own_inbox_map own_inboxes_;  // not started yet
  bool stopped_ = false;
  std::shared_ptr<cluster_view> cluster_;
  std::shared_ptr<transport::jetstream> engine_;
  std::shared_ptr<history_budget> topics_budget_;
  std::shared_ptr<history_budget> inbox_budget_;
};

}  // namespace sluice::actors
