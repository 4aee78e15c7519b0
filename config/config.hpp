#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/access_list.hpp"
#include "config/engine.hpp"
#include "config/quota.hpp"
#include "config/readers/values.hpp"
#include "config/request_template.hpp"
#include "config/server.hpp"
#include "config/services.hpp"
#include "config/topic_template.hpp"
#include "core/observe/log.hpp"

// The whole configuration of one Sluice process, as plain values with their
// defaults. config/loader.hpp fills it from YAML; nothing else parses YAML.
namespace sluice::config {

using std::chrono::milliseconds;

enum class route_kind { uppercase, upstream };

enum class process_output { lines, json_lines };

// An upstream of kind `process`: one child process per request. The request
// payload (JSON) is written to its stdin, followed by a newline and EOF.
struct process_upstream_config {
  std::string command;  // absolute or relative path; no shell, no PATH lookup
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // empty: Sluice's working directory
  process_output output = process_output::lines;
  std::size_t max_line_bytes = 1024 * 1024;
  milliseconds kill_grace{2000};      // SIGTERM, then SIGKILL after this long
  std::uint32_t max_concurrent = 16;  // processes running at once; 0: no limit (others wait)
};

enum class connection_mode { per_request, pooled };

// An upstream of kind `websocket`: one connection per request to `url` (or
// `pooled`: `pool_size` connections kept open, each serving one request at a
// time). The request payload is sent as one text message; every message the
// upstream sends back is relayed until its `final` (or `error`) message.
struct websocket_upstream_config {
  std::string url;  // ws://host:port/path
  url_parts endpoint;
  milliseconds connect_timeout{5000};
  std::size_t max_message_bytes = 1024 * 1024;
  request_template message = default_body();  // what is sent (request_template.hpp)
  // Sent with the handshake; a pooled upstream's may not name who is asking.
  templated_headers headers;
  std::string type_field = "type";  // the field of upstream messages that names their kind
  connection_mode connections = connection_mode::per_request;
  std::uint32_t pool_size = 4;  // pooled: connections kept open, one request each at a time
};

// An upstream of kind `sse`: one HTTP request per client request, whose
// response streams Server-Sent Events. `body` is a template: {{payload}} is
// the request payload (JSON) and {{text}} its text as a JSON string.
struct sse_upstream_config {
  std::string url;  // http://host:port/path
  url_parts endpoint;
  std::string method = "POST";
  templated_headers headers;
  request_template body = default_body();
  request_template path;              // endpoint.path, with fields filled in per request
  std::string token_field = "token";  // an event with this field is a token
  std::string final_field = "done";   // an event with this field true is the final one
  milliseconds connect_timeout{5000};
  std::size_t max_event_bytes = 1024 * 1024;
};

// How Sluice checks an upstream it reaches over TLS (https://): the
// system's trusted CAs, or `ca_file`'s; the certificate must name the URL's
// host. `cert_file`/`key_file`: a client certificate, when the upstream asks.
struct upstream_tls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  source_place place;  // of the `tls` entry
};

// An upstream of kind `http`: one HTTP request per client request, whose
// whole JSON answer is the request's `final` result. The path, headers and
// body are templates (request_template.hpp).
struct http_upstream_config {
  std::string url;  // http://host:port/path
  url_parts endpoint;
  request_template path;
  std::string method = "POST";
  templated_headers headers;
  request_template body = default_body();  // not sent with GET and DELETE
  milliseconds connect_timeout{5000};
  std::size_t max_response_bytes = 1024 * 1024;  // a larger answer: upstream_protocol_error
};

// An upstream of kind `workers`: worker processes connect in at /workers,
// register with `token` and the routes they serve, and pull jobs.
struct workers_upstream_config {
  std::string token;                      // empty (and no token_sha256): workers need no token
  std::string token_sha256;               // instead of `token`: its SHA-256 (hex)
  std::uint32_t max_concurrency = 64;     // per worker, whatever it declares
  milliseconds heartbeat_timeout{15000};  // silent this long: the worker is lost
};

