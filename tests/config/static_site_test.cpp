// server.dashboard and server.static: read, and refused with file:line.
#include "tests/config/load.hpp"

namespace sluice::config {
namespace {

using ::testing::ElementsAre;

TEST(StaticSite, OffUnlessConfigured) {
  auto cfg = loaded(minimal);
  EXPECT_FALSE(cfg.server.dashboard);
  EXPECT_TRUE(cfg.server.static_site.path.empty());
}

TEST(StaticSite, ReadsDashboardPathAndPrefix) {
  auto cfg = loaded(
      "server:\n  dashboard: true\n  static: {path: /srv/www, prefix: /app}\n"
      "routes: {up: {kind: uppercase}}\n");
  EXPECT_TRUE(cfg.server.dashboard);
  EXPECT_EQ(cfg.server.static_site.path, "/srv/www");
  EXPECT_EQ(cfg.server.static_site.prefix, "/app");
  EXPECT_EQ(cfg.server.static_site.place.line, 3);
  EXPECT_EQ(loaded("server: {static: {path: www}}\nroutes: {up: {kind: uppercase}}\n")
                .server.static_site.prefix,
            "/");
}

TEST(StaticSiteErrors, BadEntries) {
  EXPECT_THAT(errors_of("server:\n  dashboard: maybe\n  static: {prefix: /app}\n"
                        "routes: {up: {kind: uppercase}}\n"),
              ElementsAre("2:14: server.dashboard: expected true or false, got \"maybe\"",
                          "3:11: server.static.path: is required: the directory to serve"));
  EXPECT_THAT(
      errors_of("server: {static: {path: www, prefix: app}}\nroutes: {up: {kind: uppercase}}\n"),
      ElementsAre("1:38: server.static.prefix: must be a URL path starting with '/', e.g. "
                  "/app"));
  EXPECT_THAT(errors_of("server: {static: {path: www, prefix: /a/../b}}\n"
                        "routes: {up: {kind: uppercase}}\n"),
              ElementsAre("1:38: server.static.prefix: must be a URL path starting with '/', e.g. "
                          "/app"));
  EXPECT_THAT(errors_of("server: {static: {path: www, prefix: /api/x}}\n"
                        "routes: {up: {kind: uppercase}}\n"),
              ElementsAre("1:38: server.static.prefix: /api is the server's own path"));
  EXPECT_THAT(errors_of("server: {static: {path: www, prefix: /ws}}\n"
                        "routes: {up: {kind: uppercase}}\n"),
              ElementsAre("1:38: server.static.prefix: /ws is the server's own path"));
  EXPECT_THAT(
      errors_of("server: {static: {path: www, root: x}}\nroutes: {up: {kind: uppercase}}\n"),
      ElementsAre("1:30: server.static.root: unknown key (expected one of: path, prefix)"));
}

}  // namespace
}  // namespace sluice::config
