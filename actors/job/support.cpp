#include "actors/job/support.hpp"

#include "actors/frames.hpp"

namespace sluice::actors {

void reply(caf::event_based_actor* self, const job_request& req, std::string frame, bool terminal,
           request_outcome outcome) {
  self->send(req.session, job_event{req.id, std::move(frame), terminal, outcome});
  if (terminal) self->quit();
}

void reply_error(caf::event_based_actor* self, const job_request& req, ec code,
                 std::string_view message, request_outcome outcome) {
  actor_metrics::get().count_error(code);
  reply(self, req, frames::error(code, message, req.id), true, outcome);
}

}  // namespace sluice::actors
