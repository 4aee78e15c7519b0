#pragma once

#include <string>
#include <vector>

namespace sluice::config {

// Who may use a route, or subscribe to or publish into a topic: everyone, or
// the identities that match any of `principals` (none: no client at all).
// A principal is `authenticated`, `role:NAME`, `sub:SUBJECT`, `key:NAME`
// (an API key's name), `claim:NAME=VALUE`, or, in a topic pattern with one
// `*`, `owner` (the part `*` matches is the client's `sub`).
struct access_list {
  bool everyone = true;
  std::vector<std::string> principals;

  static access_list no_one() { return {false, {}}; }
};

}  // namespace sluice::config
