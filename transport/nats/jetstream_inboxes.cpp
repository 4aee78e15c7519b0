// Clients' inboxes in the engine (docs/engine.md, "Inboxes"): the claim on a
// client id's inbox is one key of the cursors' bucket, made by whichever node
// sees the client first, so every node decides a resume the same way; an
// inbox that nobody uses any more leaves the engine as it leaves a node.
#include <nats/nats.h>

#include "core/observe/log.hpp"
#include "transport/nats/engine_metrics.hpp"
#include "transport/nats/jetstream.hpp"

namespace sluice::transport {
namespace {

// "_c" starts no escaped topic name (an escaped '_' is "_5F"), so no
// topic's cursor keys share this prefix.
std::string claim_key(std::string_view inbox) {
  return "_claims." + escape_name(inbox);
}

}  // namespace

void jetstream::claim(const std::string& inbox, const std::string& fresh_digest, claimed_fn done) {
  post(inbox, [this, key = claim_key(inbox), fresh_digest, done = std::move(done)] {
    std::string error;
    auto* kv = cursors(error);
    if (kv == nullptr) return done(std::nullopt, error);
    std::uint64_t revision = 0;
    if (kvStore_Create(&revision, kv, key.c_str(), fresh_digest.data(),
                       static_cast<int>(fresh_digest.size())) == NATS_OK)
      return done(claim_state{true, fresh_digest}, {});
    // Made before (by this node or another): the digest it holds decides.
    kvEntry* entry = nullptr;
    auto s = kvStore_Get(&entry, kv, key.c_str());
    if (s != NATS_OK) return done(std::nullopt, natsStatus_GetText(s));
    claim_state stored{false, std::string{static_cast<const char*>(kvEntry_Value(entry)),
                                          static_cast<std::size_t>(kvEntry_ValueLen(entry))}};
    kvEntry_Destroy(entry);
    done(std::move(stored), {});
  });
}

void jetstream::retire_inbox(const std::string& inbox, std::chrono::milliseconds idle) {
  post(inbox, [this, inbox, idle] {
    auto names = names_for(cfg_.stream_prefix, inbox);
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&si, js_, names.stream.c_str(), nullptr, &code) != NATS_OK) return;
    auto now_ns = static_cast<std::int64_t>(nats_Now()) * ns_per_ms;
    bool in_use =
        si->State.Consumers > 0 ||
        (si->State.LastTime > 0 && now_ns - si->State.LastTime < idle.count() * ns_per_ms);
    jsStreamInfo_Destroy(si);
    if (in_use) return;
    auto s = js_DeleteStream(js_, names.stream.c_str(), nullptr, &code);
    std::string error;
    auto* kv = s == NATS_OK ? cursors(error) : nullptr;
    if (kv != nullptr) s = kvStore_Delete(kv, claim_key(inbox).c_str());
    if (s != NATS_OK)
      log::warn("engine", "inbox_not_retired",
                {{"inbox", inbox}, {"error", natsStatus_GetText(s)}});
    else {
      engine_metrics::get().streams.with({"deleted"}).inc();
      log::debug("engine", "inbox_retired", {{"inbox", inbox}});
    }
  });
}

}  // namespace sluice::transport
