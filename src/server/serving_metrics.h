// The Prometheus metrics of `qinfer serve` (GET /metrics), named like vLLM's so that the same
// dashboards and alerts carry over, with the qinfer_ prefix:
//
//   engine (SchedulerObserver, per sequence = per choice of a request):
//     histograms qinfer_time_to_first_token_seconds, qinfer_time_per_output_token_seconds (one
//     observation per token after the first), qinfer_e2e_request_latency_seconds,
//     qinfer_request_{queue,prefill,decode}_time_seconds,
//     qinfer_request_{prompt,generation}_tokens;
//     counters qinfer_{prompt,generation}_tokens_total, qinfer_prefix_cache_{queries,hits}_total
//     (prompt tokens looked up in / found in a KV cache)
//   outcomes (the endpoints, which know finish_reason): qinfer_request_success_total
//     {finish_reason="stop|length|tool_calls"}, qinfer_request_cancelled_total (the client left),
//     qinfer_request_failed_total (an engine error)
//   HTTP (request observer): qinfer_http_requests_total{method,route,code},
//     qinfer_http_request_duration_seconds{route}; route is the registered pattern or
//     "unmatched", method one of the served ones or "other": bounded cardinality
//   scraped: qinfer_num_requests_{running,waiting}, qinfer_kv_cache_usage_ratio (positions,
//     whatever the element type), qinfer_kv_cache_bytes (every slot's cache at full context),
//     qinfer_slots_total, qinfer_model_load_seconds, qinfer_build_info,
//     qinfer_model_info{model_name,path,context_tokens,slots,kv_type}, process_*
//
// No metric has a per-request label. Times are seconds, measured from submission to the
// scheduler (TTFT and e2e do not include parsing and templating, which qinfer_http_request_
// duration_seconds does).
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "engine/scheduler.h"
#include "metrics/registry.h"
#include "server/http_server.h"

namespace qinfer::server {

struct BuildInfo {
  std::string version;
  std::string kernels;  // the SIMD backend chosen at start-up
};

struct ModelInfo {
  std::string model_name;
  std::string path;
  int64_t context_tokens = 0;  // per slot
  int64_t slots = 0;
  std::string kv_type;         // the KV cache's element type, "f32" or "f16"
  int64_t kv_cache_bytes = 0;  // every slot's cache at full context
};

class ServingMetrics : public engine::SchedulerObserver {
 public:
  explicit ServingMetrics(const BuildInfo& build);

  // Feeds the HTTP counters; add it to HttpServerOptions::request_observers.
  RequestObserver request_observer();

  // Once the model is loaded: the scheduler (read when scraped; must outlive this object or be
  // detached with nullptr first), the model's labels, and how long loading took.
  void set_model(const ModelInfo& model, const engine::Scheduler* scheduler, double load_seconds);
  void detach_scheduler() { scheduler_.store(nullptr); }

  // A choice ended: finish_reason as the response reports it.
  void count_success(std::string_view finish_reason);
  void count_cancelled() { cancelled_.inc(); }
  void count_failed() { failed_.inc(); }

  // The text for GET /metrics.
  std::string render() const { return registry_.render(); }

  // engine::SchedulerObserver, on the scheduler thread.
  void sequence_started(const engine::SequenceStarted& started) override;
  void inter_token_interval(double seconds) override;
  void sequence_finished(const engine::SequenceFinished& finished) override;

 private:
  void record_http(const CompletedRequest& request);

  metrics::Registry registry_;
  std::atomic<const engine::Scheduler*> scheduler_{nullptr};

  metrics::Histogram& time_to_first_token_;
  metrics::Histogram& time_per_output_token_;
  metrics::Histogram& e2e_latency_;
  metrics::Histogram& queue_time_;
  metrics::Histogram& prefill_time_;
  metrics::Histogram& decode_time_;
  metrics::Histogram& prompt_tokens_per_request_;
  metrics::Histogram& generation_tokens_per_request_;
  metrics::Counter& prompt_tokens_;
  metrics::Counter& generation_tokens_;
  metrics::Counter& prefix_cache_queries_;
  metrics::Counter& prefix_cache_hits_;
  metrics::CounterFamily& success_;
  metrics::Counter& cancelled_;
  metrics::Counter& failed_;
  metrics::CounterFamily& http_requests_;
  metrics::HistogramFamily& http_duration_;
  metrics::Gauge& running_;
  metrics::Gauge& waiting_;
  metrics::Gauge& kv_usage_;
  metrics::Gauge& kv_bytes_;
  metrics::Gauge& slots_;
  metrics::Gauge& load_seconds_;
  metrics::GaugeFamily& model_info_;
};

// GET /metrics (an open route: answers while loading and draining, for probes and scrapers).
// With `api_key` set, only "Authorization: Bearer <api_key>" may read it (401 otherwise).
Status register_metrics_route(HttpServer& server, const ServingMetrics& metrics,
                              const std::string& api_key);

}  // namespace qinfer::server
