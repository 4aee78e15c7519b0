#include "transport/websocket/frame_reader.hpp"

#include "transport/websocket/frame_header.hpp"

#include <boost/beast/websocket/error.hpp>

#include <algorithm>
#include <cstring>

namespace sluice::transport {
namespace {

namespace ws = boost::beast::websocket;

bool is_control(std::uint8_t opcode) {
  return opcode >= 0x8;
}

// RFC 6455 section 7.4, as Beast's server checks it.
bool valid_close_code(std::uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1013) return true;
  return code >= 3000;
}

// Unmasks `n` bytes from `from` into `to`; `offset` is where in the key the first byte falls.
void unmask(unsigned char* to, const char* from, std::size_t n,
            const std::array<unsigned char, 4>& key, std::uint8_t& offset) {
  for (std::size_t i = 0; i < n; ++i) {
    to[i] = static_cast<unsigned char>(from[i]) ^ key[offset];
    offset = (offset + 1) & 3;
  }
}

}  // namespace

frame_event frame_reader::fail(ws::error e, std::uint16_t close_code) {
  done_ = true;
  error_ = e;
  error_close_code_ = close_code;
  return frame_event::failed;
}

frame_event frame_reader::read(std::string_view& in, boost::beast::flat_buffer& buffer) {
  if (done_) return error_ ? frame_event::failed : frame_event::close;
  while (true) {
    if (!in_frame_) {
      if (auto stop = read_header(in)) return *stop;  // need_more or failed
    }
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
    if (n > 0) {
      if (is_control(opcode_)) {
        auto at = control_.size();
        control_.resize(at + n);
        unmask(reinterpret_cast<unsigned char*>(control_.data() + at), in.data(), n, key_,
               key_offset_);
      } else {
        auto out = buffer.prepare(n);
        auto* bytes = static_cast<unsigned char*>(out.data());
        unmask(bytes, in.data(), n, key_, key_offset_);
        if (text_ && !utf8_.write(bytes, n)) return fail(ws::error::bad_frame_payload, 1007);
        buffer.commit(n);
        message_bytes_ += n;
      }
      in.remove_prefix(n);
      remaining_ -= n;
    }
    if (remaining_ > 0) return frame_event::need_more;
    in_frame_ = false;
    if (auto event = finish_frame(); event != frame_event::need_more) return event;
  }
}

// The header's parts in the order Beast checks them, so that a frame with
// several faults gets the same answer on every transport.
std::optional<frame_event> frame_reader::read_header(std::string_view& in) {
  if (in.size() < 2) return frame_event::need_more;
  auto b0 = static_cast<unsigned char>(in[0]);
  auto b1 = static_cast<unsigned char>(in[1]);
  std::size_t length_bytes = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
  bool masked = (b1 & 0x80) != 0;
  std::size_t header = 2 + length_bytes + (masked ? 4 : 0);
  if (in.size() < header) return frame_event::need_more;

  fin_ = (b0 & 0x80) != 0;
  opcode_ = b0 & 0x0F;
  if ((b0 & 0x70) != 0) return fail(ws::error::bad_reserved_bits);
  bool known = opcode_ <= opcode::binary || (opcode_ >= opcode::close && opcode_ <= opcode::pong);
  if (!known) return fail(ws::error::bad_opcode);
  if (is_control(opcode_)) {
    if (!fin_) return fail(ws::error::bad_control_fragment);
    if ((b1 & 0x7F) > 125) return fail(ws::error::bad_control_size);
  } else if (opcode_ == opcode::continuation) {
    if (!in_message_) return fail(ws::error::bad_continuation);
  } else if (in_message_) {
    return fail(ws::error::bad_data_frame);
  }
  if (!masked) return fail(ws::error::bad_unmasked_frame);

  std::uint64_t length = b1 & 0x7F;
  if (length_bytes > 0) {
    length = 0;
    for (std::size_t i = 0; i < length_bytes; ++i)
      length = (length << 8) | static_cast<unsigned char>(in[2 + i]);
    bool minimal = length_bytes == 2 ? length >= 126 : length > 0xFFFF;
    if (!minimal) return fail(ws::error::bad_size);
  }
  std::uint64_t before = opcode_ == opcode::continuation ? message_bytes_ : 0;
  if (!is_control(opcode_) && max_message_ > 0 &&
      (length > max_message_ || before > max_message_ - length))
    return fail(ws::error::message_too_big, 1009);
  std::memcpy(key_.data(), in.data() + 2 + length_bytes, 4);
  in.remove_prefix(header);

  key_offset_ = 0;
  remaining_ = length;
  in_frame_ = true;
  if (is_control(opcode_)) {
    control_.clear();
  } else if (opcode_ != opcode::continuation) {
    in_message_ = true;
    text_ = opcode_ == opcode::text;
    message_bytes_ = 0;
    utf8_.reset();
  }
  return std::nullopt;
}

frame_event frame_reader::finish_frame() {
  if (is_control(opcode_)) return finish_control();
  if (!fin_) return frame_event::need_more;  // more fragments to come: go on reading
  in_message_ = false;
  if (text_ && !utf8_.finish()) return fail(ws::error::bad_frame_payload, 1007);
  return frame_event::message;
}

frame_event frame_reader::finish_control() {
  if (opcode_ == opcode::ping) return frame_event::ping;
  if (opcode_ == opcode::pong) return frame_event::pong;
  // A close: no payload, or a valid code and a UTF-8 reason.
  if (control_.size() == 1) return fail(ws::error::bad_close_size);
  close_code_ = 0;
  if (control_.size() >= 2) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(control_[i]); };
    close_code_ = static_cast<std::uint16_t>(byte(0) << 8 | byte(1));
    if (!valid_close_code(close_code_)) return fail(ws::error::bad_close_code);
    // (Beast's checker must not be given an empty range: it reads before its start.)
    boost::beast::websocket::detail::utf8_checker reason;
    auto text = close_reason();
    if (!text.empty() &&
        (!reason.write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) ||
         !reason.finish()))
      return fail(ws::error::bad_close_payload);
  }
  done_ = true;
  return frame_event::close;
}

}  // namespace sluice::transport
