#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/topic/directory.hpp"
#include "config/services.hpp"
#include "transport/watch/file_watcher.hpp"

namespace sluice::actors {

// Publishes what each watched file became (transport/watch) to its watch's
// topic, from the watcher's thread. docs/services.md shows the messages.
class watch_publisher : public transport::file_events {
 public:
  watch_publisher(config::watch_config cfg, std::shared_ptr<topic_directory> topics)
      : cfg_(std::move(cfg)), topics_(std::move(topics)) {}

  void on_change(transport::file_change change) override;
  void on_watch_error(const std::string& why) override;

 private:
  void publish(std::string data);

  config::watch_config cfg_;
  std::shared_ptr<topic_directory> topics_;
  topic_directory::lookup topic_;  // opened at the first publish, kept (its lease)
};

// Starts a publisher for each of `watches`.
void start_watches(transport::file_watcher& watcher,
                   const std::vector<config::watch_config>& watches,
                   const std::shared_ptr<topic_directory>& topics);

}  // namespace sluice::actors
