#include "transport/nats/jetstream.hpp"

#include <nats/nats.h>

#include <memory>
#include <mutex>
#include <vector>

#include "core/json.hpp"
#include "core/observe/log.hpp"
#include "core/observe/readiness.hpp"
#include "transport/nats/engine_metrics.hpp"
#include "transport/nats/jetstream_detail.hpp"

namespace sluice::transport {
namespace {

// /readyz shows the engine as a field of its own; while it is not connected
// the server is "degraded" (publishes to its topics fail, the rest works).
void report(natsConnection* nc, std::string_view state, bool ready) {
  std::string server;
  if (nc != nullptr) {
    char url[256] = {0};
    if (natsConnection_GetConnectedUrl(nc, url, sizeof url) == NATS_OK) server = url;
  }
  readiness_board::global().publish(
      "engine", ready,
      json::object{}.str("kind", "nats").str("state", state).str("server", server).finish(),
      readiness_board::section::top);
}

// The library's threads call these.
void on_disconnected(natsConnection* nc, void*) {
  engine_metrics::get().connected.set(0);
  engine_metrics::get().disconnects.inc();
  report(nc, "reconnecting", false);
  log::warn("engine", "disconnected", {});
}

void on_reconnected(natsConnection* nc, void*) {
  engine_metrics::get().connected.set(1);
  engine_metrics::get().reconnects.inc();
  report(nc, "connected", true);
  log::info("engine", "reconnected", {});
}

// The last callback the library makes for a connection: the ones before it
// (a disconnect, an error) ran already, in order, on the same thread.
void on_closed(natsConnection*, void* closure) {
  static_cast<jetstream*>(closure)->connection_closed();
}

void on_connected(natsConnection* nc, void*) {
  engine_metrics::get().connected.set(1);
  report(nc, "connected", true);
  log::info("engine", "connected", {});
}

// The message is this handler's to destroy (nats.h, jsPubAckHandler).
void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<jetstream*>(closure);
  if (pae == nullptr && pa != nullptr) {
    self->acked(msg, pa->Sequence, jetstream::publish_error::none, {});
    return natsMsg_Destroy(msg);
  }
  std::string why = pae && pae->ErrText ? pae->ErrText : "no acknowledgement";
  if (pae) why = status_text(pae->Err, pae->ErrCode) + ": " + why;
  bool gone = pae && (pae->Err == NATS_NO_RESPONDERS || pae->ErrCode == JSStreamNotFoundErr);
  self->acked(msg, 0,
              gone ? jetstream::publish_error::stream_gone : jetstream::publish_error::unavailable,
              why);
  natsMsg_Destroy(msg);
}

// libnats 3.4 may post an error after the closed callback: an ordered
// consumer being made again on a thread of its own fails once the connection
// closed. The error handler's closure therefore outlives the connection
// object (kept in a list never freed) and says whether it is still there.
}  // namespace

struct jetstream::error_target {
  std::mutex mutex;
  jetstream* owner = nullptr;
};

namespace {

jetstream::error_target* new_error_target(jetstream* owner) {
  static auto* kept = new std::vector<std::unique_ptr<jetstream::error_target>>;
  static std::mutex kept_mutex;
  std::lock_guard lock{kept_mutex};
  kept->push_back(std::make_unique<jetstream::error_target>());
  kept->back()->owner = owner;
  return kept->back().get();
}

void on_async_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
  auto* target = static_cast<jetstream::error_target*>(closure);
  std::lock_guard lock{target->mutex};
  if (target->owner == nullptr) return;  // after the connection object was gone
  std::string why = natsStatus_GetText(err);
  log::warn("engine", "async_error", {{"error", why}});
  if (sub != nullptr) target->owner->trouble(sub, why);
}

bool check(natsStatus s, const char* what) {
  if (s == NATS_OK) return true;
  log::error("engine", "bad_option", {{"option", what}, {"error", status_text(s)}});
  return false;
}

}  // namespace

