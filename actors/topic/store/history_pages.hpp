#pragma once

#include <caf/fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/topic/directory.hpp"
#include "actors/topic/store/history.hpp"
#include "transport/http/http_endpoints.hpp"

namespace sluice::actors {

// GET /api/topics/{name}/history?since=N&limit=M, answered in parts: the
// topic is asked for the next part (about part_bytes of messages) only once
// the previous one was written, so a slow reader holds one part, never the
// whole page. The page is the JSON object docs/protocol.md describes.
class history_pages : public transport::body_parts,
                      public std::enable_shared_from_this<history_pages> {
 public:
  static constexpr std::uint64_t part_bytes = 64 * 1024;
  static constexpr std::uint64_t part_messages = 100;

  // Asks for the first part; `done` gets the reply: the error the topic
  // answered, or 200 with the page as its body parts.
  static void start(caf::actor_system& system, caf::actor topic, topic_lease lease,
                    std::string name, std::uint64_t since, std::uint64_t limit,
                    std::function<void(transport::http_reply)> done);

  void next(std::function<void(std::string part, bool last)> part) override;

  // The messages of one part as the page lists them (comma-separated JSON
  // objects): up to `max_count` from offset `from`, and about `max_bytes`
  // (at least one); `count` is how many. Built by the topic, from its history.
  static std::string items(const topic_history& h, std::uint64_t from, std::uint64_t max_count,
                           std::uint64_t max_bytes, std::uint64_t& count);

  history_pages(caf::actor_system& system, caf::actor topic, topic_lease lease, std::string name,
                std::uint64_t since, std::uint64_t limit);

 private:
  struct answer;
  using answered = std::function<void(const answer&)>;
  void ask(bool first, answered then);
  // The part for `a`: messages, and the page's head before the first and its
  // end after the last.
  std::string part_of(const answer& a, bool first, bool& last);

  caf::actor_system& system_;
  caf::actor topic_;
  topic_lease lease_;  // the topic stays while its history is read
  std::string name_;
  std::uint64_t since_;
  std::uint64_t remaining_;  // messages the page may still take
  std::uint64_t cursor_ = 0;
  std::string first_part_;
  bool first_last_ = false;
};

}  // namespace sluice::actors
