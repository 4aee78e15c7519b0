#pragma once

// The modes of sluice-bench; each takes the arguments after the mode's name.
namespace sluice::bench {

int run_relay(int argc, char** argv);   // C connections x R requests in flight
int run_fanout(int argc, char** argv);  // 1 publisher, K subscribers on one topic
int run_idle(int argc, char** argv);    // N idle subscribed connections: memory per connection
int run_flood(int argc, char** argv);   // a subscriber that never reads, a publisher that floods

}  // namespace sluice::bench
