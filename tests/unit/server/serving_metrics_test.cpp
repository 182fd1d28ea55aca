// ServingMetrics: what the scheduler, the endpoints and the HTTP layer report shows up in the
// exposition under the contract's names, with bounded labels; GET /metrics and its key.
#include "server/serving_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "test_http.h"

namespace qinfer::server {
namespace {

using testing::client_for;
using testing::start_server;
using testing::test_options;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(ServingMetrics, EngineEventsFillHistogramsAndCounters) {
  ServingMetrics metrics({"1.2.3", "avx2"});
  metrics.sequence_started({0.25, 100, 60});
  metrics.inter_token_interval(0.03);
  metrics.inter_token_interval(0.04);
  engine::SequenceFinished finished;
  finished.reason = engine::StopReason::kLength;
  finished.has_first_token = true;
  finished.queue_seconds = 0.25;
  finished.prefill_seconds = 0.5;
  finished.decode_seconds = 0.07;
  finished.time_to_first_token = 0.75;
  finished.e2e_seconds = 0.82;
  finished.prompt_tokens = 100;
  finished.generated_tokens = 3;
  metrics.sequence_finished(finished);
  metrics.count_success("tool_calls");
  metrics.count_cancelled();
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "qinfer_build_info{version=\"1.2.3\",kernels=\"avx2\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "qinfer_time_to_first_token_seconds_bucket{le=\"0.5\"} 0"));
  EXPECT_TRUE(has_line(text, "qinfer_time_to_first_token_seconds_bucket{le=\"0.75\"} 1"));
  EXPECT_TRUE(has_line(text, "qinfer_time_to_first_token_seconds_count 1"));
  EXPECT_TRUE(has_line(text, "qinfer_time_per_output_token_seconds_count 2"));
  EXPECT_TRUE(has_line(text, "qinfer_time_per_output_token_seconds_bucket{le=\"0.025\"} 0"));
  EXPECT_TRUE(has_line(text, "qinfer_time_per_output_token_seconds_bucket{le=\"0.05\"} 2"));
  EXPECT_TRUE(has_line(text, "qinfer_request_queue_time_seconds_bucket{le=\"0.3\"} 1"));
  EXPECT_TRUE(has_line(text, "qinfer_request_prefill_time_seconds_sum 0.5"));
  EXPECT_TRUE(has_line(text, "qinfer_request_decode_time_seconds_count 1"));
  EXPECT_TRUE(has_line(text, "qinfer_e2e_request_latency_seconds_sum 0.82"));
  EXPECT_TRUE(has_line(text, "qinfer_request_prompt_tokens_bucket{le=\"100\"} 1"));
  EXPECT_TRUE(has_line(text, "qinfer_request_generation_tokens_bucket{le=\"2\"} 0"));
  EXPECT_TRUE(has_line(text, "qinfer_prompt_tokens_total 100"));
  EXPECT_TRUE(has_line(text, "qinfer_generation_tokens_total 3"));
  EXPECT_TRUE(has_line(text, "qinfer_prefix_cache_queries_total 100"));
  EXPECT_TRUE(has_line(text, "qinfer_prefix_cache_hits_total 60"));
  EXPECT_TRUE(has_line(text, "qinfer_request_success_total{finish_reason=\"tool_calls\"} 1"));
  EXPECT_TRUE(has_line(text, "qinfer_request_cancelled_total 1"));
  EXPECT_TRUE(has_line(text, "qinfer_request_failed_total 0"));
  EXPECT_TRUE(has_line(text, "qinfer_model_load_seconds 0"));  // still loading
}

TEST(ServingMetrics, HttpLabelsAreBounded) {
  ServingMetrics metrics({"v", "ref"});
  RequestObserver observe = metrics.request_observer();
  CompletedRequest request;
  request.method = "GET";
  request.route = "/v1/models/{id}";
  request.path = "/v1/models/a";
  request.status = 200;
  request.duration = std::chrono::milliseconds(3);
  observe(request);
  request.path = "/v1/models/b";  // another id: the same series
  observe(request);
  request.method = "BREW";
  request.route = "";
  request.path = "/coffee/pot/42";
  request.status = 405;
  observe(request);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(
      text, "qinfer_http_requests_total{method=\"GET\",route=\"/v1/models/{id}\",code=\"200\"} 2"))
      << text;
  EXPECT_TRUE(has_line(
      text, "qinfer_http_requests_total{method=\"other\",route=\"unmatched\",code=\"405\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "qinfer_http_request_duration_seconds_bucket"
                       "{route=\"/v1/models/{id}\",le=\"0.005\"} 2"));
  EXPECT_EQ(text.find("/coffee"), std::string::npos);
  EXPECT_EQ(text.find("/v1/models/a"), std::string::npos);
}

TEST(ServingMetrics, RouteServesTextWhileLoadingAndChecksItsKey) {
  ServingMetrics metrics({"v", "ref"});
  HttpServerOptions options = test_options();
  options.api_keys = {"api-key"};
  options.request_observers = {metrics.request_observer()};
  auto server = start_server(options, [&](HttpServer& s) {
    ASSERT_TRUE(register_metrics_route(s, metrics, "scrape-key").ok());
  }, /*ready=*/false);
  auto client = client_for(*server);
  EXPECT_EQ(client->Get("/metrics")->status, 401);
  EXPECT_EQ(client->Get("/metrics", {{"Authorization", "Bearer api-key"}})->status, 401);
  auto scraped = client->Get("/metrics", {{"Authorization", "Bearer scrape-key"}});
  ASSERT_TRUE(scraped);
  EXPECT_EQ(scraped->status, 200);  // while loading
  EXPECT_EQ(scraped->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(scraped->body.find("# TYPE qinfer_num_requests_waiting gauge\n"), std::string::npos);
  // The 401s were counted (after their responses).
  EXPECT_TRUE(testing::eventually([&] {
    return has_line(metrics.render(),
                    "qinfer_http_requests_total{method=\"GET\",route=\"/metrics\",code=\"401\"} 2");
  }));
}

}  // namespace
}  // namespace qinfer::server
