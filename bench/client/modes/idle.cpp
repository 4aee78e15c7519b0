// sluice-bench idle: opens N connections that each subscribe to a topic (or
// only connect) and then sit idle; reports the server's resident memory per
// connection, measured from /proc before the first and after the last.
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "bench/client/args.hpp"
#include "bench/client/modes/modes.hpp"
#include "bench/client/stats.hpp"

namespace sluice::bench {
namespace {

struct idle_options {
  target where;
  std::string topic = "idle";
  unsigned connections = 10000;
  unsigned batch = 500;  // connections opened before waiting for them
  double settle_s = 3;   // idle time before the memory is read
  double hold_s = 0;     // kept open after that, so that several clients' connections overlap
  bool subscribe = true;
  unsigned pid = 0;
};

const char* idle_usage =
    "Usage: sluice-bench idle [--url ws://HOST:PORT/PATH] [--proto "
    "sluice|sluice-batch|json|nats|mqtt]\n"
    "         [--connections N] [--topic T] [--subscribe yes|no] [--settle SECONDS]\n"
    "         [--hold SECONDS] --pid SERVER_PID\n";

bool parse(int argc, char** argv, idle_options& o) {
  bool ok = args{argc, argv}.parse([&](std::string_view name, const std::string& value) {
    bool known = false;
    bool good = args::endpoint(name, value, o.where, known);
    if (known) return good;
    if (name == "--topic") return o.topic = value, !value.empty();
    if (name == "--connections") return args::number(value, o.connections, 1);
    if (name == "--settle") return args::real(value, o.settle_s);
    if (name == "--hold") return args::real(value, o.hold_s);
    if (name == "--pid") return args::number(value, o.pid, 1);
    if (name == "--subscribe" && (value == "yes" || value == "no"))
      return o.subscribe = value == "yes", true;
    return false;
  });
  return ok && o.pid > 0;
}

}  // namespace

int run_idle(int argc, char** argv) {
  idle_options o;
  if (!parse(argc, argv, o)) {
    std::cerr << idle_usage;
    return 2;
  }
  boost::asio::io_context ioc{1};
  double before = rss_bytes(o.pid);
  std::vector<std::unique_ptr<connection>> conns;
  unsigned opened = 0;
  auto confirmed = [&] {
    return std::count_if(conns.begin(), conns.end(), [](const auto& c) { return c->confirmed(); });
  };
  protocol_stream wire{o.where.protocol};
  bool confirms = o.subscribe && wire.confirms();
  for (unsigned i = 0; i < o.connections; ++i) {
    connection_options co;
    if (o.subscribe) co.topic = o.topic;
    conns.push_back(std::make_unique<connection>(ioc, o.where, co));
    conns.back()->open([&] { ++opened; });
    if ((i + 1) % o.batch == 0 || i + 1 == o.connections) {
      if (!run_until(
              ioc, [&] { return opened == i + 1; }, std::chrono::seconds(60))) {
        std::fprintf(stderr, "only %u of %u connections opened: %s\n", opened, i + 1,
                     conns.back()->failure().c_str());
        return 1;
      }
    }
  }
  if (confirms && !run_until(
                      ioc, [&] { return confirmed() == static_cast<long>(o.connections); },
                      std::chrono::seconds(60))) {
    std::fprintf(stderr, "only %ld of %u subscriptions were confirmed\n", confirmed(),
                 o.connections);
    return 1;
  }
  run_until(
      ioc, [] { return false; }, std::chrono::duration<double>(o.settle_s));
  double after = rss_bytes(o.pid);
  long failed = std::count_if(conns.begin(), conns.end(),
                              [](const auto& c) { return !c->failure().empty(); });
  std::printf("idle connections=%u subscribed=%s confirmed=%s failed=%ld\n", o.connections,
              o.subscribe ? "yes" : "no", confirms ? "yes" : "not by this protocol", failed);
  std::printf("server rss: %.1f MiB before, %.1f MiB after: %.2f KiB per connection\n",
              before / 1048576, after / 1048576, (after - before) / 1024 / o.connections);
  std::fflush(stdout);
  if (o.hold_s > 0) {
    run_until(
        ioc, [] { return false; }, std::chrono::duration<double>(o.hold_s));
    failed = std::count_if(conns.begin(), conns.end(),
                           [](const auto& c) { return !c->failure().empty(); });
    std::printf("held %.0f s more: %ld of %u connections still open, server rss %.1f MiB\n",
                o.hold_s, static_cast<long>(o.connections) - failed, o.connections,
                rss_bytes(o.pid) / 1048576);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace sluice::bench
