#pragma once

#include <caf/group.hpp>

#include <memory>
#include <string>

#include "actors/job/router.hpp"
#include "actors/quota/ledger.hpp"
#include "actors/services/directory.hpp"
#include "actors/topic/directory.hpp"
#include "config/config.hpp"
#include "security/authenticator.hpp"

namespace sluice::actors {

// What every session of one gateway shares; immutable once sessions run.
struct gateway_context {
  std::string node_name;
  config::limits_config limits;
  router routes;
  caf::group drain_group;  // sessions join it; a drain message reaches them all
  std::shared_ptr<topic_directory> topics;
  std::shared_ptr<const security::authenticator> auth;  // null: every client is anonymous
  bool frame_timestamps = false;                        // server.frame_timestamps
  std::shared_ptr<quota_ledger> quotas;                 // null: no route has a quota
  std::shared_ptr<const service_directory> services;    // null: no `services`
};

}  // namespace sluice::actors
