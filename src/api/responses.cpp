#include "api/responses.h"

#include <chrono>
#include <cmath>

namespace qinfer::api {
namespace {

// OpenAI's stand-in for "very unlikely"; JSON has no -Infinity.
constexpr double kUnlikelyLogprob = -9999.0;

double finite_logprob(double logprob) {
  return std::isfinite(logprob) ? logprob : kUnlikelyLogprob;
}

Json token_bytes(std::string_view token) {
  Json bytes = Json::array();
  for (const char c : token) bytes.push_back(static_cast<unsigned char>(c));
  return bytes;
}

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

size_t utf8_character_count(std::string_view text) {
  size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

Json header_fields(const ResponseHeader& header, std::string_view object) {
  return Json{{"id", header.id}, {"object", object}, {"created", header.created}, {"model", header.model}};
}

Json tool_calls_json(const std::vector<ParsedToolCall>& calls) {
  Json out = Json::array();
  for (const ParsedToolCall& call : calls) {
    out.push_back({{"id", call.id},
                   {"type", "function"},
                   {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
  }
  return out;
}

Json chat_message_json(const AssistantMessage& message) {
  Json out = {{"role", "assistant"}};
  // OpenAI: content is null when the model only called tools.
  out["content"] = message.content.empty() && !message.tool_calls.empty() ? Json() : Json(message.content);
  out["reasoning_content"] = message.reasoning_content.empty() ? Json() : Json(message.reasoning_content);
  if (!message.tool_calls.empty()) out["tool_calls"] = tool_calls_json(message.tool_calls);
  return out;
}

Json chunk(const ResponseHeader& header, Json choice) {
  Json out = header_fields(header, "chat.completion.chunk");
  out["choices"] = Json::array({std::move(choice)});
  return out;
}

}  // namespace

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
          {"completion_tokens_details", {{"reasoning_tokens", usage.reasoning_tokens}}}};
}

std::string_view chat_finish_reason(bool length_reached, bool has_tool_calls) {
  if (length_reached) return "length";
  return has_tool_calls ? "tool_calls" : "stop";
}

Json chat_logprobs_content(std::span<const TokenLogprob> tokens) {
  Json out = Json::array();
  for (const TokenLogprob& token : tokens) {
    Json top = Json::array();
    for (const TopLogprob& alternative : token.top_logprobs) {
      top.push_back({{"token", valid_utf8(alternative.token)},
                     {"logprob", finite_logprob(alternative.logprob)},
                     {"bytes", token_bytes(alternative.token)}});
    }
    out.push_back({{"token", valid_utf8(token.token)},
                   {"logprob", finite_logprob(token.logprob)},
                   {"bytes", token_bytes(token.token)},
                   {"top_logprobs", std::move(top)}});
  }
  return out;
}

Json chat_completion_json(const ResponseHeader& header, std::span<const ChatChoice> choices,
                          const Usage& usage) {
  Json out = header_fields(header, "chat.completion");
  Json list = Json::array();
  for (const ChatChoice& choice : choices) {
    list.push_back({{"index", choice.index},
                    {"message", chat_message_json(choice.message)},
                    {"logprobs", choice.logprobs ? Json{{"content", chat_logprobs_content(*choice.logprobs)}}
                                                 : Json()},
                    {"finish_reason", choice.finish_reason}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

Json chat_chunk_role(const ResponseHeader& header, int index) {
  return chunk(header, {{"index", index},
                        {"delta", {{"role", "assistant"}, {"content", ""}}},
                        {"logprobs", nullptr},
                        {"finish_reason", nullptr}});
}

Json chat_chunk_delta(const ResponseHeader& header, int index, const OutputDelta& delta,
                      const std::vector<TokenLogprob>* logprobs) {
  Json body = Json::object();
  if (!delta.reasoning_content.empty()) body["reasoning_content"] = delta.reasoning_content;
  if (!delta.content.empty()) body["content"] = delta.content;
  if (!delta.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCallDelta& call : delta.tool_calls) {
      Json item = {{"index", call.index}};
      if (!call.id.empty()) {
        item["id"] = call.id;
        item["type"] = "function";
        item["function"] = {{"name", call.name}, {"arguments", call.arguments}};
      } else {
        item["function"] = {{"arguments", call.arguments}};
      }
      calls.push_back(std::move(item));
    }
    body["tool_calls"] = std::move(calls);
  }
  return chunk(header, {{"index", index},
                        {"delta", std::move(body)},
                        {"logprobs", logprobs ? Json{{"content", chat_logprobs_content(*logprobs)}} : Json()},
                        {"finish_reason", nullptr}});
}

Json chat_chunk_finish(const ResponseHeader& header, int index, std::string_view finish_reason) {
  return chunk(header, {{"index", index},
                        {"delta", Json::object()},
                        {"logprobs", nullptr},
                        {"finish_reason", finish_reason}});
}

Json chat_chunk_usage(const ResponseHeader& header, const Usage& usage) {
  Json out = header_fields(header, "chat.completion.chunk");
  out["choices"] = Json::array();
  out["usage"] = usage_json(usage);
  return out;
}

Json completion_logprobs(std::span<const TokenLogprob> tokens, size_t text_offset) {
  Json texts = Json::array(), values = Json::array(), tops = Json::array(), offsets = Json::array();
  size_t offset = text_offset;
  for (const TokenLogprob& token : tokens) {
    texts.push_back(valid_utf8(token.token));
    values.push_back(finite_logprob(token.logprob));
    Json top = Json::object();
    for (const TopLogprob& alternative : token.top_logprobs) {
      top[valid_utf8(alternative.token)] = finite_logprob(alternative.logprob);
    }
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    offset += utf8_character_count(token.token);
  }
  return {{"tokens", std::move(texts)},
          {"token_logprobs", std::move(values)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

Json completion_json(const ResponseHeader& header, std::span<const CompletionChoice> choices,
                     const Usage& usage) {
  Json out = header_fields(header, "text_completion");
  Json list = Json::array();
  for (const CompletionChoice& choice : choices) {
    list.push_back({{"index", choice.index},
                    {"text", choice.text},
                    {"logprobs", choice.logprobs ? completion_logprobs(*choice.logprobs, choice.text_offset)
                                                 : Json()},
                    {"finish_reason", choice.finish_reason}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

Json completion_chunk(const ResponseHeader& header, int index, std::string_view text,
                      const std::vector<TokenLogprob>* logprobs, std::string_view finish_reason,
                      size_t text_offset) {
  Json out = header_fields(header, "text_completion");
  out["choices"] = Json::array(
      {{{"index", index},
        {"text", text},
        {"logprobs", logprobs ? completion_logprobs(*logprobs, text_offset) : Json()},
        {"finish_reason", finish_reason.empty() ? Json() : Json(finish_reason)}}});
  return out;
}

Json completion_chunk_usage(const ResponseHeader& header, const Usage& usage) {
  Json out = header_fields(header, "text_completion");
  out["choices"] = Json::array();
  out["usage"] = usage_json(usage);
  return out;
}

Json model_json(const std::string& id, int64_t created) {
  return {{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "qinfer"}};
}

Json model_list_json(std::span<const std::string> ids, int64_t created) {
  Json data = Json::array();
  for (const std::string& id : ids) data.push_back(model_json(id, created));
  return {{"object", "list"}, {"data", std::move(data)}};
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

}  // namespace qinfer::api
