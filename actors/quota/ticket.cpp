#include "actors/quota/ticket.hpp"

#include <simdjson.h>

#include <cmath>

#include "actors/quota/metrics.hpp"
#include "core/clock.hpp"
#include "protocol/server_frames.hpp"

namespace sluice::actors {
namespace {

std::uint64_t units_at(simdjson::dom::element value, const std::vector<std::string>& field) {
  for (const auto& step : field)
    if (value.at_key(step).get(value)) return 0;
  std::uint64_t whole = 0;
  if (!value.get_uint64().get(whole)) return whole;
  double number = 0;
  if (!value.get_double().get(number) && number >= 0 && std::isfinite(number) && number < 1e18)
    return static_cast<std::uint64_t>(number);
  return 0;
}

std::string requests(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " request" : " requests");
}

}  // namespace

std::uint64_t reported_units(std::string_view frame, const std::vector<std::string>& field) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(frame.data(), frame.size()).get_object().get(obj)) return 0;
  for (const char* where : {"data", "result"}) {
    simdjson::dom::element inner;
    if (!obj.at_key(where).get(inner))
      if (auto n = units_at(inner, field)) return n;
  }
  return 0;
}

std::string quota_refusal(const quota_ledger::verdict& verdict, const config::quota_config& quota,
                          std::string_view route, std::string_view id) {
  std::string why{"over the quota of route \""};
  why.append(route).append("\": ");
  auto window = std::to_string(quota.window.count()) + " ms";
  switch (verdict.refused) {
    case quota_limit::max_in_flight:
      why.append("at most ").append(requests(quota.max_in_flight));
      why.append(" of one user may run at once");
      break;
    case quota_limit::requests:
      why.append("at most ").append(requests(quota.requests));
      why.append(" per user in ").append(window);
      break;
    case quota_limit::units:
    case quota_limit::none:
      why.append("this user's ").append(std::to_string(quota.units));
      why.append(" units per ").append(window).append(" are spent");
      break;
  }
  return protocol::frames::quota_exceeded(
      why, id, static_cast<std::uint64_t>(verdict.retry_after.count()), to_string(verdict.refused));
}

quota_ticket::quota_ticket(std::shared_ptr<quota_ledger> ledger, const config::quota_config& quota,
                           std::string route, std::string principal)
    : ledger_(std::move(ledger)),
      quota_(quota),
      route_(std::move(route)),
      principal_(std::move(principal)) {}

quota_ticket::~quota_ticket() {
  ledger_->finished(route_, principal_);
}

quota_ledger::verdict quota_ticket::charge(std::string_view frame, bool last) {
  if (quota_.units == 0) return {};
  std::uint64_t units = 0;
  if (quota_.units_field.empty())
    units = last ? 0 : 1;  // every stream frame is one unit; the final is not one
  else
    units = reported_units(frame, quota_.units_field);
  if (units == 0) return {};
  quota_metrics::get().units.with({route_}).inc(units);
  return ledger_->charge(route_, principal_, units, unix_ms());
}

}  // namespace sluice::actors
