#include "metrics/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace qinfer::metrics {
namespace {

[[maybe_unused]] bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void add_atomic(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

// `{a="x",b="y"}` with an optional extra label (a histogram's le) last; "" without labels.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", names[i], escape_label_value(values[i]));
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", extra_name, extra_value);
  }
  out += '}';
}

void append_header(std::string& out, const std::string& name, const std::string& help,
                   std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name,
                 escape_help(help), name, type);
}

template <class Metric>
void render_scalars(std::string& out, const Family<Metric>& family, std::string_view type) {
  append_header(out, family.name(), family.help(), type);
  family.for_each([&](const std::vector<std::string>& values, const Metric& metric) {
    out += family.name();
    append_labels(out, family.label_names(), values);
    fmt::format_to(std::back_inserter(out), " {}\n", format_value(metric.value()));
  });
}

void render_histograms(std::string& out, const HistogramFamily& family) {
  append_header(out, family.name(), family.help(), "histogram");
  const std::string bucket = family.name() + "_bucket";
  family.for_each([&](const std::vector<std::string>& values, const Histogram& histogram) {
    const Histogram::Snapshot snapshot = histogram.snapshot();
    const std::vector<double>& bounds = histogram.bounds();
    for (size_t i = 0; i <= bounds.size(); ++i) {
      out += bucket;
      const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
      append_labels(out, family.label_names(), values, "le", le);
      fmt::format_to(std::back_inserter(out), " {}\n", snapshot.cumulative[i]);
    }
    out += family.name() + "_sum";
    append_labels(out, family.label_names(), values);
    fmt::format_to(std::back_inserter(out), " {}\n", format_value(snapshot.sum));
    out += family.name() + "_count";
    append_labels(out, family.label_names(), values);
    fmt::format_to(std::back_inserter(out), " {}\n", snapshot.count);
  });
}

}  // namespace

void Counter::inc(double amount) {
  if (!(amount > 0.0)) return;  // also NaN
  add_atomic(value_, amount);
}

void Gauge::add(double amount) { add_atomic(value_, amount); }

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()) &&
         std::adjacent_find(bounds_.begin(), bounds_.end()) == bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // The first bound >= value: Prometheus buckets are "less than or equal".
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  add_atomic(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  // _count is the +Inf bucket, so the two always agree within one scrape.
  snapshot.count = running;
  return snapshot;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {
  assert(is_valid_name(name_));
  for ([[maybe_unused]] const std::string& label : label_names_) {
    assert(is_valid_name(label) && label.find(':') == std::string::npos && label != "le");
  }
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> copy;
  copy.reserve(values.size());
  for (std::string_view value : values) copy.emplace_back(value);
  return with(copy);
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& values) {
  std::vector<std::string> key = values;
  key.resize(label_names_.size());
  std::lock_guard lock(mutex_);
  auto it = children_.find(key);
  if (it == children_.end()) {
    std::unique_ptr<Metric> metric;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      metric = std::make_unique<Histogram>(bounds_);
    } else {
      metric = std::make_unique<Metric>();
    }
    it = children_.emplace(std::move(key), std::move(metric)).first;
  }
  return *it->second;
}

template <class Metric>
void Family<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : children_) visit(values, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CounterFamily& Registry::counter_family(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  counters_.push_back(std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                      std::move(label_names),
                                                      std::vector<double>{}));
  order_.push_back({MetricType::kCounter, counters_.back().get()});
  return *counters_.back();
}

GaugeFamily& Registry::gauge_family(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  gauges_.push_back(std::make_unique<GaugeFamily>(std::move(name), std::move(help),
                                                  std::move(label_names), std::vector<double>{}));
  order_.push_back({MetricType::kGauge, gauges_.back().get()});
  return *gauges_.back();
}

HistogramFamily& Registry::histogram_family(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds) {
  histograms_.push_back(std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names), std::move(bounds)));
  order_.push_back({MetricType::kHistogram, histograms_.back().get()});
  return *histograms_.back();
}

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}).with({});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}).with({});
}

Histogram& Registry::histogram(std::string name, std::string help, std::vector<double> bounds) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(bounds)).with({});
}

void Registry::on_collect(std::function<void()> update) {
  collect_hooks_.push_back(std::move(update));
}

std::string Registry::render() const {
  std::lock_guard lock(render_mutex_);
  for (const auto& hook : collect_hooks_) hook();
  std::string out;
  out.reserve(16 << 10);
  for (const Entry& entry : order_) {
    switch (entry.type) {
      case MetricType::kCounter:
        render_scalars(out, *static_cast<const CounterFamily*>(entry.family), "counter");
        break;
      case MetricType::kGauge:
        render_scalars(out, *static_cast<const GaugeFamily*>(entry.family), "gauge");
        break;
      case MetricType::kHistogram:
        render_histograms(out, *static_cast<const HistogramFamily*>(entry.family));
        break;
    }
  }
  return out;
}

namespace {

// The exposition format's escapes: backslash and newline everywhere, double quotes in label
// values only.
std::string escape_text(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quotes && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape_text(value, true); }

std::string escape_help(std::string_view text) { return escape_text(text, false); }

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integers (counts, token totals) print whole up to 2^53, where doubles stop being exact.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

std::vector<double> one_two_five_buckets(double max) {
  std::vector<double> bounds;
  if (!(max > 1.0)) return {1.0};  // also NaN
  for (double decade = 1.0;; decade *= 10.0) {
    for (double step : {1.0, 2.0, 5.0}) {
      bounds.push_back(step * decade);
      if (step * decade >= max) return bounds;
    }
  }
}

}  // namespace qinfer::metrics
