// The `services` section: every key of a service, its defaults, and `allow`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>

#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST(Loader, ServicesWithEveryKeyAndTheirDefaults) {
  auto cfg = loaded(std::string{minimal} + R"(topics: {patterns: {"logs.*": {}}}
services:
  allow: ["role:ops"]
  scraper:
    command: /usr/bin/python3
    args: [scrape.py, --fast]
    cwd: /srv
    env: {PAGES: "3"}
    kill_grace: 2s
    start_on_boot: true
    restart: always
    restart_limit: 7
    backoff: {base: 100ms, max: 2s}
    log_topic: logs.scraper
    events_topic: logs.scraper.events
    max_line_bytes: 1KiB
    on_exit: {success: [plain], failure: [plain, scraper]}
  plain:
    command: /bin/true
)");
  ASSERT_EQ(cfg.services.services.size(), 2u);
  EXPECT_FALSE(cfg.services.allow.everyone);
  EXPECT_THAT(cfg.services.allow.principals, ElementsAre("role:ops"));
  const auto& s = *cfg.services.find("scraper");
  EXPECT_EQ(s.command, "/usr/bin/python3");
  EXPECT_THAT(s.args, ElementsAre("scrape.py", "--fast"));
  EXPECT_EQ(s.cwd, "/srv");
  EXPECT_EQ(s.env.size(), 1u);
  EXPECT_EQ(s.kill_grace, 2s);
  EXPECT_TRUE(s.start_on_boot);
  EXPECT_EQ(s.restart, restart_policy::always);
  EXPECT_EQ(s.restart_limit, 7u);
  EXPECT_EQ((std::pair{s.backoff_base, s.backoff_max}), (std::pair{100ms, 2000ms}));
  EXPECT_EQ(s.log_topic, "logs.scraper");
  EXPECT_EQ(s.events_topic, "logs.scraper.events");
  EXPECT_EQ(s.max_line_bytes, 1024u);
  EXPECT_THAT(s.on_success, ElementsAre("plain"));
  EXPECT_THAT(s.on_failure, ElementsAre("plain", "scraper"));
  const auto& p = *cfg.services.find("plain");
  EXPECT_EQ(p.restart, restart_policy::never);
  EXPECT_FALSE(p.start_on_boot);
  EXPECT_EQ(p.kill_grace, 5s);
  EXPECT_TRUE(p.log_topic.empty());
  EXPECT_EQ(cfg.services.find("nope"), nullptr);
}

TEST(Loader, WithoutServicesNoOneMayControlThem) {
  auto cfg = loaded(minimal);
  EXPECT_TRUE(cfg.services.services.empty());
  EXPECT_FALSE(cfg.services.allow.everyone);
}

TEST(Loader, WatchedFilesSplitIntoDirectoryAndPattern) {
  auto cfg = loaded(std::string{minimal} + R"(topics: {patterns: {"files.*": {}}}
watch:
  - {path: /srv/data/summary.json, topic: files.summary}
  - {path: "reports/*.csv", topic: files.reports, format: event, debounce: 1s, max_bytes: 4KiB}
  - {path: notes.txt, topic: files.notes, format: text}
)");
  const auto& w = cfg.services.watches;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ((std::tuple{w[0].directory, w[0].pattern, w[0].topic}),
            (std::tuple{std::string{"/srv/data"}, std::string{"summary.json"},
                        std::string{"files.summary"}}));
  EXPECT_EQ(w[0].format, watch_format::json);
  EXPECT_EQ(w[0].debounce, 200ms);
  EXPECT_EQ(w[0].max_bytes, 1024u * 1024u);
  EXPECT_EQ((std::pair{w[1].directory, w[1].pattern}),
            (std::pair{std::string{"reports"}, std::string{"*.csv"}}));
  EXPECT_EQ((std::tuple{w[1].format, w[1].debounce, w[1].max_bytes}),
            (std::tuple{watch_format::event, 1000ms, std::size_t{4096}}));
  EXPECT_EQ((std::pair{w[2].directory, w[2].format}),
            (std::pair{std::string{"."}, watch_format::text}));
}

}  // namespace
}  // namespace sluice::config
