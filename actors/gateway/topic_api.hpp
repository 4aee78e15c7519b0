#pragma once

#include <caf/fwd.hpp>

#include <memory>

#include "actors/cluster/view.hpp"
#include "actors/quota/ledger.hpp"
#include "actors/services/api.hpp"
#include "actors/topic/directory.hpp"
#include "transport/http/api_request.hpp"

namespace sluice::actors {

// Answers the HTTP API (POST /api/publish, GET /api/topics…, GET /api/cluster,
// GET /api/quotas/…) by asking the topics' actors; each call runs in a
// short-lived actor of its own, so the I/O thread never waits.
class topic_api : public transport::api_handler {
 public:
  // `cluster`: null on a single node (GET /api/cluster is then 404);
  // `quotas`: null when no route has a quota; `services`: null without services.
  topic_api(caf::actor_system& system, std::shared_ptr<topic_directory> topics,
            std::shared_ptr<const cluster_view> cluster, std::shared_ptr<const quota_ledger> quotas,
            std::shared_ptr<service_api> services);

  void handle(transport::api_call call, std::function<void(transport::http_reply)> done) override;

 private:
  void publish(transport::api_call call, std::function<void(transport::http_reply)> done);
  // GET /api/topics/{name}[/history|/consumers] of a topic found.
  static void read(caf::actor_system& system, transport::api_call call,
                   topic_directory::lookup found, std::function<void(transport::http_reply)> done);
  void list(bool inboxes, std::function<void(transport::http_reply)> done);
  transport::http_reply quota_usage(const transport::api_call& call) const;

  caf::actor_system& system_;
  std::shared_ptr<topic_directory> topics_;
  std::shared_ptr<const cluster_view> cluster_;
  std::shared_ptr<const quota_ledger> quotas_;
  std::shared_ptr<service_api> services_;
};

}  // namespace sluice::actors
