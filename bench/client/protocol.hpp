#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The pub/sub protocols sluice-bench speaks over WebSocket, so that one C++
// client drives Sluice and the servers it is compared with:
//   sluice  Sluice's topic frames ({"type":"subscribe"|"publish",...} -> "event")
//   sluice-batch  the same, subscribed with "batch":true: several events per
//           frame, one per line
//   json    the Node `ws` broadcast peer ({"type":"subscribe"|"publish",...} -> "message")
//   nats    NATS text protocol (CONNECT, SUB, PUB -> MSG; PING is answered with PONG)
//   mqtt    MQTT 3.1.1 in binary frames, QoS 0 (CONNECT, SUBSCRIBE, PUBLISH)
namespace sluice::bench {

enum class wire { sluice, sluice_batch, json, nats, mqtt };

std::optional<wire> wire_named(std::string_view name);

// One connection's side of a protocol: what it sends, and the messages in
// what it receives (NATS and MQTT are byte streams: a message may span frames).
class protocol_stream {
 public:
  explicit protocol_stream(wire w) : wire_(w) {}

  // The WebSocket subprotocol to offer ("" for none) and whether frames are binary.
  const char* subprotocol() const { return wire_ == wire::mqtt ? "mqtt" : ""; }
  bool binary() const { return wire_ == wire::mqtt; }

  // What to send once connected: the protocol's handshake, and a
  // subscription to `topic` when `subscribe`.
  std::vector<std::string> hello(std::string_view topic, bool subscribe) const;
  std::string publish(std::string_view topic, std::string_view data) const;

  // Feeds one received frame: `on_message` gets each delivered message's
  // data; `reply` gets what must be sent back (a NATS PONG). Returns false
  // when the server reported an error.
  bool feed(std::string_view frame, const std::function<void(std::string_view)>& on_message,
            const std::function<void(std::string)>& reply);

  // The server confirmed the subscription (Sluice: subscribed, NATS: the PONG
  // after SUB, MQTT: SUBACK). The Node peer confirms nothing.
  bool confirmed() const { return confirmed_; }
  bool confirms() const { return wire_ != wire::json; }

 private:
  bool feed_json(std::string_view frame, const std::function<void(std::string_view)>& on_message);
  bool feed_nats(const std::function<void(std::string_view)>& on_message,
                 const std::function<void(std::string)>& reply);
  bool feed_mqtt(const std::function<void(std::string_view)>& on_message);

  wire wire_;
  std::string pending_;  // NATS / MQTT: bytes of an incomplete message
  bool confirmed_ = false;
};

}  // namespace sluice::bench
