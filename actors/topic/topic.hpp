#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "actors/cluster/view.hpp"
#include "actors/job/kind_filter.hpp"
#include "actors/topic/consumer_cursor.hpp"
#include "actors/topic/consumer_records.hpp"
#include "actors/topic/directory.hpp"
#include "actors/topic/multi_event_frames.hpp"
#include "actors/topic/replica/ack_quorum.hpp"
#include "actors/topic/replica/engine_link.hpp"
#include "actors/topic/replica/history_choice.hpp"
#include "actors/topic/store/history.hpp"
#include "actors/topic/store/store.hpp"
#include "actors/topic/subscriber_set.hpp"
#include "config/config.hpp"
#include "core/storage/append_log.hpp"
#include "transport/client_link.hpp"

namespace sluice::actors {

// How large a multi-event frame (subscribe `batch`) may grow: events are
// joined while the frame stays under this.
constexpr std::size_t batch_frame_bytes = 64 * 1024;

// One per topic. Gives every published message the next offset, keeps the
// topic's history (and its log, with storage), and delivers to subscribers.
// Each subscriber has a cursor, the next offset it is owed: a caught-up
// subscriber gets a new message at once, one that is behind (catching up
// from `since`, or whose client is slow) is fed from history whenever its
// connection can take more. A publish therefore never waits for a reader;
// the rule's slow_subscriber policy bounds how far one may fall behind.
class topic_state {
 public:
  static inline const char* name = "sluice.topic";

  explicit topic_state(caf::event_based_actor* self);
  ~topic_state();
  topic_state(const topic_state&) = delete;
  topic_state& operator=(const topic_state&) = delete;

  caf::behavior make_behavior(std::string topic, config::topic_rule rule,
                              config::storage_config storage,
                              std::weak_ptr<topic_directory> directory,
                              std::shared_ptr<mailbox_gauge> mailbox,
                              std::shared_ptr<cluster_view> cluster, bool sealed);

 private:
  using link_ptr = std::shared_ptr<transport::client_link>;
  // A subscriber's connection; what it is owed is in cursors_, under the
  // session actor's id.
  struct subscriber {
    caf::actor session;
    link_ptr link;
    bool awaiting_writable = false;
    bool batched = false;   // several events per frame (subscribe_batched)
    kind_filter_ptr kinds;  // only messages of these kinds (subscribe `kinds`); null: all
  };
  using subscriber_map = std::unordered_map<subscriber_set::key, subscriber>;

  // `flags`: subscribe_own_inbox, subscribe_quietly (messages.hpp).
  void on_subscribe(const subscription& s);
  void on_unsubscribe(const link_ptr& link, const caf::actor& session, const std::string& id);
  // The offset `data` was stored at; nothing when it could not be stored.
  std::optional<std::uint64_t> on_publish(std::uint8_t kind, std::string data);
  void on_writable(const caf::actor& session);
  // Noted on every use; a topic unused for its expiry() leaves.
  void touch();
  std::chrono::milliseconds expiry() const;
  void on_expire_check();
  // Inboxes of clients without a principal (topic_claim.cpp): the digest of
  // the credential that resumes the inbox, decided once by the owner.
  caf::result<std::uint8_t> on_claim(const std::string& presented, const std::string& fresh);
  caf::result<std::uint8_t> claim_while_resolving();
  // A client id's inbox in the engine: the claim is decided by the engine's.
  caf::result<std::uint8_t> claim_in_engine(const std::string& presented, const std::string& fresh);
  void on_engine_claimed(std::uint64_t token, bool ok, bool created, std::string stored,
                         const std::string& error);
  void set_claim(std::string digest);
  void load_claim();
  void remove_claim_file();
  // The part of the history a page asks for, or error invalid_offset.
  caf::result<history_part> on_history_part(history_query q);
  std::string info_json() const;

