#include "actors/cluster/view.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <caf/all.hpp>

#include "core/rendezvous.hpp"

namespace sluice::actors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

config::cluster_config three_nodes() {
  config::cluster_config c;
  c.name = "n1";
  c.port = 7401;
  c.secret = "0123456789abcdef";
  c.peers = {{"n2", "127.0.0.1", 7402}, {"n3", "127.0.0.1", 7403}};
  return c;
}

class ClusterViewTest : public ::testing::Test {
 protected:
  caf::actor_system_config cfg_;
  caf::actor_system system_{cfg_};
  cluster_view view_{three_nodes(), system_.groups().anonymous()};
  caf::actor some_actor() {
    // The unused argument: CAF 0.17 binds a null reference for a function
    // actor spawned without arguments (UBSan reports it).
    return system_.spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; },
                         0);
  }
  void TearDown() override {
    for (const auto& a : spawned_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  caf::actor spawn_kept() { return spawned_.emplace_back(some_actor()); }
  std::vector<caf::actor> spawned_;
};

TEST_F(ClusterViewTest, OnlyThisNodeIsUpUntilPeersJoin) {
  EXPECT_THAT(view_.up_nodes(), ElementsAre("n1"));
  EXPECT_EQ(view_.owner_of("any.topic"), "n1");
  EXPECT_EQ(view_.state_of("n2"), node_state::joining);
  EXPECT_EQ(view_.state_of("stranger"), node_state::down);
}

TEST_F(ClusterViewTest, OwnersFollowTheNodesThatAreUp) {
  EXPECT_TRUE(view_.set_state("n2", node_state::up, "", spawn_kept()));
  EXPECT_TRUE(view_.set_state("n3", node_state::up, "", spawn_kept()));
  EXPECT_FALSE(view_.set_state("n3", node_state::up, "", spawn_kept()));  // no change
  EXPECT_THAT(view_.up_nodes(), ElementsAre("n1", "n2", "n3"));
  std::vector<std::string> all{"n1", "n2", "n3"};
  std::string owned_by_n2;
  for (int i = 0; owned_by_n2.empty(); ++i)
    if (rendezvous_owner(all, "t" + std::to_string(i)) == "n2")
      owned_by_n2 = "t" + std::to_string(i);
  EXPECT_EQ(view_.owner_of(owned_by_n2), "n2");
  EXPECT_NE(view_.owner_of(owned_by_n2, "n2"), "n2");  // as if n2 were gone
  EXPECT_TRUE(view_.set_state("n2", node_state::down, "lost: test"));
  EXPECT_EQ(view_.owner_of(owned_by_n2), view_.owner_of(owned_by_n2, "n2"));
  EXPECT_FALSE(view_.cluster_of("n2"));
  EXPECT_TRUE(view_.cluster_of("n3"));
}

TEST_F(ClusterViewTest, PicksThePoolWithTheMostRoomOnNodesThatAreUp) {
  view_.set_state("n2", node_state::up, "", spawn_kept());
  view_.set_state("n3", node_state::up, "", spawn_kept());
  auto busy = spawn_kept();
  auto roomy = spawn_kept();
  view_.set_pool("n2", "pool", {busy, 0, 4, {"ask"}});
  view_.set_pool("n3", "pool", {roomy, 3, 4, {"ask"}});
  EXPECT_EQ(view_.pick_pool("pool", "ask", true), roomy);
  EXPECT_FALSE(view_.pick_pool("pool", "other", false));
  EXPECT_FALSE(view_.pick_pool("elsewhere", "ask", false));
  EXPECT_TRUE(view_.remote_capacity("pool"));
  view_.set_state("n3", node_state::down, "lost");  // its pools go with it
  EXPECT_FALSE(view_.pick_pool("pool", "ask", true));
  EXPECT_EQ(view_.pick_pool("pool", "ask", false), busy);  // serves the route, queues there
  view_.set_state("n2", node_state::down, "lost");
  EXPECT_FALSE(view_.remote_capacity("pool"));
}

TEST_F(ClusterViewTest, LocalPoolReportsMoveTheVersionOnlyWhenTheyChange) {
  auto pool = spawn_kept();
  auto before = view_.local_version();
  view_.set_local_pool("pool", {pool, 2, 4, {"ask"}});
  view_.set_local_pool("pool", {pool, 2, 4, {"ask"}});
  EXPECT_EQ(view_.local_version(), before + 1);
  view_.set_local_pool("pool", {pool, 1, 4, {"ask"}});
  EXPECT_EQ(view_.local_version(), before + 2);
  EXPECT_EQ(view_.local_pools().at("pool").free, 1u);
}

TEST_F(ClusterViewTest, JsonListsEveryNodeWithItsState) {
  view_.set_state("n3", node_state::down, "lost: gone");
  auto json = view_.json();
  EXPECT_THAT(json, HasSubstr(R"("node":"n1","up":1,"configured":3)"));
  EXPECT_THAT(json,
              HasSubstr(R"({"name":"n1","address":"127.0.0.1:7401","state":"up","self":true})"));
  EXPECT_THAT(json, HasSubstr(R"("name":"n2","address":"127.0.0.1:7402","state":"joining")"));
  EXPECT_THAT(json, HasSubstr(R"("state":"down","self":false)"));
  EXPECT_THAT(json, HasSubstr(R"("reason":"lost: gone")"));
}

}  // namespace
}  // namespace sluice::actors
