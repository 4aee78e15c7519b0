#pragma once

#include <caf/all.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/topic_directory.hpp"
#include "core/error_code.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// The topic side of one session: the client's subscriptions and publishes,
// and its inbox. The session actor owns one and hands it topic frames; the
// topics answer the client on its link directly, so that a subscription's
// acknowledgement, replay and live messages keep their order.
class session_topics {
 public:
  session_topics(caf::event_based_actor* self, std::shared_ptr<transport::client_link> link,
                 topic_directory& topics);

  // Subscribes to inbox.<client id> when the connection named a client id,
  // from the offset it gave (or live).
  void start();
  void subscribe(const transport::client_message& msg);
  void unsubscribe(const transport::client_message& msg);
  void publish(transport::client_message& msg);
  // The client's queue drained: topics that held messages back carry on.
  void on_writable();

  // Where request streams go when the client has an inbox; empty otherwise.
  const caf::actor& inbox() const { return inbox_; }
  const std::string& inbox_name() const { return inbox_name_; }

 private:
  // The topic `name` if this client may use it for `what` ("subscribe to",
  // "publish to"), else empty after an error frame.
  caf::actor allowed(const std::string& name, bool publishing, std::string_view id);
  void send_subscribe(const caf::actor& topic, const std::string& id, std::int64_t since,
                      std::uint64_t epoch);
  void send_error(ec code, std::string_view message, std::string_view id);

  caf::event_based_actor* self_;
  std::shared_ptr<transport::client_link> link_;
  topic_directory& topics_;
  std::string inbox_name_;
  caf::actor inbox_;
  std::unordered_map<std::string, caf::actor> subscribed_;
};

}  // namespace sluice::actors
