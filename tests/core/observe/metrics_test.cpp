#include "core/observe/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, CountersAndGaugesRender) {
  registry reg;
  reg.add_counter("t_events_total", "Events").inc(3);
  auto& g = reg.add_gauge("t_depth", "Depth");
  g.set(5);
  g.raise_to(4);  // lower: no change
  g.raise_to(9);
  auto text = reg.render();
  EXPECT_THAT(text, HasSubstr("# HELP t_events_total Events\n# TYPE t_events_total counter\n"
                              "t_events_total 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE t_depth gauge\nt_depth 9\n"));
}

TEST(Metrics, SameNameReturnsSameSeries) {
  registry reg;
  reg.add_counter("t_x_total", "X").inc();
  reg.add_counter("t_x_total", "X").inc();
  EXPECT_EQ(reg.add_counter("t_x_total", "X").value(), 2u);
  EXPECT_THROW(reg.add_gauge("t_x_total", "X"), std::logic_error);
}

TEST(Metrics, LabelledSeriesAreEscaped) {
  registry reg;
  auto& fam = reg.add_counter_family("t_req_total", "Requests", {"route", "outcome"});
  fam.with({"up\"per", "ok"}).inc();
  fam.with({"up\"per", "ok"}).inc();
  EXPECT_THAT(reg.render(), HasSubstr(R"(t_req_total{route="up\"per",outcome="ok"} 2)"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  registry reg;
  auto& h = reg.add_histogram("t_lat_seconds", "Latency", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = reg.render();
  EXPECT_THAT(text, HasSubstr("t_lat_seconds_bucket{le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("t_lat_seconds_bucket{le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("t_lat_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("t_lat_seconds_sum 5.55\n"));
  EXPECT_THAT(text, HasSubstr("t_lat_seconds_count 3\n"));
}

}  // namespace
}  // namespace sluice::metrics
