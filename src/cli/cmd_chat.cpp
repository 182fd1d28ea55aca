// `qinfer chat`: an interactive conversation in the terminal.
//
//   qinfer chat -m MODEL [--system TEXT] [--think|--no-think] [-n MAX_TOKENS] [--ctx-size N]
//               [sampling flags as for `run`] [-t THREADS] [--chunk N] [--kv-type auto|f32|f16]
//               [--verbose]
//
// Each line read from stdin is a user message; the whole conversation is rendered with the
// model's chat template every turn (previous answers go back without their reasoning, as the
// Qwen3 template wants) and the session's KV cache reuses the prefix it already holds, so a turn
// only computes the new part. Commands: /think, /no_think (enable_thinking for the next turns),
// /reset (forget the conversation), /exit (or end of input). Ctrl-C stops the current answer and
// keeps what was said; a second Ctrl-C at the prompt exits. Works on a pipe: no prompt, no
// escape codes, reasoning marked by a "[thinking]" line (see chat_display.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "chat/reasoning_parser.h"
#include "cli/model_load_flags.h"
#include "cli/chat_display.h"
#include "cli/commands.h"
#include "cli/generation_defaults.h"
#include "cli/interrupt.h"
#include "cli/sampling_flags.h"
#include "engine/text_assets.h"
#include "engine/text_session.h"
#include "model/convert_weights.h"
#include "model/model.h"

namespace qinfer::cli {
namespace {

struct ChatOptions {
  std::string model;
  std::string system;
  bool enable_thinking = true;  // Qwen3's default
  std::optional<int64_t> max_new_tokens;  // absent: whatever context is left
  int64_t context_tokens = 4096;
  SamplingFlags sampling;
  int threads = 0;
  int64_t chunk = 512;
  bool verbose = false;
  ModelLoadFlags load;  // --dtype, --mmap
};

std::string trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

class ChatLoop {
 public:
  ChatLoop(const ChatOptions& options, const Model& model, const engine::TextAssets& assets,
           const chat::ChatTemplate& tmpl, engine::TextSession& session)
      : options_(options), model_(model), assets_(assets), template_(tmpl), session_(session),
        interactive_(isatty(STDIN_FILENO) != 0),
        display_(stdout, isatty(STDOUT_FILENO) != 0),
        enable_thinking_(options.enable_thinking) {
    reset_history();
  }

  Status run() {
    if (interactive_) {
      interrupt_.set_prompt("> ");
      std::fprintf(stderr, "qinfer chat: %s. Commands: /think /no_think /reset /exit. "
                   "Ctrl-C stops an answer.\n", options_.model.c_str());
    }
    std::string line;
    for (;;) {
      if (interactive_) {
        std::fputs("> ", stdout);
        std::fflush(stdout);
      }
      if (!std::getline(std::cin, line)) break;  // end of input
      const std::string input = trim(line);
      if (input.empty()) continue;
      if (input == "/exit" || input == "/quit") break;
      if (input == "/reset") {
        reset_history();
        session_.reset();
        std::fprintf(stderr, "(conversation cleared)\n");
        continue;
      }
      if (input == "/think" || input == "/no_think") {
        enable_thinking_ = input == "/think";
        std::fprintf(stderr, "(thinking %s)\n", enable_thinking_ ? "on" : "off");
        continue;
      }
      if (input.front() == '/' && input.find(' ') == std::string::npos) {
        std::fprintf(stderr, "(unknown command %s; try /think /no_think /reset /exit)\n",
                     input.c_str());
        continue;
      }
      QINFER_RETURN_IF_ERROR(answer(input));
    }
    if (interactive_) std::fputc('\n', stdout);
    return ok_status();
  }

 private:
  void reset_history() {
    messages_ = nlohmann::ordered_json::array();
    if (!options_.system.empty()) {
      messages_.push_back({{"role", "system"}, {"content", options_.system}});
    }
  }

