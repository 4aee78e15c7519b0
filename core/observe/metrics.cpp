#include "core/observe/metrics.hpp"

#include <charconv>
#include <stdexcept>
#include <variant>

#include "core/json.hpp"

namespace sluice::metrics {

void gauge::raise_to(std::int64_t v) noexcept {
  auto current = value_.load(std::memory_order_relaxed);
  while (current < v && !value_.compare_exchange_weak(current, v, std::memory_order_relaxed)) {
  }
}

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void histogram::observe(double v) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k <= i && k <= bounds_.size(); ++k)
    total += buckets_[k].load(std::memory_order_relaxed);
  return total;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

template <class Metric>
Metric& family<Metric>::with(const std::vector<std::string>& label_values) {
  std::lock_guard lock{mutex_};
  auto& slot = series_[label_values];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, histogram>)
      slot = std::make_unique<histogram>(bounds_);
    else
      slot = std::make_unique<Metric>();
  }
  return *slot;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

struct registry::entry {
  std::string help;
  kind type;
  std::variant<std::unique_ptr<family<counter>>, std::unique_ptr<family<gauge>>,
               std::unique_ptr<family<histogram>>>
      series;
};

registry::registry() = default;
registry::~registry() = default;

registry& registry::global() {
  static registry instance;
  return instance;
}

namespace {

template <class Metric>
family<Metric>& ensure_family(auto& slot, std::vector<std::string> labels,
                              std::vector<double> bounds = {}) {
  auto* existing = std::get_if<std::unique_ptr<family<Metric>>>(&slot);
  if (existing == nullptr) throw std::logic_error("metric registered with another kind");
  if (!*existing)
    *existing = std::make_unique<family<Metric>>(std::move(labels), std::move(bounds));
  return **existing;
}

void append_number(std::string& out, double v) {
  char buf[32];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// `{a="x",b="y"}` with an optional extra label (`le` for histogram buckets).
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += '=';
    json::append_string(out, values[i]);  // JSON escaping is a superset of what Prometheus needs
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

void render_histogram(std::string& out, const std::string& name,
                      const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const histogram& h) {
  for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
    std::string le = "+Inf";
    if (i < h.bounds().size()) {
      le.clear();
      append_number(le, h.bounds()[i]);
    }
    out += name + "_bucket" + label_set(names, values, "le", le) + ' ' +
           std::to_string(h.cumulative(i)) + '\n';
  }
  out += name + "_sum" + label_set(names, values) + ' ';
  append_number(out, h.sum());
  out += '\n';
  out += name + "_count" + label_set(names, values) + ' ' + std::to_string(h.count()) + '\n';
}

}  // namespace

registry::entry& registry::find_or_add(std::string name, std::string help, kind k) {
  auto& slot = entries_[name];
  if (!slot) {
    slot = std::make_unique<entry>();
    slot->help = std::move(help);
    slot->type = k;
    if (k == kind::gauge) slot->series = std::unique_ptr<family<gauge>>{};
    if (k == kind::histogram) slot->series = std::unique_ptr<family<histogram>>{};
  }
  if (slot->type != k) throw std::logic_error("metric " + name + " registered with another kind");
  return *slot;
}

family<counter>& registry::add_counter_family(std::string name, std::string help,
                                              std::vector<std::string> labels) {
  std::lock_guard lock{mutex_};
  return ensure_family<counter>(find_or_add(name, std::move(help), kind::counter).series,
                                std::move(labels));
}

family<gauge>& registry::add_gauge_family(std::string name, std::string help,
                                          std::vector<std::string> labels) {
  std::lock_guard lock{mutex_};
  return ensure_family<gauge>(find_or_add(name, std::move(help), kind::gauge).series,
                              std::move(labels));
}

family<histogram>& registry::add_histogram_family(std::string name, std::string help,
                                                  std::vector<std::string> labels,
                                                  std::vector<double> bounds) {
  std::lock_guard lock{mutex_};
  return ensure_family<histogram>(find_or_add(name, std::move(help), kind::histogram).series,
                                  std::move(labels), std::move(bounds));
}

counter& registry::add_counter(std::string name, std::string help) {
  return add_counter_family(std::move(name), std::move(help), {}).with({});
}

gauge& registry::add_gauge(std::string name, std::string help) {
  return add_gauge_family(std::move(name), std::move(help), {}).with({});
}

histogram& registry::add_histogram(std::string name, std::string help, std::vector<double> bounds) {
  return add_histogram_family(std::move(name), std::move(help), {}, std::move(bounds)).with({});
}

std::string registry::render() const {
  static constexpr std::string_view type_names[] = {"counter", "gauge", "histogram"};
  std::string out;
  std::lock_guard lock{mutex_};
  for (const auto& entry : entries_) {
    const auto& name = entry.first;  // not a structured binding: lambdas below capture it
    const auto& e = entry.second;
    out += "# HELP " + name + ' ' + e->help + '\n';
    out += "# TYPE " + name + ' ' + std::string{type_names[static_cast<int>(e->type)]} + '\n';
    std::visit(
        [&](const auto& fam) {
          using family_t = std::decay_t<decltype(*fam)>;
          fam->for_each([&](const std::vector<std::string>& values, const auto& metric) {
            if constexpr (std::is_same_v<family_t, family<histogram>>)
              render_histogram(out, name, fam->label_names(), values, metric);
            else
              out += name + label_set(fam->label_names(), values) + ' ' +
                     std::to_string(metric.value()) + '\n';
          });
        },
        e->series);
  }
  return out;
}

}  // namespace sluice::metrics
