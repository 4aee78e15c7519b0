#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::transport {

// Where a topic lives in JetStream: one stream per topic, one subject per
// stream, so stream sequences are the topic's offsets (docs/engine.md).
struct stream_names {
  std::string stream;   // PREFIX_<topic, escaped>
  std::string subject;  // prefix.<topic, escaped>
};
stream_names names_for(std::string_view prefix, std::string_view topic);
// `text` with every character but letters, digits and '-' written _XX (its
// hex code): a valid NATS name or subject token, one per text.
std::string escape_name(std::string_view text);

// JetStream's times and durations are in nanoseconds.
inline constexpr std::int64_t ns_per_ms = 1'000'000;

}  // namespace sluice::transport