  // One turn. A problem with this turn (a full context) is reported and the chat goes on; only
  // a failing forward pass or tokenizer ends it.
  Status answer(const std::string& user_text) {
    messages_.push_back({{"role", "user"}, {"content", user_text}});
    chat::ChatRequest request;
    request.messages = messages_;
    request.add_generation_prompt = true;
    request.kwargs["enable_thinking"] = enable_thinking_;
    QINFER_ASSIGN_OR_RETURN(const std::string prompt, template_.render(request));

    engine::GenerationRequest generation;
    QINFER_ASSIGN_OR_RETURN(generation.prompt, assets_.tokenizer.encode(prompt));
    const int64_t room =
        session_.context_tokens() - static_cast<int64_t>(generation.prompt.size());
    if (room < 1) {
      messages_.erase(messages_.size() - 1);
      std::fprintf(stderr, "(the conversation (%zu tokens) fills the context of %lld tokens; "
                   "/reset to start over, or restart with a larger --ctx-size)\n",
                   generation.prompt.size(), static_cast<long long>(session_.context_tokens()));
      return ok_status();
    }
    generation.max_new_tokens = std::min(room, options_.max_new_tokens.value_or(room));
    generation.sampler = resolve_sampling_flags(
        options_.sampling, sampler_params_from_generation_config(model_.generation));
    generation.eos_token_ids = end_of_sequence_ids(model_.generation, model_.config);
    generation.stop = options_.sampling.stop;

    chat::ReasoningParser parser;
    std::string reasoning, content;
    auto show = [&](const chat::ReasoningDelta& delta) {
      reasoning += delta.reasoning;
      content += delta.content;
      display_.show(delta);
    };
    display_.begin_answer();
    interrupt_.begin_generation();
    auto result = session_.generate(
        generation, [&](std::string_view piece) { show(parser.push(piece)); },
        interrupt_.cancel_flag());
    interrupt_.end_generation();
    if (!result.ok()) {
      display_.end_answer();
      return result.error();
    }
    show(parser.finish());
    display_.end_answer();
    if (result->stop_reason == engine::StopReason::kCancelled) {
      std::fprintf(stderr, "(stopped)\n");
    } else if (result->stop_reason == engine::StopReason::kLength) {
      std::fprintf(stderr, "(reached the token limit)\n");
    }
    if (options_.verbose) {
      std::fprintf(stderr,
                   "[prompt %lld tokens, %lld reused; prefill %lld tokens at %.2f tokens/s; "
                   "decode %lld tokens at %.2f tokens/s; %s]\n",
                   static_cast<long long>(result->prompt_tokens),
                   static_cast<long long>(result->reused_prompt_tokens),
                   static_cast<long long>(result->prefill_tokens),
                   result->prefill_tokens_per_second(),
                   static_cast<long long>(result->decode_steps),
                   result->decode_tokens_per_second(),
                   std::string(engine::stop_reason_name(result->stop_reason)).c_str());
    }
    if (result->generated_ids.empty()) {  // stopped before the first token: forget the question
      messages_.erase(messages_.size() - 1);
      return ok_status();
    }
    // A stopped answer stays in the conversation as far as it got, as in other chat front ends.
    nlohmann::ordered_json message = {{"role", "assistant"}, {"content", content}};
    if (!reasoning.empty()) message["reasoning_content"] = reasoning;
    messages_.push_back(std::move(message));
    return ok_status();
  }

  const ChatOptions& options_;
  const Model& model_;
  const engine::TextAssets& assets_;
  const chat::ChatTemplate& template_;
  engine::TextSession& session_;
  bool interactive_;
  ChatDisplay display_;
  InterruptGuard interrupt_;
  bool enable_thinking_;
  nlohmann::ordered_json messages_;
};

Status run_chat(const ChatOptions& options) {
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> kv_dtype, options.load.kv_dtype());
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                          load_model_with(options.model, options.load, options.threads));
  QINFER_ASSIGN_OR_RETURN(engine::TextAssets assets, engine::load_text_assets(*model));
  QINFER_ASSIGN_OR_RETURN(const chat::ChatTemplate* tmpl,
                          engine::require_chat_template(assets, *model));
  const int64_t context = std::min(options.context_tokens, model->config.max_position_embeddings);
  ThreadPool pool(options.threads);
  QINFER_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::TextSession> session,
      engine::TextSession::create(*model, assets.tokenizer, pool,
                                  engine::SessionOptions{context, options.chunk, kv_dtype}));
  ChatLoop loop(options, *model, assets, *tmpl, *session);
  return loop.run();
}

}  // namespace

void add_chat_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ChatOptions>();
  auto* cmd = app.add_subcommand("chat", "Interactive multi-turn chat in the terminal");
  cmd->add_option("-m,--model", options->model, "Hugging Face model directory or .gguf file")
      ->required();
  cmd->add_option("--system", options->system, "System message");
  cmd->add_flag_callback("--think", [options] { options->enable_thinking = true; },
                         "Start with thinking on (default; /no_think switches it off)");
  cmd->add_flag_callback("--no-think", [options] { options->enable_thinking = false; },
                         "Start with thinking off");
  cmd->add_option("-n,--max-tokens", options->max_new_tokens,
                  "Most tokens per answer (default: the context left)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-c,--ctx-size", options->context_tokens,
                  "Context: conversation tokens the KV cache holds")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 30));
  add_sampling_flags(*cmd, options->sampling);
  add_model_load_flags(*cmd, options->load);
  cmd->add_option("-t,--threads", options->threads, "Threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--chunk", options->chunk, "Prompt tokens per forward call")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-v,--verbose", options->verbose, "Print token counts and tokens/s per answer");
  cmd->callback([options, &exit_code] {
    Status status = run_chat(*options);
    if (!status.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "qinfer chat: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