std::string status_text(natsStatus s, jsErrCode code) {
  std::string out = natsStatus_GetText(s);
  if (code != 0) out += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return out;
}

jetstream::jetstream(config::engine_config cfg)
    : cfg_(std::move(cfg)), error_target_(new_error_target(this)) {}

std::shared_ptr<jetstream> jetstream::start(const config::engine_config& cfg) {
  std::shared_ptr<jetstream> js{new jetstream(cfg)};
  if (!js->connect()) return nullptr;
  return js;
}

bool jetstream::connect() {
  natsOptions* opts = nullptr;
  if (!check(natsOptions_Create(&opts), "create")) return false;
  std::vector<const char*> urls;
  for (const auto& s : cfg_.servers) urls.push_back(s.c_str());
  bool ok =
      check(natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size())), "servers") &&
      check(natsOptions_SetMaxReconnect(opts, -1), "max_reconnect") &&
      check(natsOptions_SetReconnectWait(opts, 250), "reconnect_wait") &&
      check(natsOptions_SetTimeout(opts, cfg_.connect_timeout.count()), "timeout") &&
      // A frozen server is given up after three unanswered pings (6-8 s).
      check(natsOptions_SetPingInterval(opts, 2000), "ping_interval") &&
      check(natsOptions_SetMaxPingsOut(opts, 3), "max_pings_out") &&
      // Each publish goes out at once, not after the library's flusher thread.
      check(natsOptions_SetSendAsap(opts, true), "send_asap") &&
      check(natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, this), "retry") &&
      check(natsOptions_SetDisconnectedCB(opts, on_disconnected, this), "disconnected") &&
      check(natsOptions_SetReconnectedCB(opts, on_reconnected, this), "reconnected") &&
      check(natsOptions_SetClosedCB(opts, on_closed, this), "closed") &&
      check(natsOptions_SetErrorHandler(opts, on_async_error, error_target_), "error_handler");
  if (ok && !cfg_.user.empty())
    ok = check(natsOptions_SetUserInfo(opts, cfg_.user.c_str(), cfg_.password.c_str()), "user");
  if (ok && !cfg_.token.empty())
    ok = check(natsOptions_SetToken(opts, cfg_.token.c_str()), "token");
  if (ok && !cfg_.creds_file.empty())
    ok = check(natsOptions_SetUserCredentialsFromFiles(opts, cfg_.creds_file.c_str(), nullptr),
               "creds_file");
  if (ok && cfg_.tls.enabled()) {
    ok = check(natsOptions_SetSecure(opts, true), "tls");
    if (ok && !cfg_.tls.ca_file.empty())
      ok = check(natsOptions_LoadCATrustedCertificates(opts, cfg_.tls.ca_file.c_str()),
                 "tls.ca_file");
    if (ok && !cfg_.tls.cert_file.empty())
      ok = check(natsOptions_LoadCertificatesChain(opts, cfg_.tls.cert_file.c_str(),
                                                   cfg_.tls.key_file.c_str()),
                 "tls.cert_file");
  }
  if (ok) {
    report(nullptr, "connecting", false);
    auto s = natsConnection_Connect(&nc_, opts);
    ok = s == NATS_OK || s == NATS_NOT_YET_CONNECTED;
    if (!ok) log::error("engine", "connect_failed", {{"error", status_text(s)}});
    if (s == NATS_OK) on_connected(nc_, this);
  }
  natsOptions_Destroy(opts);
  if (!ok) return false;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = cfg_.publish_timeout.count();
  // publish() keeps the bound itself: the library counts a publish as
  // pending until its acknowledgement handler has returned, after the caller
  // was answered, so a publish sent right after an answer could be refused
  // at exactly max_in_flight. The headroom covers handlers still running.
  jo.PublishAsync.MaxPending = static_cast<int64_t>(cfg_.max_in_flight) + 64;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  jo.PublishAsync.StallWait = 1;  // full: refused at once, never queued
  return check(natsConnection_JetStream(&js_, nc_, &jo), "jetstream");
}

