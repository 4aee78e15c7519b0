#pragma once

#include <caf/fwd.hpp>
#include <caf/group.hpp>
#include <caf/io/middleman_actor.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/cluster/view.hpp"
#include "actors/job/router.hpp"
#include "actors/topic/directory.hpp"
#include "config/config.hpp"
#include "security/authenticator.hpp"
#include "transport/client_link.hpp"
#include "transport/http/api_request.hpp"

namespace sluice::transport {
class file_watcher;
}

namespace sluice::actors {

struct gateway_context;

// Where transport hands over new connections: starts one session actor per
// connection and relays what the connection reads into that actor's mailbox.
class gateway : public transport::connection_handler {
 public:
  // `runtime` must outlive every actor of `system`.
  // `auth` (may be null: every client anonymous) checks `refresh` tokens.
  gateway(caf::actor_system& system, const config::config& cfg, upstream_runtime runtime = {},
          std::shared_ptr<const security::authenticator> auth = nullptr);
  ~gateway() override;

  std::unique_ptr<transport::inbound_sink> open(
      std::shared_ptr<transport::client_link> link) override;

  // engine: nats: starts connecting to NATS (in the background; it never
  // waits for a server). False, with `error`, when its options are unusable.
  bool start_engine(std::string& error);
  // Opens topic storage and starts the topics found in it, then the services
  // with start_on_boot; false, with `error`, when the storage directory
  // cannot be used.
  bool start(std::string& error);

  // In a cluster (cfg.cluster.enabled()): starts this node's cluster actor,
  // which reaches its peers through `middleman` (plain or TLS); the caller
  // publishes it on the cluster port. Null on a single node.
  caf::actor start_cluster(caf::io::middleman_actor middleman);

  // Answers the HTTP API under /api/.
  transport::api_handler& api();

  // The topics of this process.
  topic_directory& topics() const;

  // Where transport hands over workers connecting at /workers; null when no
  // upstream is of kind `workers`.
  transport::connection_handler* workers();

  // Tells every session to stop taking requests, let running ones finish for
  // up to `deadline`, then close its client with 1001.
  void drain(std::chrono::milliseconds deadline);

  // Publishes the changes of the configured `watch` files through `watcher`
  // (which must outlive the topics' use of it).
  void start_watches(transport::file_watcher& watcher);

  // Stops the services that run, the last configured first, within `within`
  // (blocks until they are gone).
  void stop_services(std::chrono::milliseconds within);

  // Ends every session still alive (their sockets are gone or being cut) and
  // the upstreams' supervisors.
  void stop();

 private:
  static std::shared_ptr<const gateway_context> make_context(
      caf::actor_system& system, const config::config& cfg, upstream_runtime runtime,
      std::shared_ptr<cluster_view> cluster, std::shared_ptr<const security::authenticator> auth);
  class workers_handler;

  caf::actor_system& system_;
  const config::cluster_config cluster_cfg_;
  const config::engine_config engine_cfg_;
  const std::vector<config::watch_config> watches_;
  std::shared_ptr<cluster_view> cluster_;  // null on a single node
  std::shared_ptr<const gateway_context> ctx_;
  caf::actor cluster_actor_;
  std::unique_ptr<workers_handler> workers_;
  std::unique_ptr<transport::api_handler> api_;
};

}  // namespace sluice::actors
