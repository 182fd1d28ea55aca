#include "engine/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <random>

#include "base/process_stats.h"
#include "kernels/dispatch.h"
#include "model/convert_weights.h"
#include "model/model.h"
#include "model/qwen3.h"

namespace qinfer::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The matrices and norms of the model, each once (lm_head is skipped when tied to the embedding).
std::vector<const TensorView*> unique_tensors(const ModelWeights& weights) {
  std::vector<const TensorView*> tensors = {&weights.embed_tokens, &weights.norm};
  if (weights.lm_head.data != weights.embed_tokens.data) tensors.push_back(&weights.lm_head);
  for (const LayerWeights& layer : weights.layers) {
    for (const TensorView* view :
         {&layer.input_layernorm, &layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.q_norm,
          &layer.k_norm, &layer.o_proj, &layer.post_attention_layernorm, &layer.gate_proj,
          &layer.up_proj, &layer.down_proj}) {
      tensors.push_back(view);
    }
  }
  return tensors;
}

std::vector<int32_t> random_ids(std::mt19937_64& rng, int64_t count, int64_t vocab_size) {
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(vocab_size - 1));
  std::vector<int32_t> ids(static_cast<size_t>(count));
  for (int32_t& value : ids) value = id(rng);
  return ids;
}

// The prompt through the forward pass in chunks after the first `depth` cached positions; only
// the last chunk asks for logits (as `qinfer run` does).
Status prefill(Qwen3Forward& forward, KvCache& cache, std::span<const int32_t> ids,
               int64_t chunk, int64_t depth = 0) {
  cache.truncate(depth);
  for (size_t begin = 0; begin < ids.size(); begin += static_cast<size_t>(chunk)) {
    const size_t count = std::min(ids.size() - begin, static_cast<size_t>(chunk));
    const LogitsFor which =
        begin + count == ids.size() ? LogitsFor::kLastPosition : LogitsFor::kNone;
    QINFER_RETURN_IF_ERROR(forward.forward(ids.subspan(begin, count), cache, which));
  }
  return ok_status();
}

// n one-token forward passes after a 1-token prompt (untimed) that follows the first `depth`
// cached positions; returns their seconds.
Expected<double> decode(Qwen3Forward& forward, KvCache& cache, std::span<const int32_t> ids,
                        int64_t depth = 0) {
  cache.truncate(depth);
  QINFER_RETURN_IF_ERROR(forward.forward(ids.first(1), cache, LogitsFor::kLastPosition));
  const Clock::time_point start = Clock::now();
  for (size_t i = 1; i < ids.size(); ++i) {
    QINFER_RETURN_IF_ERROR(forward.forward(ids.subspan(i, 1), cache, LogitsFor::kLastPosition));
  }
  return seconds_since(start);
}

}  // namespace

Status check_bench_options(const BenchOptions& options) {
  if (options.prompt_tokens < 1) {
    return make_error("-p (prompt tokens for pp) must be >= 1, got {}", options.prompt_tokens);
  }
  if (options.gen_tokens < 1) {
    return make_error("-n (generated tokens for tg) must be >= 1, got {}", options.gen_tokens);
  }
  if (options.repetitions < 1) {
    return make_error("-r (repetitions) must be >= 1, got {}", options.repetitions);
  }
  if (options.depth < 0) {
    return make_error("-d (positions in the cache before each test) must be >= 0, got {}",
                      options.depth);
  }
  if (options.chunk_tokens < 1) {
    return make_error("--chunk (prompt tokens per forward call) must be >= 1, got {}",
                      options.chunk_tokens);
  }
  return ok_status();
}

double SpeedSamples::mean() const {
  if (tokens_per_second.empty()) return 0.0;
  return std::accumulate(tokens_per_second.begin(), tokens_per_second.end(), 0.0) /
         static_cast<double>(tokens_per_second.size());
}

double SpeedSamples::stddev() const {
  if (tokens_per_second.size() < 2) return 0.0;
  const double m = mean();
  double sum_sq = 0.0;
  for (double value : tokens_per_second) sum_sq += (value - m) * (value - m);
  return std::sqrt(sum_sq / static_cast<double>(tokens_per_second.size() - 1));
}

double ModelBenchResult::decode_gbps() const {
  return static_cast<double>(decode_bytes_per_token) * decode.mean() / 1e9;
}

std::optional<double> ModelBenchResult::decode_bandwidth_share() const {
  const std::vector<double>& rates = decode.tokens_per_second;
  if (decode_read_gbps.empty() || decode_read_gbps.size() != rates.size()) return std::nullopt;
  std::vector<double> shares;
  for (size_t i = 0; i < rates.size(); ++i) {
    if (decode_read_gbps[i] <= 0) return std::nullopt;
    shares.push_back(static_cast<double>(decode_bytes_per_token) * rates[i] / 1e9 /
                     decode_read_gbps[i]);
  }
  std::sort(shares.begin(), shares.end());
  const size_t middle = shares.size() / 2;
  return shares.size() % 2 == 1 ? shares[middle] : (shares[middle - 1] + shares[middle]) / 2;
}

int64_t parameter_count(const ModelWeights& weights) {
  int64_t total = 0;
  for (const TensorView* view : unique_tensors(weights)) total += view->elements();
  return total;
}

uint64_t decode_bytes_per_token(const ModelWeights& weights) {
  uint64_t total = 0;
  for (const TensorView* view : unique_tensors(weights)) total += view->nbytes;
  if (weights.lm_head.data != weights.embed_tokens.data) {
    // The embedding is only looked up: one row per token, not the whole matrix.
    const TensorView& embed = weights.embed_tokens;
    total -= embed.nbytes;
    total += embed.nbytes / static_cast<uint64_t>(std::max<int64_t>(1, embed.rows()));
  }
  return total;
}

