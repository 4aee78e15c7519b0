// The dashboard compiled into the binary and a directory served at a prefix:
// paths, redirects, types, methods, and nothing outside the directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "transport/http/static_pages.hpp"

namespace sluice::transport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string header(const http_reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

class StaticPages : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("sluice-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "www" / "sub");
    write(root_ / "www" / "index.html", "<h1>home</h1>");
    write(root_ / "www" / "sub" / "app.js", "export {}");
    write(root_ / "www" / "a b.css", "p{}");
    write(root_ / "secret.txt", "outside");
    fs::create_symlink(root_ / "secret.txt", root_ / "www" / "link");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void write(const fs::path& p, std::string_view text) { std::ofstream{p} << text; }

  static_pages site(std::string prefix, bool dashboard = false) {
    config::server_config server;
    server.dashboard = dashboard;
    server.static_site.path = (root_ / "www").string();
    server.static_site.prefix = std::move(prefix);
    return static_pages{server};
  }

  fs::path root_;
};

TEST_F(StaticPages, ServesFilesUnderThePrefixWithTheirTypes) {
  auto pages = site("/app");
  auto index = pages.answer("GET", "/app/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200u);
  EXPECT_EQ(index->body, "<h1>home</h1>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  auto js = pages.answer("GET", "/app/sub/app.js?v=2");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "export {}");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  auto css = pages.answer("HEAD", "/app/a%20b.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200u);
  EXPECT_EQ(header(*css, "X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticPages, RedirectsThePrefixAndDirectoriesToTheirSlash) {
  auto pages = site("/app/");
  auto bare = pages.answer("GET", "/app");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 308u);
  EXPECT_EQ(header(*bare, "Location"), "/app/");
  auto dir = pages.answer("GET", "/app/sub");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->status, 308u);
  EXPECT_EQ(header(*dir, "Location"), "/app/sub/");
}

TEST_F(StaticPages, LeavesOtherPathsAndTheServersOwnAlone) {
  auto pages = site("/app");
  EXPECT_FALSE(pages.answer("GET", "/application"));
  EXPECT_FALSE(pages.answer("GET", "/other"));
  auto root = site("/");
  EXPECT_TRUE(root.answer("GET", "/sub/app.js"));
  for (auto path : {"/healthz", "/readyz", "/metrics", "/ws", "/workers", "/api/topics", "/api"})
    EXPECT_FALSE(root.answer("GET", path)) << path;
}

TEST_F(StaticPages, NeverLeavesTheDirectory) {
  auto pages = site("/app");
  for (auto target :
       {"/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/sub/..%2f..%2fsecret.txt"}) {
    auto r = pages.answer("GET", target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400u) << target;
  }
  auto link = pages.answer("GET", "/app/link");  // a symbolic link out of it
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 404u);
  EXPECT_THAT(link->body, ::testing::Not(HasSubstr("outside")));
  auto nul = pages.answer("GET", "/app/index.html%00.js");
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400u);
  auto bad = pages.answer("GET", "/app/%zz");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400u);
}

TEST_F(StaticPages, MissingFilesAre404AndOtherMethods405) {
  auto pages = site("/app");
  auto missing = pages.answer("GET", "/app/nope.html");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404u);
  EXPECT_THAT(missing->body, HasSubstr("\"error\":\"not_found\""));
  auto post = pages.answer("POST", "/app/index.html");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405u);
  EXPECT_EQ(header(*post, "Allow"), "GET, HEAD");
}

TEST_F(StaticPages, FilesOver16MiBAreNotServed) {
  write(root_ / "www" / "big.bin", "");
  fs::resize_file(root_ / "www" / "big.bin", max_static_file_bytes + 1);  // sparse
  auto r = site("/app").answer("GET", "/app/big.bin");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403u);
  EXPECT_THAT(r->body, HasSubstr("files over 16 MiB are not served"));
  fs::resize_file(root_ / "www" / "big.bin", max_static_file_bytes);
  EXPECT_EQ(site("/app").answer("GET", "/app/big.bin")->status, 200u);
}

TEST_F(StaticPages, TheDashboardIsCompiledIn) {
  config::server_config server;
  server.dashboard = true;
  static_pages pages{server};
  auto bare = pages.answer("GET", "/dashboard");
  ASSERT_TRUE(bare);
  EXPECT_EQ(header(*bare, "Location"), "/dashboard/");
  auto index = pages.answer("GET", "/dashboard/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200u);
  EXPECT_THAT(index->body, HasSubstr("<title>Sluice dashboard</title>"));
  EXPECT_THAT(header(*index, "Content-Security-Policy"), HasSubstr("default-src 'self'"));
  for (auto file : {"/dashboard/app.js", "/dashboard/sluice.js", "/dashboard/style.css"}) {
    auto r = pages.answer("GET", file);
    ASSERT_TRUE(r) << file;
    EXPECT_EQ(r->status, 200u) << file;
    EXPECT_GT(r->body.size(), 1000u) << file;
  }
  auto library = pages.answer("GET", "/dashboard/sluice.js");
  EXPECT_THAT(library->body, HasSubstr("export class SluiceClient"));
  auto missing = pages.answer("GET", "/dashboard/x.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404u);
  EXPECT_FALSE(static_pages{config::server_config{}}.answer("GET", "/dashboard/"));
}

TEST(StaticRoot, MustBeADirectory) {
  config::static_site_config site;
  site.path = "/nonexistent/sluice-www";
  auto why = check_static_root(site);
  ASSERT_TRUE(why);
  EXPECT_THAT(*why, HasSubstr("server.static.path: /nonexistent/sluice-www is not a directory"));
  site.path = fs::temp_directory_path().string();
  EXPECT_FALSE(check_static_root(site));
}

}  // namespace
}  // namespace sluice::transport
