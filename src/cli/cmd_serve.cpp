// `qinfer serve`: the OpenAI-compatible HTTP server.
//
//   qinfer serve -m MODEL [--host 127.0.0.1] [--port 8080] [--model-name NAME]
//                [--api-key KEY | --api-key-file F] [--parallel N] [--ctx-size N] [-t N]
//                [--batch-tokens N] [--max-queue N] [--max-body BYTES] [--drain-timeout S]
//                [--no-think] [--dtype TYPE] [--mmap] [--http-threads N] [--verify]
//                [--metrics-api-key KEY | --no-metrics]
//                [--ssl-cert FILE --ssl-key FILE] [--insecure]
//                [--log-format json|text] [--log-level debug|info|warn|error] [--log-content]
//                [--request-timeout S] [--kv-type auto|f32|f16]
//
// --verify checks every model file against the SHA256SUMS next to it (`qinfer verify`) before
// loading, while /ready says 503; a mismatched, missing or unlisted file ends the process with
// exit 1 and a message naming it, before the server ever becomes ready.
//
// Safe defaults: a --host other than loopback (127.0.0.0/8, ::1, localhost) without an API key
// is refused (exit 1, saying why) unless --insecure says something in front controls access.
// --ssl-cert/--ssl-key (PEM, both or neither) serve HTTPS only; unreadable files or a key that
// is not the certificate's are refused before binding.
//
// Logs: one line per event on stderr, a JSON object by default ({"ts": RFC 3339 UTC with ms,
// "level", "msg", fields...}) or text (--log-format text); --log-level filters them. Every request
// gets an access-log line (method, path, route, status, duration_ms, remote_addr, request_id),
// never a prompt or a completion. The request id is the client's X-Request-Id when it is 1-128
// characters of [A-Za-z0-9._:-], else a generated one; the response echoes it. A generation
// adds a "generation" line under the same request_id: prompt, completion and cached tokens and
// each choice's finish reason; with --log-content also the prompt as rendered and each choice's
// raw output (for debugging: it puts users' text in the logs).
//
// Limits: --max-body caps a request body (413). --request-timeout S caps a generation's time
// from its acceptance (queue wait included): at the next step past it, the generation ends as if
// it had reached max_tokens — finish_reason "length", the text so far returned (or streamed) with
// its usage — so a client always gets a well-formed answer and the slot is freed. 0 (default):
// no limit. A client that wants less can still disconnect, which cancels at once.
//
// Every flag can also come from the environment as QINFER_<FLAG> (QINFER_PORT=9000, ...), the
// way container and systemd deployments configure services; a flag on the command line wins.
//
// Lifecycle: the listener starts first, so /health answers and /ready says 503 while the model
// loads; then /ready turns 200. SIGTERM or SIGINT starts a drain: /ready 503, new work 503 with
// Retry-After, requests in flight finish (up to --drain-timeout), and the process exits 0.
//
// GET /metrics serves Prometheus metrics (server/serving_metrics.h) in every state, without the
// API key; --metrics-api-key K makes it require "Authorization: Bearer K" (a key of its own, for
// the scraper), --no-metrics removes the route and every measurement.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/thread_pool.h"
#include "cli/model_load_flags.h"
#include "cli/commands.h"
#include "cli/generation_defaults.h"
#include "engine/scheduler.h"
#include "engine/text_assets.h"
#include "kernels/dispatch.h"
#include "model/convert_weights.h"
#include "model/model_manifest.h"
#include "server/http_server.h"
#include "server/listen_address.h"
#include "server/tls_files.h"
#include "server/openai_service.h"
#include "server/serving_metrics.h"

#ifndef QINFER_VERSION
#define QINFER_VERSION "0.1.0"
#endif

namespace qinfer::cli {
namespace {

struct ServeOptions {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string model_name;
  std::string api_key;
  std::string api_key_file;
  int64_t parallel = 4;
  std::optional<int64_t> ctx_size;
  int threads = 0;
  int64_t batch_tokens = 512;
  int64_t max_queue = 64;
  size_t max_body = size_t{8} << 20;
  double drain_timeout_seconds = 30;
  bool no_think = false;
  ModelLoadFlags load;  // --dtype, --mmap
  int http_threads = 0;
  std::string metrics_api_key;
  bool no_metrics = false;
  bool verify = false;
  std::string ssl_cert;
  std::string ssl_key;
  bool insecure = false;
  std::string log_format = "json";
  std::string log_level = "info";
  double request_timeout_seconds = 0;
  bool log_content = false;
};

constexpr int64_t kDefaultContext = 4096;

// The name clients send as `model`: the directory or file name without .gguf.
std::string default_model_name(const std::string& path) {
  std::filesystem::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "dir/" -> "dir"
  std::string name = p.filename().string();
  if (name.size() > 5 && name.ends_with(".gguf")) name.resize(name.size() - 5);
  return name.empty() ? std::string("qwen3") : name;
}

Expected<std::vector<std::string>> read_api_keys(const ServeOptions& options) {
  std::vector<std::string> keys;
  if (!options.api_key.empty()) keys.push_back(options.api_key);
  if (!options.api_key_file.empty()) {
    std::ifstream in(options.api_key_file);
    if (!in) return make_error("cannot read the API key file {}", options.api_key_file);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty() && line[0] != '#') keys.push_back(line);
    }
    if (keys.empty()) return make_error("the API key file {} holds no key", options.api_key_file);
  }
  return keys;
}

