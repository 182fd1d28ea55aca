// POST /v1/chat/completions: messages -> chat template -> token ids -> n choices in the
// scheduler -> each choice's text through an OutputParser (reasoning, content, tool calls) ->
// one chat.completion, or chat.completion.chunk events as the tokens come.
//
// Per choice, the stream is: a role chunk, delta chunks (the parser's deltas; logprobs of the
// tokens behind a delta ride on it, held while the parser holds text back), a finish chunk;
// after every choice, the usage chunk when asked, then [DONE]. The non-streaming message is the
// same deltas merged (AssistantMessage::append), so both forms agree by construction.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/chat_completion_request.h"
#include "api/ids.h"
#include "api/output_parser.h"
#include "api/responses.h"
#include "constrain/json_schema.h"
#include "server/generation_job.h"
#include "server/openai_service.h"

namespace qinfer::server {
namespace {

// True when the prompt leaves the model inside an open <think> block (a template that opens
// reasoning for the model), so the output starts as reasoning.
bool prompt_opens_reasoning(const std::string& prompt) {
  const size_t open = prompt.rfind("<think>");
  return open != std::string::npos && prompt.find("</think>", open) == std::string::npos;
}

constexpr uint32_t kMaxForcedParallelCalls = 8;

// The grammar a request forces, if any: a tool call for tool_choice required / named, a JSON
// document for response_format json_object / json_schema. A schema we cannot enforce is a 400
// naming the keyword, never ignored.
api::ApiResult<std::shared_ptr<const constrain::Grammar>> forced_grammar(
    const api::ChatCompletionParams& params) {
  const bool forced_call = params.tool_choice.mode == api::ToolChoiceMode::kRequired ||
                           params.tool_choice.mode == api::ToolChoiceMode::kFunction;
  const bool json_format = params.response_format.type != api::ResponseFormatType::kText;
  if (forced_call && json_format) {
    return api::invalid_request(
        "response_format", "'response_format' json_object / json_schema cannot be combined with "
                           "'tool_choice' 'required' or a named function: the answer is a tool call");
  }
  if (forced_call) {
    // A named function is called once; "required" may call several tools in one turn unless
    // parallel_tool_calls is false. The bound stops weights that never choose to end the turn
    // from filling the context with calls.
    std::optional<std::string> name;
    uint32_t max_calls = params.parallel_tool_calls ? kMaxForcedParallelCalls : 1;
    if (params.tool_choice.mode == api::ToolChoiceMode::kFunction) {
      name = params.tool_choice.function_name;
      max_calls = 1;
    }
    auto grammar = constrain::tool_call_grammar(*params.chat.tools, name, max_calls);
    if (!grammar.ok()) {
      return api::invalid_request("tools", "Cannot force a call of these tools: " +
                                               grammar.error().message);
    }
    return std::move(grammar).value();
  }
  if (params.response_format.type == api::ResponseFormatType::kJsonObject) {
    return constrain::any_json_object();
  }
  if (params.response_format.type == api::ResponseFormatType::kJsonSchema) {
    const api::Json& format = params.response_format.json_schema;
    const auto schema = format.find("schema");
    if (schema == format.end()) return constrain::any_json_object();
    auto grammar = constrain::compile_json_schema(*schema);
    if (!grammar.ok()) {
      return api::invalid_request("response_format.json_schema.schema", grammar.error().message);
    }
    return std::move(grammar).value();
  }
  return std::shared_ptr<const constrain::Grammar>();
}

struct ChatChoiceState {
  explicit ChatChoiceState(api::OutputParserOptions options) : parser(std::move(options)) {}

  api::OutputParser parser;
  api::AssistantMessage message;                  // non-streaming: every delta merged
  std::vector<api::TokenLogprob> logprobs;        // non-streaming: all; streaming: not yet sent
  int64_t reasoning_tokens = 0;
  bool parser_done = false;                       // one call and parallel_tool_calls false
};

// Everything the choices' callbacks touch; owned by them and by the waiting handler.
struct ChatJobState : RequestState {
  using RequestState::RequestState;
  std::vector<ChatChoiceState> choices;
  std::vector<std::string> finish_reasons;

  void push_delta(int index, const api::OutputDelta& delta) {
    ChatChoiceState& choice = choices[static_cast<size_t>(index)];
    if (!stream) {
      choice.message.append(delta);
      return;
    }
    if (delta.empty() && choice.logprobs.empty()) return;
    stream->push(api::chat_chunk_delta(header, index, delta,
                                       want_logprobs ? &choice.logprobs : nullptr));
    choice.logprobs.clear();
  }

  void on_token(int index, const engine::TokenOutput& token) {
    ChatChoiceState& choice = choices[static_cast<size_t>(index)];
    if (choice.parser_done) return;
    const bool was_reasoning = choice.parser.in_reasoning();
    const api::OutputDelta delta = choice.parser.push(token.text);
    if (was_reasoning || choice.parser.in_reasoning()) ++choice.reasoning_tokens;
    if (want_logprobs) choice.logprobs.push_back(token_logprob(*tokenizer, token));
    push_delta(index, delta);
    if (choice.parser.done()) {
      choice.parser_done = true;
      job->cancel(index);
    }
  }

