// Prometheus metrics: counters, gauges and histograms in families with a fixed set of label
// names, rendered in the text exposition format 0.0.4 (what every Prometheus scrapes).
//
//   metrics::Registry registry;
//   auto& tokens = registry.counter("qinfer_generation_tokens_total", "Generated tokens.");
//   auto& ttft = registry.histogram("qinfer_time_to_first_token_seconds", "...", {0.01, 0.1, 1});
//   auto& requests = registry.counter_family("qinfer_http_requests_total", "...",
//                                            {"method", "route", "code"});
//   tokens.inc();                                   // lock-free
//   ttft.observe(0.042);                            // lock-free, no allocation
//   requests.with({"GET", "/v1/models", "200"}).inc();   // a lookup under a mutex
//   std::string text = registry.render();           // GET /metrics
//
// Observations are relaxed atomics: a scrape sees every observation completed before it, but a
// histogram's buckets, _sum and _count may be one observation apart (as in the official
// clients). A child of a family lives as long as the registry, so callers on a hot path look it
// up once and keep the reference. Label values are bounded by the caller: a family grows one
// child per distinct set of values and never forgets one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace qinfer::metrics {

class Counter {
 public:
  // Negative amounts are ignored: a counter only goes up.
  void inc(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing and finite; +Inf is implied.
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0.0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// The metrics of one name, one per distinct set of label values.
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds);

  // The child for these label values (one per label name, in order; missing values are "",
  // extra ones dropped), created on first use.
  Metric& with(std::initializer_list<std::string_view> values);
  Metric& with(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls `visit(label_values, metric)` for every child, in label-value order.
  void for_each(const std::function<void(const std::vector<std::string>&, const Metric&)>& visit)
      const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration is for start-up, before observations begin. Names and label names must be
  // valid Prometheus identifiers (checked by assert: they are constants in our code). A counter's
  // name should end in _total; the text keeps it as given.
  CounterFamily& counter_family(std::string name, std::string help,
                                std::vector<std::string> label_names);
  GaugeFamily& gauge_family(std::string name, std::string help,
                            std::vector<std::string> label_names);
  HistogramFamily& histogram_family(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    std::vector<double> bounds);
  // Unlabelled metrics: the family's only child.
  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help, std::vector<double> bounds);

  // Runs before each render(), e.g. to copy the scheduler's queue depth into a gauge.
  void on_collect(std::function<void()> update);

  // Every family in registration order, in text format 0.0.4.
  std::string render() const;

 private:
  struct Entry {
    MetricType type;
    const void* family;
  };
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<GaugeFamily>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<Entry> order_;
  std::vector<std::function<void()>> collect_hooks_;
  mutable std::mutex render_mutex_;  // hooks and rendering: one scrape at a time
};

// Label values and HELP text as the format escapes them: backslash, newline, and (in label
// values) the double quote.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view text);
// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN", else the shortest text
// that reads back as the same double.
std::string format_value(double value);

// Bucket bounds: 1, 2, 5, 10, 20, 50, ... up to and including the first >= `max` (vLLM's token
// count buckets).
std::vector<double> one_two_five_buckets(double max);

}  // namespace qinfer::metrics
