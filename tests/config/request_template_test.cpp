#include "config/request_template.hpp"

#include <gtest/gtest.h>

namespace sluice::config {
namespace {

using escape = request_template::escape;

request_template parsed(std::string text) {
  std::string problem;
  auto t = request_template::parse(std::move(text), problem);
  EXPECT_EQ(problem, "");
  return t;
}

std::string rendered(const std::string& text, const request_template::values& v,
                     escape how = escape::json) {
  std::string missing;
  auto out = parsed(text).render(v, how, missing);
  EXPECT_TRUE(out) << missing;
  return out.value_or("");
}

const std::vector<std::string> roles{"admin", "ops"};
const std::vector<std::pair<std::string, std::string>> claims{{"tenant", "acme\r\nX-Evil: 1"}};

request_template::values alice(std::string_view payload = R"({"text":"a \"q\""})") {
  return {payload, "alice", "laptop", "r-1", "ask", &roles, &claims};
}

TEST(RequestTemplate, PayloadAndTextAsBefore) {
  EXPECT_EQ(rendered(R"({"prompt": {{text}}, "raw": {{payload}}})", alice()),
            R"({"prompt": "a \"q\"", "raw": {"text":"a \"q\""}})");
  EXPECT_EQ(rendered("{{text}}", alice("42")), "null");
  EXPECT_EQ(request_template::payload_text(R"("hi")"), "hi");
  EXPECT_EQ(request_template::payload_text(R"({"text":"hi","more":1})"), "hi");
  EXPECT_FALSE(request_template::payload_text("null"));
  EXPECT_FALSE(request_template::payload_text(R"({"text":1})"));
  EXPECT_FALSE(request_template::payload_text("[]"));
}

TEST(RequestTemplate, WhoIsAskingAsJsonValues) {
  EXPECT_EQ(rendered(R"({"user":{{sub}},"client":{{client_id}},"req":{{request_id}},)"
                     R"("route":{{route}},"roles":{{roles}},"tenant":{{claims.tenant}}})",
                     alice()),
            R"({"user":"alice","client":"laptop","req":"r-1","route":"ask",)"
            R"("roles":["admin","ops"],"tenant":"acme\r\nX-Evil: 1"})");
  request_template::values anonymous{"{}", "", "", "r-2", "ask", nullptr, nullptr};
  EXPECT_EQ(rendered("[{{sub}},{{client_id}},{{roles}},{{claims.plan|free}}]", anonymous),
            R"([null,null,[],"free"])");
}

TEST(RequestTemplate, HeadersCannotBeSplitAndUrlsAreEncoded) {
  EXPECT_EQ(rendered("Tenant {{claims.tenant}} for {{sub}} ({{roles}})", alice(), escape::header),
            "Tenant acme%0D%0AX-Evil: 1 for alice (admin,ops)");
  EXPECT_EQ(rendered("/v1/{{sub}}/{{claims.tenant}}", alice(), escape::url),
            "/v1/alice/acme%0D%0AX-Evil%3A%201");
}

TEST(RequestTemplate, AMissingClaimWithoutDefaultIsNamed) {
  std::string missing;
  EXPECT_FALSE(parsed("{{claims.plan}}").render(alice(), escape::json, missing));
  EXPECT_EQ(missing, "plan");
  EXPECT_TRUE(parsed("{{claims.plan|}}").render(alice(), escape::json, missing));  // "" given
}

TEST(RequestTemplate, WhatIsNoTemplate) {
  for (const char* bad : {"{{user}}", "{{claims.}}", "{{payload", "a {{sub} b"}) {
    std::string problem;
    request_template::parse(bad, problem);
    EXPECT_NE(problem, "") << bad;
  }
  EXPECT_FALSE(parsed("{{payload}} {{text}}").uses_caller());
  EXPECT_TRUE(parsed("x {{claims.a|b}}").uses_caller());
  EXPECT_EQ(rendered("no fields {", alice()), "no fields {");
}

}  // namespace
}  // namespace sluice::config
