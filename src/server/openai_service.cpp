#include "server/openai_service.h"

#include <fmt/format.h>

#include <random>
#include <utility>

#include "api/responses.h"

namespace qinfer::server {
namespace {

constexpr int kRetryAfterSeconds = 1;

// A seed for requests without one: OpenAI's answers vary between identical requests.
uint64_t random_seed() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

}  // namespace

api::ApiResult<api::Json> parse_request_object(const Request& request) {
  auto parsed = parse_json_body(request);
  if (auto* error = std::get_if<api::ApiError>(&parsed)) return *error;
  api::Json& body = std::get<api::Json>(parsed);
  if (!body.is_object()) {
    return api::invalid_request("", fmt::format("The request body must be a JSON object, got {}",
                                                api::json_type_phrase(body)));
  }
  return std::move(body);
}

JsonResponse api_error_response(const api::ApiError& error) {
  ExtraHeaders headers;
  if (error.status == 429 || error.status == 503) {
    headers.emplace_back("Retry-After", std::to_string(kRetryAfterSeconds));
  }
  return error_response(error, std::move(headers));
}

OpenAiService::OpenAiService(const Model& model, const engine::TextAssets& assets,
                             engine::Scheduler& scheduler, ServiceOptions options)
    : model_(model),
      assets_(assets),
      scheduler_(scheduler),
      options_(std::move(options)),
      created_(api::unix_seconds_now()) {}

std::optional<api::ApiError> OpenAiService::check_model(const std::string& requested) const {
  if (requested != options_.model_name) return api::model_not_found(requested);
  return std::nullopt;
}

api::ApiResult<engine::GenerationRequest> OpenAiService::generation_request(
    std::vector<int32_t> prompt, const api::GenerationOptions& options) const {
  const int64_t vocab = model_.config.vocab_size;
  for (const LogitBias& bias : options.sampler.logit_bias) {
    if (bias.token < 0 || bias.token >= vocab) {
      return api::invalid_request(
          "logit_bias", fmt::format("Token id {} in logit_bias is outside the vocabulary [0, {})",
                                    bias.token, vocab));
    }
  }
  const int64_t context = context_tokens();
  const int64_t prompt_tokens = static_cast<int64_t>(prompt.size());
  if (prompt_tokens == 0) return api::invalid_request("prompt", "The prompt is empty");
  if (prompt_tokens >= context) {
    return api::context_length_exceeded(fmt::format(
        "This model's maximum context length is {} tokens. However, your messages resulted in "
        "{} tokens. Please reduce the length of the messages.",
        context, prompt_tokens));
  }
  const int64_t max_tokens = options.max_tokens.value_or(context - prompt_tokens);
  if (prompt_tokens + max_tokens > context) {
    return api::context_length_exceeded(fmt::format(
        "This model's maximum context length is {} tokens. However, you requested {} tokens "
        "({} in the messages, {} in the completion). Please reduce the length of the messages "
        "or completion.",
        context, prompt_tokens + max_tokens, prompt_tokens, max_tokens));
  }
  engine::GenerationRequest request;
  request.prompt = std::move(prompt);
  request.sampler = options.sampler;
  request.sampler.seed = options.seed ? *options.seed : random_seed();
  request.max_new_tokens = max_tokens;
  request.eos_token_ids = options_.eos_token_ids;
  request.stop = options.stop;
  request.skip_special_tokens = true;
  request.ignore_eos = options.ignore_eos;
  request.time_limit = options_.request_timeout;
  return request;
}

HandlerResult OpenAiService::list_models(const Request&) const {
  const std::vector<std::string> ids = {options_.model_name};
  return JsonResponse{200, api::model_list_json(ids, created_), {}};
}

HandlerResult OpenAiService::get_model(const Request& request) const {
  const std::string id(request.path_param("id"));
  if (auto error = check_model(id)) return api_error_response(*error);
  return JsonResponse{200, api::model_json(id, created_), {}};
}

// POST /tokenize {"prompt" | "content": text} or {"messages": [...]} (rendered with the chat
// template), as vLLM and llama.cpp accept; answers {"tokens", "count", "max_model_len"}.
HandlerResult OpenAiService::tokenize(const Request& request) const {
  auto body = parse_request_object(request);
  if (!body.ok()) return api_error_response(body.error());
  const api::Json& object = body.value();
  std::string text;
  if (auto it = object.find("messages"); it != object.end()) {
    if (!assets_.chat_template) {
      return api_error_response(api::invalid_request("messages", "The model has no chat template"));
    }
    if (!it->is_array()) return api_error_response(api::wrong_type("messages", "an array", *it));
    chat::ChatRequest chat;
    chat.messages = *it;
    chat.add_generation_prompt = true;
    if (auto flag = object.find("add_generation_prompt"); flag != object.end() && !flag->is_null()) {
      if (!flag->is_boolean()) {
        return api_error_response(api::wrong_type("add_generation_prompt", "a boolean", *flag));
      }
      chat.add_generation_prompt = flag->get<bool>();
    }
    auto rendered = assets_.chat_template->render(chat);
    if (!rendered.ok()) {
      return api_error_response(api::invalid_request("messages", rendered.error().message));
    }
    text = std::move(rendered).value();
  } else {
    const char* field = object.contains("prompt") ? "prompt" : "content";
    auto it2 = object.find(field);
    if (it2 == object.end()) {
      return api_error_response(api::missing_field("prompt"));
    }
    if (!it2->is_string()) return api_error_response(api::wrong_type(field, "a string", *it2));
    text = it2->get<std::string>();
  }
  auto ids = assets_.tokenizer.encode(text);
  if (!ids.ok()) return api_error_response(api::invalid_request("prompt", ids.error().message));
  return JsonResponse{200,
                      {{"tokens", *ids},
                       {"count", ids->size()},
                       {"max_model_len", context_tokens()}},
                      {}};
}

// POST /detokenize {"tokens": [ids]} -> {"prompt": text} (vLLM) and "content" (llama.cpp).
HandlerResult OpenAiService::detokenize(const Request& request) const {
  auto body = parse_request_object(request);
  if (!body.ok()) return api_error_response(body.error());
  auto it = body.value().find("tokens");
  if (it == body.value().end()) return api_error_response(api::missing_field("tokens"));
  if (!it->is_array()) return api_error_response(api::wrong_type("tokens", "an array", *it));
  std::vector<int32_t> ids;
  const int64_t vocab = static_cast<int64_t>(assets_.tokenizer.vocab_size());
  for (size_t i = 0; i < it->size(); ++i) {
    const api::Json& id = (*it)[i];
    const std::string param = api::index_path("tokens", i);
    if (!id.is_number_integer()) return api_error_response(api::wrong_type(param, "an integer", id));
    const int64_t value = id.get<int64_t>();
    if (value < 0 || value >= vocab) {
      return api_error_response(api::invalid_request(
          param, fmt::format("Token id {} is outside the vocabulary [0, {})", value, vocab)));
    }
    ids.push_back(static_cast<int32_t>(value));
  }
  auto text = assets_.tokenizer.decode(ids);
  if (!text.ok()) return api_error_response(api::invalid_request("tokens", text.error().message));
  const std::string valid = api::valid_utf8(*text);
  return JsonResponse{200, {{"prompt", valid}, {"content", valid}}, {}};
}

Status register_openai_routes(HttpServer& server, std::function<OpenAiService*()> service) {
  using Method = HandlerResult (OpenAiService::*)(const Request&);
  using ConstMethod = HandlerResult (OpenAiService::*)(const Request&) const;
  auto bind = [&](Method method) {
    return [service, method](const Request& request) { return (service()->*method)(request); };
  };
  auto bind_const = [&](ConstMethod method) {
    return [service, method](const Request& request) { return (service()->*method)(request); };
  };
  QINFER_RETURN_IF_ERROR(
      server.route("POST", "/v1/chat/completions", bind(&OpenAiService::chat_completions)));
  QINFER_RETURN_IF_ERROR(server.route("POST", "/v1/completions", bind(&OpenAiService::completions)));
  QINFER_RETURN_IF_ERROR(server.route("GET", "/v1/models", bind_const(&OpenAiService::list_models)));
  QINFER_RETURN_IF_ERROR(
      server.route("GET", "/v1/models/{id}", bind_const(&OpenAiService::get_model)));
  QINFER_RETURN_IF_ERROR(server.route("POST", "/tokenize", bind_const(&OpenAiService::tokenize)));
  QINFER_RETURN_IF_ERROR(
      server.route("POST", "/detokenize", bind_const(&OpenAiService::detokenize)));
  return ok_status();
}

}  // namespace qinfer::server
