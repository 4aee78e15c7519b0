#include "core/storage/file_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "core/storage/append_log.hpp"

namespace sluice {
namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/sluice-file-cache-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::string contents(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// (Built by appending: gcc 12 warns wrongly about "a" + std::to_string(n) + "b".)
std::string numbered(std::string_view prefix, int n, std::string_view suffix = {}) {
  std::string out{prefix};
  out.append(std::to_string(n));
  out.append(suffix);
  return out;
}

std::filesystem::path log_path(const temp_dir& dir, int t, int i) {
  return dir.path / (numbered("t", t) + numbered("-", i, ".log"));
}

bool write(file_cache& cache, file_cache::file& f, std::string_view text) {
  return cache.with_fd(f, [&](int fd) {
    return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  });
}

TEST(FileCache, KeepsAtMostItsLimitOpenAndReopensWhatItClosed) {
  temp_dir dir;
  file_cache cache{2};
  std::vector<std::shared_ptr<file_cache::file>> files;
  for (int i = 0; i < 5; ++i) {
    auto path = dir.path / numbered("f", i);
    std::ofstream{path};
    files.push_back(cache.add(path.string()));
  }
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(write(cache, *files[i], std::to_string(round)));
      EXPECT_LE(cache.open_files(), 2u);
    }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(contents(dir.path / numbered("f", i)), "012");
  files.clear();  // each leaves the LRU as it goes
  EXPECT_EQ(cache.open_files(), 0u);
}

TEST(FileCache, AFileThatCannotBeOpenedIsAnError) {
  file_cache cache{4};
  auto f = cache.add("/nonexistent-dir/x");
  EXPECT_FALSE(write(cache, *f, "x"));
  EXPECT_EQ(cache.open_files(), 0u);
}

// Many logs written from several threads in random order through a cache much
// smaller than their number: every record is kept, in order, in its own log.
TEST(FileCache, PropertyLogsSharingASmallCacheLoseNothing) {
  temp_dir dir;
  file_cache cache{3};
  constexpr int logs_per_thread = 6, threads = 4, appends = 300;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<append_log> logs;
      std::vector<std::uint64_t> next(logs_per_thread, 1);
      for (int i = 0; i < logs_per_thread; ++i) {
        logs.emplace_back(cache);
        append_log::opened opened;
        std::string error;
        auto path = log_path(dir, t, i);
        ASSERT_TRUE(logs.back().open(path.string(), 7, opened, error)) << error;
      }
      for (int n = 0; n < appends; ++n) {
        auto i = rng() % logs_per_thread;
        std::string error;
        log_record r{next[i]++, 0, 0, numbered("x", n)};
        ASSERT_TRUE(logs[i].append(r, rng() % 8 == 0, error)) << error;
        EXPECT_LE(cache.open_files(), 3u + threads);  // at most one over per writer at once
      }
    });
  for (auto& w : workers) w.join();
  EXPECT_LE(cache.open_files(), 3u);
  std::uint64_t total = 0;
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < logs_per_thread; ++i) {
      append_log log{cache};
      append_log::opened opened;
      std::string error;
      auto path = log_path(dir, t, static_cast<int>(i));
      ASSERT_TRUE(log.open(path.string(), 1, opened, error));
      EXPECT_EQ(opened.truncated_bytes, 0u);
      for (std::size_t k = 0; k < opened.records.size(); ++k)
        EXPECT_EQ(opened.records[k].offset, k + 1);
      total += opened.records.size();
    }
  EXPECT_EQ(total, std::uint64_t{threads} * appends);
}

}  // namespace
}  // namespace sluice
