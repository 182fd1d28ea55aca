// How `qinfer bench` prints its measurements.
//
// Text: a markdown table in llama-bench's shape, one row per model and test, printed as each
// model finishes:
//   | model | size | params | backend | threads | kv | test | t/s | GB/s | mem BW % | load ms |
//     peak RSS |
// kv is the KV cache's element type (f32 or f16).
// GB/s (weight bytes read per decode step x tg tokens/s) and its share of the measured read
// bandwidth are filled on tg rows only; prefill is compute bound. The share is
// bandwidth_share's.
//
// --json: JSON Lines, one object per line, written as soon as it is known:
//   {"test": "memory", "n_threads", "array_bytes", "runs", "triad_gbps", "read_gbps"}
//     first, unless the memory measurement was skipped;
//   then per model one object per test, with llama-bench's field names where they exist (so a
//   script reads both tools' output with one parser):
//   {"test": "pp512" | "tg128" (with " @ d<D>" at a depth), "model_filename", "model_type", "model_size" (bytes of the weight
//    files), "model_n_params", "weight_types", "backends", "n_threads", "type_k" and "type_v"
//    (the KV cache's element type, "f32" or "f16"), "kv_cache_bytes" (the cache for d + max(p,
//    n + 1) positions), "n_prompt", "n_gen", "n_depth",
//    "n_chunk", "repetitions", "avg_ts", "stddev_ts", "samples_ts", "load_ms", "warmup_ms",
//    "peak_rss_bytes", "weight_bytes_per_token",
//    tg only: "gbps", "mem_read_gbps" (the bandwidth given to bench_json_lines),
//    "mem_read_gbps_samples" (ModelBenchResult::decode_read_gbps, one per repetition) and
//    "mem_bw_share" (0..1, bandwidth_share) when known}
//   n_prompt is 0 on tg lines and n_gen 0 on pp lines, as in llama-bench.
#pragma once

#include <optional>
#include <string>

#include "base/memory_bandwidth.h"
#include "engine/bench.h"

namespace qinfer::engine {

// "qwen3 0.6B bf16": architecture, size class from the shape, weight types.
std::string model_type_label(const ModelBenchResult& result);

std::string memory_bandwidth_text(const MemoryBandwidth& bandwidth);
std::string memory_bandwidth_json(const MemoryBandwidth& bandwidth);

// The decode's share of the memory read bandwidth: the median of the per-repetition shares
// against the probes next to each repetition when bench_model took them
// (ModelBenchResult::decode_bandwidth_share), else mean GB/s over `read_gbps`; nullopt when
// neither is known.
std::optional<double> bandwidth_share(const ModelBenchResult& result,
                                      std::optional<double> read_gbps);

std::string bench_table_header();
// The pp and tg rows of one model. read_gbps: the machine's measured read bandwidth, if known.
std::string bench_table_rows(const ModelBenchResult& result, std::optional<double> read_gbps);
// The pp and tg lines of one model.
std::string bench_json_lines(const ModelBenchResult& result, std::optional<double> read_gbps);

}  // namespace qinfer::engine
