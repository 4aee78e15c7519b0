// Claims on the inboxes of clients without a principal (security/client_ids.hpp):
// the first session to use such a client id claims its inbox with a fresh
// credential's digest; later sessions resume it only by presenting that
// credential. The owner decides, so two nodes never both hand one out.
#include <filesystem>

#include "actors/cluster/metrics.hpp"
#include "actors/messages.hpp"
#include "actors/topic/topic.hpp"
#include "core/observe/log.hpp"
#include "core/storage/small_file.hpp"
#include "protocol/topic_frames.hpp"
#include "security/client_ids.hpp"

namespace sluice::actors {
namespace {

constexpr auto claim_answer_patience = std::chrono::seconds(10);  // a follower asking the owner

std::uint8_t verdict(claim_verdict v) {
  return static_cast<std::uint8_t>(v);
}

}  // namespace

caf::result<std::uint8_t> topic_state::on_claim(const std::string& presented,
                                                const std::string& fresh) {
  touch();
  if (engine_) return claim_in_engine(presented, fresh);
  if (role_ == role::owner && !may_own()) {
    step_down();
    return verdict(claim_verdict::unavailable);
  }
  if (role_ != role::owner) {
    auto promise = self_->make_response_promise<std::uint8_t>();
    self_->request(owner_, claim_answer_patience, claim_atom::value, presented, fresh)
        .then([promise](std::uint8_t v) mutable { promise.deliver(v); },
              [promise](caf::error&) mutable {
                promise.deliver(verdict(claim_verdict::unavailable));
              });
    return promise;
  }
  if (claim_.empty()) {
    set_claim(fresh);
    return verdict(claim_verdict::issued);
  }
  if (!presented.empty() && security::same_digest(presented, claim_))
    return verdict(claim_verdict::resumed);
  log::info("topic", "claim_refused", {{"topic", topic_}});
  return verdict(claim_verdict::refused);
}

caf::result<std::uint8_t> topic_state::claim_while_resolving() {
  // Waits for the topic to resolve, unless the engine it waits for is away:
  // then the client hears so at once.
  if (engine_ && !engine_->connected()) return verdict(claim_verdict::unavailable);
  return caf::skip;
}

caf::result<std::uint8_t> topic_state::claim_in_engine(const std::string& presented,
                                                       const std::string& fresh) {
  auto token = ++next_forward_;
  auto promise = self_->make_response_promise();
  engine_claims_.emplace(token, engine_claim{promise, presented});
  engine_->claim(token, fresh);
  return promise;
}

void topic_state::on_engine_claimed(std::uint64_t token, bool ok, bool created, std::string stored,
                                    const std::string& error) {
  auto it = engine_claims_.find(token);
  if (it == engine_claims_.end()) return;
  auto [promise, presented] = std::move(it->second);
  engine_claims_.erase(it);
  if (!ok) {
    log::warn("topic", "claim_unavailable", {{"topic", topic_}, {"error", error}});
    promise.deliver(verdict(claim_verdict::unavailable));
    return;
  }
  if (created || (!presented.empty() && security::same_digest(presented, stored))) {
    claim_ = std::move(stored);  // kept here too: a claimed inbox stays for its expire_after
    promise.deliver(verdict(created ? claim_verdict::issued : claim_verdict::resumed));
    return;
  }
  log::info("topic", "claim_refused", {{"topic", topic_}});
  promise.deliver(verdict(claim_verdict::refused));
}

// Keeps the claim (with its log, when stored) and tells the followers.
void topic_state::set_claim(std::string digest) {
  claim_ = std::move(digest);
  if (!storage_.path.empty() && claim_ != sealed_claim) {
    std::string error;
    if (!write_small_file(topic_claim_path(storage_.path, topic_), claim_, error))
      log::error("topic", "claim_not_stored", {{"topic", topic_}, {"error", error}});
  }
  if (followers_.empty()) return;
  log_record claim{0, 0, static_cast<std::uint8_t>(protocol::frames::record_kind::claim), claim_};
  for (const auto& f : followers_)  // answered like any replication; nobody waits for it
    self_->request(f, claim_answer_patience, replicate_atom::value, epoch_, claim)
        .then([](bool) {}, [](caf::error&) {});
}

void topic_state::load_claim() {
  if (auto stored = read_small_file(topic_claim_path(storage_.path, topic_))) claim_ = *stored;
}

void topic_state::remove_claim_file() {
  std::error_code ec;
  std::filesystem::remove(topic_claim_path(storage_.path, topic_), ec);
}

}  // namespace sluice::actors
