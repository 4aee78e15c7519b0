#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "actors/topic/directory.hpp"
#include "config/services.hpp"
#include "transport/upstream/process_launcher.hpp"

namespace sluice::actors {

// The configured services' actors by name (service.hpp). Built once, before
// any service starts; immutable after, so any thread may look one up.
class service_directory {
 public:
  service_directory(caf::actor_system& system, const config::services_config& cfg,
                    transport::process_launcher* launcher, std::shared_ptr<topic_directory> topics);
  service_directory(const service_directory&) = delete;
  service_directory& operator=(const service_directory&) = delete;

  // Null when there is no such service.
  caf::actor find(std::string_view name) const;
  // In configuration order.
  const std::vector<std::string>& names() const { return names_; }
  const config::access_list& allow() const { return allow_; }
  // The watched files, as the JSON array a `services` frame carries.
  const std::string& watches_json() const { return watches_json_; }

  // Starts the services with start_on_boot.
  void start_on_boot() const;
  // Stops every service that runs, the last configured first, each within
  // what is left of `within` (SIGKILL when that is spent); then ends the actors.
  void stop_all(std::chrono::milliseconds within) const;

 private:
  caf::actor_system& system_;
  std::map<std::string, caf::actor, std::less<>> actors_;
  std::vector<std::string> names_;
  std::vector<std::string> on_boot_;
  config::access_list allow_;
  std::string watches_json_;
};

}  // namespace sluice::actors