// How an upstream is watched and restarted (every kind has one).
struct supervision_config {
  std::uint32_t failure_threshold = 3;  // consecutive failures that open the circuit
  milliseconds backoff_base{200};       // the first wait before probing again
  milliseconds backoff_max{10000};      // no wait is longer
  double backoff_multiplier = 2.0;      // each failed probe multiplies the wait
  std::string health_url;               // http://… probed while closed too; empty: TCP connect
  url_parts health_endpoint;
  milliseconds health_interval{5000};  // between probes of health_url while closed
  milliseconds probe_timeout{2000};
  std::uint32_t retries = 2;  // per request, only while nothing was streamed back
};

enum class upstream_kind { process, websocket, sse, workers, http };

struct upstream_config {
  std::string name;
  upstream_kind kind = upstream_kind::process;
  process_upstream_config process;
  websocket_upstream_config websocket;
  sse_upstream_config sse;
  workers_upstream_config workers;
  http_upstream_config http;
  upstream_tls tls;  // for an https:// url (http and sse)
  supervision_config supervision;
  // Kinds workers and process: topic name patterns (one `*` each at most) its
  // backend may publish to while a request runs; empty: none.
  std::vector<std::string> publish;
};

// Parameters of the built-in `uppercase` compute route.
struct uppercase_params {
  std::uint32_t steps = 3;
  milliseconds interval{1000};
};

// When a route answers with its fallback (`fallback_on`).
enum fallback_trigger : std::uint8_t {
  fallback_on_circuit_open = 1,       // the upstream's circuit is not closed
  fallback_on_retries_exhausted = 2,  // the upstream could not be reached, retries spent
  fallback_on_timeout = 4,            // the route's timeout passed
  fallback_on_upstream_error = 8,     // the upstream answered with a failure
};
inline constexpr const char* fallback_trigger_names[] = {"circuit_open", "retries_exhausted",
                                                         "timeout", "upstream_error"};

struct route_config {
  std::string name;
  route_kind kind = route_kind::uppercase;
  milliseconds timeout{30000};  // deadline of one request on this route
  uppercase_params uppercase;
  std::string upstream;  // kind upstream: the upstream's name
  // Answered as the `final` frame's `result` (JSON text) when one of
  // `fallback_on` happens before anything was streamed to the client.
  std::optional<std::string> fallback;
  std::uint8_t fallback_on = fallback_on_circuit_open;  // fallback_trigger bits
  // How long one attempt may go without its upstream answering before it is
  // abandoned (and retried); 0: only the route's timeout applies.
  milliseconds attempt_timeout{0};
  access_list allow;  // who may send requests to this route
  // Who may ask for each priority (index: sluice::priority); low and normal:
  // whoever may use the route, high and critical: no one unless listed.
  std::array<access_list, 4> priorities{access_list{}, access_list{}, access_list::no_one(),
                                        access_list::no_one()};
  // Every frame of a request's stream also goes to this topic (e.g.
  // "runs.{request_id}"), where other connections follow or replay it.
  topic_template publish_to;
  quota_config quota;  // per principal; off unless a limit is set
};

struct limits_config {
  std::size_t mailbox = 256;             // inbound frames a session accepted but not handled
  std::size_t outbound_messages = 1024;  // frames queued toward one client socket
  std::size_t outbound_bytes = 8 * 1024 * 1024;
  std::size_t max_requests_in_flight = 16;  // per session
  std::size_t topic_mailbox = 4096;         // publishes one topic accepted but not yet handled
  std::size_t upstream_queue = 10000;       // requests waiting for an upstream slot or a worker
  milliseconds priority_aging{10000};       // a waiting request rises one priority per this long
};

enum class slow_subscriber_policy { drop_oldest, disconnect };