jetstream::~jetstream() {
  // The jobs posted run first (subscriptions end); the last owner may let go
  // from a job, whose lane then runs nothing more (job_lanes::stop).
  lanes_.stop();
  if (cursors_) kvStore_Destroy(cursors_);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_Close(nc_);
    // The library makes its callbacks on a thread of its own, after Close
    // returned: waited for, so none runs once this object (or, at exit, the
    // metrics they count in) is gone.
    if (closed_.get_future().wait_for(close_wait) != std::future_status::ready)
      log::warn("engine", "close_unconfirmed", {{"waited_ms", std::to_string(close_wait.count())}});
    natsConnection_Destroy(nc_);
  }
  {
    std::lock_guard lock{error_target_->mutex};
    error_target_->owner = nullptr;
  }
  engine_metrics::get().connected.set(0);
  readiness_board::global().remove("engine");
}

void jetstream::connection_closed() {
  closed_.set_value();
}

std::string jetstream::state() const {
  switch (natsConnection_Status(nc_)) {
    case NATS_CONN_STATUS_CONNECTED:
      return "connected";
    case NATS_CONN_STATUS_CONNECTING:
      return "connecting";
    case NATS_CONN_STATUS_RECONNECTING:
    case NATS_CONN_STATUS_DISCONNECTED:
      return "reconnecting";
    default:
      return "closed";
  }
}

bool jetstream::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

void jetstream::post(std::string_view key, std::function<void()> job) {
  auto& waiting = engine_metrics::get().requests_waiting;
  waiting.inc();
  lanes_.post(key, [&waiting, job = std::move(job)] {
    waiting.dec();
    job();
  });
}

void jetstream::open_stream(const std::string& topic, const stream_bounds& bounds, opened_fn done) {
  post(topic, [this, topic, bounds, done = std::move(done)] {
    auto names = names_for(cfg_.stream_prefix, topic);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {names.subject.c_str()};
    sc.Name = names.stream.c_str();
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.MaxMsgs = bounds.max_messages ? static_cast<int64_t>(bounds.max_messages) : -1;
    sc.MaxBytes = bounds.max_bytes ? static_cast<int64_t>(bounds.max_bytes) : -1;
    sc.MaxAge = bounds.max_age.count() * ns_per_ms;
    sc.Storage = cfg_.storage == config::engine_storage::memory ? js_MemoryStorage : js_FileStorage;
    sc.Replicas = cfg_.replicas;
    sc.Discard = js_DiscardOld;
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto s = js_AddStream(&si, js_, &sc, nullptr, &code);
    if (s != NATS_OK && code == JSStreamNameExistErr) {  // bounds changed: keep the stream
      code = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&si, js_, &sc, nullptr, &code);
      if (s != NATS_OK) {
        log::warn("engine", "stream_not_updated",
                  {{"stream", names.stream}, {"error", status_text(s, code)}});
        code = static_cast<jsErrCode>(0);
        s = js_GetStreamInfo(&si, js_, names.stream.c_str(), nullptr, &code);
      }
    }
    if (s != NATS_OK) {
      engine_metrics::get().streams.with({"failed"}).inc();
      return done(std::nullopt, status_text(s, code));
    }
    stream_state state;
    state.epoch = static_cast<std::uint64_t>(si->Created / ns_per_ms);
    state.last = si->State.LastSeq;
    state.first = si->State.Msgs == 0 ? state.last + 1 : si->State.FirstSeq;
    jsStreamInfo_Destroy(si);
    engine_metrics::get().streams.with({"opened"}).inc();
    done(state, {});
  });
}

void jetstream::stream_exists(const std::string& topic, exists_fn done) {
  if (!connected()) return done(std::nullopt);
  post(topic, [this, topic, done = std::move(done)] {
    auto names = names_for(cfg_.stream_prefix, topic);
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto s = js_GetStreamInfo(&si, js_, names.stream.c_str(), nullptr, &code);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return done(true);
    }
    if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) return done(false);
    done(std::nullopt);
  });
}

}  // namespace sluice::transport
