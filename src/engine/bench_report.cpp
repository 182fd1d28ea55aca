#include "engine/bench_report.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace qinfer::engine {
namespace {

// Published Qwen3 dense shapes by (layers, hidden size); llama.cpp names them the same way.
std::string size_class(const Qwen3Config& config, int64_t parameters) {
  struct Shape {
    int64_t layers, hidden;
    const char* name;
  };
  static constexpr Shape kShapes[] = {{28, 1024, "0.6B"}, {28, 2048, "1.7B"}, {36, 2560, "4B"},
                                      {36, 4096, "8B"},   {40, 5120, "14B"},  {64, 5120, "32B"}};
  for (const Shape& shape : kShapes) {
    if (config.num_hidden_layers == shape.layers && config.hidden_size == shape.hidden) {
      return shape.name;
    }
  }
  if (parameters < 1'000'000) return fmt::format("{:.0f}K", static_cast<double>(parameters) / 1e3);
  if (parameters < 1'000'000'000) {
    return fmt::format("{:.0f}M", static_cast<double>(parameters) / 1e6);
  }
  return fmt::format("{:.1f}B", static_cast<double>(parameters) / 1e9);
}

std::string gib(uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
}

// llama-bench's names: "tg128", and "tg128 @ d4096" at a depth.
std::string test_name(const char* kind, int64_t tokens, int64_t depth) {
  return depth > 0 ? fmt::format("{}{} @ d{}", kind, tokens, depth)
                   : fmt::format("{}{}", kind, tokens);
}

std::string file_name(const std::string& path) {
  std::filesystem::path p(path);
  if (!p.has_filename()) p = p.parent_path();  // "dir/" -> "dir"
  return p.filename().string();
}

nlohmann::ordered_json common_fields(const ModelBenchResult& r) {
  nlohmann::ordered_json out;
  out["model_filename"] = r.path;
  out["model_type"] = model_type_label(r);
  out["model_size"] = r.file_bytes;
  out["model_n_params"] = r.parameters;
  out["weight_types"] = r.weight_types;
  out["backends"] = r.backend;
  out["n_threads"] = r.threads;
  out["type_k"] = std::string(dtype_name(r.kv_dtype));  // llama-bench's names
  out["type_v"] = std::string(dtype_name(r.kv_dtype));
  out["kv_cache_bytes"] = r.kv_cache_bytes;
  return out;
}

void add_samples(nlohmann::ordered_json& out, const SpeedSamples& samples,
                 const ModelBenchResult& r) {
  out["n_chunk"] = r.options.chunk_tokens;
  out["repetitions"] = r.options.repetitions;
  out["avg_ts"] = samples.mean();
  out["stddev_ts"] = samples.stddev();
  out["samples_ts"] = samples.tokens_per_second;
  out["load_ms"] = r.load_seconds * 1e3;
  out["warmup_ms"] = r.warmup_seconds * 1e3;
  out["peak_rss_bytes"] = r.peak_rss_bytes;
  out["weight_bytes_per_token"] = r.decode_bytes_per_token;
}

}  // namespace

std::string model_type_label(const ModelBenchResult& result) {
  return fmt::format("{} {} {}", result.config.model_type,
                     size_class(result.config, result.parameters), result.weight_types);
}

std::string memory_bandwidth_text(const MemoryBandwidth& bw) {
  return fmt::format("memory bandwidth, {} threads, 3 x {} MiB arrays, best of {}: read {:.1f} "
                     "GB/s, triad {:.1f} GB/s\n",
                     bw.threads, bw.array_bytes >> 20, bw.runs, bw.read_gbps, bw.triad_gbps);
}

std::string memory_bandwidth_json(const MemoryBandwidth& bw) {
  nlohmann::ordered_json out;
  out["test"] = "memory";
  out["n_threads"] = bw.threads;
  out["array_bytes"] = bw.array_bytes;
  out["runs"] = bw.runs;
  out["triad_gbps"] = bw.triad_gbps;
  out["read_gbps"] = bw.read_gbps;
  return out.dump() + "\n";
}

std::optional<double> bandwidth_share(const ModelBenchResult& r,
                                      std::optional<double> read_gbps) {
  if (const std::optional<double> share = r.decode_bandwidth_share()) return share;
  if (read_gbps && *read_gbps > 0) return r.decode_gbps() / *read_gbps;
  return std::nullopt;
}

std::string bench_table_header() {
  return "| model | size | params | backend | threads | kv | test | t/s | GB/s | mem BW % | "
         "load ms | peak RSS |\n"
         "| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
}

std::string bench_table_rows(const ModelBenchResult& r, std::optional<double> read_gbps) {
  const std::string model = fmt::format("{} ({})", model_type_label(r), file_name(r.path));
  const std::string params = fmt::format("{:.2f} M", static_cast<double>(r.parameters) / 1e6);
  const std::string common =
      fmt::format("| {} | {} | {} | {} | {} | {} ", model, gib(r.file_bytes), params, r.backend,
                  r.threads, dtype_name(r.kv_dtype));
  const std::string tail =
      fmt::format("| {:.0f} | {} |\n", r.load_seconds * 1e3, gib(r.peak_rss_bytes));
  std::string rows;
  rows += common +
          fmt::format("| {} | {:.2f} ± {:.2f} | - | - ", test_name("pp", r.options.prompt_tokens, r.options.depth),
                      r.prefill.mean(), r.prefill.stddev()) +
          tail;
  const std::optional<double> fraction = bandwidth_share(r, read_gbps);
  const std::string share = fraction ? fmt::format("{:.0f}%", 100.0 * *fraction) : "-";
  rows += common + fmt::format("| {} | {:.2f} ± {:.2f} | {:.1f} | {} ",
                               test_name("tg", r.options.gen_tokens, r.options.depth), r.decode.mean(),
                               r.decode.stddev(), r.decode_gbps(), share) + tail;
  return rows;
}

std::string bench_json_lines(const ModelBenchResult& r, std::optional<double> read_gbps) {
  nlohmann::ordered_json pp = common_fields(r);
  pp["test"] = test_name("pp", r.options.prompt_tokens, r.options.depth);
  pp["n_prompt"] = r.options.prompt_tokens;
  pp["n_gen"] = 0;
  pp["n_depth"] = r.options.depth;
  add_samples(pp, r.prefill, r);

  nlohmann::ordered_json tg = common_fields(r);
  tg["test"] = test_name("tg", r.options.gen_tokens, r.options.depth);
  tg["n_prompt"] = 0;
  tg["n_gen"] = r.options.gen_tokens;
  tg["n_depth"] = r.options.depth;
  add_samples(tg, r.decode, r);
  tg["gbps"] = r.decode_gbps();
  if (read_gbps && *read_gbps > 0) tg["mem_read_gbps"] = *read_gbps;
  if (!r.decode_read_gbps.empty()) tg["mem_read_gbps_samples"] = r.decode_read_gbps;
  if (const std::optional<double> share = bandwidth_share(r, read_gbps)) {
    tg["mem_bw_share"] = *share;
  }
  return pp.dump() + "\n" + tg.dump() + "\n";
}

}  // namespace qinfer::engine
