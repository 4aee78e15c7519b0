#include "actors/services/api.hpp"

#include <caf/all.hpp>

#include "actors/base/one_shot.hpp"
#include "actors/errors.hpp"
#include "actors/services/service.hpp"
#include "actors/services/statuses.hpp"

namespace sluice::actors {
namespace {

using transport::http_reply;
using reply_fn = std::function<void(http_reply)>;

unsigned status_of(ec code) {
  switch (code) {
    case ec::unknown_service:
      return 404;
    case ec::already_running:
    case ec::not_running:
      return 409;
    default:
      return 500;
  }
}

http_reply error_reply(const caf::error& e) {
  auto code = ec_of(e).value_or(ec::internal);
  auto message = message_of(e);
  return transport::http_error(status_of(code), to_string(code),
                               message.empty() ? "the service did not answer" : message);
}

// Asks `service` with `ask` and answers with its status or error.
template <class... Atom>
void ask_one(caf::actor_system& system, caf::actor service, reply_fn done, Atom... atom) {
  in_actor(system, [service = std::move(service), done = std::move(done), atom...](auto* self) {
    self->request(service, service_patience, atom...)
        .then(
            [self, done](std::string& status) {
              done(transport::json_reply(200, std::move(status)));
              self->quit();
            },
            [self, done](caf::error& e) {
              done(error_reply(e));
              self->quit();
            });
  });
}

}  // namespace

void service_api::handle(const transport::api_call& call, reply_fn done) {
  using transport::api_kind;
  if (call.kind == api_kind::list_services) {
    return in_actor(system_, [services = services_, done = std::move(done)](auto* self) {
      gather_statuses(self, *services, [self, done](std::string statuses) {
        done(transport::json_reply(200, "{\"services\":" + statuses + "}"));
        self->quit();
      });
    });
  }
  auto service = services_->find(call.service);
  if (!service)
    return done(transport::http_error(404, to_string(ec::unknown_service),
                                      "no service named \"" + call.service + "\""));
  if (call.kind == api_kind::service)
    return ask_one(system_, std::move(service), std::move(done), service_status_atom::value);
  if (call.action == "start")
    return ask_one(system_, std::move(service), std::move(done), service_start_atom::value);
  if (call.action == "stop")
    return ask_one(system_, std::move(service), std::move(done), service_stop_atom::value);
  ask_one(system_, std::move(service), std::move(done), service_restart_atom::value);
}

}  // namespace sluice::actors
