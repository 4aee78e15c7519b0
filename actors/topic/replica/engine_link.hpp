#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "transport/nats/jetstream.hpp"

namespace sluice::actors {

// One topic's use of the engine (engine: nats). It asks the engine on the
// topic's behalf and hands every answer, which comes on a NATS thread, to
// the topic's actor as a message (engine_*_atom, messages.hpp); the topic
// decides what they mean (replica/engine.cpp). It holds the topic's
// subscription, and ends it when the topic ends.
class engine_link {
 public:
  engine_link(std::shared_ptr<transport::jetstream> engine, std::string topic,
              caf::actor_addr topic_actor);
  ~engine_link();
  engine_link(const engine_link&) = delete;
  engine_link& operator=(const engine_link&) = delete;

  bool connected() const { return engine_->connected(); }

  // Creates the stream (bounded as `rule`'s history) or finds it.
  void open(std::uint64_t generation, const config::topic_rule& rule);
  // Every message of the stream from `from` on; replaces the subscription held.
  void subscribe(std::uint64_t generation, std::uint64_t from);
  // Ends the subscription held; its consumer is deleted.
  void unsubscribe();
  // Ends the subscription held and leaves its consumer for the servers to
  // delete: the topic opens the stream again because something went wrong,
  // and a request about the consumer could wait on a dead server.
  void abandon_subscription();
  // `id` 0: nobody waits for the answer (it is logged if it fails).
  void publish(std::uint64_t id, std::uint8_t kind, const std::string& data);
  // An acknowledged consumer's cursor (`key`: jetstream::cursor_key).
  void load_cursor(std::uint64_t token, const std::string& key);
  void store_cursor(const std::string& key, std::uint64_t acked, std::uint64_t sent,
                    std::uint64_t revision);
  // A client id's inbox: its claim, made with `fresh_digest` or read.
  void claim(std::uint64_t token, const std::string& fresh_digest);
  // The inbox is no longer used here: it leaves the engine too, if no other
  // node uses it (jetstream::retire_inbox). Ends the subscription first.
  void retire_inbox(std::chrono::milliseconds idle);

 private:
  struct held {
    std::mutex mutex;
    bool closed = false;  // the topic ended: a late subscription is let go at once
    std::shared_ptr<transport::engine_subscription> subscription;
  };

  std::shared_ptr<transport::jetstream> engine_;
  std::string topic_;
  caf::actor_addr topic_actor_;
  std::shared_ptr<held> held_ = std::make_shared<held>();
};

}  // namespace sluice::actors
