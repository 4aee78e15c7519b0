#include "config/engine.hpp"

#include <algorithm>

#include "core/topic_name.hpp"

namespace sluice::config {

bool engine_config::holds(std::string_view topic) const {
  return nats() && std::any_of(topics.begin(), topics.end(), [&](const std::string& pattern) {
           return topic_name::matches(pattern, topic);
         });
}

}  // namespace sluice::config
