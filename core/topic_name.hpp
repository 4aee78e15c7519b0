#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// What a topic may be called, and how config patterns such as `chat.*` match
// names. Shared by config (patterns), transport (decoding) and actors.
namespace sluice::topic_name {

constexpr std::size_t max_bytes = 128;

// Every session's personal topic is `inbox.<client id>`; clients cannot
// subscribe to or publish into another client's inbox.
constexpr std::string_view inbox_prefix = "inbox.";

// 1-128 bytes of letters, digits, '.', '_', '-', ':'; not starting with '.'
// (a name is also a file name when history is persisted).
bool valid(std::string_view name);
// That rule, as error messages state it.
constexpr std::string_view rule_text =
    "a topic name is 1-128 characters of letters, digits, '.', '_', '-', ':', not starting "
    "with '.'";

// A valid name in which `*` may also appear; `*` matches any run of characters.
bool valid_pattern(std::string_view pattern);
bool matches(std::string_view pattern, std::string_view name);

bool is_inbox(std::string_view name);
std::string inbox_of(std::string_view client_id);

// An authenticated user's channel is `user.<sub>`: only that user may
// subscribe, and only the HTTP API publishes into it.
constexpr std::string_view user_prefix = "user.";
bool is_user_channel(std::string_view name);
// user.<sub>, or nothing when `sub` cannot be part of a topic name.
std::string user_channel_of(std::string_view subject);

}  // namespace sluice::topic_name
