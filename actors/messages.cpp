#include "actors/messages.hpp"

#include "actors/errors.hpp"
#include "actors/quota/report.hpp"

namespace sluice::actors {

std::string_view to_string(request_outcome outcome) {
  switch (outcome) {
    case request_outcome::ok:
      return "ok";
    case request_outcome::error:
      return "error";
    case request_outcome::cancelled:
      return "cancelled";
    case request_outcome::deadline_exceeded:
      return "deadline_exceeded";
    case request_outcome::client_gone:
      return "client_gone";
    case request_outcome::shutting_down:
      return "shutting_down";
    case request_outcome::internal:
      return "internal";
    case request_outcome::quota_exceeded:
      return "quota_exceeded";
  }
  return "internal";
}

void register_message_types(caf::actor_system_config& cfg) {
  register_error_category(cfg);
  cfg.add_message_type<transport::close_info>("sluice.close_info");
  cfg.add_message_type<job_event>("sluice.job_event");
  cfg.add_message_type<process_line>("sluice.process_line");
  cfg.add_message_type<process_exit>("sluice.process_exit");
  cfg.add_message_type<log_record>("sluice.log_record");
  cfg.add_message_type<history_copy>("sluice.history_copy");
  cfg.add_message_type<history_query>("sluice.history_query");
  cfg.add_message_type<join_request>("sluice.join_request");
  cfg.add_message_type<job_assignment>("sluice.job_assignment");
  cfg.add_message_type<follow_request>("sluice.follow_request");
  cfg.add_message_type<history_part>("sluice.history_part");
  cfg.add_message_type<protocol::job_update>("sluice.job_update");
  cfg.add_message_type<pool_report>("sluice.pool_report");
  cfg.add_message_type<lease_answer>("sluice.lease_answer");
  cfg.add_message_type<probe_outcome>("sluice.probe_outcome");
  cfg.add_message_type<quota_report>("sluice.quota_report");
}

}  // namespace sluice::actors
