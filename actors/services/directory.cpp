#include "actors/services/directory.hpp"

#include "actors/services/records.hpp"
#include "actors/services/service.hpp"
#include "core/observe/log.hpp"

namespace sluice::actors {

service_directory::service_directory(caf::actor_system& system, const config::services_config& cfg,
                                     transport::process_launcher* launcher,
                                     std::shared_ptr<topic_directory> topics)
    : system_(system), allow_(cfg.allow), watches_json_(service_records::watches(cfg.watches)) {
  for (const auto& s : cfg.services) {
    names_.push_back(s.name);
    if (s.start_on_boot) on_boot_.push_back(s.name);
    actors_.emplace(s.name, system.spawn(service_actor, s, launcher, topics, this));
  }
}

caf::actor service_directory::find(std::string_view name) const {
  auto it = actors_.find(name);
  return it == actors_.end() ? caf::actor{} : it->second;
}

void service_directory::start_on_boot() const {
  for (const auto& name : on_boot_) caf::anon_send(find(name), service_start_atom::value);
}

void service_directory::stop_all(std::chrono::milliseconds within) const {
  auto deadline = std::chrono::steady_clock::now() + within;
  caf::scoped_actor self{system_};
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto grace = std::max(left, std::chrono::milliseconds{0});
    // Answered once the process is gone: SIGKILL after `grace` bounds the wait.
    self->request(find(*it), grace + std::chrono::seconds(5), service_stop_atom::value,
                  std::int64_t{grace.count()})
        .receive([](const std::string&) {},
                 [&](const caf::error&) {});  // not running: nothing to stop
  }
  for (const auto& [name, actor] : actors_) self->send_exit(actor, caf::exit_reason::user_shutdown);
}

}  // namespace sluice::actors
