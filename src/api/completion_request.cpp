#include "api/completion_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace qinfer::api {
namespace {

bool is_token_id_array(const Json& value) {
  return value.is_array() && !value.empty() &&
         std::all_of(value.begin(), value.end(), [](const Json& item) { return item.is_number(); });
}

ApiResult<std::vector<int32_t>> parse_token_ids(const Json& ids, const std::string& param) {
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::optional<int64_t> id = integral_value(ids[i]);
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max()) {
      return invalid_request(param, fmt::format("Invalid '{}': expected token ids (non-negative "
                                                "integers), got {} at index {}.",
                                                param, ids[i].dump(), i));
    }
    out.push_back(static_cast<int32_t>(*id));
  }
  return out;
}

ApiResult<CompletionPrompt> parse_prompt(const FieldReader& body) {
  const Json* prompt = body.find("prompt");
  if (!prompt) return missing_field("prompt");
  auto from_single = [](const Json& value, const std::string& param) -> ApiResult<CompletionPrompt> {
    if (value.is_string()) {
      if (value.get_ref<const std::string&>().empty()) {
        return invalid_request(param, fmt::format("Invalid '{}': the prompt must not be empty.", param));
      }
      return CompletionPrompt{value.get<std::string>(), {}};
    }
    if (is_token_id_array(value)) {
      auto ids = parse_token_ids(value, param);
      if (!ids) return ids.error();
      return CompletionPrompt{"", std::move(ids).value()};
    }
    return wrong_type(param, "a string or an array of token ids", value);
  };
  if (!prompt->is_array() || is_token_id_array(*prompt)) return from_single(*prompt, "prompt");
  if (prompt->empty()) {
    return invalid_request("prompt", "Invalid 'prompt': the prompt must not be empty.");
  }
  if (prompt->size() > 1) {
    return invalid_request("prompt", "Invalid 'prompt': one prompt per request is supported; send "
                                     "several prompts as separate requests.");
  }
  return from_single((*prompt)[0], "prompt[0]");
}

MaybeApiError parse_legacy_logprobs(const FieldReader& body, GenerationOptions& out) {
  std::optional<int64_t> logprobs;
  QINFER_API_RETURN_IF_ERROR(body.read_integer("logprobs", 0, kMaxLegacyLogprobs, logprobs));
  out.logprobs = logprobs.has_value();
  out.top_logprobs = static_cast<int>(logprobs.value_or(0));
  return std::nullopt;
}

}  // namespace

ApiResult<CompletionParams> parse_completion_request(const Json& body,
                                                     const RequestDefaults& defaults) {
  if (!body.is_object()) return wrong_type("", "a JSON object as the request body", body);
  const FieldReader fields(body, "");
  CompletionParams out;
  QINFER_API_RETURN_IF_ERROR(fields.require_string("model", out.model));
  auto prompt = parse_prompt(fields);
  if (!prompt) return prompt.error();
  out.prompt = std::move(prompt).value();
  QINFER_API_RETURN_IF_ERROR(fields.read_bool("echo", out.echo));
  QINFER_API_RETURN_IF_ERROR(parse_generation_options(body, defaults, out.generation));
  QINFER_API_RETURN_IF_ERROR(parse_legacy_logprobs(fields, out.generation));
  int64_t best_of = 1;
  QINFER_API_RETURN_IF_ERROR(fields.read_integer("best_of", 1, 1, best_of));
  std::string user;
  QINFER_API_RETURN_IF_ERROR(fields.read_string("user", user));
  QINFER_API_RETURN_IF_ERROR(reject_unsupported_fields(body, {"suffix"}));
  return out;
}

MaybeApiError unsupported_features(const CompletionParams& params) {
  if (params.echo && params.generation.logprobs) {
    return invalid_request("logprobs", "'logprobs' together with 'echo' is not supported yet (it "
                                       "needs the prompt tokens' log-probabilities).");
  }
  return std::nullopt;
}

}  // namespace qinfer::api
