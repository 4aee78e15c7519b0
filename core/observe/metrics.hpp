#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Prometheus-style metrics. Each component registers its metrics in the
// process-wide registry where it lives; GET /metrics renders the registry.
// Updating a metric is lock-free; looking up a labelled series takes a lock, so
// components keep references to the series they touch on hot paths.
namespace sluice::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void inc(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  // Raises the gauge to `v` if it is lower (high-water marks).
  void raise_to(std::int64_t v) noexcept;
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  // Observations <= bounds()[i] (cumulative, as Prometheus expects).
  std::uint64_t cumulative(std::size_t i) const noexcept;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Latency buckets in seconds, from 100 µs to 60 s.
std::vector<double> latency_buckets();

enum class kind : std::uint8_t { counter, gauge, histogram };

// All series of one metric name, keyed by label values.
template <class Metric>
class family {
 public:
  family(std::vector<std::string> label_names, std::vector<double> bounds = {})
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  // The series for these label values (created on first use; stable address).
  Metric& with(const std::vector<std::string>& label_values);

  template <class Fn>
  void for_each(Fn&& fn) const {
    std::lock_guard lock{mutex_};
    for (const auto& [labels, metric] : series_) fn(labels, *metric);
  }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // The process-wide registry.
  static registry& global();

  // Registering the same name twice returns the same metric.
  counter& add_counter(std::string name, std::string help);
  gauge& add_gauge(std::string name, std::string help);
  histogram& add_histogram(std::string name, std::string help, std::vector<double> bounds);
  family<counter>& add_counter_family(std::string name, std::string help,
                                      std::vector<std::string> labels);
  family<gauge>& add_gauge_family(std::string name, std::string help,
                                  std::vector<std::string> labels);
  family<histogram>& add_histogram_family(std::string name, std::string help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct entry;
  entry& find_or_add(std::string name, std::string help, kind k);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<entry>> entries_;
};

}  // namespace sluice::metrics
