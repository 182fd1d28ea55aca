// `qinfer run`: generates after a prompt, greedy or sampled, stopping at the model's
// end-of-sequence ids. Two ways in:
//
//   qinfer run -m MODEL -p TEXT [--raw --system S --think|--no-think ...]   text in, text out
//                                                                           (cli/text_run.h)
//   qinfer run -m MODEL --ids 1,2,3 -n 32 [--temperature T --top-k K --top-p P --seed S]
//              [-t THREADS] [--chunk N] [--kv-type auto|f32|f16] [--verbose]
//
// With --ids, stdout gets the generated ids, comma-separated, as they are produced, and sampling
// is greedy unless flags say otherwise (the forward-pass oracle tests rely on that). --verbose
// adds load time and prefill and decode speeds on stderr (decode tokens/s counts the one-token
// forward passes).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/model_load_flags.h"
#include "cli/commands.h"
#include "cli/sampling_flags.h"
#include "cli/text_run.h"
#include "cli/token_ids.h"
#include "kernels/dispatch.h"
#include "model/convert_weights.h"
#include "model/model.h"
#include "model/qwen3.h"
#include "sampling/sampler.h"

namespace qinfer::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string ids;
  std::optional<int64_t> max_new_tokens;  // --ids: 32; -p: see text_run.h
  SamplingFlags sampling;
  SamplerParams sampler;                  // --ids: the flags over greedy defaults, seed 0
  int threads = 0;
  int64_t chunk = 512;
  bool verbose = false;
  ModelLoadFlags load;  // --dtype, --mmap
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status run(const RunOptions& options) {
  QINFER_RETURN_IF_ERROR(validate_sampler_params(options.sampler));
  QINFER_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parse_token_ids(options.ids));
  const int64_t max_new_tokens = options.max_new_tokens.value_or(32);
  const Clock::time_point load_start = Clock::now();
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> kv_dtype, options.load.kv_dtype());
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                          load_model_with(options.model, options.load, options.threads));
  const double load_seconds = seconds_since(load_start);
  const Qwen3Config& config = model->config;
  QINFER_RETURN_IF_ERROR(check_token_ids(ids, config.vocab_size, config.max_position_embeddings,
                                         max_new_tokens));
  const int64_t n_prompt = static_cast<int64_t>(ids.size());

  ThreadPool pool(options.threads);
  ForwardOptions forward_options;
  forward_options.max_chunk_tokens = std::min(options.chunk, n_prompt);
  forward_options.max_positions = n_prompt + max_new_tokens;
  forward_options.kv_dtype = kv_dtype;
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Qwen3Forward> forward,
                          Qwen3Forward::create(config, model->weights, pool, forward_options));
  KvCache cache = forward->make_cache();
  Sampler sampler(config.vocab_size, options.sampler);
  std::vector<int64_t> stop_ids = model->generation.eos_token_ids;
  stop_ids.insert(stop_ids.end(), config.eos_token_ids.begin(), config.eos_token_ids.end());
  if (options.verbose) {
    std::fprintf(stderr, "model: %s (%lld layers, hidden %lld, weights %s) loaded in %.0f ms; "
                 "kernels: %s; threads: %d; kv cache: %s\n",
                 options.model.c_str(), static_cast<long long>(config.num_hidden_layers),
                 static_cast<long long>(config.hidden_size),
                 std::string(dtype_name(model->weights.layers[0].q_proj.dtype)).c_str(),
                 load_seconds * 1e3, kernels().name, pool.size(),
                 std::string(dtype_name(cache.dtype())).c_str());
  }

  // Prefill: the prompt in chunks; only the last position's logits are needed.
  const Clock::time_point prefill_start = Clock::now();
  std::span<const float> logits;
  for (int64_t begin = 0; begin < n_prompt; begin += options.chunk) {
    const int64_t count = std::min(options.chunk, n_prompt - begin);
    const LogitsFor which = begin + count == n_prompt ? LogitsFor::kLastPosition : LogitsFor::kNone;
    QINFER_ASSIGN_OR_RETURN(logits, forward->forward(std::span<const int32_t>(ids).subspan(begin, count),
                                                     cache, which));
  }
  const double prefill_seconds = seconds_since(prefill_start);

  // Decode: sample, print, feed the token back, until n tokens or an end-of-sequence id.
  const Clock::time_point decode_start = Clock::now();
  int64_t decode_steps = 0;
  for (int64_t generated = 0; generated < max_new_tokens; ++generated) {
    const int32_t token = sampler.sample(logits);
    std::printf("%s%d", generated == 0 ? "" : ",", token);
    std::fflush(stdout);
    const bool stop = std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end();
    if (stop || generated + 1 == max_new_tokens) break;
    QINFER_ASSIGN_OR_RETURN(logits, forward->forward(std::span<const int32_t>(&token, 1), cache,
                                                     LogitsFor::kLastPosition));
    ++decode_steps;
  }
  std::printf("\n");
  const double decode_seconds = seconds_since(decode_start);
  if (options.verbose) {
    std::fprintf(stderr, "prefill: %lld tokens in %.1f ms (%.2f tokens/s)\n",
                 static_cast<long long>(n_prompt), prefill_seconds * 1e3, n_prompt / prefill_seconds);
    std::fprintf(stderr, "decode: %lld tokens in %.1f ms (%.2f tokens/s)\n",
                 static_cast<long long>(decode_steps), decode_seconds * 1e3,
                 decode_steps > 0 ? decode_steps / decode_seconds : 0.0);
  }
  return ok_status();
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand(
      "run", "Generate text after a prompt (-p), or token ids after token ids (--ids; greedy "
             "unless sampling flags are given)");
  cmd->add_option("-m,--model", options->model, "Hugging Face model directory or .gguf file")
      ->required();
  auto* ids_option =
      cmd->add_option("--ids", options->ids, "Prompt: comma-separated token ids (ids out)");
  auto text = std::make_shared<TextRunOptions>();
  auto* prompt_option = add_text_run_options(*cmd, *text);
  ids_option->excludes(prompt_option);
  cmd->add_option("-n,--max-new-tokens,--max-tokens", options->max_new_tokens,
                  "Tokens to generate (--ids: 32, -p: 512)")
      ->check(CLI::PositiveNumber);
  add_sampling_flags(*cmd, options->sampling);
  cmd->add_option("-t,--threads", options->threads, "Threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--chunk", options->chunk, "Prompt tokens per forward call")
      ->check(CLI::PositiveNumber);
  add_model_load_flags(*cmd, options->load);
  cmd->add_flag("-v,--verbose", options->verbose, "Print load time and tokens/s to stderr");
  cmd->callback([cmd, options, text, &exit_code] {
    Status status = ok_status();
    if (cmd->count("-p") > 0) {
      status = run_text(*text, TextRunCommon{options->model, options->max_new_tokens,
                                             options->sampling, options->threads, options->chunk,
                                             options->verbose, options->load});
    } else if (cmd->count("--ids") > 0) {
      if (!options->sampling.stop.empty()) {
        status = make_error("--stop needs a text prompt (-p); --ids prints ids");
      } else {
        options->sampler = resolve_sampling_flags(options->sampling, SamplerParams{});
        if (!options->sampling.seed) options->sampler.seed = 0;
        status = run(*options);
      }
    } else {
      status = make_error("give a prompt: -p TEXT, or --ids 1,2,3");
    }
    if (!status.ok()) {
      std::fprintf(stderr, "qinfer run: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