// Everything that exists once the model is loaded, in destruction order.
struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<engine::TextAssets> assets;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<engine::Scheduler> scheduler;
  std::unique_ptr<server::OpenAiService> service;
};

Status load(const ServeOptions& options, server::ServingMetrics* metrics, LoadedModel& loaded) {
  if (options.verify) QINFER_RETURN_IF_ERROR(verify_model_or_error(options.model, options.threads));
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> kv_dtype, options.load.kv_dtype());
  QINFER_ASSIGN_OR_RETURN(loaded.model,
                          load_model_with(options.model, options.load, options.threads));
  QINFER_ASSIGN_OR_RETURN(engine::TextAssets assets, engine::load_text_assets(*loaded.model));
  loaded.assets = std::make_unique<engine::TextAssets>(std::move(assets));
  loaded.pool = std::make_unique<ThreadPool>(options.threads);
  const Model& model = *loaded.model;
  engine::SchedulerOptions scheduler_options;
  scheduler_options.slots = options.parallel;
  scheduler_options.context_tokens = options.ctx_size.value_or(
      std::min<int64_t>(kDefaultContext, model.config.max_position_embeddings));
  scheduler_options.batch_tokens = std::max(options.batch_tokens, options.parallel);
  scheduler_options.max_queued = options.max_queue;
  scheduler_options.observer = metrics;
  scheduler_options.kv_dtype = kv_dtype;
  QINFER_ASSIGN_OR_RETURN(loaded.scheduler,
                          engine::Scheduler::create(model, loaded.assets->tokenizer, *loaded.pool,
                                                    scheduler_options));
  server::ServiceOptions service_options;
  service_options.model_name =
      options.model_name.empty() ? default_model_name(options.model) : options.model_name;
  service_options.defaults.sampler = sampler_params_from_generation_config(model.generation);
  service_options.defaults.enable_thinking = !options.no_think;
  service_options.eos_token_ids = end_of_sequence_ids(model.generation, model.config);
  service_options.metrics = metrics;
  service_options.log_content = options.log_content;
  service_options.request_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options.request_timeout_seconds));
  loaded.service = std::make_unique<server::OpenAiService>(model, *loaded.assets,
                                                           *loaded.scheduler, service_options);
  return ok_status();
}

// Serving the model to the network with no key lets anyone who can reach the port use it.
Status check_exposure(const ServeOptions& options, const std::vector<std::string>& api_keys) {
  if (server::is_loopback_host(options.host) || !api_keys.empty() || options.insecure) {
    return ok_status();
  }
  return make_error(
      "refusing to listen on {} without an API key: anyone who can reach this address could use "
      "the model. Set --api-key or --api-key-file (or QINFER_API_KEY), listen on 127.0.0.1, or "
      "pass --insecure if something in front of qinfer (a proxy, a firewall) controls access",
      options.host);
}

// One access-log line per request: never a prompt or a completion, only what the request was.
server::RequestObserver access_logger() {
  return [](const server::CompletedRequest& request) {
    nlohmann::json fields = {
        {"method", request.method},
        {"path", request.path},
        {"status", request.status},
        {"duration_ms",
         std::chrono::duration<double, std::milli>(request.duration).count()},
        {"remote_addr", request.remote_addr},
        {"request_id", request.request_id}};
    if (!request.route.empty()) fields["route"] = request.route;
    log_event(LogLevel::info, "request", fields);
  };
}

