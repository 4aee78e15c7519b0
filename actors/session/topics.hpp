#pragma once

#include <caf/all.hpp>

#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/topic/directory.hpp"
#include "core/error_code.hpp"
#include "security/identity.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// The topic side of one session: the client's subscriptions and publishes,
// and its inbox. The session actor owns one and hands it topic frames; the
// topics answer the client on its link directly, so that a subscription's
// acknowledgement, replay and live messages keep their order.
class session_topics {
 public:
  // The inbox is the client id's (security::client_inbox) when the
  // connection named one, else inbox.<session_id>, the connection's own.
  // `who` (owned by the session, which may renew it) decides what the client
  // may subscribe and publish to; `user_channels`: a client with a `sub` is
  // subscribed to user.<sub>.
  // At most `max_publishes_in_flight` publishes wait for their topic's answer
  // at once; later ones wait here, so that their answers (errors too, when an
  // owner node is lost) always fit in the client's outbound queue.
  session_topics(caf::event_based_actor* self, std::shared_ptr<transport::client_link> link,
                 topic_directory& topics, std::string_view session_id,
                 const security::identity& who, bool user_channels,
                 std::size_t max_publishes_in_flight);
  ~session_topics();  // an own inbox nobody started is forgotten
  session_topics(const session_topics&) = delete;
  session_topics& operator=(const session_topics&) = delete;

  // Finds (or starts) the inbox. When that is refused (a limit), the client
  // has been sent an error and `refusal` names the code.
  bool open_inbox(ec& refusal);
  // The inbox of a client id that no principal owns must be claimed (or
  // resumed with its credential) before the session may use it.
  bool needs_claim() const { return needs_claim_; }
  // Why a claim could not be decided: the engine holds the inbox, or an owner node does.
  ec claim_unavailable() const {
    return topics_.engine_for(inbox_name_) ? ec::engine_unavailable : ec::owner_unavailable;
  }
  // Asks the inbox; `done` gets the verdict and, when one was issued, the
  // credential to hand the client (never logged: only its digest is kept).
  void claim(std::function<void(claim_verdict, std::string)> done);
  // Subscribes the session to its inbox (from the offset the connection
  // gave, or live) and to its user channel.
  void start();
  const std::string& inbox_name() const { return inbox_name_; }
  const std::string& user_channel() const { return user_channel_; }
  void subscribe(const protocol::subscribe& msg);
  void unsubscribe(const protocol::unsubscribe& msg);
  // An acknowledged consumer's ack, to the topic it subscribed to.
  void ack(const protocol::ack& msg);
  // False when the publish waits for its topic's mailbox (limits.topic_mailbox):
  // its frame is consumed (credited to the connection) once it is sent.
  // `more`: the next publish of this batch goes to the same topic.
  bool publish(protocol::publish& msg, bool more = false);
  // The batch of client frames is handled: a topic told that more publishes
  // follow, which did not get them, delivers what it has.
  void end_batch();
  // Sends the waiting publishes, in order, while their topics have room.
  void retry_waiting();
  // The client's queue drained: topics that held messages back carry on.
  void on_writable();

  // Where request streams go: the inbox of a client that named its id (so
  // they can be resumed); empty otherwise (they go to the connection).
  const caf::actor& stream_inbox() const { return stream_inbox_; }

  // The topic a route publishes a request's stream to (publish_to): on the
  // route's authority, so the topic's access lists (which are about clients'
  // own publishes) do not apply; a pattern must still allow the topic, and
  // no inbox is one. Nothing, after an error frame, when refused.
  topic_directory::lookup open_for_route(const std::string& name, std::string_view id);

 private:
  // The topic `name` if this client may subscribe to it (or publish to it),
  // else nothing, after an error frame.
  topic_directory::lookup allowed(const std::string& name, bool publishing, std::string_view id);
  void send_subscribe(const caf::actor& topic, subscription s);
  // Whose an acknowledged consumer is: the client's principal, else its
  // client id (claimed with its credential). Nothing, after an error frame,
  // for a client with neither.
  std::optional<std::string> consumer_owner(std::string_view id);
  void send_error(ec code, std::string_view message, std::string_view id);
  enum class sent { done, must_wait };
  sent publish_now(protocol::publish& msg, bool more);
  // One publish in flight was answered: the next waiting one may go.
  void publish_answered();

  caf::event_based_actor* self_;
  std::shared_ptr<transport::client_link> link_;
  topic_directory& topics_;
  struct held {
    caf::actor topic;
    topic_lease lease;  // released when unsubscribed or when the session ends
  };
  const security::identity& who_;
  std::string inbox_name_;
  std::string user_channel_;  // empty: none
  caf::actor inbox_;
  topic_lease inbox_lease_;
  caf::actor stream_inbox_;  // inbox_ when the client named its id (its streams can resume)
  bool resumable_;
  bool needs_claim_ = false;
  topic_creator creator_;  // what topics this client starts are charged to
  std::unordered_map<std::string, held> subscribed_;
  // Publishes held while a topic's mailbox is full. Their frames stay
  // unconsumed, so once limits.mailbox of them wait the connection stops
  // reading and TCP pushes back on the publisher.
  std::list<protocol::publish> waiting_;  // a list: nothing allocated while empty
  bool retry_scheduled_ = false;
  caf::actor batch_open_;  // the topic last sent publish_more_atom, until its batch ends
  std::size_t publishes_in_flight_ = 0;
  std::size_t max_publishes_in_flight_;
};

}  // namespace sluice::actors
