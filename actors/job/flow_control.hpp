#pragma once

#include <cstdint>

// Flow control between a job and its session (design: "request streams").
//
// A job may have at most `job_credit_window` frames sent to its session and
// not yet acknowledged; then it stops producing. The session acknowledges the
// frames it has handed to the client link (credit_atom, n), in batches of half
// the window, but only while the link is not congested. When it is, the session
// withholds the credit and asks the link for a writable notice; on
// writable_atom it returns all withheld credit. So a client that reads slowly slows its jobs down,
// the session's mailbox holds at most the window per job, and the client's queue stays below its
// bound: nothing is dropped and memory stays flat.
namespace sluice::actors {

constexpr std::uint32_t job_credit_window = 16;

// The producing side of a job's window.
class credit_window {
 public:
  bool can_send() const { return unacked_ < job_credit_window; }
  void sent() { ++unacked_; }
  void acknowledged(std::uint32_t n) { unacked_ = n > unacked_ ? 0 : unacked_ - n; }

 private:
  std::uint32_t unacked_ = 0;
};

}  // namespace sluice::actors
