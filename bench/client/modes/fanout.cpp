// sluice-bench fanout: one publisher and K subscribers on one topic. Publishes
// M messages (as fast as the slowest tracked subscriber allows, or at a fixed
// rate) and reports deliveries per second, delivery latency percentiles and,
// with --pid, the server's CPU time per million deliveries.
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "bench/client/args.hpp"
#include "bench/client/modes/modes.hpp"
#include "bench/client/stats.hpp"

namespace sluice::bench {
namespace {

using steady = std::chrono::steady_clock;

struct fanout_options {
  target where;                   // the publisher's server (and the subscribers', by default)
  std::vector<target> sub_where;  // --sub-url, repeated: subscribers spread over these
  std::vector<unsigned> pids;     // --pid, repeated: servers whose CPU time is summed
  std::string topic = "bench";
  unsigned subscribers = 1000;
  unsigned messages = 2000;
  unsigned size = 64;     // bytes of each message's data
  unsigned window = 200;  // messages the publisher may be ahead of the tracked subscribers
  unsigned rate = 0;      // messages per second; 0: as fast as the window allows
  double timeout_s = 120;
};

const char* fanout_usage =
    "Usage: sluice-bench fanout [--url ws://HOST:PORT/PATH] [--proto "
    "sluice|sluice-batch|json|nats|mqtt]\n"
    "         [--topic T] [--subscribers K] [--messages M] [--size BYTES]\n"
    "         [--window W | --rate MSGS_PER_S] [--timeout SECONDS] [--pid SERVER_PID]...\n"
    "         [--sub-url ws://HOST:PORT/PATH]...   (subscribers round-robin over these)\n";

bool parse(int argc, char** argv, fanout_options& o) {
  return args{argc, argv}.parse([&](std::string_view name, const std::string& value) {
    bool known = false;
    bool ok = args::endpoint(name, value, o.where, known);
    if (known) return ok;
    if (name == "--topic") return o.topic = value, !value.empty();
    if (name == "--subscribers") return args::number(value, o.subscribers, 1);
    if (name == "--messages") return args::number(value, o.messages, 1);
    if (name == "--size") return args::number(value, o.size, 24);
    if (name == "--window") return args::number(value, o.window, 1);
    if (name == "--rate") return args::number(value, o.rate);
    if (name == "--timeout") return args::real(value, o.timeout_s);
    if (name == "--pid") return args::number(value, o.pids.emplace_back());
    if (name == "--sub-url") {
      auto& t = o.sub_where.emplace_back();
      return parse_target_url(value, t);
    }
    return false;
  });
}

struct tally {
  std::vector<std::uint64_t> received;  // per subscriber, while measuring
  std::vector<bool> warm;               // saw a warm-up message
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t delivered = 0;
  bool measuring = false;
  steady::time_point last_delivery;

