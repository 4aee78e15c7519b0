#pragma once

#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/services/directory.hpp"
#include "actors/services/service.hpp"

namespace sluice::actors {

// Asks every service for its status, from `self`'s context; `done` gets them
// as a JSON array in configuration order (null for one that did not answer),
// also in `self`'s context.
template <class Self>
void gather_statuses(Self* self, const service_directory& services,
                     std::function<void(std::string)> done) {
  const auto& names = services.names();
  if (names.empty()) return done("[]");
  auto items = std::make_shared<std::vector<std::string>>(names.size());
  auto pending = std::make_shared<std::size_t>(names.size());
  auto finish = [items, done = std::move(done)] {
    std::string array = "[";
    for (std::size_t i = 0; i < items->size(); ++i)
      array.append(i > 0 ? "," : "").append((*items)[i]);
    done(array + "]");
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto one_done = [items, pending, finish, i](std::string status) {
      (*items)[i] = status.empty() ? "null" : std::move(status);
      if (--*pending == 0) finish();
    };
    self->request(services.find(names[i]), service_patience, service_status_atom::value)
        .then([one_done](std::string& status) { one_done(std::move(status)); },
              [one_done](caf::error&) { one_done({}); });
  }
}

}  // namespace sluice::actors
