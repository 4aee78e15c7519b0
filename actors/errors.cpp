#include "actors/errors.hpp"

#include <string>

#include "protocol/topic_frames.hpp"

namespace sluice {

// CAF reads code 0 as "no error", and ec's first code is 0: stored plus one.
caf::error make_error(ec code) {
  return caf::error{static_cast<std::uint8_t>(static_cast<std::uint8_t>(code) + 1),
                    actors::ec_category};
}

caf::error make_error(ec code, std::string message) {
  return caf::error{static_cast<std::uint8_t>(static_cast<std::uint8_t>(code) + 1),
                    actors::ec_category, caf::make_message(std::move(message))};
}

}  // namespace sluice

namespace sluice::actors {

std::optional<ec> ec_of(const caf::error& error) {
  if (!error || error.category() != ec_category) return std::nullopt;
  if (error.code() - 1 > static_cast<int>(last_ec)) return ec::internal;  // a newer node's code
  return static_cast<ec>(error.code() - 1);
}

std::string message_of(const caf::error& error) {
  if (!ec_of(error) || !error.context().match_elements<std::string>()) return {};
  return error.context().get_as<std::string>(0);
}

publish_failure publish_failure_of(const caf::error& error) {
  auto code = ec_of(error);
  if (!code) return {ec::storage_failed, "the topic did not acknowledge the message"};
  return {*code, protocol::frames::publish_failure_message(*code)};
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(ec_category, [](std::uint8_t code, caf::atom_value, const caf::message&) {
    return std::string{"sluice: "} + std::string{to_string(static_cast<ec>(code - 1))};
  });
}

}  // namespace sluice::actors
