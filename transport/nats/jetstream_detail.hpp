#pragma once

// What the files of the NATS connection (jetstream*.cpp) share; not for
// anyone else.
#include <nats/nats.h>

#include <string>

namespace sluice::transport {

// The header that carries a message's record kind (absent: an event).
constexpr const char* kind_header = "Sluice-Kind";

// The library's text for `s`, with JetStream's error code when there is one.
std::string status_text(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0));

}  // namespace sluice::transport
