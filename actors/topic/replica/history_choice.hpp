#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/topic/consumer_records.hpp"
#include "actors/topic/store/history.hpp"
#include "core/storage/append_log.hpp"

namespace sluice::actors {

// How one node's history of a topic compares with another's, for taking a
// topic over or handing it back (ownership.cpp, docs/cluster.md). No actors.

// Whether history (epoch, last) `a` supersedes `b`. Epochs only begin at a
// failover, after the previous owner was lost, so a later epoch is the newer
// history; an empty history never wins.
bool newer(std::uint64_t a_epoch, std::uint64_t a_last, std::uint64_t b_epoch,
           std::uint64_t b_last);

// Takes an inbox's claim out of records another node sent (record_kind::claim
// travels with them, never into history); "" when there is none.
std::string take_claim(std::vector<log_record>& records);

// The first offset at which `theirs` (another epoch's history, whose newest
// offset is `their_last`) names another message than `mine`: offsets below
// it are the same messages in both epochs.
std::uint64_t diverges_at(const topic_history& mine, const std::vector<log_record>& theirs,
                          std::uint64_t their_last);

// The histories the other nodes hold, gathered when this node becomes the
// owner: the previous owner's (handback: it wins, same epoch), or, when the
// owner was lost, the newest of the survivors' (failover: a new epoch).
struct takeover_round {
  std::size_t waiting = 0;
  bool handback = false;  // asked of the node that owned the topic meanwhile
  bool from_owner = false;
  bool found = false;
  std::size_t answers = 0;  // peers that answered: with their history, or that they have none
  std::uint64_t epoch = 0;  // this node's to begin with
  std::uint64_t last = 0;
  std::vector<log_record> records;
  std::string claim;           // an inbox's claim, from whichever node knew it
  consumer_records consumers;  // acknowledged consumers' cursors, the furthest of each

  // Keeps an answer when it is the owner's (the first), or newer than any so
  // far (this node's own included).
  void consider(history_copy theirs, bool was_owner);
};

}  // namespace sluice::actors
