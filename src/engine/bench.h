// The measuring side of `qinfer bench` (cli/cmd_bench.cpp prints it), modeled on llama-bench so
// that the two are read side by side:
//
//   pp<P>  prefill: P prompt tokens from an empty cache, in chunks of `chunk_tokens` as
//          TextSession does (no lm_head on all but the last chunk); tokens/s = P / time
//   tg<N>  decode: N one-token forward passes (with lm_head), after a 1-token prompt that is not
//          timed; tokens/s = N / time
//   @ d<D> both tests with D positions already in the cache (-d, llama-bench's depth): filled
//          once, untimed, and kept between repetitions; attention then reads D more keys per
//          token, which is what long documents cost
//
// Prompts and fed-back tokens are random ids from a seeded generator, so neither tokenizer nor
// sampler time is in the numbers (llama-bench does the same). Each test runs `repetitions` times
// after one short untimed warm-up (which also faults the mmap'd weights in); results are the
// samples, their mean and sample standard deviation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/memory_bandwidth.h"
#include "base/thread_pool.h"
#include "model/config.h"
#include "model/weights.h"
#include "model/resident_weights.h"
#include "tensor/dtype.h"

namespace qinfer::engine {

struct BenchOptions {
  int64_t prompt_tokens = 512;   // -p
  int64_t gen_tokens = 128;      // -n
  int64_t depth = 0;             // -d: positions in the cache before each test
  int repetitions = 3;           // -r
  int64_t chunk_tokens = 512;    // prompt tokens per forward call
  uint64_t seed = 1;
  // --dtype: convert a Hugging Face model's matrices at load (model/convert_weights.h); the
  // conversion is part of the reported load time. nullopt: as stored.
  std::optional<DType> weight_dtype;
  WeightMemory weight_memory = WeightMemory::kAuto;  // --mmap: kMapped
  // --kv-type: the KV cache's element type, F32 or F16; nullopt: default_kv_dtype of the
  // weights (model/kv_cache.h).
  std::optional<DType> kv_dtype = std::nullopt;
  // When set, the read bandwidth is measured with these options just before and just after each
  // tg repetition (ModelBenchResult::decode_read_gbps). A machine's bandwidth can change within
  // seconds (the VM this was written on switches between ~35 and ~60 GB/s phases every few
  // seconds, within one process), so only a probe next to the decode it divides is its ceiling.
  // The probes' arrays stay out of peak_rss_bytes; where the peak cannot be restarted
  // (reset_peak_rss) no probes are taken.
  std::optional<MemoryBandwidthOptions> probe_decode;
};

// Errors name the flag: p, n, r and chunk must be >= 1, d >= 0.
Status check_bench_options(const BenchOptions& options);

struct SpeedSamples {
  std::vector<double> tokens_per_second;  // one per repetition
  double mean() const;
  double stddev() const;                  // sample (n - 1) standard deviation; 0 for one sample
};

struct ModelBenchResult {
  std::string path;
  std::string weight_types;               // the matrices' dtypes, e.g. "bf16", "q4_k+q6_k"
  Qwen3Config config;
  uint64_t file_bytes = 0;                // the mapped weight files
  int64_t parameters = 0;                 // tied embeddings counted once
  uint64_t decode_bytes_per_token = 0;    // weight bytes one decode step reads (see below)
  DType kv_dtype = DType::F32;            // the KV cache's element type (options resolved)
  uint64_t kv_cache_bytes = 0;            // the cache for d + max(p, n + 1) positions, all layers
  std::string backend;                    // kernel table name ("ref", "avx2", ...)
  int threads = 0;
  double load_seconds = 0.0;              // load_model + forward-pass set-up (mmap to ready)
  double warmup_seconds = 0.0;            // first forward passes: page faults, cold caches
  BenchOptions options;
  SpeedSamples prefill;                   // pp
  SpeedSamples decode;                    // tg
  uint64_t peak_rss_bytes = 0;            // this model's peak (see base/process_stats.h)

  // With BenchOptions::probe_decode, per tg repetition: the larger of the read bandwidths
  // measured just before and just after it (a phase change during the repetition then counts
  // against the decode, never for it).
  std::vector<double> decode_read_gbps;

  // Weight bytes read per second while decoding: decode_bytes_per_token * mean tg tokens/s.
  double decode_gbps() const;
  // The median over tg repetitions of each one's weight bytes per second over its
  // decode_read_gbps; nullopt without those probes.
  std::optional<double> decode_bandwidth_share() const;
};

// Parameters of the model: every matrix and norm, the embedding once when lm_head is tied to it.
int64_t parameter_count(const ModelWeights& weights);

// Bytes of weights one decode step streams from memory: every layer matrix and norm, the final
// norm and lm_head in full, plus one embedding row (a lookup, unless lm_head is the same matrix,
// which is then read in full anyway). The KV cache is not counted (at tg128 of 0.6B it is ~1%
// in F32).
uint64_t decode_bytes_per_token(const ModelWeights& weights);

// "bf16", or "q4_k+q6_k" for a mixed-type file: the matrices' dtypes, most bytes first.
std::string weight_types(const ModelWeights& weights);

// Loads the model at `path` (a Hugging Face directory or .gguf file), runs pp and tg on `pool`,
// and unloads it. Errors: bad options, a model that does not load or that the forward pass
// rejects, a prompt longer than the model's context.
Expected<ModelBenchResult> bench_model(const std::string& path, ThreadPool& pool,
                                       const BenchOptions& options);

}  // namespace qinfer::engine