  // Acknowledged consumers (consumers.cpp): named, durable cursors, one
  // connection attached to each at a time. The owner keeps their records
  // (and writes them next to the log); the node a consumer is attached to
  // delivers, redelivers and dead-letters, and stores each change at the owner.
  struct consumer {
    std::string principal;
    std::string name;
    consumer_cursor cursor;
    caf::actor session;  // none while detached
    link_ptr link;
    bool awaiting_writable = false;
  };
  void on_consume(const subscription& s);
  void attach(const subscription& s, consumer_record stored);
  void on_consumer_ack(const link_ptr& link, const caf::actor& session, const std::string& id,
                       std::uint64_t offset);
  // Detaches the consumer `who` (a session) holds, if any; true if it did.
  bool detach_consumer(subscriber_set::key who);
  consumer* consumer_of(subscriber_set::key who);
  consumer_cursor::limits consumer_limits() const;
  // Sends what the consumer is due while its connection has room.
  void pump(consumer& c);
  void pump_consumers();
  void send_to_consumer(consumer& c, const consumer_cursor::delivery& d);
  void on_consumer_tick();
  void arm_consumer_tick();
  void dead_letter(const consumer& c, const std::vector<std::uint64_t>& offsets);
  // The consumer's cursor changed: its record goes to the owner.
  void keep(const consumer& c);
  void store_record(consumer_record r);
  // Cursors another node sent (the owner's, or a takeover's): merged, and
  // written with this node's storage.
  void adopt_consumers(std::vector<log_record>& records);
  caf::result<std::uint64_t, std::uint64_t, bool> on_consumer_load(const std::string& principal,
                                                                   const std::string& name);
  // With storage: now (fsync: always) or within fsync_interval.
  void write_consumers_soon();
  void save_consumers();
  void load_consumers();
  void remove_consumers_file();
  std::string consumers_json(bool with_principals) const;

  std::shared_ptr<history_budget::account> open_budget_account();
  // `message` was appended. Subscribers get it with everything else appended
  // before the topic next looks at its mailbox (on_fan_out): the publishes
  // that were waiting there go to each subscriber as one hand-off.
  // A publish_more_atom holds the hand-off back until its batch ends.
  void fan_out(const stored_message& message);
  void schedule_fan_out();
  void on_fan_out();
  // What subscribers may be sent: history, and what was appended since the
  // last fan-out even if history has let it go.
  subscriber_set::window held() const;
  const protocol::shared_frame& frame_at(std::uint64_t offset) const;
  // The same for any offset: null when neither history nor the unsent batch holds it.
  const protocol::shared_frame* frame_if_held(std::uint64_t offset) const;
  void forget_unsent();
  // Sends what cursors_ decided, checking each connection before each frame:
  // one that fills up is blocked there and asked for a writable notice.
  void carry_out(subscriber_set::instructions& out);
  void send_messages(subscriber_set::key who, subscriber& s, std::uint64_t from,
                     std::uint64_t until);
  // Whether the subscriber's `kinds` let the message at `offset` through
  // (those that do not are counted and skipped).
  bool passes(const subscriber& s, const protocol::shared_frame& frame) const;
  void close_slow(subscriber& s);
  void wait_for_writable(subscriber& s);
  void send_gap(const link_ptr& link, std::uint64_t from, std::uint64_t to,
                std::string_view reason);
  void remove(subscriber_set::key who);

  // Across nodes (replica/ownership.cpp, replica/publishing.cpp). One node owns the topic: it
  // numbers messages and keeps the reference history; the topic's actor on every other node follows
  // it (receives each message once, delivers it to the subscribers there) and forwards publishes to
  // it. Without a cluster the topic owns itself.
  enum class role : std::uint8_t { owner, follower, resolving, engine };
  void start_replica();
  // Looks up the owner among the nodes that are up, leaving out `lost`.
  // While it is unknown (role resolving) the topic handles only what finding
  // it takes; everything else waits in the mailbox, in order.
  void resolve(const std::string& lost = {});
  void on_resolve_timer(std::uint64_t generation);
  void resolve_later();
  caf::behavior resolving_behavior();
  void hold();
  void release_hold();
  void follow(caf::actor owner_topic, std::uint64_t generation);
  void take_over(std::uint64_t generation);
  std::shared_ptr<takeover_round> new_round(std::size_t waiting) const;
  // Asks `other` for its history (handover_atom) into `round`.
  void ask_history(const caf::actor& other, std::shared_ptr<takeover_round> round,
                   std::uint64_t generation);
  // One node answered (or failed to): the last answer decides.
  void answered(const std::shared_ptr<takeover_round>& round, std::uint64_t generation);
  // Takes `from`'s history if it is newer than this node's (handback).
  void pull_from(const caf::actor& from, std::uint64_t generation);
  void became_owner(bool new_epoch, std::string_view how);
  // Takes the owner's history; a different epoch is announced to subscribers as a gap.
  void adopt(std::uint64_t epoch, std::uint64_t last, std::vector<log_record> records);
  void change_epoch(std::uint64_t epoch, std::uint64_t old_last, std::uint64_t diverged,
                    std::string_view why);
  // The owner publishes; otherwise the publish goes to the owner.
  // (offset, epoch), or error storage_failed or owner_unavailable (errors.hpp).
  caf::result<std::uint64_t, std::uint64_t> accept_publish(std::uint8_t kind, std::string data);
  static caf::error unavailable();
  static void deliver_unavailable(caf::response_promise& promise);
  void forward(std::uint8_t kind, std::string data, caf::response_promise promise);
  void append_frame(std::string frame);
  caf::result<void> take_frame(std::string& frame);
  bool may_own() const;
  void step_down();
  caf::result<std::uint64_t, std::uint64_t> refuse_if_fenced(bool counted);
  void take_over_when_allowed(std::uint64_t generation);
  void fail_in_flight();
  caf::result<history_copy> on_follow(const follow_request& r);
  bool on_replicate(std::uint64_t epoch, log_record& record);
  std::tuple<history_copy, bool> on_handover(const std::string& new_owner);
  void replicate(const stored_message& message);
  // A follower answered the replication of `offset` (stored, or not).
  void on_replicated(std::uint64_t offset, bool stored);
  using ack_waiters = ack_quorum<std::pair<caf::response_promise, std::uint64_t>>;
  using ack_decision = ack_waiters::decision;
  using ack_decision_outcome = ack_waiters::outcome;
  // Answers the publisher of `offset` as acks_ decided.
  void answer(ack_decision decided, std::uint64_t offset);
  // How many followers must hold a new message before it is acknowledged.
  std::size_t confirmations_needed() const;
  void publish_replicated(std::uint8_t kind, std::string data, caf::response_promise promise);
  void recruit();
  void drain_held();
  void fail_held();
  void on_held_expired();
  void drop_followers();
  // Handles a down message from the owner or a follower; false if it was neither.
  bool replica_down(const caf::down_msg& msg);
  // This node's history from offset `from` (and an inbox's claim), to send to another node.
  history_copy history_from(std::uint64_t from) const;

