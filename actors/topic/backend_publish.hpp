#pragma once

#include <caf/all.hpp>

#include <functional>
#include <string>

#include "actors/topic/directory.hpp"
#include "config/config.hpp"
#include "core/error_code.hpp"

namespace sluice::actors {

// A backend's publish to a topic while a request runs (a worker's `publish`
// frame, a process's publish line), on its upstream's authority: the
// upstream's `publish` patterns must name the topic and a pattern under
// `topics` must allow it; the topic's own publish list is about clients and
// does not apply. Counted in sluice_backend_publishes_total{upstream,result}.
struct backend_publish {
  const config::upstream_config& upstream;
  std::string topic;
  std::string data;  // JSON

  // What became of it: stored at offset in epoch, or refused with code and message.
  struct outcome {
    bool ok = false;
    ec code = ec::internal;
    std::string message;
    std::uint64_t offset = 0;
    std::uint64_t epoch = 0;
  };
  using answer = std::function<void(const outcome&)>;
  // Publishes from `self`; `done` runs in `self`'s context, once.
  void send(caf::event_based_actor* self, topic_directory& topics, answer done);
};

}  // namespace sluice::actors
