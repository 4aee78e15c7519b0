#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/quota/ledger.hpp"

namespace sluice::actors {

// One admitted request's hold on its principal's quota (ledger.hpp). Its job
// counts the units of the reply's frames through it; destroying it (the job
// ended, or never started) gives the request's in-flight place back.
class quota_ticket {
 public:
  quota_ticket(std::shared_ptr<quota_ledger> ledger, const config::quota_config& quota,
               std::string route, std::string principal);
  ~quota_ticket();
  quota_ticket(const quota_ticket&) = delete;
  quota_ticket& operator=(const quota_ticket&) = delete;

  // Counts one frame of the reply (`last`: the final one). Refused once the
  // window's units are spent.
  quota_ledger::verdict charge(std::string_view frame, bool last);
  // Whether running out of units ends the stream (when_units_run_out).
  bool ends_stream() const { return quota_.end_stream; }
  const std::string& route() const { return route_; }
  const config::quota_config& quota() const { return quota_; }

 private:
  std::shared_ptr<quota_ledger> ledger_;
  const config::quota_config& quota_;
  std::string route_;
  std::string principal_;
};

using quota_ticket_ptr = std::shared_ptr<quota_ticket>;

// The error frame for a request `verdict` refused on `route`, or for a stream
// it ended.
std::string quota_refusal(const quota_ledger::verdict& verdict, const config::quota_config& quota,
                          std::string_view route, std::string_view id);

// The units a reply frame reports at `field` (a path into its `data`, else
// its `result`): a non-negative number, rounded down; 0 when it has none.
std::uint64_t reported_units(std::string_view frame, const std::vector<std::string>& field);

}  // namespace sluice::actors