// Options of the topics whose names match one pattern.
// Acknowledged consumers of a topic (subscribe with `consumer` and `ack`).
struct consumer_config {
  milliseconds ack_wait{30000};          // unacknowledged this long: sent again
  std::uint32_t max_deliver = 5;         // deliveries of one message, the first included
  std::uint32_t max_ack_pending = 1000;  // unacknowledged messages out at once
  // Where a message goes after its last delivery's ack_wait; empty: it is
  // dropped (logged and counted).
  std::string dead_letter;
  std::size_t max_consumers = 100;  // named consumers one topic keeps
};

struct topic_rule {
  std::string match = "*";          // `*` matches any run of characters
  std::size_t history_size = 1000;  // messages kept per topic
  milliseconds history_age{0};      // older messages are dropped; 0: no age limit
  // Bytes of history kept per topic (data, rendered frame and bookkeeping);
  // the newest message always stays. 0: no bound but the global one.
  std::size_t history_bytes = 64 * 1024 * 1024;
  access_list subscribe;     // clients who may subscribe
  access_list publish;       // clients who may publish (POST /api/publish always may)
  bool retain_last = false;  // a new subscriber gets the last message at once
  slow_subscriber_policy slow_subscriber = slow_subscriber_policy::drop_oldest;
  std::size_t max_lag = 1000;  // messages a subscriber may fall behind before the policy acts
  // A topic nobody has used for this long (no subscriber, no message) is
  // removed with its history; 0: never. (A topic that holds nothing leaves
  // soon after its last use whatever this says.)
  milliseconds expire_after{0};
  consumer_config consumers;
};

enum class fsync_policy { always, interval, never };

struct storage_config {
  std::string path;  // directory of the per-topic logs; empty: history in memory only
  fsync_policy fsync = fsync_policy::interval;
  milliseconds fsync_interval{1000};
  std::size_t max_open_files = 1024;  // log descriptors open at once (least recently used close)
};

struct topics_config {
  std::vector<topic_rule> rules;  // first match wins; no match: the topic is not allowed
  // Every session's inbox.<client id or session id>.
  topic_rule inbox{.match = "inbox.*",
                   .history_bytes = 4 * 1024 * 1024,
                   .subscribe = {},
                   .publish = access_list::no_one(),
                   .expire_after = milliseconds{600000},
                   .consumers = {}};
  // Every authenticated user's user.<sub>: readable by that user only.
  topic_rule user{.match = "user.*",
                  .history_size = 100,
                  .history_bytes = 1024 * 1024,
                  .subscribe = access_list{false, {"owner"}},
                  .publish = access_list::no_one(),
                  .expire_after = milliseconds{600000},
                  .consumers = {}};
  std::size_t max_inboxes = 100000;  // inboxes at once (not counted in max_topics)
  // Inboxes one principal's client ids may have at once; anonymous clients
  // are counted per address instead. 0: no limit.
  std::size_t max_inboxes_per_principal = 100;
  std::size_t max_inboxes_per_address = 1000;
  std::size_t max_topics = 10000;
  // Bytes of history all topics and user channels hold together, and all
  // inboxes together (history_budget); over it the topics holding most give
  // back their oldest messages (subscribers behind get a `gap`). 0: no bound.
  std::size_t max_history_bytes = 256 * 1024 * 1024;
  std::size_t max_inbox_bytes = 128 * 1024 * 1024;  // topics.inbox.max_total_bytes
  // Topics (not inboxes) that clients created by subscribing or publishing and
  // that still exist, per principal (anonymous: per address) and per
  // connection. 0: no limit. The HTTP API is not counted.
  std::size_t max_created_per_principal = 1000;
  std::size_t max_created_per_connection = 100;
  std::size_t max_message_bytes = 64 * 1024;  // of one published `data`
  storage_config storage;

  const topic_rule* find_rule(std::string_view topic) const;
};

