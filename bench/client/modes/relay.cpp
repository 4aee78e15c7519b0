// sluice-bench relay: opens C WebSocket connections to Sluice, keeps R requests in
// flight on each, and reports requests/s, frames/s and request latency
// percentiles (and, with --pid, the server's CPU time per request).
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "bench/client/client.hpp"
#include "bench/client/connection.hpp"
#include "bench/client/modes/modes.hpp"
#include "bench/client/stats.hpp"
#include "config/readers/values.hpp"

namespace sluice::bench {
namespace {

struct options {
  client_options client;
  unsigned connections = 10;
  double duration_s = 10;
  double warmup_s = 1;
  unsigned threads = 1;
  long pid = 0;  // server process to sample CPU time from
};

const char* relay_usage =
    "Usage: sluice-bench [relay] [--url ws://HOST:PORT/PATH] [--connections C]\n"
    "         [--inflight R] [--duration SECONDS] [--warmup SECONDS] [--route NAME]\n"
    "         [--payload JSON] [--threads T] [--pid SERVER_PID] [--protocol sluice|text]\n"
    "  --protocol text sends PAYLOAD as it is, one request at a time per connection, and\n"
    "  counts a frame of type \"final\" as the answer (Sluice's {\"text\":...} form, or a\n"
    "  service such as examples/upstream/app.py directly).\n";

bool parse_url(const std::string& text, client_options& c) {
  target t;
  if (!parse_target_url(text, t)) return false;
  c.host = t.host;
  c.port = t.port;
  c.path = t.path;
  return true;
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    auto number = config::parse_unsigned(value);
    if (arg == "--url") {
      if (!parse_url(value, o.client)) return false;
    } else if (arg == "--connections" && number && *number > 0) {
      o.connections = static_cast<unsigned>(*number);
    } else if (arg == "--inflight" && number && *number > 0) {
      o.client.inflight = static_cast<unsigned>(*number);
    } else if (arg == "--threads" && number && *number > 0) {
      o.threads = static_cast<unsigned>(*number);
    } else if (arg == "--pid" && number) {
      o.pid = static_cast<long>(*number);
    } else if (arg == "--duration") {
      o.duration_s = std::stod(value);
    } else if (arg == "--warmup") {
      o.warmup_s = std::stod(value);
    } else if (arg == "--route") {
      o.client.route = value;
    } else if (arg == "--payload") {
      o.client.payload = value;
    } else if (arg == "--protocol" && (value == "sluice" || value == "text")) {
      o.client.text_protocol = value == "text";
    } else {
      return false;
    }
  }
  if (o.client.text_protocol) o.client.inflight = 1;  // the text form has no request ids
  return o.duration_s > 0 && o.warmup_s >= 0;
}

}  // namespace

int run_relay(int argc, char** argv) {
  options opts;
  if (!parse_args(argc, argv, opts)) {
    std::cerr << relay_usage;
    return 2;
  }
  boost::asio::io_context ioc{static_cast<int>(opts.threads)};
  std::vector<std::unique_ptr<client>> clients;
  for (unsigned i = 0; i < opts.connections; ++i) {
    clients.push_back(std::make_unique<client>(ioc, opts.client));
    clients.back()->start();
  }
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < opts.threads; ++i) threads.emplace_back([&] { ioc.run(); });

  using clock = std::chrono::steady_clock;
  std::this_thread::sleep_for(std::chrono::duration<double>(opts.warmup_s));
  for (auto& c : clients) c->reset_stats();
  auto cpu_before = cpu_seconds(opts.pid);
  auto started = clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(opts.duration_s));
  for (auto& c : clients) c->stop();
  double elapsed = std::chrono::duration<double>(clock::now() - started).count();
  auto cpu_used = cpu_seconds(opts.pid) - cpu_before;
  ioc.stop();
  for (auto& t : threads) t.join();

  client_stats total;
  int failed = 0;
  for (auto& c : clients) {
    const auto& s = c->stats();
    total.requests += s.requests;
    total.frames += s.frames;
    total.errors += s.errors;
    total.latencies_us.insert(total.latencies_us.end(), s.latencies_us.begin(),
                              s.latencies_us.end());
    if (!s.failure.empty()) {
      if (failed++ == 0) std::cerr << "connection failed: " << s.failure << '\n';
    }
  }
  std::sort(total.latencies_us.begin(), total.latencies_us.end());
  auto mode =
      opts.client.text_protocol ? std::string{"protocol=text"} : "route=" + opts.client.route;
  std::printf("connections=%u inflight=%u duration=%.1fs %s\n", opts.connections,
              opts.client.inflight, elapsed, mode.c_str());
  std::printf("requests: %llu (%.0f req/s), errors: %llu, failed connections: %d\n",
              static_cast<unsigned long long>(total.requests),
              static_cast<double>(total.requests) / elapsed,
              static_cast<unsigned long long>(total.errors), failed);
  std::printf("frames received: %llu (%.0f frames/s)\n",
              static_cast<unsigned long long>(total.frames),
              static_cast<double>(total.frames) / elapsed);
  std::printf("latency request->final: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
              percentile_ms(total.latencies_us, 50), percentile_ms(total.latencies_us, 99),
              percentile_ms(total.latencies_us, 99.9));
  if (opts.pid > 0 && total.requests > 0)
    std::printf("server cpu: %.2f s (%.1f%% of one core), %.2f s per 1M requests\n", cpu_used,
                100.0 * cpu_used / elapsed, cpu_used / static_cast<double>(total.requests) * 1e6);
  return total.requests > 0 && failed == 0 ? 0 : 1;
}

}  // namespace sluice::bench
