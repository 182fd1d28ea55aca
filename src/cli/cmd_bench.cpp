// `qinfer bench`: prefill and decode speed, like llama-bench, plus what explains them.
//
//   qinfer bench -m MODEL [-m MODEL2 ...] [-t N] [-p 512] [-n 128] [-r 3] [--chunk 512]
//                [--seed S] [--dtype q8_0|q4_k|...] [--json] [--mem-read-gbps X | --no-memory]
//   qinfer bench --memory [-t N] [--memory-mib 256] [--memory-runs 5] [--json]
//
// Per model: load time, weight file size, parameters, pp<P> and tg<N> tokens/s (mean ± stddev of
// r runs), the weight bytes a decode step reads x tg tokens/s as GB/s and its share of the
// machine's read bandwidth, peak RSS, kernel backend, threads and KV cache type (engine/bench.h
// says exactly what is timed; engine/bench_report.h documents the table and the JSON lines).
// The read bandwidth is measured at the start with the same threads (printed), and just before
// and after each tg repetition (3 runs each): the share is the median over repetitions against
// each one's adjacent probes (engine/bench_report.h), because a machine's bandwidth can change
// within seconds (engine/bench.h).
// --mem-read-gbps gives the bandwidth instead (the share is then of it), --no-memory skips it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/memory_bandwidth.h"
#include "cli/model_load_flags.h"
#include "cli/commands.h"
#include "engine/bench.h"
#include "engine/bench_report.h"
#include "model/convert_weights.h"

