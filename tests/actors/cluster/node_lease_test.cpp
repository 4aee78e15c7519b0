#include "actors/cluster/node_lease.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <vector>

namespace sluice::actors {
namespace {

using namespace std::chrono_literals;
using tp = node_lease::time_point;

tp at(std::chrono::milliseconds ms) {
  return tp{} + 1h + ms;  // away from the clock's zero, which means "never"
}

TEST(NodeLease, AMajorityOfAnswersHoldsTheLease) {
  node_lease lease{3, 1500ms, 500ms};  // itself and one of two peers
  EXPECT_FALSE(lease.valid(at(0ms)));
  EXPECT_EQ(lease.term(at(0ms)), 0u);
  lease.confirmed("b", at(0ms), at(10ms));
  EXPECT_TRUE(lease.valid(at(1499ms)));
  EXPECT_FALSE(lease.valid(at(1500ms)));  // from the ping's send time, not the answer's
  EXPECT_EQ(lease.term(at(100ms)), 1u);
  node_lease five{5, 1500ms, 500ms};  // itself and two of four peers
  five.confirmed("b", at(0ms), at(10ms));
  EXPECT_FALSE(five.valid(at(20ms)));
  five.confirmed("c", at(500ms), at(510ms));
  EXPECT_TRUE(five.valid(at(1400ms)));
  EXPECT_FALSE(five.valid(at(1500ms)));  // the older of the two answers bounds it
}

TEST(NodeLease, ALoneNodeHoldsItsLeaseForEver) {
  node_lease lease{1, 1500ms, 500ms};
  EXPECT_TRUE(lease.valid(node_lease::clock::now() + 24h));
  EXPECT_EQ(lease.term(node_lease::clock::now()), 1u);
}

TEST(NodeLease, OldAnswersAfterAPauseDoNotRenewIt) {
  node_lease lease{3, 1500ms, 500ms};
  lease.confirmed("b", at(0ms), at(10ms));
  // Paused 10 s: answers to pings sent before the pause arrive after it.
  lease.confirmed("c", at(100ms), at(10'000ms));
  EXPECT_FALSE(lease.valid(at(10'000ms)));
  lease.confirmed("b", at(10'100ms), at(10'110ms));  // a fresh ping answered
  EXPECT_TRUE(lease.valid(at(10'200ms)));
  EXPECT_EQ(lease.term(at(10'200ms)), 2u);  // a new term: the lease lapsed meanwhile
}

TEST(NodeLease, ATakeoverWaitsForTheLastGrantToRunOut) {
  node_lease lease{3, 1500ms, 500ms};
  EXPECT_EQ(lease.expired_for("a"), tp{});  // never granted: at once
  lease.granted("a", at(1000ms));
  lease.granted("a", at(800ms));  // an older grant changes nothing
  EXPECT_EQ(lease.expired_for("a"), at(3000ms));
}

// Randomized: three nodes ping each other every 100 ms; messages take up to
// 40 ms (less than the margin); nodes pause at random for random lengths
// (frozen: they neither send nor answer nor act; what was sent to them waits).
// A node takes over from the owner once it heard nothing from it for
// `detect`, holds its own lease, and its grants to the owner ran out; an
// owner acts only while it holds its lease in the term it became owner in,
// and steps down when it sees the term change. Invariant: two nodes never act
// as owner at the same moment.
TEST(NodeLease, PropertyTwoNodesNeverOwnAtOnce) {
  using namespace std::chrono;
  constexpr int nodes = 3;
  const auto ping_every = 100ms, max_delay = 40ms, detect = 150ms;  // faster than a lease
  int takeovers = 0;
  for (unsigned seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    std::vector<node_lease> leases(nodes, node_lease{nodes, 300ms, 100ms});
    std::vector<std::string> names{"a", "b", "c"};
    std::vector<tp> paused_until(nodes, tp{});
    std::vector<tp> last_heard(nodes * nodes, at(0ms));  // [by * nodes + from]
    struct message {
      tp arrives;
      int from, to;
      bool pong;
      tp sent;
    };
    std::vector<message> in_flight;
    std::ostringstream events;  // what happened, shown when the invariant breaks
    auto ms_of = [](tp t) { return duration_cast<milliseconds>(t - at(0ms)).count(); };
    int owner = 0;                                 // whom the others take the owner to be
    std::vector<bool> believes(nodes, false);      // who thinks it is the owner
    std::vector<std::uint64_t> term_of(nodes, 0);  // the term each became owner in
    for (int ms = 0; ms < 20'000; ++ms) {
      auto now = at(milliseconds{ms});
      auto running = [&](int n) { return paused_until[n] <= now; };
      auto delay = [&] { return milliseconds{rng() % max_delay.count()}; };
      if (rng() % 500 == 0) {  // a pause begins
        auto n = rng() % nodes;
        paused_until[n] = now + milliseconds{50 + rng() % 1000};
        events << ms << ": " << n << " pauses until " << ms_of(paused_until[n]) << "\n";
      }
      std::vector<message> waiting, answers;
      for (const auto& m : in_flight) {
        if (m.arrives > now || !running(m.to)) {
          waiting.push_back(m);
          continue;
        }
        last_heard[m.to * nodes + m.from] = now;
        if (m.pong) {
          leases[m.to].confirmed(names[m.from], m.sent, now);
        } else {
          leases[m.to].granted(names[m.from], now);
          answers.push_back({now + delay(), m.to, m.from, true, m.sent});
        }
      }
      in_flight = std::move(waiting);
      in_flight.insert(in_flight.end(), answers.begin(), answers.end());
      if (ms % ping_every.count() == 0)
        for (int from = 0; from < nodes; ++from)
          for (int to = 0; to < nodes; ++to)
            if (from != to && running(from))
              in_flight.push_back({now + delay(), from, to, false, now});
      for (int n = 0; n < nodes; ++n) {
        if (!running(n)) continue;
        auto term = leases[n].term(now);
        if (believes[n] && term != term_of[n]) believes[n] = false;  // its lease lapsed
        if (believes[n] || term == 0) continue;
        if (n == owner) {  // the designated owner takes the topic once it has a lease
          believes[n] = true;
          term_of[n] = term;
          continue;
        }
        if (now - last_heard[n * nodes + owner] < detect) continue;
        if (now < leases[n].expired_for(names[owner])) continue;
        events << ms << ": " << n << " takes over from " << owner << "\n";
        owner = n;  // takes over
        believes[n] = true;
        term_of[n] = term;
        ++takeovers;
      }
      int acting = 0;
      for (int n = 0; n < nodes; ++n)
        acting += running(n) && believes[n] && leases[n].term(now) == term_of[n];
      ASSERT_LE(acting, 1) << "seed " << seed << " at " << ms << " ms\n" << events.str();
    }
  }
  EXPECT_GT(takeovers, 10);  // the runs did exercise takeovers
}

}  // namespace
}  // namespace sluice::actors
