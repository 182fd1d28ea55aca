// POST /v1/completions: a raw prompt (text or token ids, no chat template) -> n choices ->
// text_completion objects, whole or as stream chunks of the same shape. `echo` puts the prompt's
// text before each choice's; legacy logprobs give tokens, token_logprobs, top_logprobs and
// character offsets.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/completion_request.h"
#include "api/ids.h"
#include "api/responses.h"
#include "base/utf8.h"
#include "server/generation_job.h"
#include "server/openai_service.h"

namespace qinfer::server {
namespace {

size_t unicode_characters(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

struct CompletionJobState : RequestState {
  using RequestState::RequestState;
  std::vector<api::CompletionChoice> choices;
  std::vector<size_t> streamed_characters;        // streaming: text_offset of the next chunk

  void on_token(int index, const engine::TokenOutput& token) {
    api::CompletionChoice& choice = choices[static_cast<size_t>(index)];
    std::optional<api::TokenLogprob> logprob;
    if (want_logprobs) logprob = token_logprob(*tokenizer, token);
    if (!stream) {
      choice.text.append(token.text);
      if (logprob) choice.logprobs->push_back(std::move(*logprob));
      return;
    }
    std::vector<api::TokenLogprob> one;
    if (logprob) one.push_back(std::move(*logprob));
    size_t& offset = streamed_characters[static_cast<size_t>(index)];
    stream->push(api::completion_chunk(header, index, token.text, logprob ? &one : nullptr, {},
                                       offset));
    offset += unicode_characters(token.text);
  }

  void on_done(int index, Expected<engine::GenerationResult> result) {
    api::CompletionChoice& choice = choices[static_cast<size_t>(index)];
    if (!result.ok()) {
      record_error(result.error());
      count_outcome(/*failed=*/true, {});
    } else {
      choice.finish_reason = result->stop_reason == engine::StopReason::kLength ? "length" : "stop";
      note_finish(index, choice.finish_reason, *result);
      if (stream) {
        stream->push(api::completion_chunk(header, index, "", nullptr, choice.finish_reason));
      }
      count_usage(*result);
      count_outcome(/*failed=*/false, choice.finish_reason);
    }
    choice_ended(&api::completion_chunk_usage);
  }
};

}  // namespace

HandlerResult OpenAiService::completions(const Request& request) {
  auto body = parse_request_object(request);
  if (!body.ok()) return api_error_response(body.error());
  auto parsed = api::parse_completion_request(body.value(), options_.defaults);
  if (!parsed.ok()) return api_error_response(parsed.error());
  const api::CompletionParams& params = parsed.value();
  if (auto error = api::unsupported_features(params)) return api_error_response(*error);
  if (auto error = check_model(params.model)) return api_error_response(*error);

  std::vector<int32_t> ids;
  std::string prompt_text;
  if (params.prompt.token_ids.empty()) {
    auto encoded = assets_.tokenizer.encode(params.prompt.text);
    if (!encoded.ok()) return api_error_response(api::invalid_request("prompt", encoded.error().message));
    ids = std::move(encoded).value();
    prompt_text = params.prompt.text;
  } else {
    ids = params.prompt.token_ids;
    const int64_t vocab = static_cast<int64_t>(assets_.tokenizer.vocab_size());
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab) {
        return api_error_response(api::invalid_request(
            "prompt", fmt::format("Token id {} is outside the vocabulary [0, {})", id, vocab)));
      }
    }
    if (params.echo) {
      auto decoded = assets_.tokenizer.decode(ids);
      if (decoded.ok()) prompt_text = api::valid_utf8(*decoded);
    }
  }
  const int64_t prompt_tokens = static_cast<int64_t>(ids.size());
  auto generation = generation_request(std::move(ids), params.generation);
  if (!generation.ok()) return api_error_response(generation.error());

  const int n = params.generation.n;
  auto state = std::make_shared<CompletionJobState>(
      assets_.tokenizer, api::ResponseHeader{api::completion_id(), api::unix_seconds_now(), params.model},
      n);
  state->want_logprobs = params.generation.logprobs;
  state->include_usage = params.generation.include_usage;
  state->usage.prompt_tokens = prompt_tokens;
  state->metrics = options_.metrics;
  state->request_id = std::string(request.header("X-Request-Id").value_or(""));
  if (options_.log_content) state->logged_prompt = prompt_text;
  const std::string echo = params.echo ? prompt_text : std::string();
  for (int i = 0; i < n; ++i) {
    api::CompletionChoice choice;
    choice.index = i;
    choice.text = echo;
    choice.text_offset = unicode_characters(echo);
    if (state->want_logprobs) choice.logprobs.emplace();
    state->choices.push_back(std::move(choice));
  }
  state->streamed_characters.assign(static_cast<size_t>(n), unicode_characters(echo));
  if (params.generation.stream) {
    state->open_stream();
    if (!echo.empty()) {
      for (int i = 0; i < n; ++i) state->stream->push(api::completion_chunk(state->header, i, echo));
    }
  }

  const int top_logprobs = params.generation.logprobs ? params.generation.top_logprobs : -1;
  if (auto early = run_choices(scheduler_, state, generation.value(), top_logprobs,
                               request.client_gone)) {
    return *early;
  }
  return JsonResponse{200, api::completion_json(state->header, state->choices, state->usage), {}};
}

}  // namespace qinfer::server