// A JWT verification key. HS256: `secret` (at least 32 bytes). RS256 and
// ES256: a PEM public key, inline in `public_key` or in `public_key_file`.
struct jwt_key_config {
  std::string algorithm;  // HS256, RS256 or ES256
  std::string kid;        // when set, only tokens whose header names this kid use the key
  std::string secret;
  std::string public_key;
  std::string public_key_file;
  source_place place;  // of the entry
};

// A static API key, stored as the SHA-256 of the key (hex), never the key.
struct api_key_config {
  std::string name;
  std::string sha256;
  std::string subject;  // the identity's `sub`; empty: none
  std::vector<std::string> roles;
};

struct auth_config {
  bool anonymous = true;  // connections without a token are allowed
  milliseconds clock_skew{30000};
  bool require_exp = true;                            // a JWT without exp is refused
  milliseconds max_token_lifetime{24 * 3600 * 1000};  // exp at most this far ahead; 0: any
  std::string issuer;    // JWT `iss` must equal this; empty: not checked
  std::string audience;  // JWT `aud` must contain this; empty: not checked
  std::string roles_claim = "roles";
  std::vector<jwt_key_config> jwt_keys;
  std::vector<api_key_config> api_keys;       // for clients at /ws
  std::vector<api_key_config> http_api_keys;  // for /api/; none: the API needs no key
  // Every session with a `sub` is subscribed to its user channel, user.<sub>.
  bool user_channels = true;
};

// A token bucket: `points` per `per`, refilled continuously; a client that
// empties it is refused for `block_for` (at least until a point is back).
struct rate_limit {
  std::uint32_t points = 0;  // 0: no limit
  milliseconds per{1000};
  milliseconds block_for{0};
};

struct rate_limits_config {
  rate_limit session_messages;  // frames of one connection
  rate_limit user_messages;     // frames of all connections of one `sub`
  rate_limit ip_messages;       // frames of all connections from one address
  rate_limit session_requests;  // request frames of one connection
  rate_limit user_requests;
  rate_limit ip_requests;
  rate_limit ip_connections;       // new WebSocket connections from one address
  std::uint32_t close_after = 20;  // refusals in a row before the connection is closed (1008)
};

// `cluster:`: this node's part in a cluster of Sluice nodes that talk over
// CAF's middleman. Absent (no `name`): a single node.
struct cluster_peer {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
};

struct cluster_tls_config {
  std::string cert_file;  // PEM certificate of this node; empty: plain TCP between nodes
  std::string key_file;   // PEM private key
  std::string ca_file;    // PEM CA that signed every node's certificate
  source_place place;     // of the `tls` entry
};

struct cluster_config {
  std::string name;  // empty: no cluster
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::vector<cluster_peer> peers;
  std::string secret;  // checked in the join handshake; required
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds heartbeat_timeout{3000};
  // How long a node may act as a topic's owner after a majority of the nodes
  // answered its heartbeat (default: half of heartbeat_timeout).
  std::chrono::milliseconds lease{1500};
  std::chrono::milliseconds retry_min{200};  // reconnect backoff, with jitter
  std::chrono::milliseconds retry_max{5000};
  cluster_tls_config tls;

  bool enabled() const { return !name.empty(); }
};

struct log_config {
  log::level level = log::level::info;
  log::format format = log::format::text;
};

struct config {
  std::string source;  // file name, or "<embedded default>"
  server_config server;
  std::vector<upstream_config> upstreams;
  std::vector<route_config> routes;
  std::optional<std::string> default_route;  // route used by {"text": …} frames
  limits_config limits;
  topics_config topics;
  auth_config auth;
  rate_limits_config rate_limits;
  log_config log;
  cluster_config cluster;
  engine_config engine;
  services_config services;

  const route_config* find_route(std::string_view name) const;
  const upstream_config* find_upstream(std::string_view name) const;
};

std::string_view to_string(route_kind kind);
std::string_view to_string(upstream_kind kind);

}  // namespace sluice::config
