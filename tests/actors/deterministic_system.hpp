#pragma once

#include <caf/all.hpp>

#include <memory>

#include "actors/messages.hpp"

namespace sluice::actors {

// An actor system on CAF's test coordinator: nothing runs until run(), and
// time moves only when advance() says so. The base of the actor unit tests.
class deterministic_system {
 public:
  deterministic_system() {
    cfg_.set("scheduler.policy", caf::atom("testing"));
    cfg_.set("logger.file-verbosity", caf::atom("quiet"));
    register_message_types(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  }

  // Runs every message that is ready, and what follows from them.
  void run() { sched_->run(); }
  // Lets every timer due within `d` fire, then runs.
  void advance(caf::timespan d) {
    sched_->advance_time(d);
    sched_->run();
  }

 protected:
  caf::actor_system_config cfg_;  // the system keeps a reference to it
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
};

}  // namespace sluice::actors
