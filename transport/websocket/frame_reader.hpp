#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#include <boost/beast/websocket/error.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::transport {

// What frame_reader::read() stopped at.
enum class frame_event {
  need_more,  // every byte given was used; the next frame is not complete yet
  message,    // a whole data message was appended to the buffer
  ping,       // a ping: control_payload() is what the pong must carry
  pong,
  close,   // the peer's close: close_code() (0: none given) and close_reason()
  failed,  // the peer broke RFC 6455: error() and the close code to answer
};

// Reads a client's frames (RFC 6455 section 5) from bytes as they arrive, in
// any cuts: no socket, no allocation of its own. Data messages, fragmented or
// not, are unmasked into the caller's buffer; control frames between their
// fragments come out on their own. Every rule a server must enforce is
// checked, with the close code Beast's server answers for it: masking,
// reserved bits and opcodes, continuation order, control frames whole and
// at most 125 bytes, minimal lengths, UTF-8 text (1007) and close payloads,
// and the message size limit (1009). After `close` or `failed` it reads
// nothing more.
class frame_reader {
 public:
  // max_message: the largest message, all fragments together; 0: no limit.
  explicit frame_reader(std::uint64_t max_message = 0) : max_message_(max_message) {}
  void set_max_message(std::uint64_t bytes) { max_message_ = bytes; }

  // Uses bytes from the front of `in` (advancing it) until an event. A
  // `message` leaves the message in `buffer` (from its previous size on).
  frame_event read(std::string_view& in, boost::beast::flat_buffer& buffer);

  bool text() const { return text_; }  // of the last message
  std::string_view control_payload() const { return control_; }
  std::uint16_t close_code() const { return close_code_; }
  std::string_view close_reason() const {
    return control_.size() > 2 ? control_payload().substr(2) : std::string_view{};
  }
  boost::beast::error_code error() const { return error_; }
  std::uint16_t error_close_code() const { return error_close_code_; }

  // Whether a message's fragments have begun and not yet ended.
  bool mid_message() const { return in_message_; }

 private:
  frame_event fail(boost::beast::websocket::error e, std::uint16_t close_code = 1002);
  // Parses a whole header from `in` (nullopt), or returns need_more without
  // using it, or failed.
  std::optional<frame_event> read_header(std::string_view& in);
  frame_event finish_frame();
  frame_event finish_control();

  std::uint64_t max_message_;
  std::uint64_t message_bytes_ = 0;  // of the message so far
  std::uint64_t remaining_ = 0;      // payload bytes of the current frame still to come
  std::array<unsigned char, 4> key_{};
  std::uint8_t key_offset_ = 0;
  std::uint8_t opcode_ = 0;  // of the current frame
  bool in_frame_ = false;    // a header was read, its payload has not all come
  bool fin_ = false;
  bool in_message_ = false;
  bool text_ = false;
  bool done_ = false;  // after close or failed
  // A control frame's payload (at most 125 bytes): pings are mostly empty or
  // short, so this usually holds no memory of its own.
  std::string control_;
  std::uint16_t close_code_ = 0;
  std::uint16_t error_close_code_ = 0;
  boost::beast::error_code error_;
  boost::beast::websocket::detail::utf8_checker utf8_;
};

}  // namespace sluice::transport
