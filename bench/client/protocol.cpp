#include "bench/client/protocol.hpp"

#include <charconv>
#include <cstdint>

namespace sluice::bench {
namespace {

// MQTT's variable-length "remaining length".
void put_length(std::string& out, std::size_t n) {
  do {
    auto byte = static_cast<char>(n % 128);
    n /= 128;
    if (n > 0) byte = static_cast<char>(byte | 0x80);
    out.push_back(byte);
  } while (n > 0);
}

void put_string(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}

std::string mqtt_packet(std::uint8_t header, const std::string& body) {
  std::string p(1, static_cast<char>(header));
  put_length(p, body.size());
  return p + body;
}

}  // namespace

std::optional<wire> wire_named(std::string_view name) {
  if (name == "sluice") return wire::sluice;
  if (name == "sluice-batch") return wire::sluice_batch;
  if (name == "json") return wire::json;
  if (name == "nats") return wire::nats;
  if (name == "mqtt") return wire::mqtt;
  return std::nullopt;
}

std::vector<std::string> protocol_stream::hello(std::string_view topic, bool subscribe) const {
  std::string t{topic};
  switch (wire_) {
    case wire::sluice:
    case wire::json:
      if (!subscribe) return {};
      return {R"({"type":"subscribe","topic":")" + t + "\"}"};
    case wire::sluice_batch:
      if (!subscribe) return {};
      return {R"({"type":"subscribe","topic":")" + t + R"(","batch":true})"};
    case wire::nats:
      return {std::string{"CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"} +
              (subscribe ? "SUB " + t + " 1\r\n" : "") + "PING\r\n"};
    case wire::mqtt: {
      std::string connect;
      put_string(connect, "MQTT");
      connect += '\x04';                      // protocol level 3.1.1
      connect += '\x02';                      // clean session
      connect += std::string("\x00\x00", 2);  // no keep-alive
      put_string(connect, "");                // the server assigns a client id
      std::vector<std::string> out{mqtt_packet(0x10, connect)};
      if (subscribe) {
        std::string sub("\x00\x01", 2);  // packet id 1
        put_string(sub, t);
        sub += '\x00';  // QoS 0
        out.push_back(mqtt_packet(0x82, sub));
      }
      return out;
    }
  }
  return {};
}

std::string protocol_stream::publish(std::string_view topic, std::string_view data) const {
  switch (wire_) {
    case wire::sluice:
    case wire::sluice_batch:
    case wire::json: {
      std::string f = R"({"type":"publish","topic":")";
      f.append(topic).append(R"(","data":")").append(data).append("\"}");
      return f;
    }
    case wire::nats: {
      std::string f = "PUB ";
      f.append(topic).append(" ").append(std::to_string(data.size())).append("\r\n");
      f.append(data).append("\r\n");
      return f;
    }
    case wire::mqtt: {
      std::string body;
      put_string(body, topic);
      body.append(data);
      return mqtt_packet(0x30, body);
    }
  }
  return {};
}

bool protocol_stream::feed(std::string_view frame,
                           const std::function<void(std::string_view)>& on_message,
                           const std::function<void(std::string)>& reply) {
  if (wire_ == wire::sluice || wire_ == wire::json) return feed_json(frame, on_message);
  if (wire_ == wire::sluice_batch) {  // one event per line
    bool ok = true;
    for (std::size_t at = 0; at <= frame.size();) {
      auto eol = std::min(frame.find('\n', at), frame.size());
      ok = feed_json(frame.substr(at, eol - at), on_message) && ok;
      at = eol + 1;
    }
    return ok;
  }
  pending_.append(frame);
  return wire_ == wire::nats ? feed_nats(on_message, reply) : feed_mqtt(on_message);
}

bool protocol_stream::feed_json(std::string_view frame,
                                const std::function<void(std::string_view)>& on_message) {
  constexpr std::string_view key = "\"data\":\"";
  if (auto at = frame.rfind(key); at != std::string_view::npos) {
    auto start = at + key.size();
    auto end = frame.find('"', start);
    if (end != std::string_view::npos) on_message(frame.substr(start, end - start));
    return true;
  }
  if (frame.find(R"("type":"subscribed")") != std::string_view::npos) confirmed_ = true;
  return frame.find(R"("type":"error")") == std::string_view::npos;
}

bool protocol_stream::feed_nats(const std::function<void(std::string_view)>& on_message,
                                const std::function<void(std::string)>& reply) {
  std::string_view in{pending_};
  std::size_t used = 0;
  bool ok = true;
  while (true) {
    auto eol = in.find("\r\n", used);
    if (eol == std::string_view::npos) break;
    auto line = in.substr(used, eol - used);
    if (line.starts_with("MSG ")) {
      std::size_t bytes = 0;
      auto size_at = line.rfind(' ') + 1;
      std::from_chars(line.data() + size_at, line.data() + line.size(), bytes);
      if (in.size() < eol + 2 + bytes + 2) break;  // the payload has not all arrived
      on_message(in.substr(eol + 2, bytes));
      used = eol + 2 + bytes + 2;
      continue;
    }
    if (line == "PING") reply("PONG\r\n");
    if (line == "PONG") confirmed_ = true;
    if (line.starts_with("-ERR")) ok = false;
    used = eol + 2;
  }
  pending_.erase(0, used);
  return ok;
}

bool protocol_stream::feed_mqtt(const std::function<void(std::string_view)>& on_message) {
  std::string_view in{pending_};
  std::size_t used = 0;
  bool ok = true;
  while (in.size() - used >= 2) {
    auto type = static_cast<std::uint8_t>(in[used]) >> 4;
    std::size_t length = 0, shift = 0, at = used + 1;
    bool complete = false;
    while (at < in.size() && shift <= 21) {
      auto byte = static_cast<std::uint8_t>(in[at++]);
      length |= static_cast<std::size_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) {
        complete = true;
        break;
      }
    }
    if (!complete || in.size() - at < length) break;
    auto body = in.substr(at, length);
    if (type == 3 && body.size() >= 2) {  // PUBLISH, QoS 0: topic, then the payload
      auto topic_len = (static_cast<std::size_t>(static_cast<std::uint8_t>(body[0])) << 8) |
                       static_cast<std::uint8_t>(body[1]);
      if (body.size() >= 2 + topic_len) on_message(body.substr(2 + topic_len));
    } else if (type == 9) {  // SUBACK
      confirmed_ = true;
      ok = ok && !body.ends_with('\x80');
    } else if (type == 2) {  // CONNACK: return code 0 is success
      ok = ok && body.size() == 2 && body[1] == 0;
    }
    used = at + length;
  }
  pending_.erase(0, used);
  return ok;
}

}  // namespace sluice::bench
