// The quota ledger alone: each limit, windows and retry_after, units, the
// counts other nodes report, what a cluster is told, and forgetting idle
// principals; then randomized runs of three ledgers that tell each other
// every change at once, checked against what was really admitted.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>

#include "actors/quota/ledger.hpp"
#include "actors/quota/ticket.hpp"

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;

constexpr quota_ledger::unix_ms t0 = 1'000'000'020'000;  // a window boundary for 1s and 1m

config::quota_config quota(std::uint32_t in_flight, std::uint64_t requests, std::uint64_t units,
                           std::chrono::milliseconds window = 60s) {
  config::quota_config q;
  q.max_in_flight = in_flight;
  q.requests = requests;
  q.units = units;
  q.window = window;
  return q;
}

quota_ledger ledger_of(config::quota_config q, bool shared = false, std::string node = "n1") {
  return quota_ledger{{{"gen", q}}, std::move(node), shared};
}

TEST(QuotaLedger, MaxInFlightRefusesUntilARequestEnds) {
  auto l = ledger_of(quota(2, 0, 0));
  EXPECT_TRUE(l.admit("gen", "sub:a", t0));
  EXPECT_TRUE(l.admit("gen", "sub:a", t0));
  auto refused = l.admit("gen", "sub:a", t0);
  EXPECT_EQ(refused.refused, quota_limit::max_in_flight);
  EXPECT_EQ(refused.retry_after, 1s);
  EXPECT_TRUE(l.admit("gen", "sub:b", t0));  // another principal has its own count
  l.finished("gen", "sub:a");
  EXPECT_TRUE(l.admit("gen", "sub:a", t0));
}

