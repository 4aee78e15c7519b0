#include "core/rendezvous.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace sluice {
namespace {

std::string key(int i) {
  return "topic." + std::to_string(i);
}

TEST(Rendezvous, SpreadsKeysOverNodes) {
  std::vector<std::string> nodes{"n1", "n2", "n3"};
  std::map<std::string, int> owned;
  for (int i = 0; i < 3000; ++i) ++owned[rendezvous_owner(nodes, key(i))];
  ASSERT_EQ(owned.size(), 3u);
  for (const auto& [node, n] : owned) EXPECT_GT(n, 800) << node;  // ~1000 each
}

TEST(Rendezvous, OnlyTheLeavingNodesKeysMove) {
  std::vector<std::string> all{"n1", "n2", "n3"};
  std::vector<std::string> without_n2{"n1", "n3"};
  for (int i = 0; i < 1000; ++i) {
    auto before = rendezvous_owner(all, key(i));
    auto after = rendezvous_owner(without_n2, key(i));
    if (before != "n2") {
      EXPECT_EQ(before, after) << key(i);
    }
    EXPECT_NE(after, "n2");
  }
}

TEST(Rendezvous, OrderOfNodesDoesNotMatter) {
  std::vector<std::string> a{"n1", "n2", "n3"};
  std::vector<std::string> b{"n3", "n1", "n2"};
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rendezvous_owner(a, key(i)), rendezvous_owner(b, key(i)));
  EXPECT_EQ(rendezvous_owner(std::vector<std::string>{}, "x"), "");
}

}  // namespace
}  // namespace sluice
