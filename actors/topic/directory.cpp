#include "actors/topic/directory.hpp"

#include <caf/all.hpp>

#include <filesystem>

#include "actors/messages.hpp"
#include "actors/topic/metrics.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"
#include "core/storage/append_log.hpp"
#include "core/storage/file_cache.hpp"
#include "core/topic_name.hpp"

namespace sluice::actors {
namespace {

topic_directory::lookup refused(ec why, std::string message) {
  topic_directory::lookup l;
  l.error = why;
  l.message = std::move(message);
  return l;
}

std::string principal_key(const topic_creator& c) {
  return "p:" + c.principal;
}

std::string connection_key(const topic_creator& c) {
  return "c:" + c.connection;
}

using count_map = std::map<std::string, std::size_t, std::less<>>;

std::size_t count_of(const count_map& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

void uncount(count_map& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

std::string quota_message(std::string_view what, std::size_t limit, std::string_view key) {
  return std::string{what} + " (" + std::to_string(limit) + ", topics." + std::string{key} + ")";
}

std::shared_ptr<history_budget> make_budget(std::size_t bound, const std::string& label) {
  auto& m = topic_metrics::get();
  m.history_bound_bytes.with({label}).set(static_cast<std::int64_t>(bound));
  return std::make_shared<history_budget>(bound, &m.history_bytes.with({label}));
}

}  // namespace

topic_directory::topic_directory(caf::actor_system& system, config::topics_config cfg,
                                 std::size_t mailbox_bound)
    : system_(system),
      cfg_(std::move(cfg)),
      mailbox_bound_(mailbox_bound),
      topics_budget_(make_budget(cfg_.max_history_bytes, "topics")),
      inbox_budget_(make_budget(cfg_.max_inbox_bytes, "inboxes")) {
  topic_metrics::get().history_evictions.with({"topics"});  // listed from the start
  topic_metrics::get().history_evictions.with({"inboxes"});
}

history_budget& topic_directory::budget_for(std::string_view name) {
  return topic_name::is_inbox(name) ? *inbox_budget_ : *topics_budget_;
}

topic_directory::lookup topic_directory::open(std::string_view name, scope where,
                                              const topic_creator* creator) {
  if (!topic_name::valid(name))
    return refused(ec::invalid_topic, std::string{topic_name::rule_text});
  std::lock_guard lock{mutex_};
  if (stopped_) return refused(ec::shutting_down, "the server is shutting down");
  if (auto it = topics_.find(name); it != topics_.end()) {
    // A connection's own inbox is new by construction (its name holds 128
    // random bits): one that exists is someone else's.
    if (where == scope::node) return refused(ec::forbidden, "the inbox exists already");
    return leased_locked(it);
  }
  const auto* rule = cfg_.find_rule(name);
  if (rule == nullptr)
    return refused(ec::topic_forbidden, "no pattern under topics.patterns allows the topic \"" +
                                            std::string{name} + "\"");
  bool inbox = topic_name::is_inbox(name);
  auto count = inbox ? inboxes_ : topics_.size() - inboxes_;
  auto limit = inbox ? cfg_.max_inboxes : cfg_.max_topics;
  if (count >= limit)
    return refused(ec::too_many_topics, std::string{"the server already has topics."}
                                            .append(inbox ? "inbox.max_inboxes" : "max_topics")
                                            .append(" (" + std::to_string(limit) + ")"));
  if (auto own = own_inboxes_.find(name); own != own_inboxes_.end())
    return start_own_inbox(own, *rule);
  if (creator != nullptr)
    if (auto why = over_quota_locked(*creator, inbox); !why.empty())
      return refused(ec::too_many_topics, std::move(why));
  auto it = spawn_locked(std::string{name}, *rule, where);
  if (creator != nullptr) charge_locked(it->second, *creator, inbox);
  auto found = leased_locked(it);
  found.created = true;
  return found;
}

std::string topic_directory::over_quota_locked(const topic_creator& creator, bool inbox) const {
  if (inbox) {
    auto limit = creator.anonymous ? cfg_.max_inboxes_per_address : cfg_.max_inboxes_per_principal;
    if (limit > 0 && count_of(inboxes_by_creator_, principal_key(creator)) >= limit)
      return creator.anonymous ? quota_message("this address has as many client inboxes as allowed",
                                               limit, "inbox.max_per_address")
                               : quota_message("this client has as many client inboxes as allowed",
                                               limit, "inbox.max_per_principal");
    return {};
  }
  if (cfg_.max_created_per_principal > 0 &&
      count_of(topics_by_creator_, principal_key(creator)) >= cfg_.max_created_per_principal)
    return quota_message(creator.anonymous ? "this address created as many topics as allowed"
                                           : "this client created as many topics as allowed",
                         cfg_.max_created_per_principal, "max_created_per_principal");
  if (cfg_.max_created_per_connection > 0 &&
      count_of(topics_by_creator_, connection_key(creator)) >= cfg_.max_created_per_connection)
    return quota_message("this connection created as many topics as allowed",
                         cfg_.max_created_per_connection, "max_created_per_connection");
  return {};
}

void topic_directory::charge_locked(entry& e, const topic_creator& creator, bool inbox) {
  e.principal = principal_key(creator);
  if (inbox) {
    ++inboxes_by_creator_[e.principal];
    return;
  }
  e.connection = connection_key(creator);
  ++topics_by_creator_[e.principal];
  ++topics_by_creator_[e.connection];
}

void topic_directory::erase_locked(entry_map::iterator it) {
  auto& counts = topic_name::is_inbox(it->first) ? inboxes_by_creator_ : topics_by_creator_;
  if (!it->second.principal.empty()) uncount(counts, it->second.principal);
  if (!it->second.connection.empty()) uncount(counts, it->second.connection);
  if (topic_name::is_inbox(it->first)) --inboxes_;
  topics_.erase(it);
}

topic_directory::lookup topic_directory::find(std::string_view name) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it != topics_.end()) return leased_locked(it);
  return refused(ec::unknown_topic, "no topic named \"" + std::string{name} + "\"");
}

void topic_directory::find_or_attach(std::string_view name, std::function<void(lookup)> done) {
  auto found = find(name);
  auto engine = engine_for(name);
  if (found.topic || engine == nullptr || cfg_.find_rule(name) == nullptr)
    return done(std::move(found));
  engine->stream_exists(std::string{name}, [self = shared_from_this(), name = std::string{name},
                                            done = std::move(done)](std::optional<bool> exists) {
    if (!exists) return done(refused(ec::engine_unavailable, "the engine did not answer"));
    if (!*exists) return done(refused(ec::unknown_topic, "no topic named \"" + name + "\""));
    // The stream exists: the topic exists here too (opened, or found if
    // someone opened it meanwhile).
    done(self->open(name));
  });
}

topic_directory::entry_map::iterator topic_directory::spawn_locked(const std::string& name,
                                                                   const config::topic_rule& rule,
                                                                   scope where) {
  auto mailbox = std::make_shared<mailbox_gauge>(mailbox_kind::topic, mailbox_bound_);
  // A connection's own inbox cannot be resumed: it is neither stored nor shared.
  bool own_inbox = where == scope::node;
  // A topic in the engine is kept there, not in a log here, and needs no owner node.
  bool local = own_inbox || engine_for(name) != nullptr;
  auto actor = system_.spawn(topic, name, rule, local ? config::storage_config{} : cfg_.storage,
                             weak_from_this(), mailbox, local ? nullptr : cluster_, own_inbox);
  if (topic_name::is_inbox(name)) ++inboxes_;
  entry e;
  e.actor = std::move(actor);
  e.mailbox = std::move(mailbox);
  return topics_.emplace(name, std::move(e)).first;
}

std::shared_ptr<transport::jetstream> topic_directory::engine_for(std::string_view topic) const {
  if (!engine_ || !engine_->config().holds(topic)) return nullptr;
  return engine_;
}

void topic_directory::expect_own_inbox(const std::string& name, const caf::actor_addr& session,
                                       std::shared_ptr<transport::client_link> link) {
  std::lock_guard lock{mutex_};
  own_inboxes_.insert_or_assign(name, own_inbox{session, std::move(link)});
}

void topic_directory::forget_own_inbox(const std::string& name) {
  std::lock_guard lock{mutex_};
  own_inboxes_.erase(name);
}

// Started by its first use (a publish, or a client that names it as its
// client id: the inbox is sealed, so that claim is refused). Its connection
// is subscribed before whoever started it can send anything.
topic_directory::lookup topic_directory::start_own_inbox(own_inbox_map::iterator own,
                                                         const config::topic_rule& rule) {
  auto owner = std::move(own->second);
  auto it = spawn_locked(own->first, rule, scope::node);
  own_inboxes_.erase(own);
  if (auto session = caf::actor_cast<caf::actor>(owner.session))
    caf::anon_send(it->second.actor, subscribe_atom::value,
                   subscription{std::move(owner.link),
                                session,
                                {},
                                -1,
                                0,
                                static_cast<std::uint8_t>(subscribe_own_inbox | subscribe_quietly),
                                {},
                                {},
                                {}});
  auto found = leased_locked(it);
  found.created = true;
  return found;
}

topic_directory::lookup topic_directory::leased_locked(entry_map::iterator it) {
  ++it->second.leases;
  auto release = [self = weak_from_this(), name = it->first,
                  addr = it->second.actor.address()](const void*) {
    if (auto dir = self.lock()) dir->release(name, addr);
  };
  return {it->second.actor,
          topic_lease{static_cast<const void*>(nullptr), std::move(release)},
          ec::invalid_topic,
          {},
          it->second.mailbox};
}

void topic_directory::release(const std::string& name, const caf::actor_addr& topic) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it != topics_.end() && it->second.actor.address() == topic && it->second.leases > 0)
    --it->second.leases;
}