  void on_message(unsigned i, std::string_view data) {
    if (data == "W") warm[i] = true;
    std::int64_t sent = 0;
    if (!measuring ||
        std::from_chars(data.data(), data.data() + data.size(), sent).ec != std::errc{})
      return;
    ++received[i];
    ++delivered;
    last_delivery = steady::now();
    latencies_us.push_back(static_cast<std::uint32_t>((now_ns() - sent) / 1000));
  }
};

}  // namespace

int run_fanout(int argc, char** argv) {
  fanout_options o;
  if (!parse(argc, argv, o)) {
    std::cerr << fanout_usage;
    return 2;
  }
  boost::asio::io_context ioc{1};
  tally st;
  st.received.assign(o.subscribers, 0);
  st.warm.assign(o.subscribers, false);
  std::vector<std::unique_ptr<connection>> subs;
  unsigned opened = 0;
  for (auto& t : o.sub_where) t.protocol = o.where.protocol;
  for (unsigned i = 0; i < o.subscribers; ++i) {
    const auto& where = o.sub_where.empty() ? o.where : o.sub_where[i % o.sub_where.size()];
    subs.push_back(std::make_unique<connection>(ioc, where, connection_options{o.topic}));
    subs.back()->on_message([&st, i](std::string_view data) { st.on_message(i, data); });
    subs.back()->open([&] { ++opened; });
    if (i % 100 == 99)
      run_until(
          ioc, [&] { return opened == i + 1; }, std::chrono::seconds(30));
  }
  connection pub{ioc, o.where, connection_options{}};
  bool pub_open = false;
  pub.open([&] { pub_open = true; });
  if (!run_until(
          ioc, [&] { return opened == o.subscribers && pub_open; }, std::chrono::seconds(60))) {
    std::cerr << "could not open every connection (" << opened << "/" << o.subscribers << ")\n";
    return 1;
  }
  // Barrier: warm-up messages until every subscription is live.
  protocol_stream wire{o.where.protocol};
  auto all_warm = [&] {
    return std::all_of(st.warm.begin(), st.warm.end(), [](bool w) { return w; });
  };
  for (int i = 0; i < 400 && !all_warm(); ++i) {
    pub.send(wire.publish(o.topic, "W"));
    run_until(ioc, all_warm, std::chrono::milliseconds(50));
  }
  if (!all_warm()) {
    std::cerr << "not every subscriber received the warm-up messages\n";
    return 1;
  }
  run_until(
      ioc, [] { return false; }, std::chrono::milliseconds(200));  // let the warm-up drain
  st.measuring = true;
  st.latencies_us.reserve(static_cast<std::size_t>(o.subscribers) * o.messages);
  std::string pad(o.size - 20, 'x');
  auto message = [&] { return wire.publish(o.topic, std::to_string(now_ns()) + "|" + pad); };
  auto servers_cpu = [&] {
    double sum = 0;
    for (auto pid : o.pids) sum += cpu_seconds(pid);
    return sum;
  };
  auto cpu_before = servers_cpu();
  auto started = steady::now();
  unsigned sent = 0;
  auto slowest = [&] { return std::min(st.received.front(), st.received.back()); };
  while (sent < o.messages) {
    if (o.rate > 0) {
      std::chrono::duration<double> elapsed = steady::now() - started;
      auto due = std::min<double>(o.messages, elapsed.count() * o.rate + 1);
      while (sent < due) pub.send(message()), ++sent;
    } else {
      while (sent < o.messages && sent - slowest() < o.window) pub.send(message()), ++sent;
    }
    ioc.run_for(std::chrono::microseconds(200));
    if (steady::now() - started > std::chrono::duration<double>(o.timeout_s)) break;
  }
  std::uint64_t expected = static_cast<std::uint64_t>(o.subscribers) * o.messages;
  run_until(
      ioc, [&] { return st.delivered >= expected; },
      std::chrono::duration<double>(o.timeout_s) - (steady::now() - started));
  double elapsed = std::chrono::duration<double>(st.last_delivery - started).count();
  auto cpu = servers_cpu() - cpu_before;
  std::sort(st.latencies_us.begin(), st.latencies_us.end());
  std::printf("fanout subscribers=%u messages=%u size=%uB %s=%u\n", o.subscribers, o.messages,
              o.size, o.rate > 0 ? "rate" : "window", o.rate > 0 ? o.rate : o.window);
  std::printf("delivered %llu/%llu in %.3f s: %.0f deliveries/s\n",
              static_cast<unsigned long long>(st.delivered),
              static_cast<unsigned long long>(expected), elapsed,
              static_cast<double>(st.delivered) / elapsed);
  print_latency("delivery latency", st.latencies_us);
  if (!o.pids.empty() && st.delivered > 0)
    std::printf("server cpu: %.2f s (%.0f%% of one core), %.2f s per 1M deliveries\n", cpu,
                100.0 * cpu / elapsed, cpu / static_cast<double>(st.delivered) * 1e6);
  for (const auto& c : subs)
    if (!c->failure().empty()) {
      std::fprintf(stderr, "a connection failed: %s\n", c->failure().c_str());
      break;
    }
  return st.delivered == expected ? 0 : 1;
}

}  // namespace sluice::bench
