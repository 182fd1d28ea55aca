#include "api/generation_options.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <set>

namespace qinfer::api {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// A JSON object key naming a token id: decimal digits only, inside int32 (the tokenizer's id type).
std::optional<int32_t> token_id_from_key(const std::string& key) {
  if (key.empty() || key.size() > 10) return std::nullopt;
  int64_t id = 0;
  const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (error != std::errc() || end != key.data() + key.size() || key[0] == '-' || key[0] == '+') {
    return std::nullopt;
  }
  if (id > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return static_cast<int32_t>(id);
}

MaybeApiError parse_logit_bias(const FieldReader& fields, std::vector<LogitBias>& out) {
  const Json* object = nullptr;
  QINFER_API_RETURN_IF_ERROR(fields.read_object("logit_bias", object));
  if (!object) return std::nullopt;
  out.clear();  // the request's map replaces any default one
  std::set<int32_t> seen;
  for (const auto& [key, value] : object->items()) {
    const std::optional<int32_t> token = token_id_from_key(key);
    if (!token) {
      return invalid_request("logit_bias",
                             fmt::format("Invalid key '{}' in 'logit_bias': expected a token id "
                                         "(a non-negative integer written as a string).",
                                         key));
    }
    if (!seen.insert(*token).second) {
      return invalid_request("logit_bias",
                             fmt::format("Token id {} appears twice in 'logit_bias'.", *token));
    }
    if (!value.is_number()) return wrong_type(fmt::format("logit_bias.{}", key), "a number", value);
    const double bias = value.get<double>();
    if (!(bias >= -kLogitBiasLimit && bias <= kLogitBiasLimit)) {
      return invalid_request("logit_bias",
                             fmt::format("Invalid bias {} for token {} in 'logit_bias': expected a "
                                         "value in [-100, 100].",
                                         value.dump(), key));
    }
    out.push_back(LogitBias{*token, static_cast<float>(bias)});
  }
  return std::nullopt;
}

MaybeApiError parse_stop(const FieldReader& fields, std::vector<std::string>& out) {
  const Json* value = fields.find("stop");
  if (!value) return std::nullopt;
  auto add = [&out](const Json& item, const std::string& param) -> MaybeApiError {
    if (!item.is_string()) return wrong_type(param, "a string", item);
    if (item.get_ref<const std::string&>().empty()) {
      return invalid_request(param, fmt::format("Invalid '{}': a stop string must not be empty.", param));
    }
    out.push_back(item.get<std::string>());
    return std::nullopt;
  };
  if (value->is_string()) return add(*value, "stop");
  if (!value->is_array()) return wrong_type("stop", "a string or an array of strings", *value);
  if (static_cast<int64_t>(value->size()) > kMaxStopStrings) {
    return invalid_request("stop", fmt::format("Invalid 'stop': at most {} stop strings are allowed, got {}.",
                                               kMaxStopStrings, value->size()));
  }
  for (size_t i = 0; i < value->size(); ++i) {
    QINFER_API_RETURN_IF_ERROR(add((*value)[i], index_path("stop", i)));
  }
  return std::nullopt;
}

// OpenAI's SDKs accept any int64 seed and some clients send negative ones; the sampler's seed is
// an unsigned 64-bit state, so a negative seed maps to its two's-complement bit pattern.
MaybeApiError parse_seed(const FieldReader& fields, std::optional<uint64_t>& out) {
  const Json* value = fields.find("seed");
  if (!value) return std::nullopt;
  if (value->is_number_unsigned()) {
    out = value->get<uint64_t>();
    return std::nullopt;
  }
  if (!value->is_number()) return wrong_type("seed", "an integer", *value);
  const std::optional<int64_t> seed = integral_value(*value);
  if (!seed) return wrong_type("seed", "an integer", *value);
  out = static_cast<uint64_t>(*seed);
  return std::nullopt;
}

MaybeApiError parse_stream(const FieldReader& fields, GenerationOptions& out) {
  QINFER_API_RETURN_IF_ERROR(fields.read_bool("stream", out.stream));
  const Json* options = nullptr;
  QINFER_API_RETURN_IF_ERROR(fields.read_object("stream_options", options));
  if (!options) return std::nullopt;
  if (!out.stream) {
    return invalid_request("stream_options",
                           "Invalid 'stream_options': only allowed when 'stream' is true.");
  }
  return FieldReader(*options, "stream_options").read_bool("include_usage", out.include_usage);
}

}  // namespace

MaybeApiError parse_generation_options(const Json& body, const RequestDefaults& defaults,
                                       GenerationOptions& out) {
  const FieldReader fields(body, "");
  SamplerParams& sampler = out.sampler;
  sampler = defaults.sampler;
  QINFER_API_RETURN_IF_ERROR(fields.read_number("temperature", {0.0, 2.0}, sampler.temperature));
  QINFER_API_RETURN_IF_ERROR(
      fields.read_number("top_p", {0.0, 1.0, /*min_exclusive=*/true}, sampler.top_p));
  int64_t top_k = sampler.top_k;
  QINFER_API_RETURN_IF_ERROR(fields.read_integer("top_k", -1, kInt64Max, top_k));
  sampler.top_k = top_k == -1 ? 0 : top_k;  // vLLM: -1 disables top-k, as 0 does here
  QINFER_API_RETURN_IF_ERROR(fields.read_number("min_p", {0.0, 1.0}, sampler.min_p));
  QINFER_API_RETURN_IF_ERROR(
      fields.read_number("presence_penalty", {-2.0, 2.0}, sampler.presence_penalty));
  QINFER_API_RETURN_IF_ERROR(
      fields.read_number("frequency_penalty", {-2.0, 2.0}, sampler.frequency_penalty));
  QINFER_API_RETURN_IF_ERROR(fields.read_number(
      "repetition_penalty",
      {0.0, std::numeric_limits<double>::infinity(), /*min_exclusive=*/true},
      sampler.repetition_penalty));
  QINFER_API_RETURN_IF_ERROR(parse_logit_bias(fields, sampler.logit_bias));
  QINFER_API_RETURN_IF_ERROR(parse_seed(fields, out.seed));
  sampler.seed = out.seed.value_or(0);

  out.max_tokens = defaults.max_tokens;
  QINFER_API_RETURN_IF_ERROR(fields.read_integer("max_tokens", 1, kInt64Max, out.max_tokens));
  QINFER_API_RETURN_IF_ERROR(parse_stop(fields, out.stop));
  int64_t n = out.n;
  QINFER_API_RETURN_IF_ERROR(fields.read_integer("n", 1, kMaxChoices, n));
  out.n = static_cast<int>(n);
  QINFER_API_RETURN_IF_ERROR(parse_stream(fields, out));
  return fields.read_bool("ignore_eos", out.ignore_eos);
}

MaybeApiError reject_unsupported_fields(const Json& body,
                                        std::initializer_list<std::string_view> names) {
  const FieldReader fields(body, "");
  for (std::string_view name : names) {
    if (fields.find(name)) {
      return invalid_request(std::string(name),
                             fmt::format("'{}' is not supported by this server.", name));
    }
  }
  return std::nullopt;
}

}  // namespace qinfer::api