std::string weight_types(const ModelWeights& weights) {
  std::map<std::string, uint64_t> bytes_by_type;
  for (const TensorView* view : unique_tensors(weights)) {
    if (view->shape.size() == 2) {
      bytes_by_type[std::string(dtype_name(view->dtype))] += view->nbytes;
    }
  }
  std::vector<std::pair<std::string, uint64_t>> ordered(bytes_by_type.begin(), bytes_by_type.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string names;
  for (const auto& [name, bytes] : ordered) names += (names.empty() ? "" : "+") + name;
  return names;
}

Expected<ModelBenchResult> bench_model(const std::string& path, ThreadPool& pool,
                                       const BenchOptions& options) {
  QINFER_RETURN_IF_ERROR(check_bench_options(options));
  reset_peak_rss();
  ModelBenchResult result;
  result.path = path;
  result.options = options;
  result.threads = pool.size();
  result.backend = kernels().name;

  const Clock::time_point load_start = Clock::now();
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                          load_model_as(path, options.weight_dtype, pool.size(), options.weight_memory));
  const Qwen3Config& config = model->config;
  // tg needs 1 prompt position + n generated ones, both after the depth.
  const int64_t positions =
      options.depth + std::max(options.prompt_tokens, options.gen_tokens + 1);
  if (positions > config.max_position_embeddings) {
    return make_error("{}: -d {} / -p {} / -n {} need {} positions, the model's context is {}",
                      path, options.depth, options.prompt_tokens, options.gen_tokens, positions,
                      config.max_position_embeddings);
  }
  ForwardOptions forward_options;
  forward_options.max_chunk_tokens = std::min(options.chunk_tokens, options.prompt_tokens);
  forward_options.max_positions = positions;
  forward_options.kv_dtype = options.kv_dtype;
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Qwen3Forward> forward,
                          Qwen3Forward::create(config, model->weights, pool, forward_options));
  KvCache cache = forward->make_cache();
  result.kv_dtype = cache.dtype();
  result.kv_cache_bytes = static_cast<uint64_t>(cache.capacity_bytes());
  result.load_seconds = seconds_since(load_start);

  result.config = config;
  for (const MappedFile& file : model->files) result.file_bytes += file.size();
  result.parameters = parameter_count(model->weights);
  result.decode_bytes_per_token = decode_bytes_per_token(model->weights);
  result.weight_types = weight_types(model->weights);

  std::mt19937_64 rng(options.seed);
  // Warm-up: a short prefill and two decode steps touch every weight page and fill the caches.
  const Clock::time_point warmup_start = Clock::now();
  const std::vector<int32_t> warmup_ids =
      random_ids(rng, std::min<int64_t>(forward_options.max_chunk_tokens, 16), config.vocab_size);
  QINFER_RETURN_IF_ERROR(prefill(*forward, cache, warmup_ids, options.chunk_tokens));
  QINFER_RETURN_IF_ERROR(decode(*forward, cache, std::span<const int32_t>(warmup_ids).first(
                                                     std::min<size_t>(3, warmup_ids.size()))));
  result.warmup_seconds = seconds_since(warmup_start);
  if (options.depth > 0) {
    const std::vector<int32_t> context = random_ids(rng, options.depth, config.vocab_size);
    QINFER_RETURN_IF_ERROR(prefill(*forward, cache, context, forward_options.max_chunk_tokens));
  }

  for (int rep = 0; rep < options.repetitions; ++rep) {
    const std::vector<int32_t> ids = random_ids(rng, options.prompt_tokens, config.vocab_size);
    const Clock::time_point start = Clock::now();
    QINFER_RETURN_IF_ERROR(prefill(*forward, cache, ids, options.chunk_tokens, options.depth));
    result.prefill.tokens_per_second.push_back(static_cast<double>(ids.size()) /
                                               seconds_since(start));
  }
  auto probe = [&]() -> Expected<double> {
    QINFER_ASSIGN_OR_RETURN(const MemoryBandwidth bandwidth,
                            measure_memory_bandwidth(pool, *options.probe_decode));
    return bandwidth.read_gbps;
  };
  // The probes' arrays are the benchmark's memory, not the model's: the peak is read before each
  // probe and restarted after it (where the kernel cannot restart it, probes are skipped).
  uint64_t peak = peak_rss_bytes();  // load, warm-up and prefill
  const bool probing = options.probe_decode && reset_peak_rss();
  for (int rep = 0; rep < options.repetitions; ++rep) {
    const std::vector<int32_t> ids = random_ids(rng, options.gen_tokens + 1, config.vocab_size);
    double read_before = 0;
    if (probing) {
      peak = std::max(peak, peak_rss_bytes());
      QINFER_ASSIGN_OR_RETURN(read_before, probe());
      reset_peak_rss();
    }
    QINFER_ASSIGN_OR_RETURN(const double seconds, decode(*forward, cache, ids, options.depth));
    result.decode.tokens_per_second.push_back(static_cast<double>(options.gen_tokens) / seconds);
    peak = std::max(peak, peak_rss_bytes());
    if (probing) {
      QINFER_ASSIGN_OR_RETURN(const double read_after, probe());
      reset_peak_rss();
      result.decode_read_gbps.push_back(std::max(read_before, read_after));
    }
  }
  result.peak_rss_bytes = peak;
  return result;
}

}  // namespace qinfer::engine
