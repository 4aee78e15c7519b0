// sluice-fanout: one publisher and K subscribers on one topic. Publishes M
// messages (as fast as the slowest tracked subscriber allows, or at a fixed
// rate) and reports deliveries per second, delivery latency percentiles and,
// with --pid, the server's CPU time per million deliveries.
//
// Speaks Sluice's topic frames; any server that answers
// {"type":"subscribe","topic":T} and {"type":"publish","topic":T,"data":S}
// with frames ending in "data":"S"} works too (e.g. a Node `ws` broadcast
// server), so that runs can be compared side by side.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bin/bench_stats.hpp"
#include "config/values.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1", port = "3000", path = "/ws", topic = "bench";
  unsigned subscribers = 1000;
  unsigned messages = 2000;
  unsigned size = 64;     // bytes of each message's data
  unsigned window = 200;  // messages the publisher may be ahead of the tracked subscribers
  unsigned rate = 0;      // messages per second; 0: as fast as the window allows
  double timeout_s = 120;
  long pid = 0;
};

const char* usage =
    "Usage: sluice-fanout [--url ws://HOST:PORT/PATH] [--topic T] [--subscribers K]\n"
    "                     [--messages M] [--size BYTES] [--window W | --rate MSGS_PER_S]\n"
    "                     [--timeout SECONDS] [--pid SERVER_PID]\n";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

// The publish time a message carries: its data is "<ns>|padding".
bool sent_at(std::string_view frame, std::int64_t& ns) {
  auto at = frame.rfind("\"data\":\"");
  if (at == std::string_view::npos) return false;
  auto start = frame.data() + at + 8;
  return std::from_chars(start, frame.data() + frame.size(), ns).ec == std::errc{};
}

// One WebSocket connection on a single-threaded io_context.
class connection : public std::enable_shared_from_this<connection> {
 public:
  explicit connection(net::io_context& ioc) : ws_(ioc) {}

  std::function<void(std::string_view)> on_frame;
  std::string failure;

  void open(const options& o, std::function<void()> ready) {
    tcp::resolver resolver{ws_.get_executor()};
    auto endpoints = resolver.resolve(o.host, o.port);
    beast::get_lowest_layer(ws_).async_connect(
        endpoints, [self = shared_from_this(), o, ready](beast::error_code ec, auto) {
          if (ec) return self->fail("connect", ec);
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
          self->ws_.async_handshake(o.host, o.path, [self, ready](beast::error_code hec) {
            if (hec) return self->fail("handshake", hec);
            self->read();
            ready();
          });
        });
  }

  void send(std::string text) {
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) write();
  }

 private:
  void write() {
    ws_.async_write(net::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->fail("write", ec);
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->write();
                    });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read", ec);
      auto data = self->buffer_.cdata();
      self->on_frame({static_cast<const char*>(data.data()), data.size()});
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void fail(const char* what, beast::error_code ec) {
    if (failure.empty()) failure = std::string{what} + ": " + ec.message();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
};

struct run_state {
  std::vector<std::uint64_t> received;  // per subscriber, while measuring
  std::vector<bool> warm;               // saw a warm-up message
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t delivered = 0;
  bool measuring = false;
  steady::time_point last_delivery;
};

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i], value = argv[i + 1];
    auto n = sluice::config::parse_unsigned(value);
    if (arg == "--url") {
      auto url = sluice::config::parse_url(value, "ws");
      if (!url) return false;
      o.host = url->host;
      o.port = url->port;
      o.path = url->path;
    } else if (arg == "--topic") {
      o.topic = value;
    } else if (arg == "--subscribers" && n && *n > 0) {
      o.subscribers = static_cast<unsigned>(*n);
    } else if (arg == "--messages" && n && *n > 0) {
      o.messages = static_cast<unsigned>(*n);
    } else if (arg == "--size" && n && *n >= 24) {
      o.size = static_cast<unsigned>(*n);
    } else if (arg == "--window" && n && *n > 0) {
      o.window = static_cast<unsigned>(*n);
    } else if (arg == "--rate" && n) {
      o.rate = static_cast<unsigned>(*n);
    } else if (arg == "--timeout") {
      o.timeout_s = std::stod(value);
    } else if (arg == "--pid" && n) {
      o.pid = static_cast<long>(*n);
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

std::string publish_frame(const options& o, std::string_view data) {
  std::string f = R"({"type":"publish","topic":")";
  f.append(o.topic).append(R"(","data":")").append(data).append("\"}");
  return f;
}