  void on_done(int index, Expected<engine::GenerationResult> result) {
    ChatChoiceState& choice = choices[static_cast<size_t>(index)];
    if (!result.ok()) {
      record_error(result.error());
      count_outcome(/*failed=*/true, {});
    } else {
      push_delta(index, choice.parser.finish());
      const bool length = result->stop_reason == engine::StopReason::kLength;
      finish_reasons[static_cast<size_t>(index)] =
          std::string(api::chat_finish_reason(length, choice.parser.has_tool_calls()));
      note_finish(index, finish_reasons[static_cast<size_t>(index)], *result);
      if (stream) {
        stream->push(api::chat_chunk_finish(header, index, finish_reasons[static_cast<size_t>(index)]));
      }
      count_usage(*result);
      count_outcome(/*failed=*/false, finish_reasons[static_cast<size_t>(index)]);
      usage.reasoning_tokens += choice.reasoning_tokens;
    }
    choice_ended(&api::chat_chunk_usage);
  }
};

}  // namespace

HandlerResult OpenAiService::chat_completions(const Request& request) {
  auto body = parse_request_object(request);
  if (!body.ok()) return api_error_response(body.error());
  auto parsed = api::parse_chat_completion_request(body.value(), options_.defaults);
  if (!parsed.ok()) return api_error_response(parsed.error());
  api::ChatCompletionParams& params = parsed.value();
  if (auto error = check_model(params.model)) return api_error_response(*error);
  auto grammar = forced_grammar(params);
  if (!grammar.ok()) return api_error_response(grammar.error());
  // A forced document starts at the answer's first token: no reasoning block before it.
  if (grammar.value()) params.chat.kwargs["enable_thinking"] = false;
  if (!assets_.chat_template) {
    return api_error_response(api::invalid_request(
        "messages", "This model has no chat template; send a raw prompt to /v1/completions"));
  }
  auto prompt = assets_.chat_template->render(params.chat);
  if (!prompt.ok()) {
    return api_error_response(api::invalid_request(
        "messages", "The chat template cannot render these messages: " + prompt.error().message));
  }
  auto ids = assets_.tokenizer.encode(*prompt);
  if (!ids.ok()) return api_error_response(api::invalid_request("messages", ids.error().message));
  const int64_t prompt_tokens = static_cast<int64_t>(ids->size());
  auto generation = generation_request(std::move(ids).value(), params.generation);
  if (!generation.ok()) return api_error_response(generation.error());
  generation.value().grammar = grammar.value();

  auto state = std::make_shared<ChatJobState>(
      assets_.tokenizer,
      api::ResponseHeader{api::chat_completion_id(), api::unix_seconds_now(), params.model},
      params.generation.n);
  state->want_logprobs = params.generation.logprobs;
  state->include_usage = params.generation.include_usage;
  state->usage.prompt_tokens = prompt_tokens;
  state->request_id = std::string(request.header("X-Request-Id").value_or(""));
  if (options_.log_content) state->logged_prompt = *prompt;
  state->finish_reasons.resize(static_cast<size_t>(params.generation.n));
  state->metrics = options_.metrics;
  api::OutputParserOptions parser_options;
  parser_options.parse_tool_calls = params.parses_tool_calls() &&
                                    params.response_format.type == api::ResponseFormatType::kText;
  parser_options.starts_in_reasoning = prompt_opens_reasoning(*prompt);
  parser_options.parse_reasoning = grammar.value() == nullptr;
  parser_options.parallel_tool_calls = params.parallel_tool_calls;
  for (int i = 0; i < params.generation.n; ++i) state->choices.emplace_back(parser_options);
  if (params.generation.stream) {
    state->open_stream();
    // Role chunks go first, before any token can arrive from the scheduler thread.
    for (int i = 0; i < params.generation.n; ++i) {
      state->stream->push(api::chat_chunk_role(state->header, i));
    }
  }

  const int top_logprobs = params.generation.logprobs ? params.generation.top_logprobs : -1;
  if (auto early = run_choices(scheduler_, state, generation.value(), top_logprobs,
                               request.client_gone)) {
    return *early;
  }
  std::vector<api::ChatChoice> choices;
  for (int i = 0; i < params.generation.n; ++i) {
    api::ChatChoice choice;
    choice.index = i;
    choice.message = std::move(state->choices[static_cast<size_t>(i)].message);
    choice.finish_reason = state->finish_reasons[static_cast<size_t>(i)];
    if (state->want_logprobs) choice.logprobs = std::move(state->choices[static_cast<size_t>(i)].logprobs);
    choices.push_back(std::move(choice));
  }
  return JsonResponse{200, api::chat_completion_json(state->header, choices, state->usage), {}};
}

}  // namespace qinfer::server
