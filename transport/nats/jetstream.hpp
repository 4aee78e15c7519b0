#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/engine.hpp"
#include "transport/nats/job_lanes.hpp"
#include "transport/nats/stream_names.hpp"

struct __natsConnection;
struct __jsCtx;
struct __natsMsg;
struct __kvStore;

namespace sluice::transport {

// The history bounds of a topic's stream (its topic rule's).
struct stream_bounds {
  std::uint64_t max_messages = 0;  // 0: none
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds max_age{0};
};

// What a stream holds: its identity (the creation time, in Unix ms: a
// recreated stream has another) and the sequences it keeps.
struct stream_state {
  std::uint64_t epoch = 0;
  std::uint64_t first = 0;  // last + 1 when empty
  std::uint64_t last = 0;   // 0 when nothing was ever stored
};

struct engine_message {
  std::uint64_t sequence = 0;
  std::int64_t ts_ms = 0;
  std::uint8_t kind = 0;
  std::string data;
  std::uint64_t pending = 0;  // stored after this one, not yet delivered to this subscription
};

// An ordered consumer of one stream; ends (the consumer is deleted) when the
// last owner lets it go.
class engine_subscription;

// This node's connection to NATS JetStream, shared by every topic that lives
// there. It reconnects on its own for as long as it exists. Stream setup and
// subscriptions (request/reply with the servers) run on threads of its own
// (job_lanes), so no caller ever waits on the network; publishes are
// asynchronous. Every callback runs on one of those threads or a NATS
// thread: it must only hand its result on.
class jetstream : public std::enable_shared_from_this<jetstream> {
 public:
  // Starts connecting; never fails for an unreachable server (it keeps
  // trying). Nothing when the options themselves are unusable (logged).
  static std::shared_ptr<jetstream> start(const config::engine_config& cfg);
  ~jetstream();
  jetstream(const jetstream&) = delete;
  jetstream& operator=(const jetstream&) = delete;

  // "connected", "connecting", "reconnecting" or "closed".
  std::string state() const;
  bool connected() const;
  const config::engine_config& config() const { return cfg_; }

  using opened_fn = std::function<void(std::optional<stream_state>, std::string error)>;
  // Creates the topic's stream, or updates its bounds, and says what it holds.
  void open_stream(const std::string& topic, const stream_bounds& bounds, opened_fn done);

  // Whether the topic's stream exists (nothing is created): true, false, or
  // nothing when the servers could not be asked (not connected, no answer).
  using exists_fn = std::function<void(std::optional<bool>)>;
  void stream_exists(const std::string& topic, exists_fn done);

  using message_fn = std::function<void(engine_message)>;
  using trouble_fn = std::function<void(std::string why)>;
  using subscribed_fn =
      std::function<void(std::shared_ptr<engine_subscription>, std::string error)>;
  // Delivers every message of the topic's stream from `from` on, in order,
  // each once (an ordered consumer: it recreates itself after a reconnect).
  // `on_trouble` runs when the library reports an error of the subscription
  // (missed heartbeats, a consumer it could not recreate: the stream may be
  // gone); the subscription may have stopped.
  void subscribe(const std::string& topic, std::uint64_t from, message_fn on_message,
                 trouble_fn on_trouble, subscribed_fn done);

  // stream_gone: no stream took the publish (it was deleted).
  enum class publish_error : std::uint8_t { none, unavailable, overloaded, stream_gone };
  using acked_fn = std::function<void(std::uint64_t sequence, publish_error e, std::string why)>;
  // Publishes to the topic's stream; `acked` runs once, with the sequence
  // the stream stored it at (acknowledged by a quorum of the stream's
  // replicas) or why not. Fails at once when not connected or when
  // max_in_flight publishes wait for their acknowledgement.
  void publish(const std::string& topic, std::uint8_t kind, const std::string& data,
               acked_fn acked);

