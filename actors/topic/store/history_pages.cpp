#include "actors/topic/store/history_pages.hpp"

#include <caf/all.hpp>

#include <chrono>

#include "actors/base/one_shot.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "core/error_code.hpp"
#include "core/json.hpp"

namespace sluice::actors {
namespace {

constexpr auto disk_patience = std::chrono::seconds(30);  // a topic stuck on its disk

}  // namespace

struct history_pages::answer : history_part {
  caf::error error;  // none, invalid_offset (errors.hpp), or the topic did not answer
};

history_pages::history_pages(caf::actor_system& system, caf::actor topic, topic_lease lease,
                             std::string name, std::uint64_t since, std::uint64_t limit)
    : system_(system),
      topic_(std::move(topic)),
      lease_(std::move(lease)),
      name_(std::move(name)),
      since_(since),
      remaining_(limit) {}

void history_pages::start(caf::actor_system& system, caf::actor topic, topic_lease lease,
                          std::string name, std::uint64_t since, std::uint64_t limit,
                          std::function<void(transport::http_reply)> done) {
  auto pages = std::make_shared<history_pages>(system, std::move(topic), std::move(lease),
                                               std::move(name), since, limit);
  pages->ask(true, [pages, done](const answer& a) {
    if (a.error) {
      if (ec_of(a.error) == ec::invalid_offset)
        return done(transport::http_error(400, to_string(ec::invalid_offset), message_of(a.error)));
      return done(
          transport::http_error(503, to_string(ec::storage_failed), "the topic did not answer"));
    }
    pages->first_part_ = pages->part_of(a, true, pages->first_last_);
    transport::http_reply reply;
    reply.parts = pages;
    done(std::move(reply));
  });
}

void history_pages::next(std::function<void(std::string part, bool last)> part) {
  if (!first_part_.empty()) return part(std::exchange(first_part_, {}), first_last_);
  ask(false, [self = shared_from_this(), part](const answer& a) {
    bool last = false;
    auto text = self->part_of(a, false, last);
    part(std::move(text), last);
  });
}

void history_pages::ask(bool first, answered then) {
  auto from = first ? since_ + 1 : cursor_;
  auto count = std::min(remaining_, part_messages);
  in_actor(system_, [topic = topic_, from, count, first, then = std::move(then)](auto* self) {
    history_query q{from, count, part_bytes, first};
    self->request(topic, disk_patience, topic_history_atom::value, q)
        .then(
            [self, then](history_part& part) {
              then(answer{std::move(part), {}});
              self->quit();
            },
            [self, then](caf::error& e) {
              answer failed;
              failed.error = std::move(e);
              then(failed);
              self->quit();
            });
  });
}

std::string history_pages::part_of(const answer& a, bool first, bool& last) {
  std::string out;
  if (first) {
    json::object head;
    head.str("topic", name_).num("epoch", a.epoch).num("first", a.first);
    head.num("last", a.last);
    if (a.from > since_ + 1)  // history no longer reaches back to `since`
      head.raw("gap", json::object{}.num("from", since_ + 1).num("to", a.from - 1).finish());
    out = head.finish();
    out.pop_back();  // the object goes on with its messages
    out += ",\"messages\":[";
    cursor_ = a.from;
  } else if (a.count > 0 && !a.messages.empty()) {
    out += ',';
  }
  // A failed part ends the page where it stopped; the next page resumes there.
  out += a.messages.empty() || a.error ? std::string{} : a.messages;
  auto taken = a.error ? 0 : a.count;
  cursor_ += taken;
  remaining_ -= std::min(remaining_, taken);
  last = remaining_ == 0 || taken == 0 || cursor_ > a.last;
  if (!last) return out;
  out += "],\"next_since\":";
  out += cursor_ <= a.last ? std::to_string(cursor_ - 1) : std::string{"null"};
  out += "}\n";
  return out;
}

std::string history_pages::items(const topic_history& h, std::uint64_t from,
                                 std::uint64_t max_count, std::uint64_t max_bytes,
                                 std::uint64_t& count) {
  std::string out;
  count = 0;
  for (auto o = from; o <= h.last() && count < max_count && (count == 0 || out.size() < max_bytes);
       ++o, ++count) {
    const auto* m = h.find(o);
    if (m == nullptr) break;
    if (count > 0) out += ',';
    out += json::object{}
               .num("offset", static_cast<std::int64_t>(m->record.offset))
               .num("ts", m->record.ts_ms)
               .raw("data", m->record.data)
               .finish();
  }
  return out;
}

}  // namespace sluice::actors
