#include "cli/text_run.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/generation_defaults.h"
#include "cli/interrupt.h"
#include "engine/text_assets.h"
#include "engine/text_session.h"
#include "kernels/dispatch.h"
#include "model/convert_weights.h"
#include "model/model.h"

namespace qinfer::cli {
namespace {

constexpr int64_t kDefaultMaxNewTokens = 512;

std::string ids_json(std::span<const int32_t> ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

Expected<std::string> prompt_text(const TextRunOptions& options, const engine::TextAssets& assets,
                                  const Model& model) {
  if (options.raw) {
    if (!options.system.empty()) return make_error("--system needs the chat template (drop --raw)");
    return options.prompt;
  }
  QINFER_ASSIGN_OR_RETURN(const chat::ChatTemplate* tmpl,
                          engine::require_chat_template(assets, model));
  chat::ChatRequest request;
  if (!options.system.empty()) {
    request.messages.push_back({{"role", "system"}, {"content", options.system}});
  }
  request.messages.push_back({{"role", "user"}, {"content", options.prompt}});
  request.add_generation_prompt = true;
  if (options.enable_thinking) request.kwargs["enable_thinking"] = *options.enable_thinking;
  return tmpl->render(request);
}

}  // namespace

CLI::Option* add_text_run_options(CLI::App& cmd, TextRunOptions& options) {
  const char* group = "Text prompt";
  auto* prompt = cmd.add_option("-p,--prompt", options.prompt,
                                "Prompt text (a user message unless --raw); text out")
                     ->group(group);
  // Text-only flags need -p, so that `--ids ... --raw` is an error rather than silently ignored.
  cmd.add_flag("--raw", options.raw, "Plain completion: no chat template")
      ->group(group)
      ->needs(prompt);
  cmd.add_option("--system", options.system, "System message")->group(group)->needs(prompt);
  cmd.add_flag_callback("--think", [&options] { options.enable_thinking = true; },
                        "enable_thinking = true (Qwen3's default)")
      ->group(group)
      ->needs(prompt);
  cmd.add_flag_callback("--no-think", [&options] { options.enable_thinking = false; },
                        "enable_thinking = false: answer without reasoning")
      ->group(group)
      ->needs(prompt);
  cmd.add_flag("--print-prompt-ids", options.print_prompt_ids,
               "Print the prompt's token ids on stderr (JSON)")
      ->group(group)
      ->needs(prompt);
  cmd.add_flag("--print-generated-ids", options.print_generated_ids,
               "Print the generated token ids on stderr (JSON)")
      ->group(group)
      ->needs(prompt);
  return prompt;
}

Status run_text(const TextRunOptions& options, const TextRunCommon& common) {
  InterruptGuard interrupt;
  interrupt.begin_generation();  // Ctrl-C from here on stops the run (and prints statistics)

  const auto load_start = std::chrono::steady_clock::now();
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> kv_dtype, common.load.kv_dtype());
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                          load_model_with(common.model, common.load, common.threads));
  QINFER_ASSIGN_OR_RETURN(engine::TextAssets assets, engine::load_text_assets(*model));
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start)
          .count();
  QINFER_ASSIGN_OR_RETURN(const std::string text, prompt_text(options, assets, *model));

  engine::GenerationRequest request;
  QINFER_ASSIGN_OR_RETURN(request.prompt, assets.tokenizer.encode(text));
  request.max_new_tokens = common.max_new_tokens.value_or(kDefaultMaxNewTokens);
  request.sampler = resolve_sampling_flags(
      common.sampling, sampler_params_from_generation_config(model->generation));
  request.eos_token_ids = end_of_sequence_ids(model->generation, model->config);
  request.stop = common.sampling.stop;
  if (options.print_prompt_ids) {
    std::fprintf(stderr, "prompt_ids: %s\n", ids_json(request.prompt).c_str());
  }

  // The cache holds exactly this request: no more memory than the run needs.
  const int64_t context = static_cast<int64_t>(request.prompt.size()) + request.max_new_tokens;
  if (context > model->config.max_position_embeddings) {
    return make_error("the prompt ({} tokens) plus max tokens ({}) exceeds the model's context "
                      "of {} tokens",
                      request.prompt.size(), request.max_new_tokens,
                      model->config.max_position_embeddings);
  }
  ThreadPool pool(common.threads);
  QINFER_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::TextSession> session,
      engine::TextSession::create(*model, assets.tokenizer, pool,
                                  engine::SessionOptions{context, common.chunk, kv_dtype}));
  if (common.verbose) {
    std::fprintf(stderr,
                 "model: %s loaded in %.0f ms; kernels: %s; threads: %d; kv cache: %s; "
                 "seed: %llu\n",
                 common.model.c_str(), load_ms, kernels().name, pool.size(),
                 std::string(dtype_name(session->kv_dtype())).c_str(),
                 static_cast<unsigned long long>(request.sampler.seed));
  }

  QINFER_ASSIGN_OR_RETURN(
      const engine::GenerationResult result,
      session->generate(
          request,
          [](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
          },
          interrupt.cancel_flag()));
  interrupt.end_generation();
  std::fputc('\n', stdout);
  std::fflush(stdout);

  if (options.print_generated_ids) {
    std::fprintf(stderr, "generated_ids: %s\n", ids_json(result.generated_ids).c_str());
  }
  if (common.verbose || result.stop_reason == engine::StopReason::kCancelled) {
    std::fprintf(stderr, "finish: %s; prompt: %lld tokens; generated: %zu tokens\n",
                 std::string(engine::stop_reason_name(result.stop_reason)).c_str(),
                 static_cast<long long>(result.prompt_tokens), result.generated_ids.size());
  }
  if (common.verbose) {
    std::fprintf(stderr, "prefill: %lld tokens in %.1f ms (%.2f tokens/s)\n",
                 static_cast<long long>(result.prefill_tokens), result.prefill_seconds * 1e3,
                 result.prefill_tokens_per_second());
    std::fprintf(stderr, "decode: %lld tokens in %.1f ms (%.2f tokens/s)\n",
                 static_cast<long long>(result.decode_steps), result.decode_seconds * 1e3,
                 result.decode_tokens_per_second());
  }
  return ok_status();
}

}  // namespace qinfer::cli