TEST(QuotaLedger, RequestsPerWindowStartAgainInTheNextWindow) {
  auto l = ledger_of(quota(0, 2, 0));
  EXPECT_TRUE(l.admit("gen", "sub:a", t0 + 100));
  EXPECT_TRUE(l.admit("gen", "sub:a", t0 + 200));
  auto refused = l.admit("gen", "sub:a", t0 + 15'000);
  EXPECT_EQ(refused.refused, quota_limit::requests);
  EXPECT_EQ(refused.retry_after, 45s);  // until the window ends
  EXPECT_TRUE(l.admit("gen", "sub:a", t0 + 60'000));
}

TEST(QuotaLedger, UnitsRefuseOnceOverTheLimitAndThenNewRequests) {
  auto l = ledger_of(quota(0, 0, 10));
  ASSERT_TRUE(l.admit("gen", "sub:a", t0));
  EXPECT_TRUE(l.charge("gen", "sub:a", 6, t0));
  EXPECT_TRUE(l.charge("gen", "sub:a", 4, t0));  // exactly the limit: still within
  auto over = l.charge("gen", "sub:a", 1, t0 + 59'000);
  EXPECT_EQ(over.refused, quota_limit::units);
  EXPECT_EQ(over.retry_after, 1s);
  EXPECT_EQ(l.admit("gen", "sub:a", t0 + 59'000).refused, quota_limit::units);
  EXPECT_TRUE(l.admit("gen", "sub:a", t0 + 60'000));
}

TEST(QuotaLedger, UnmeteredRoutesAreAlwaysAdmitted) {
  auto l = ledger_of(quota(1, 0, 0));
  EXPECT_FALSE(l.meters("other"));
  EXPECT_TRUE(l.admit("other", "sub:a", t0));
  EXPECT_TRUE(l.admit("other", "sub:a", t0));
  EXPECT_EQ(l.tracked(), 0u);
}

TEST(QuotaLedger, OtherNodesCountsAddUpWithinTheirWindow) {
  auto l = ledger_of(quota(3, 5, 0), true);
  l.merge("n2", {{"gen", "sub:a", t0 / 60'000, 2, 4, 0}});
  EXPECT_TRUE(l.admit("gen", "sub:a", t0));  // 3 in flight, 5 requests
  EXPECT_EQ(l.admit("gen", "sub:a", t0).refused, quota_limit::max_in_flight);
  l.merge("n2", {{"gen", "sub:a", t0 / 60'000, 0, 4, 0}});  // its requests ended
  EXPECT_EQ(l.admit("gen", "sub:a", t0).refused, quota_limit::requests);
  auto usage = l.usage_of("sub:a", t0);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].total.requests, 5u);
  ASSERT_EQ(usage[0].nodes.size(), 2u);
  EXPECT_EQ(usage[0].nodes[0].first, "n1");
  EXPECT_EQ(usage[0].nodes[1].second.requests, 4u);
  // A report of an older window counts what still runs, not its requests.
  l.merge("n2", {{"gen", "sub:a", t0 / 60'000 - 1, 1, 4, 0}});
  usage = l.usage_of("sub:a", t0);
  EXPECT_EQ(usage[0].total.in_flight, 2u);
  EXPECT_EQ(usage[0].total.requests, 1u);
  l.forget("n2");
  EXPECT_EQ(l.usage_of("sub:a", t0)[0].total.in_flight, 1u);
  l.merge("n2", {{"other", "sub:a", 0, 9, 9, 9}});  // a route this node does not meter
  EXPECT_EQ(l.tracked(), 1u);
}

TEST(QuotaLedger, ChangesAreTakenOnceAndOnlyWhenShared) {
  auto shared = ledger_of(quota(2, 0, 0), true);
  shared.admit("gen", "sub:a", t0);
  shared.admit("gen", "sub:b", t0);
  EXPECT_EQ(shared.take_changes().size(), 2u);
  EXPECT_TRUE(shared.take_changes().empty());
  shared.finished("gen", "sub:a");
  auto changes = shared.take_changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].principal, "sub:a");
  EXPECT_EQ(changes[0].in_flight, 0u);
  EXPECT_EQ(shared.snapshot().size(), 2u);  // sub:a still counts its request in the window

  auto alone = ledger_of(quota(2, 0, 0));
  alone.admit("gen", "sub:a", t0);
  EXPECT_TRUE(alone.take_changes().empty());
}

TEST(QuotaLedger, IdlePrincipalsAreForgottenOnceTheMapHasGrown) {
  auto l = ledger_of(quota(0, 5, 0, 1s));
  for (int i = 0; i < 1100; ++i) l.admit("gen", "sub:" + std::to_string(i), t0);
  for (int i = 0; i < 1100; ++i) l.finished("gen", "sub:" + std::to_string(i));
  EXPECT_EQ(l.tracked(), 1100u);
  // In the next window the old entries are idle: the next sweep (when the map
  // has doubled since the last) forgets them, and keeps what runs.
  for (int i = 0; i < 999; ++i) l.admit("gen", "sub:new" + std::to_string(i), t0 + 1'000);
  // The verdict tells how many entries the ledger holds (for the gauge).
  EXPECT_EQ(l.admit("gen", "sub:new999", t0 + 1'000).tracked, 1000u);
  EXPECT_EQ(l.tracked(), 1000u);
}

TEST(QuotaUnits, ReportedUnitsAreReadFromDataOrResult) {
  std::vector<std::string> path{"usage", "tokens"};
  EXPECT_EQ(reported_units(R"({"type":"token","data":{"usage":{"tokens":12}}})", path), 12u);
  EXPECT_EQ(reported_units(R"({"type":"final","result":{"usage":{"tokens":7.9}}})", path), 7u);
  EXPECT_EQ(reported_units(R"({"type":"token","data":{"usage":{"tokens":-3}}})", path), 0u);
  EXPECT_EQ(reported_units(R"({"type":"token","data":{"usage":"many"}})", path), 0u);
  EXPECT_EQ(reported_units(R"({"type":"token","data":"text"})", path), 0u);
  EXPECT_EQ(reported_units("not json", path), 0u);
}

// Three nodes that pass every change on at once (as if reports took no time):
// then no limit is ever exceeded in sum, and every node sees the same totals
// as the requests really admitted and still running.
TEST(QuotaLedgerProperty, NodesThatShareEveryChangeNeverAdmitOverTheLimits) {
  const auto q = quota(4, 12, 30, 1s);
  std::mt19937_64 rng{20261127};
  for (int run = 0; run < 200; ++run) {
    std::array<quota_ledger, 3> nodes{ledger_of(q, true, "n0"), ledger_of(q, true, "n1"),
                                      ledger_of(q, true, "n2")};
    const std::array<std::string, 3> names{"n0", "n1", "n2"};
    auto share = [&] {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        auto changes = nodes[i].take_changes();
        for (std::size_t j = 0; j < nodes.size(); ++j)
          if (j != i) nodes[j].merge(names[i], changes);
      }
    };
    std::map<std::pair<int, std::string>, std::vector<int>> running;  // (node, principal) → ids
    std::map<std::string, std::uint64_t> requests, units, in_flight;  // this window, true counts
    auto now = t0;
    std::int64_t window = now / 1000;
    for (int step = 0; step < 300; ++step) {
      int node = static_cast<int>(rng() % 3);
      const std::string who = rng() % 2 == 0 ? "sub:a" : "sub:b";
      switch (rng() % 4) {
        case 0:
        case 1:
          if (nodes[node].admit("gen", who, now)) {
            running[{node, who}].push_back(step);
            ++requests[who];
            ++in_flight[who];
          }
          break;
        case 2:
          if (auto& r = running[{node, who}]; !r.empty()) {
            r.pop_back();
            nodes[node].finished("gen", who);
            --in_flight[who];
          }
          break;
        case 3: {
          auto n = rng() % 5;
          nodes[node].charge("gen", who, n, now);
          units[who] += n;
          break;
        }
      }
      share();
      if (rng() % 40 == 0) now += 400;  // sometimes a new window starts
      if (now / 1000 != window) {
        window = now / 1000;
        requests.clear();
        units.clear();
      }
      for (const auto& [principal, count] : in_flight) {
        ASSERT_LE(count, q.max_in_flight);
        ASSERT_LE(requests[principal], q.requests);
        for (auto& l : nodes) {
          auto seen = l.usage_of(principal, now)[0].total;
          ASSERT_EQ(seen.in_flight, count) << "run " << run << " step " << step;
          ASSERT_EQ(seen.requests, requests[principal]) << "run " << run << " step " << step;
          ASSERT_EQ(seen.units, units[principal]) << "run " << run << " step " << step;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sluice::actors
