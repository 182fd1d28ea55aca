// The exposition text is checked exactly: it is what Prometheus parses.
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "metrics/process_metrics.h"

namespace qinfer::metrics {
namespace {

TEST(Metrics, RendersCountersGaugesAndLabelsExactly) {
  Registry registry;
  Counter& tokens = registry.counter("qinfer_generation_tokens_total", "Generated tokens.");
  CounterFamily& requests = registry.counter_family("qinfer_http_requests_total",
                                                    "HTTP requests.", {"method", "code"});
  Gauge& waiting = registry.gauge("qinfer_num_requests_waiting", "Queued.");
  tokens.inc(3);
  tokens.inc(-5);  // ignored: counters only go up
  requests.with({"POST", "200"}).inc();
  requests.with({"POST", "200"}).inc();
  requests.with({"GET", "404"}).inc();
  waiting.set(2.5);
  EXPECT_EQ(registry.render(),
            "# HELP qinfer_generation_tokens_total Generated tokens.\n"
            "# TYPE qinfer_generation_tokens_total counter\n"
            "qinfer_generation_tokens_total 3\n"
            "# HELP qinfer_http_requests_total HTTP requests.\n"
            "# TYPE qinfer_http_requests_total counter\n"
            "qinfer_http_requests_total{method=\"GET\",code=\"404\"} 1\n"
            "qinfer_http_requests_total{method=\"POST\",code=\"200\"} 2\n"
            "# HELP qinfer_num_requests_waiting Queued.\n"
            "# TYPE qinfer_num_requests_waiting gauge\n"
            "qinfer_num_requests_waiting 2.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  HistogramFamily& ttft = registry.histogram_family("qinfer_ttft_seconds", "TTFT.", {"model"},
                                                    {0.1, 0.5, 1});
  Histogram& h = ttft.with({"m"});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counts in that bucket (le is "less or equal")
  h.observe(0.7);
  h.observe(30);
  h.observe(std::nan(""));  // ignored
  EXPECT_EQ(registry.render(),
            "# HELP qinfer_ttft_seconds TTFT.\n"
            "# TYPE qinfer_ttft_seconds histogram\n"
            "qinfer_ttft_seconds_bucket{model=\"m\",le=\"0.1\"} 2\n"
            "qinfer_ttft_seconds_bucket{model=\"m\",le=\"0.5\"} 2\n"
            "qinfer_ttft_seconds_bucket{model=\"m\",le=\"1\"} 3\n"
            "qinfer_ttft_seconds_bucket{model=\"m\",le=\"+Inf\"} 4\n"
            "qinfer_ttft_seconds_sum{model=\"m\"} 30.85\n"
            "qinfer_ttft_seconds_count{model=\"m\"} 4\n");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.gauge_family("qinfer_model_info", "Model\\info\nsecond line.", {"model_name"})
      .with({"a\"b\\c\nd"})
      .set(1);
  EXPECT_EQ(registry.render(),
            "# HELP qinfer_model_info Model\\\\info\\nsecond line.\n"
            "# TYPE qinfer_model_info gauge\n"
            "qinfer_model_info{model_name=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, FormatsValuesPrometheusReadsBack) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(12345678), "12345678");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(1e-7), "1e-07");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(format_value(0.1 + 0.2)), 0.1 + 0.2);  // round-trips
  EXPECT_EQ(format_value(1e300), "1e+300");
}

TEST(Metrics, MissingLabelValuesAreEmptyAndExtraOnesDropped) {
  Registry registry;
  CounterFamily& family = registry.counter_family("x_total", "x", {"a", "b"});
  family.with({"1"}).inc();
  family.with({"1", "", "ignored"}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP x_total x\n# TYPE x_total counter\nx_total{a=\"1\",b=\"\"} 2\n");
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Registry registry;
  Counter& counter = registry.counter("c_total", "c");
  Histogram& histogram = registry.histogram("h", "h", {1, 2});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        histogram.observe(1.5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{0, 40000, 40000}));
  EXPECT_EQ(snapshot.count, 40000u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 60000);
}

TEST(Metrics, CollectHooksRunBeforeEachRender) {
  Registry registry;
  Gauge& gauge = registry.gauge("g", "g");
  int calls = 0;
  registry.on_collect([&] { gauge.set(++calls); });
  EXPECT_NE(registry.render().find("\ng 1\n"), std::string::npos);
  EXPECT_NE(registry.render().find("\ng 2\n"), std::string::npos);
}

TEST(Metrics, OneTwoFiveBuckets) {
  EXPECT_EQ(one_two_five_buckets(4096),
            (std::vector<double>{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}));
  EXPECT_EQ(one_two_five_buckets(10), (std::vector<double>{1, 2, 5, 10}));
  EXPECT_EQ(one_two_five_buckets(0), (std::vector<double>{1}));
  EXPECT_EQ(one_two_five_buckets(std::nan("")), (std::vector<double>{1}));
}

TEST(ProcessMetrics, SamplesThisProcess) {
  ProcessSample sample;
  ASSERT_TRUE(sample_process(sample));
  // Burn a little CPU so the counter has something to show.
  volatile double x = 0;
  for (int i = 0; i < 20000000; ++i) x = x + i * 1e-9;
  ASSERT_TRUE(sample_process(sample));
  EXPECT_GT(sample.cpu_seconds, 0.0);
  EXPECT_GT(sample.resident_bytes, 1 << 20);
  EXPECT_GE(sample.virtual_bytes, sample.resident_bytes);
  EXPECT_GE(sample.threads, 1);
  EXPECT_GE(sample.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(sample.max_fds, sample.open_fds);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(sample.start_time_seconds, now - 86400 * 365);
  EXPECT_LE(sample.start_time_seconds, now + 2);

  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_start_time_seconds ",
                           "process_open_fds ", "process_max_fds ", "process_threads "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace qinfer::metrics
