// sluice-bench: the load generator for side-by-side comparisons.
//   sluice-bench [relay] …   requests through a route (default mode)
//   sluice-bench fanout …    1 publisher, K subscribers: deliveries/s, latency, CPU per delivery
//   sluice-bench idle …      N idle connections: server memory per connection
//   sluice-bench flood …     a subscriber that never reads: server memory over time
// fanout, idle and flood speak Sluice, the Node `ws` broadcast peer's JSON,
// NATS or MQTT over WebSocket (--proto), so one client drives every server.
#include <cstring>
#include <iostream>

#include "bench/client/modes/modes.hpp"

int main(int argc, char** argv) {
  using namespace sluice::bench;
  const char* mode = argc > 1 ? argv[1] : "";
  auto rest = [&](int (*run)(int, char**)) { return run(argc - 2, argv + 2); };
  if (std::strcmp(mode, "relay") == 0) return rest(run_relay);
  if (std::strcmp(mode, "fanout") == 0) return rest(run_fanout);
  if (std::strcmp(mode, "idle") == 0) return rest(run_idle);
  if (std::strcmp(mode, "flood") == 0) return rest(run_flood);
  if (argc == 1 || std::strncmp(mode, "--", 2) == 0) return run_relay(argc - 1, argv + 1);
  std::cerr << "Usage: sluice-bench [relay|fanout|idle|flood] [options]; "
               "sluice-bench MODE --help lists a mode's options\n";
  return 2;
}