  // In the engine (engine: nats; replica/engine.cpp): the topic's stream
  // numbers and keeps messages; this node keeps a copy fed by one ordered
  // subscription and delivers from it. Role engine once the copy caught up.
  caf::message_handler engine_handlers();
  void start_engine(std::shared_ptr<transport::jetstream> engine);
  void open_engine();
  void retry_engine_later();
  void on_engine_opened(std::uint64_t generation, bool ok, transport::stream_state s,
                        const std::string& error);
  void on_engine_subscribed(std::uint64_t generation, bool ok, const std::string& error);
  void engine_ready_if_caught_up();
  void on_engine_message(std::uint64_t generation, log_record record);
  caf::result<std::uint64_t, std::uint64_t> publish_to_engine(std::uint8_t kind, std::string data);
  void on_engine_acked(std::uint64_t id, std::uint64_t sequence, std::uint8_t error,
                       const std::string& why);
  caf::result<std::uint64_t, std::uint64_t> refuse_while_resolving(bool counted);
  void on_engine_trouble(std::uint64_t generation, const std::string& why);
  void reopen_engine(std::string_view why);
  // Acknowledged consumers of a topic in the engine (replica/engine_consumers.cpp).
  struct engine_attach {
    subscription s;
    consumer_record record;  // as read from the engine, or a fresh one
    int tries = 1;           // claims refused because another node wrote meanwhile
  };
  struct cursor_write {
    std::string consumer_key;  // in consumers_
    std::uint64_t acked = 0;
    std::uint64_t sent = 0;
    std::uint64_t revision = 0;  // what the next write follows; 0: none stored yet
    bool in_flight = false;
    bool dirty = false;                  // changed since the write under way
    bool moved = false;                  // another node wrote since: this node lets it go
    std::optional<engine_attach> claim;  // attached once the write under way is stored
  };
  caf::message_handler engine_cursor_handlers();
  std::string too_many_consumers_text() const;
  // Tells the connection `c` is attached to that another connection took it.
  void tell_consumer_moved(const consumer& c);
  // Tells `s` its consumer is one more than consumers.max_consumers allows.
  void refuse_consumer(const subscription& s);
  void attach_from_engine(const subscription& s, consumer_record fresh);
  void read_cursor(engine_attach a);  // then on_cursor_loaded
  void claim_cursor(engine_attach a, std::uint64_t revision);
  void on_claim_stored(cursor_write& w);
  // A claim refused or superseded: the subscription is told why, with `code`.
  void drop_claim(const engine_attach& a, ec code, const std::string& why);
  void on_cursor_loaded(std::uint64_t token, bool ok,
                        std::optional<std::pair<std::uint64_t, std::uint64_t>> stored,
                        std::uint64_t revision, std::uint64_t others, const std::string& error);
  void write_cursor(const consumer& c);
  void send_cursor(const std::string& key, cursor_write& w);
  void on_cursor_stored(const std::string& key, std::uint8_t result, std::uint64_t revision);

