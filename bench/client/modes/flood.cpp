// sluice-bench flood: one subscriber that never reads (a stalled phone, a
// crashed tab) and one publisher that publishes M messages as fast as the
// server takes them. Samples the server's resident memory over the run: a
// server with bounded queues stays flat, one that buffers for the stalled
// client grows with every message.
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/client/args.hpp"
#include "bench/client/modes/modes.hpp"
#include "bench/client/stats.hpp"

namespace sluice::bench {
namespace {

using steady = std::chrono::steady_clock;

struct flood_options {
  target where;
  std::string topic = "flood";
  unsigned messages = 1000000;
  unsigned size = 64;
  unsigned queued = 64;  // frames the publisher lets queue up in this process
  double tail_s = 3;     // sampling goes on this long after the last message
  unsigned pid = 0;
};

const char* flood_usage =
    "Usage: sluice-bench flood [--url ws://HOST:PORT/PATH] [--proto "
    "sluice|sluice-batch|json|nats|mqtt]\n"
    "         [--topic T] [--messages M] [--size BYTES] [--tail SECONDS] --pid SERVER_PID\n";

bool parse(int argc, char** argv, flood_options& o) {
  bool ok = args{argc, argv}.parse([&](std::string_view name, const std::string& value) {
    bool known = false;
    bool good = args::endpoint(name, value, o.where, known);
    if (known) return good;
    if (name == "--topic") return o.topic = value, !value.empty();
    if (name == "--messages") return args::number(value, o.messages, 1);
    if (name == "--size") return args::number(value, o.size, 1);
    if (name == "--tail") return args::real(value, o.tail_s);
    if (name == "--pid") return args::number(value, o.pid, 1);
    return false;
  });
  return ok && o.pid > 0;
}

struct sample {
  double at_s;
  double rss;
};

}  // namespace

int run_flood(int argc, char** argv) {
  flood_options o;
  if (!parse(argc, argv, o)) {
    std::cerr << flood_usage;
    return 2;
  }
  boost::asio::io_context ioc{1};
  connection sleeper{ioc, o.where, connection_options{o.topic, false, 4096}};
  connection publisher{ioc, o.where, connection_options{}};
  int opened = 0;
  sleeper.open([&] { ++opened; });
  publisher.open([&] { ++opened; });
  if (!run_until(
          ioc, [&] { return opened == 2; }, std::chrono::seconds(30))) {
    std::cerr << "could not connect: " << sleeper.failure() << publisher.failure() << '\n';
    return 1;
  }
  run_until(
      ioc, [] { return false; }, std::chrono::milliseconds(500));  // the subscription lands

  std::vector<sample> samples;
  auto started = steady::now();
  auto next_sample = started;
  auto take_sample = [&] {
    auto now = steady::now();
    if (now < next_sample) return;
    next_sample = now + std::chrono::milliseconds(250);
    samples.push_back({std::chrono::duration<double>(now - started).count(), rss_bytes(o.pid)});
  };
  protocol_stream wire{o.where.protocol};
  std::string data(o.size, 'x');
  unsigned sent = 0;
  while (sent < o.messages && publisher.failure().empty()) {
    while (sent < o.messages && publisher.queued() < o.queued)
      publisher.send(wire.publish(o.topic, data)), ++sent;
    ioc.run_for(std::chrono::microseconds(500));
    take_sample();
  }
  run_until(
      ioc, [&] { return publisher.queued() == 0 || !publisher.failure().empty(); },
      std::chrono::seconds(60));
  double sending_s = std::chrono::duration<double>(steady::now() - started).count();
  auto tail_end = steady::now() + std::chrono::duration<double>(o.tail_s);
  run_until(
      ioc,
      [&] {
        take_sample();
        return steady::now() > tail_end;
      },
      std::chrono::duration<double>(o.tail_s + 1));

  auto peak = std::max_element(samples.begin(), samples.end(),
                               [](const sample& a, const sample& b) { return a.rss < b.rss; });
  double base = samples.front().rss;
  std::printf("flood messages=%u size=%uB: sent in %.2f s (%.0f msg/s)\n", sent, o.size, sending_s,
              sent / sending_s);
  std::printf(
      "server rss: %.1f MiB at start, peak %.1f MiB (+%.1f MiB) at %.1f s, %.1f MiB at end\n",
      base / 1048576, peak->rss / 1048576, (peak->rss - base) / 1048576, peak->at_s,
      samples.back().rss / 1048576);
  std::printf("rss timeline (s: MiB):");
  double next_print = 0;
  for (const auto& s : samples)
    if (s.at_s >= next_print) {
      std::printf(" %.0f: %.0f", s.at_s, s.rss / 1048576);
      next_print = s.at_s + 1;
    }
  std::printf("\n");
  if (!publisher.failure().empty())
    std::fprintf(stderr, "the publisher's connection failed: %s\n", publisher.failure().c_str());
  return publisher.failure().empty() ? 0 : 1;
}

}  // namespace sluice::bench
