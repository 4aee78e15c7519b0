// sluice: load the configuration, start the actor system and the transport,
// wait for SIGINT/SIGTERM, then drain and shut down in order.
#include <signal.h>
#include <algorithm>
#include <caf/all.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "actors/gateway/gateway.hpp"
#include "actors/messages.hpp"
#include "bin/cli.hpp"
#include "bin/cluster_node.hpp"
#include "bin/descriptor_limit.hpp"
#include "bin/file_checks.hpp"
#include "config/loader.hpp"
#include "core/observe/log.hpp"
#include "transport/server/server.hpp"
#include "transport/upstream/health_probe.hpp"
#include "transport/upstream/http_upstream.hpp"
#include "transport/upstream/io_runtime.hpp"
#include "transport/upstream/process_launcher.hpp"
#include "transport/upstream/sse_upstream.hpp"
#include "transport/upstream/timer_service.hpp"
#include "transport/upstream/websocket_upstream.hpp"
#include "transport/watch/file_watcher.hpp"

namespace {

using namespace sluice;
constexpr const char* version = SLUICE_VERSION;

transport::server_options server_options_from(const config::config& cfg,
                                              std::shared_ptr<const security::authenticator> auth) {
  // A publish's body is its message and a little JSON around it.
  auto max_body = std::max<std::size_t>(64 * 1024, cfg.topics.max_message_bytes + 4096);
  return {cfg.server, cfg.limits, cfg.rate_limits, max_body, std::move(auth)};
}

// Blocks until SIGINT or SIGTERM; returns its name. The signals are blocked in
// every thread (set before any thread starts), so only this wait sees them.
std::string wait_for_signal(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

// Waits until no WebSocket connection is open, or `limit` has passed.
void wait_for_connections_to_close(const transport::server& srv, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (srv.open_connections() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int run(const config::config& cfg, std::shared_ptr<const security::authenticator> auth,
        const sigset_t& signals) {
  // Declared first so they outlive every actor: jobs hold handles into them.
  // One thread runs every upstream client (io_runtime.hpp).
  transport::io_runtime upstream_io;
  transport::process_launcher launcher{upstream_io};
  transport::file_watcher files{upstream_io};
  transport::websocket_connector connector{upstream_io};
  transport::sse_client sse{upstream_io};
  transport::http_client http{upstream_io};
  transport::health_prober prober{upstream_io};
  transport::timer_service timers{upstream_io};
  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.max-threads", static_cast<std::size_t>(cfg.server.actor_threads));
  // An idle CAF worker spins briefly, then (by default) polls its queue every
  // 50 µs for 25 ms, so a message from a socket thread waits up to a polling
  // interval, and the polling itself costs CPU the I/O threads could use.
  // Without that stage the worker goes from spinning straight to its
  // condition variable, which the next message wakes at once.
  caf_cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  actors::register_message_types(caf_cfg);
  if (cfg.cluster.enabled()) cluster_node::configure(caf_cfg, cfg.cluster);
  caf::actor_system system{caf_cfg};
  actors::gateway gateway{
      system, cfg, {&launcher, &connector, &sse, &http, &prober, &timers}, auth};
  transport::server server{server_options_from(cfg, auth), gateway, gateway.workers(),
                           &gateway.api()};

  if (std::string error; !gateway.start_engine(error)) {
    log::error("main", "engine_failed", {{"error", error}});
    gateway.stop();
    system.await_all_actors_done();
    return 1;
  }
  if (std::string error; !gateway.start(error)) {
    log::error("main", "storage_failed", {{"error", error}});
    gateway.stop();
    system.await_all_actors_done();
    return 1;
  }
  gateway.start_watches(files);

  if (std::string error;
      cfg.cluster.enabled() && !cluster_node::start(system, gateway, cfg.cluster, error)) {
    log::error("main", "cluster_listen_failed",
               {{"host", cfg.cluster.host}, {"port", cfg.cluster.port}, {"error", error}});
    gateway.stop();
    system.await_all_actors_done();
    return 1;
  }

  std::uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {  // boost::system::system_error: address in use, …
    log::error("main", "listen_failed",
               {{"host", cfg.server.host}, {"port", cfg.server.port}, {"error", e.what()}});
    gateway.stop();
    system.await_all_actors_done();
    return 1;
  }
  std::string routes;
  for (const auto& r : cfg.routes) routes += (routes.empty() ? "" : ",") + r.name;
  log::info(
      "main", "listening",
      {{"host", cfg.server.host},
       {"port", port},
       {"node", cfg.server.node_name},
       {"cluster", cfg.cluster.enabled() ? cfg.cluster.host + ":" + std::to_string(cfg.cluster.port)
                                         : std::string{"off"}},
       {"routes", routes},
       {"config", cfg.source},
       {"version", version}});

  auto sig = wait_for_signal(signals);
  log::info("main", "draining",
            {{"signal", sig},
             {"connections", server.open_connections()},
             {"drain_timeout_ms", cfg.server.drain_timeout.count()}});
  server.stop_accepting();
  gateway.drain(cfg.server.drain_timeout);
  gateway.stop_services(cfg.server.drain_timeout);
  // Sessions close with 1001 once their jobs end (at the latest at the
  // deadline); allow a little more for the close handshakes.
  wait_for_connections_to_close(server, cfg.server.drain_timeout + std::chrono::seconds(2));
  auto left = server.open_connections();
  server.stop();
  gateway.stop();  // sessions whose socket never finished closing, and supervisors
  system.await_all_actors_done();
  upstream_io.stop();  // no upstream handler runs once the actor system is gone
  log::info("main", "stopped", {{"connections_cut", left}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cli_error;
  auto opts = cli::parse({argv + 1, argv + argc}, cli_error);
  if (!opts) {
    std::cerr << "sluice: " << cli_error << "\n\n" << cli::usage();
    return 2;
  }
  if (opts->help) {
    std::cout << cli::usage();
    return 0;
  }
  if (opts->version) {
    std::cout << "sluice " << version << " (CAF 0.17, Boost.Beast 1.81)\n";
    return 0;
  }

  // Keys and certificates are loaded in the same pass, so that --check-config
  // reports them with the rest.
  auto loaded = opts->config_file ? config::load_file(*opts->config_file, check_named_files)
                                  : config::load_embedded_default(check_named_files);
  if (auto* errors = std::get_if<std::vector<config::error>>(&loaded)) {
    for (const auto& e : *errors) std::cerr << e.to_string() << '\n';
    std::cerr << "sluice: " << errors->size() << " configuration error"
              << (errors->size() == 1 ? "" : "s") << '\n';
    return 2;
  }
  auto& cfg = std::get<config::config>(loaded);
  if (opts->port) cfg.server.port = *opts->port;
  std::string key_error;  // check_named_files() loaded the keys once already
  auto auth = security::authenticator::create(cfg.auth, key_error);
  if (!auth) {
    std::cerr << cfg.source << ": " << key_error << "\nsluice: 1 configuration error\n";
    return 2;
  }
  if (opts->check_config) {
    std::cout << cfg.source << ": configuration is valid (" << cfg.routes.size() << " route"
              << (cfg.routes.size() == 1 ? "" : "s") << ")\n";
    return 0;
  }
  log::configure(cfg.log.level, cfg.log.format);
  check_descriptor_limit(cfg);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return run(cfg, std::move(auth), signals);
}