  std::shared_ptr<cluster_view> cluster_;
  caf::behavior main_behavior_;  // what the topic does once its owner is known
  role role_ = role::owner;
  bool holding_ = false;          // resolving_behavior() is the behavior
  bool looking_ = false;          // a lookup of the owner is under way
  bool followed_ = false;         // this node has taken an owner's history before
  std::uint64_t generation_ = 0;  // of resolve(): answers to older lookups are stale
  std::string owner_node_;
  std::string lost_owner_;        // lost, until taken over: its lease must run out first
  std::uint64_t owner_term_ = 0;  // the lease term this node became the owner in
  caf::actor owner_;              // the owner's topic, while following
  std::vector<caf::actor> followers_;
  std::map<std::uint64_t, caf::response_promise> in_flight_;  // forwarded, not answered yet
  // Publishes stored here and sent to the followers, answered once enough of
  // them hold them too: the promise, and the epoch they were stored in.
  ack_waiters acks_;
  // Publishes waiting for enough followers to hold them (recruit()).
  struct held_publish {
    std::uint8_t kind;
    std::string data;
    caf::response_promise promise;
  };
  std::deque<held_publish> held_;
  bool held_expiry_armed_ = false;
  std::chrono::steady_clock::time_point last_recruit_;
  std::uint64_t next_forward_ = 0;
  std::optional<engine_link> engine_;  // engine: nats, for this topic
  bool engine_known_ = false;          // the stream was opened before (its epoch is known)
  bool engine_subscribed_ = false;
  bool engine_failing_ = false;         // retrying: logged once, at the first failure
  bool reopen_pending_ = false;         // the stream is being opened again
  std::uint64_t engine_caught_up_ = 0;  // the stream's last sequence when it was opened
  std::map<std::uint64_t, caf::response_promise> engine_waiting_;  // publishes, by id
  // Acknowledged while the stream was opened again: answered with its epoch.
  std::vector<std::pair<caf::response_promise, std::uint64_t>> acked_during_reopen_;
  std::map<std::uint64_t, engine_attach> engine_attaching_;  // cursors being read, by token
  std::map<std::string, cursor_write> engine_cursors_;       // by cursor key
  struct engine_claim {
    caf::response_promise promise;
    std::string presented;  // the digest of the credential presented, or ""
  };
  std::map<std::uint64_t, engine_claim> engine_claims_;  // claims asked of the engine, by token

  caf::event_based_actor* self_;
  std::string topic_;
  config::topic_rule rule_;
  config::storage_config storage_;
  std::uint64_t epoch_ = 0;
  std::optional<topic_store> store_;  // history and log
  subscriber_map subscribers_;
  subscriber_set cursors_{{}};
  subscriber_set::instructions instructions_;      // reused: carry_out() empties it
  multi_event_frames batches_{batch_frame_bytes};  // during carry_out()
  std::vector<protocol::shared_frame> unsent_;     // appended since the last fan-out
  std::uint64_t unsent_first_ = 0;                 // the offset of unsent_.front()
  bool fan_out_pending_ = false;
  bool batch_open_ = false;  // while a publish_more_atom is handled
  std::weak_ptr<topic_directory> directory_;
  std::shared_ptr<mailbox_gauge> mailbox_;  // publishes sent to us, not yet handled
  std::chrono::steady_clock::time_point last_used_;
  bool expire_check_pending_ = false;
  // The digest of the inbox's resume credential; sealed_claim for a session's
  // own inbox, which nobody can claim; empty: unclaimed.
  std::string claim_;
  // Acknowledged consumers: live cursors by consumer_records::key, which
  // session holds which, and (at the owner) every consumer's stored record.
  std::map<std::string, consumer> consumers_;
  std::unordered_map<subscriber_set::key, std::string> consumer_keys_;
  std::unordered_map<subscriber_set::key, caf::actor> attaching_;  // waiting for the owner
  consumer_records records_;
  std::optional<std::chrono::steady_clock::time_point> consumer_tick_at_;
  bool consumers_save_armed_ = false;
};

// An error frame to a subscriber's connection (counted like every error sent).
void send_error(transport::client_link& link, ec code, std::string_view message,
                std::string_view id);

// How many messages a subscriber is handed at a time: its connection is
// checked before each one, so this bounds one hand-off, not the queue.
constexpr std::uint64_t subscriber_credit = 256;

// The claim of an inbox that no credential opens (a connection's own inbox).
constexpr std::string_view sealed_claim = "sealed";

// How soon a topic that holds nothing leaves after its last use.
constexpr std::chrono::milliseconds empty_topic_grace{1000};

caf::behavior topic(caf::stateful_actor<topic_state>* self, std::string name,
                    config::topic_rule rule, config::storage_config storage,
                    std::weak_ptr<topic_directory> directory,
                    std::shared_ptr<mailbox_gauge> mailbox, std::shared_ptr<cluster_view> cluster,
                    bool sealed = false);

}  // namespace sluice::actors