// Runs the io_context until `done` holds or `limit` passes.
template <class Done>
bool run_until(net::io_context& ioc, Done done, double limit_s) {
  auto deadline = steady::now() + std::chrono::duration<double>(limit_s);
  while (!done()) {
    if (steady::now() > deadline) return false;
    ioc.run_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse_args(argc, argv, o)) {
    std::cerr << usage;
    return 2;
  }
  net::io_context ioc{1};
  run_state st;
  st.received.assign(o.subscribers, 0);
  st.warm.assign(o.subscribers, false);
  std::vector<std::shared_ptr<connection>> subs;
  unsigned opened = 0;
  for (unsigned i = 0; i < o.subscribers; ++i) {
    auto c = std::make_shared<connection>(ioc);
    c->on_frame = [&st, i](std::string_view frame) {
      std::int64_t ns = 0;
      if (frame.find("\"data\":\"W\"") != std::string_view::npos) st.warm[i] = true;
      if (!st.measuring || !sent_at(frame, ns)) return;
      ++st.received[i];
      ++st.delivered;
      st.last_delivery = steady::now();
      st.latencies_us.push_back(static_cast<std::uint32_t>((now_ns() - ns) / 1000));
    };
    c->open(o, [&, c] {
      c->send(R"({"type":"subscribe","topic":")" + o.topic + "\"}");
      ++opened;
    });
    subs.push_back(c);
    if (i % 100 == 99)
      run_until(
          ioc, [&] { return opened == i + 1; }, 30);
  }
  auto pub = std::make_shared<connection>(ioc);
  bool pub_open = false;
  pub->on_frame = [](std::string_view) {};
  pub->open(o, [&] { pub_open = true; });
  if (!run_until(
          ioc, [&] { return opened == o.subscribers && pub_open; }, 60)) {
    std::cerr << "could not open every connection (" << opened << "/" << o.subscribers << ")\n";
    return 1;
  }
  // Barrier: warm-up messages until every subscription is live.
  auto all_warm = [&] {
    return std::all_of(st.warm.begin(), st.warm.end(), [](bool w) { return w; });
  };
  for (int i = 0; i < 400 && !all_warm(); ++i) {
    pub->send(publish_frame(o, "W"));
    run_until(ioc, all_warm, 0.05);
  }
  if (!all_warm()) {
    std::cerr << "not every subscriber received the warm-up messages\n";
    return 1;
  }
  run_until(
      ioc, [] { return false; }, 0.2);  // let the warm-up drain
  st.measuring = true;
  st.latencies_us.reserve(static_cast<std::size_t>(o.subscribers) * o.messages);
  std::string pad(o.size - 20, 'x');
  auto message = [&] {
    auto ts = std::to_string(now_ns());
    return publish_frame(o, ts.append("|").append(pad));
  };
  auto cpu_before = sluice::bench::cpu_seconds(o.pid);
  auto started = steady::now();
  unsigned sent = 0;
  auto slowest = [&] { return std::min(st.received.front(), st.received.back()); };
  while (sent < o.messages) {
    if (o.rate > 0) {
      std::chrono::duration<double> elapsed = steady::now() - started;
      auto due = std::min<double>(o.messages, elapsed.count() * o.rate + 1);
      while (sent < due) pub->send(message()), ++sent;
    } else {
      while (sent < o.messages && sent - slowest() < o.window) pub->send(message()), ++sent;
    }
    ioc.run_for(std::chrono::microseconds(200));
    if (steady::now() - started > std::chrono::duration<double>(o.timeout_s)) break;
  }
  std::uint64_t expected = static_cast<std::uint64_t>(o.subscribers) * o.messages;
  run_until(
      ioc, [&] { return st.delivered >= expected; },
      o.timeout_s - std::chrono::duration<double>(steady::now() - started).count());
  double elapsed = std::chrono::duration<double>(st.last_delivery - started).count();
  auto cpu = sluice::bench::cpu_seconds(o.pid) - cpu_before;
  std::sort(st.latencies_us.begin(), st.latencies_us.end());
  std::string failure;
  for (const auto& c : subs)
    if (failure.empty()) failure = c->failure;
  std::printf("fanout subscribers=%u messages=%u size=%uB %s=%u\n", o.subscribers, o.messages,
              o.size, o.rate > 0 ? "rate" : "window", o.rate > 0 ? o.rate : o.window);
  std::printf("delivered %llu/%llu in %.3f s: %.0f deliveries/s\n",
              static_cast<unsigned long long>(st.delivered),
              static_cast<unsigned long long>(expected), elapsed,
              static_cast<double>(st.delivered) / elapsed);
  std::printf("delivery latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
              sluice::bench::percentile_ms(st.latencies_us, 50),
              sluice::bench::percentile_ms(st.latencies_us, 99),
              sluice::bench::percentile_ms(st.latencies_us, 99.9),
              sluice::bench::percentile_ms(st.latencies_us, 100));
  if (o.pid > 0 && st.delivered > 0)
    std::printf("server cpu: %.2f s (%.0f%% of one core), %.2f s per 1M deliveries\n", cpu,
                100.0 * cpu / elapsed, cpu / static_cast<double>(st.delivered) * 1e6);
  if (!failure.empty()) std::fprintf(stderr, "a connection failed: %s\n", failure.c_str());
  return st.delivered == expected ? 0 : 1;
}