  // Acknowledged consumers' cursors, in the KV bucket PREFIX_CURSORS (made
  // on first use, replicated as the streams are). A cursor's revision is
  // what the next write expects: a write from a node that did not see the
  // latest one is refused (conflict), so one node at a time moves a cursor.
  struct cursor_state {
    bool found = false;
    std::uint64_t acked = 0;
    std::uint64_t sent = 0;
    std::uint64_t revision = 0;  // 0: no cursor stored yet
    // When not found: how many consumers of the same topic have a cursor
    // (consumers.max_consumers counts them across nodes).
    std::uint64_t others = 0;
  };
  using cursor_loaded_fn = std::function<void(std::optional<cursor_state>, std::string error)>;
  void load_cursor(const std::string& key, cursor_loaded_fn done);
  enum class cursor_write : std::uint8_t { stored, conflict, unavailable };
  using cursor_stored_fn = std::function<void(cursor_write, std::uint64_t revision)>;
  void store_cursor(const std::string& key, std::uint64_t acked, std::uint64_t sent,
                    std::uint64_t revision, cursor_stored_fn done);
  // The key of one consumer's cursor: topic, principal and name, escaped.
  static std::string cursor_key(std::string_view topic, std::string_view principal,
                                std::string_view name);

  // A client id's inbox in the engine: its claim (the digest of the first
  // session's resume credential, docs/protocol.md "Inbox") is the key
  // _claims.<inbox, escaped> of the cursors' bucket, made once: `created` when
  // this call made it with `fresh_digest`, else the digest stored.
  struct claim_state {
    bool created = false;
    std::string digest;
  };
  using claimed_fn = std::function<void(std::optional<claim_state>, std::string error)>;
  void claim(const std::string& inbox, const std::string& fresh_digest, claimed_fn done);
  // An inbox unused on this node for its expire_after (`idle`) goes from the
  // engine too, stream and claim, unless another node reads it or something
  // was published to it within `idle`.
  void retire_inbox(const std::string& inbox, std::chrono::milliseconds idle);

  // For the library's acknowledgement handler: the publish of `msg` ended.
  void acked(__natsMsg* msg, std::uint64_t sequence, publish_error e, std::string why);
  // Runs `job` on a thread of this connection's, after the jobs posted
  // before under the same key (a topic, a cursor's key).
  void post(std::string_view key, std::function<void()> job);
  // The library's error handler's closure, which outlives this object.
  struct error_target;
  // For the library's error handler: the subscription `sub` reported `why`.
  void trouble(void* sub, const std::string& why);
  // For engine_subscription: `sub` ends.
  void forget(void* sub);
  // For engine_subscription, on one of the connection's threads: the
  // subscription ends and its consumer is deleted, or left to the servers
  // (`leave_consumer`: it was abandoned).
  void end_subscription(void* sub, bool leave_consumer);
  // For the library's closed handler: it will make no more callbacks.
  void connection_closed();

 private:
  struct waiting {
    acked_fn acked;
    std::chrono::steady_clock::time_point since;
  };
  explicit jetstream(config::engine_config cfg);
  bool connect();
  bool count_cursors(const std::string& topic_token, std::uint64_t& count, std::string& error);
  // On one of the connection's threads: the cursors' bucket, made or found
  // once.
  __kvStore* cursors(std::string& error);

  config::engine_config cfg_;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::mutex cursors_mutex_;
  __kvStore* cursors_ = nullptr;  // under cursors_mutex_ until made
  std::mutex mutex_;
  std::unordered_map<__natsMsg*, waiting> in_flight_;
  std::unordered_map<void*, trouble_fn> troubles_;  // by natsSubscription
  // Requests to the servers (streams, subscriptions, cursors, claims), by
  // topic or key: one unanswered request holds up its lane only.
  job_lanes lanes_{request_lanes};
  std::promise<void> closed_;   // set by the library's closed handler
  error_target* error_target_;  // the library's error handler's closure (jetstream.cpp)
  static constexpr std::chrono::milliseconds close_wait{5000};
  static constexpr std::size_t request_lanes = 8;
};

class engine_subscription {
 public:
  ~engine_subscription();
  // Its consumer is left for the servers to delete (they do once it has had
  // no interest for a while) rather than asked for and deleted at the end.
  void abandon() { abandoned_ = true; }
  engine_subscription(const engine_subscription&) = delete;
  engine_subscription& operator=(const engine_subscription&) = delete;

 private:
  friend class jetstream;
  engine_subscription() = default;
  void* sub_ = nullptr;  // natsSubscription
  std::string topic_;
  std::shared_ptr<jetstream> owner_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace sluice::transport