namespace qinfer::cli {
namespace {

struct BenchCliOptions {
  std::vector<std::string> models;
  ModelLoadFlags load;  // --dtype, --mmap: parsed into bench.weight_dtype, weight_memory
  int threads = 0;
  engine::BenchOptions bench;
  bool json = false;
  bool memory_only = false;
  bool no_memory = false;
  std::optional<double> mem_read_gbps;
  int64_t memory_mib = 256;
  int memory_runs = 10;
};

void emit(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);  // rows appear as models finish, and a script can stream them
}

// --memory-mib and --memory-runs as the measurement's options.
Expected<MemoryBandwidthOptions> memory_options(const BenchCliOptions& options) {
  if (options.memory_mib < 1) {
    return make_error("--memory-mib must be >= 1, got {}", options.memory_mib);
  }
  MemoryBandwidthOptions memory;
  memory.array_bytes = static_cast<uint64_t>(options.memory_mib) << 20;
  memory.runs = options.memory_runs;
  return memory;
}

Expected<MemoryBandwidth> measure(ThreadPool& pool, const BenchCliOptions& options) {
  QINFER_ASSIGN_OR_RETURN(const MemoryBandwidthOptions memory, memory_options(options));
  return measure_memory_bandwidth(pool, memory);
}

Status run_bench(const BenchCliOptions& options) {
  if (options.threads < 0) {
    return make_error("-t must be >= 0 (0 = one per core), got {}", options.threads);
  }
  ThreadPool pool(options.threads);
  if (options.memory_only) {
    if (!options.models.empty()) return make_error("--memory measures the machine; drop -m");
    QINFER_ASSIGN_OR_RETURN(const MemoryBandwidth bandwidth, measure(pool, options));
    emit(options.json ? engine::memory_bandwidth_json(bandwidth)
                      : engine::memory_bandwidth_text(bandwidth));
    return ok_status();
  }
  if (options.models.empty()) return make_error("give at least one model: -m MODEL (or --memory)");
  engine::BenchOptions bench = options.bench;
  QINFER_ASSIGN_OR_RETURN(bench.weight_dtype, parse_weight_dtype(options.load.dtype));
  bench.weight_memory = options.load.weight_memory();
  QINFER_ASSIGN_OR_RETURN(bench.kv_dtype, options.load.kv_dtype());
  QINFER_RETURN_IF_ERROR(engine::check_bench_options(bench));
  if (options.mem_read_gbps && *options.mem_read_gbps <= 0) {
    return make_error("--mem-read-gbps must be > 0, got {}", *options.mem_read_gbps);
  }
  // A typo in the third model should not surface after minutes of benchmarking the first two.
  for (const std::string& model : options.models) {
    std::error_code error;
    if (!std::filesystem::exists(model, error)) {
      return make_error("{}: no such file or directory", model);
    }
  }

  std::optional<double> read_gbps = options.mem_read_gbps;
  const bool measure_memory = !read_gbps && !options.no_memory;
  if (measure_memory) {
    // The probes around each tg run: the same arrays, fewer runs.
    QINFER_ASSIGN_OR_RETURN(MemoryBandwidthOptions probe, memory_options(options));
    probe.runs = std::min(probe.runs, 3);
    bench.probe_decode = probe;
    QINFER_ASSIGN_OR_RETURN(const MemoryBandwidth bandwidth, measure(pool, options));
    read_gbps = bandwidth.read_gbps;
    emit(options.json ? engine::memory_bandwidth_json(bandwidth)
                      : engine::memory_bandwidth_text(bandwidth) + "\n");
  }
  if (!options.json) emit(engine::bench_table_header());
  for (const std::string& model : options.models) {
    QINFER_ASSIGN_OR_RETURN(const engine::ModelBenchResult result,
                            engine::bench_model(model, pool, bench));
    emit(options.json ? engine::bench_json_lines(result, read_gbps)
                      : engine::bench_table_rows(result, read_gbps));
  }
  if (measure_memory && !options.json) {
    emit("\nmem BW %: median over the tg runs of each one's GB/s over the read bandwidth measured "
         "just before and just after it (the larger)\n");
  }
  return ok_status();
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchCliOptions>();
  auto* cmd = app.add_subcommand(
      "bench", "Measure prefill (pp) and decode (tg) tokens/s, load time, memory bandwidth "
               "share and peak RSS, like llama-bench; or the machine's memory bandwidth "
               "(--memory)");
  cmd->add_option("-m,--model", options->models,
                  "Model: Hugging Face directory or .gguf file (repeat for several)");
  cmd->add_option("-t,--threads", options->threads, "Threads (0 = one per core)");
  add_model_load_flags(*cmd, options->load);
  cmd->add_option("-p,--n-prompt", options->bench.prompt_tokens,
                  "Prompt tokens of the prefill test pp<P>")
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", options->bench.gen_tokens, "Decode steps of the test tg<N>")
      ->capture_default_str();
  cmd->add_option("-d,--n-depth", options->bench.depth,
                  "Positions already in the KV cache before each test (long-context cost)")
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", options->bench.repetitions, "Runs of each test")
      ->capture_default_str();
  cmd->add_option("--chunk", options->bench.chunk_tokens, "Prompt tokens per forward call")
      ->capture_default_str();
  cmd->add_option("--seed", options->bench.seed, "Seed of the random prompt ids")
      ->capture_default_str();
  cmd->add_flag("--json", options->json,
                "JSON Lines: one object per test (see src/engine/bench_report.h)");
  cmd->add_flag("--memory", options->memory_only,
                "Only measure memory bandwidth (STREAM triad and a read-only sum)");
  auto* no_memory = cmd->add_flag("--no-memory", options->no_memory,
                                  "Skip the bandwidth measurement (no mem BW % column)");
  cmd->add_option("--mem-read-gbps", options->mem_read_gbps,
                  "Use this read bandwidth (GB/s, from an earlier --memory) instead of measuring")
      ->excludes(no_memory);
  cmd->add_option("--memory-mib", options->memory_mib,
                  "Size of each of the 3 bandwidth arrays, MiB (keep it >> last-level cache)")
      ->capture_default_str();
  cmd->add_option("--memory-runs", options->memory_runs, "Bandwidth runs; the best counts")
      ->capture_default_str();
  cmd->callback([options, &exit_code] {
    const Status status = run_bench(*options);
    if (!status.ok()) {
      std::fprintf(stderr, "qinfer bench: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