bool topic_directory::expire_if_unused(const std::string& name, const caf::actor_addr& topic) {
  std::lock_guard lock{mutex_};
  auto it = topics_.find(name);
  if (it == topics_.end() || it->second.actor.address() != topic || it->second.leases > 0)
    return false;
  erase_locked(it);
  return true;
}

std::string topic_directory::oversize(std::size_t data_bytes) const {
  if (data_bytes <= cfg_.max_message_bytes) return {};
  return "`data` is " + std::to_string(data_bytes) + " bytes; topics.max_message_bytes is " +
         std::to_string(cfg_.max_message_bytes);
}

std::vector<std::pair<std::string, caf::actor>> topic_directory::all() const {
  std::lock_guard lock{mutex_};
  std::vector<std::pair<std::string, caf::actor>> out;
  for (const auto& [name, e] : topics_) out.emplace_back(name, e.actor);
  return out;
}

// A log untouched for longer than its topic's expire_after (the server was
// down meanwhile, or killed before the topic left) goes now, unopened.
bool topic_directory::expired_while_stopped(const std::string& name,
                                            const config::topic_rule& rule) {
  if (rule.expire_after.count() <= 0) return false;
  std::error_code ec;
  auto log = topic_log_path(cfg_.storage.path, name);
  auto written = std::filesystem::last_write_time(log, ec);
  if (ec || std::filesystem::file_time_type::clock::now() - written < rule.expire_after)
    return false;
  std::filesystem::remove(log, ec);
  std::filesystem::remove(topic_claim_path(cfg_.storage.path, name), ec);
  topic_metrics::get().expired.with({topic_metrics::kind_of(name)}).inc();
  log::debug("topics", "expired_log_removed", {{"topic", name}});
  return true;
}

bool topic_directory::start(std::string& error) {
  const auto& path = cfg_.storage.path;
  if (path.empty()) return true;
  file_cache::global().set_limit(cfg_.storage.max_open_files);
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    error = "cannot create topics.storage.path " + path + ": " + ec.message();
    return false;
  }
  std::lock_guard lock{mutex_};
  for (const auto& name : logged_topics(path)) {
    const auto* rule = cfg_.find_rule(name);
    if (!topic_name::valid(name) || rule == nullptr) {
      log::warn("topics", "log_ignored",
                {{"topic", name}, {"reason", "no pattern under topics.patterns allows it"}});
      continue;
    }
    if (expired_while_stopped(name, *rule)) continue;
    spawn_locked(name, *rule);
  }
  log::info("topics", "storage_opened", {{"path", path}, {"topics", topics_.size()}});
  return true;
}

void topic_directory::stop() {
  std::lock_guard lock{mutex_};
  stopped_ = true;  // a session that starts late must not start a topic nobody stops
  for (auto& [name, e] : topics_) caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
  topics_.clear();
  inboxes_ = 0;
  topics_by_creator_.clear();
  inboxes_by_creator_.clear();
}

}  // namespace sluice::actors
