#include "actors/base/strays.hpp"

#include <caf/all.hpp>

#include "core/observe/log.hpp"
#include "core/observe/metrics.hpp"

namespace sluice::actors {
namespace {

metrics::family<metrics::counter>& unexpected() {
  static auto& family = metrics::registry::global().add_counter_family(
      "sluice_actor_unexpected_messages_total",
      "Messages an actor had no handler for, and errors no request awaited: logged and dropped",
      {"actor"});
  return family;
}

}  // namespace

void drop_strays(caf::scheduled_actor* self, const char* actor_name) {
  self->set_default_handler(
      [actor_name](caf::scheduled_actor* me, caf::message_view& x) -> caf::result<caf::message> {
        unexpected().with({actor_name}).inc();
        log::warn("actor", "unexpected_message",
                  {{"actor", actor_name}, {"message", to_string(x.copy_content_to_message())}});
        auto* element = me->current_mailbox_element();
        if (element != nullptr && element->mid.is_request())
          return caf::sec::unexpected_message;  // the requester's error handler gets it
        return caf::message{};                  // nothing goes back to a plain send
      });
}

void ignore_strays(caf::scheduled_actor* self, const char* actor_name) {
  drop_strays(self, actor_name);
  self->set_error_handler([actor_name](caf::scheduled_actor*, caf::error& err) {
    unexpected().with({actor_name}).inc();
    log::warn("actor", "unexpected_error", {{"actor", actor_name}, {"error", to_string(err)}});
  });
}

}  // namespace sluice::actors