Status serve(const ServeOptions& options) {
  QINFER_ASSIGN_OR_RETURN(std::vector<std::string> api_keys, read_api_keys(options));
  if (options.parallel < 1) return make_error("--parallel must be at least 1");
  QINFER_RETURN_IF_ERROR(check_exposure(options, api_keys));
  if (!options.ssl_cert.empty() || !options.ssl_key.empty()) {
    QINFER_RETURN_IF_ERROR(server::check_tls_files(options.ssl_cert, options.ssl_key));
  }

  // SIGTERM and SIGINT are taken by sigwait below, never by a handler: blocked here, before any
  // thread starts, so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.api_keys = api_keys;
  http.max_body_bytes = options.max_body;
  http.tls_cert_file = options.ssl_cert;
  http.tls_key_file = options.ssl_key;
  http.request_observers.push_back(access_logger());
  // A connection holds an HTTP thread from its first byte to its close (a stream for its whole
  // generation, an SDK's idle keep-alive connection for seconds): leave room for queued
  // requests, probes and idle clients.
  http.http_threads = options.http_threads > 0
                          ? options.http_threads
                          : static_cast<int>(std::max<int64_t>(32, 2 * options.parallel + 16));
  // Declared before the server and the model: both report to it until they are gone.
  std::unique_ptr<server::ServingMetrics> metrics;
  if (!options.no_metrics) {
    metrics = std::make_unique<server::ServingMetrics>(
        server::BuildInfo{QINFER_VERSION, kernels().name});
    http.request_observers.push_back(metrics->request_observer());
  }
  server::HttpServer server(http);
  if (metrics) {
    QINFER_RETURN_IF_ERROR(
        server::register_metrics_route(server, *metrics, options.metrics_api_key));
  }
  LoadedModel loaded;
  std::atomic<server::OpenAiService*> service{nullptr};
  QINFER_RETURN_IF_ERROR(server::register_openai_routes(server, [&service] { return service.load(); }));
  QINFER_RETURN_IF_ERROR(server.start());
  const std::string scheme = options.ssl_cert.empty() ? "http" : "https";
  log_event(LogLevel::info, "listening",
            {{"url", fmt::format("{}://{}:{}", scheme, options.host, server.port())},
             {"model_path", options.model},
             {"auth", api_keys.empty() ? "none" : "api_key"},
             {"verify", options.verify}});

  const auto load_start = std::chrono::steady_clock::now();
  Status loaded_status = load(options, metrics.get(), loaded);
  if (!loaded_status.ok()) {
    server.stop();
    return loaded_status;
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const std::string kv_type(dtype_name(loaded.scheduler->kv_dtype()));
  const int64_t kv_cache_bytes = loaded.scheduler->kv_cache_bytes();
  if (metrics) {
    metrics->set_model({loaded.service->model_name(), options.model,
                        loaded.service->context_tokens(), options.parallel, kv_type,
                        kv_cache_bytes},
                       loaded.scheduler.get(), load_seconds);
  }
  service.store(loaded.service.get());
  server.set_ready();
  log_event(LogLevel::info, "ready",
            {{"model", loaded.service->model_name()},
             {"load_ms", load_seconds * 1000},
             {"kernels", kernels().name},
             {"threads", loaded.pool->size()},
             // "copy": matrices in a huge-page arena; "mmap": read from the file mapping.
             {"weights", loaded.model->arena.size() > 0 ? "copy" : "mmap"},
             {"slots", options.parallel},
             {"context_tokens", loaded.service->context_tokens()},
             {"kv_type", kv_type},
             {"kv_cache_bytes", kv_cache_bytes},
             {"auth", api_keys.empty() ? "none" : "api_key"}});
  // Cache pages are committed as conversations grow, so an oversized reservation would only
  // fail hours later, under load: say so at start-up.
  const int64_t memory_bytes =
      static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<int64_t>(sysconf(_SC_PAGE_SIZE));
  if (memory_bytes > 0 && kv_cache_bytes > memory_bytes) {
    log_event(LogLevel::warn,
              "the KV caches of every slot at full context exceed the machine's memory; lower "
              "--parallel or --ctx-size, or use --kv-type f16",
              {{"kv_cache_bytes", kv_cache_bytes}, {"memory_bytes", memory_bytes}});
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log_event(LogLevel::info, "draining",
            {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
             {"drain_timeout_s", options.drain_timeout_seconds}});
  server.begin_drain();
  const bool idle = server.wait_idle(std::chrono::milliseconds(
      static_cast<int64_t>(options.drain_timeout_seconds * 1000)));
  if (!idle) log_event(LogLevel::warn, "drain timeout; cancelling what still runs");
  loaded.scheduler->stop();
  server.stop();
  if (metrics) metrics->detach_scheduler();
  log_event(LogLevel::info, "stopped");
  return ok_status();
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "OpenAI-compatible HTTP server");
  cmd->add_option("-m,--model", options->model, "Hugging Face model directory or .gguf file")
      ->envname("QINFER_MODEL")
      ->required();
  cmd->add_option("--host", options->host, "Address to listen on")->envname("QINFER_HOST");
  cmd->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->envname("QINFER_PORT")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--model-name", options->model_name,
                  "The model id clients use (default: the model's file or directory name)")
      ->envname("QINFER_MODEL_NAME");
  auto* key = cmd->add_option("--api-key", options->api_key,
                              "Require 'Authorization: Bearer KEY' on the API routes")
                  ->envname("QINFER_API_KEY");
  cmd->add_option("--api-key-file", options->api_key_file, "File with one API key per line")
      ->envname("QINFER_API_KEY_FILE")
      ->excludes(key);
  cmd->add_option("--parallel", options->parallel, "Sequences generated together (slots)")
      ->envname("QINFER_PARALLEL")
      ->check(CLI::Range(int64_t{1}, int64_t{256}));
  cmd->add_option("--ctx-size", options->ctx_size,
                  "Context of each slot in tokens (default: 4096 or the model's, if smaller)")
      ->envname("QINFER_CTX_SIZE")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-t,--threads", options->threads, "Compute threads (0 = one per core)")
      ->envname("QINFER_THREADS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-tokens", options->batch_tokens,
                  "Tokens per forward pass (decode tokens plus prompt chunks)")
      ->envname("QINFER_BATCH_TOKENS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-queue", options->max_queue,
                  "Requests waiting for a slot; beyond it requests get 429")
      ->envname("QINFER_MAX_QUEUE")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body", options->max_body, "Largest request body in bytes (413 beyond)")
      ->envname("QINFER_MAX_BODY")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--drain-timeout", options->drain_timeout_seconds,
                  "Seconds in-flight requests may take to finish after SIGTERM")
      ->envname("QINFER_DRAIN_TIMEOUT")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-think", options->no_think,
                "Default chat_template_kwargs.enable_thinking to false")
      ->envname("QINFER_NO_THINK");
  add_model_load_flags(*cmd, options->load, /*env=*/true);
  cmd->add_option("--http-threads", options->http_threads,
                  "HTTP worker threads (0: 2 x parallel + 16, at least 32)")
      ->envname("QINFER_HTTP_THREADS")
      ->check(CLI::NonNegativeNumber);
  auto* metrics_key =
      cmd->add_option("--metrics-api-key", options->metrics_api_key,
                      "Require 'Authorization: Bearer KEY' on GET /metrics (default: open)")
          ->envname("QINFER_METRICS_API_KEY");
  cmd->add_flag("--no-metrics", options->no_metrics,
                "No GET /metrics and no measurements (for overhead benchmarks)")
      ->envname("QINFER_NO_METRICS")
      ->excludes(metrics_key);
  cmd->add_flag("--verify", options->verify,
                "Check the model's files against its SHA256SUMS before loading; exit on a mismatch")
      ->envname("QINFER_VERIFY");
  cmd->add_option("--request-timeout", options->request_timeout_seconds,
                  "Seconds a generation may take, queue wait included; then it ends with "
                  "finish_reason \"length\" (0: no limit)")
      ->envname("QINFER_REQUEST_TIMEOUT")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ssl-cert", options->ssl_cert, "PEM certificate (chain): serve HTTPS")
      ->envname("QINFER_SSL_CERT");
  cmd->add_option("--ssl-key", options->ssl_key, "PEM private key of --ssl-cert")
      ->envname("QINFER_SSL_KEY");
  cmd->add_flag("--insecure", options->insecure,
                "Allow a non-loopback --host without an API key")
      ->envname("QINFER_INSECURE");
  cmd->add_option("--log-format", options->log_format, "json (one object per line) or text")
      ->envname("QINFER_LOG_FORMAT")
      ->capture_default_str();
  cmd->add_flag("--log-content", options->log_content,
                "Also log each generation's prompt and completions (off: counts only)")
      ->envname("QINFER_LOG_CONTENT");
  cmd->add_option("--log-level", options->log_level, "debug, info, warn or error")
      ->envname("QINFER_LOG_LEVEL")
      ->capture_default_str();
  cmd->callback([options, &exit_code] {
    const Expected<LogFormat> format = parse_log_format(options->log_format);
    const Expected<LogLevel> level = parse_log_level(options->log_level);
    if (!format.ok() || !level.ok()) {
      std::fprintf(stderr, "qinfer serve: error: %s\n",
                   (!format.ok() ? format.error() : level.error()).message.c_str());
      exit_code = 1;
      return;
    }
    configure_logging(*format, *level);
    const Status status = serve(*options);
    if (!status.ok()) {
      log_event(LogLevel::error, status.error().message);
      exit_code = 1;
    }
  });
}

}  // namespace qinfer::cli
