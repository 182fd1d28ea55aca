// Grammar-constrained generation on the random-weight tiny model (real Qwen3 tokenizer): at
// temperature 1 the model has no idea of JSON, yet every finished output parses and validates
// against its schema (checked by an independent validator), forced tool calls parse into a
// known tool and valid arguments, a short budget ends with "length" on a valid prefix, and a
// constrained request gives the same tokens alone or batched with others.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "../constrain/schema_check.h"
#include "constrain/json_schema.h"
#include "constrain/matcher.h"
#include "constrain/token_index.h"
#include "engine/scheduler.h"
#include "engine/text_session.h"
#include "tiny_model.h"

namespace qinfer::engine {
namespace {

using Json = nlohmann::ordered_json;
using testing::tiny_model;

const std::shared_ptr<const constrain::TokenIndex>& tiny_index() {
  static const std::shared_ptr<const constrain::TokenIndex> index = [] {
    testing::TinyModel& tiny = tiny_model();
    auto built = constrain::TokenIndex::build(tiny.assets->tokenizer, tiny.model->config.vocab_size);
    EXPECT_TRUE(built.ok()) << built.error().message;
    return built.ok() ? *built : nullptr;
  }();
  return index;
}

GenerationRequest constrained(std::shared_ptr<const constrain::Grammar> grammar, uint64_t seed,
                              int64_t max_new_tokens = 600) {
  GenerationRequest request;
  request.prompt = tiny_model().encode("Reply in JSON: the order status.");
  request.max_new_tokens = max_new_tokens;
  request.eos_token_ids = {testing::kEndOfText, testing::kImEnd};
  request.sampler.temperature = 1.0;
  request.sampler.seed = seed;
  request.grammar = std::move(grammar);
  request.grammar_tokens = tiny_index();
  return request;
}

GenerationResult run_alone(const GenerationRequest& request) {
  testing::TinyModel& tiny = tiny_model();
  auto session = TextSession::create(*tiny.model, tiny.assets->tokenizer, *tiny.pool, {1024, 256});
  EXPECT_TRUE(session.ok()) << session.error().message;
  std::string streamed;
  auto result = (*session)->generate(request, [&](std::string_view piece) { streamed += piece; });
  EXPECT_TRUE(result.ok()) << result.error().message;
  if (!result.ok()) return {};
  EXPECT_EQ(streamed, result->text);
  return std::move(result).value();
}

// Schemas whose documents are bounded (strings with maxLength, arrays with maxItems), so that
// even a random model must finish them inside the budget.
const char* const kBoundedSchemas[] = {
    R"({"type": "object", "properties": {
        "order_id": {"type": "string", "minLength": 3, "maxLength": 8},
        "status": {"enum": ["pending", "shipped", "delivered", "cancelled"]},
        "eta_days": {"type": "integer"},
        "express": {"type": "boolean"},
        "note": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]}},
        "required": ["order_id", "status", "eta_days"], "additionalProperties": false})",
    R"({"type": "object", "properties": {
        "items": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {
          "sku": {"type": "string", "maxLength": 6}, "qty": {"type": "integer"},
          "price": {"type": "number"}}, "required": ["sku", "qty"],
          "additionalProperties": false}},
        "currency": {"const": "EUR"}},
        "required": ["items", "currency"], "additionalProperties": false})",
    R"({"type": "array", "minItems": 1, "maxItems": 4,
        "items": {"type": ["integer", "null", "boolean"]}})",
    R"({"$defs": {"leaf": {"type": "string", "maxLength": 4}},
        "type": "object", "properties": {"a": {"$ref": "#/$defs/leaf"},
        "b": {"type": "array", "items": {"$ref": "#/$defs/leaf"}, "maxItems": 2}},
        "required": ["a", "b"], "additionalProperties": false})",
};

TEST(ConstrainedGeneration, RandomModelOutputValidatesForEverySchemaAndSeed) {
  ASSERT_TRUE(tiny_model().model && tiny_index());
  for (const char* text : kBoundedSchemas) {
    const Json schema = Json::parse(text);
    auto grammar = constrain::compile_json_schema(schema);
    ASSERT_TRUE(grammar.ok()) << grammar.error().message;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      const GenerationResult result = run_alone(constrained(*grammar, seed));
      if (seed == 1) std::printf("[ sample   ] %s\n", result.text.c_str());
      EXPECT_EQ(result.stop_reason, StopReason::kStop) << text << "\n" << result.text;
      EXPECT_EQ(constrain::testing::check_document(result.text, schema), "")
          << text << "\n" << result.text;
    }
  }
}

TEST(ConstrainedGeneration, JsonObjectModeGivesAnObjectOrIsCutByLength) {
  ASSERT_TRUE(tiny_model().model && tiny_index());
  const Json schema = Json::parse(R"({"type": "object"})");
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const GenerationResult result = run_alone(constrained(constrain::any_json_object(), seed, 300));
    std::printf("[ sample   ] %s: %s\n", std::string(stop_reason_name(result.stop_reason)).c_str(),
                result.text.substr(0, 160).c_str());
    if (result.stop_reason == StopReason::kStop) {
      EXPECT_EQ(constrain::testing::check_document(result.text, schema), "") << result.text;
    } else {
      constrain::Matcher matcher(constrain::any_json_object());
      EXPECT_TRUE(matcher.accept(result.text)) << result.text;
    }
  }
}

TEST(ConstrainedGeneration, BudgetEndsWithLengthOnAValidPrefix) {
  ASSERT_TRUE(tiny_model().model && tiny_index());
  auto grammar = constrain::compile_json_schema(Json::parse(kBoundedSchemas[0]));
  ASSERT_TRUE(grammar.ok());
  const GenerationResult result = run_alone(constrained(*grammar, 7, 5));
  EXPECT_EQ(result.stop_reason, StopReason::kLength);
  EXPECT_EQ(result.generated_ids.size(), 5u);
  constrain::Matcher matcher(*grammar);
  EXPECT_TRUE(matcher.accept(result.text)) << result.text;
  EXPECT_FALSE(matcher.is_complete());
}

TEST(ConstrainedGeneration, ForcedToolCallsParseIntoAToolAndValidArguments) {
  ASSERT_TRUE(tiny_model().model && tiny_index());
  const Json tools = Json::parse(R"([
    {"type": "function", "function": {"name": "get_order_status", "description": "status",
      "parameters": {"type": "object", "properties": {
        "order_id": {"type": "string", "maxLength": 8}}, "required": ["order_id"],
        "additionalProperties": false}}},
    {"type": "function", "function": {"name": "track_parcel", "parameters": {
      "type": "object", "properties": {"carrier": {"enum": ["dhl", "ups", "sf"]},
      "number": {"type": "integer"}}, "required": ["carrier", "number"],
      "additionalProperties": false}}}])");
  for (const std::optional<std::string>& forced :
       {std::optional<std::string>(), std::optional<std::string>("track_parcel")}) {
    auto grammar = constrain::tool_call_grammar(tools, forced);
    ASSERT_TRUE(grammar.ok()) << grammar.error().message;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const GenerationResult result = run_alone(constrained(*grammar, seed));
      ASSERT_EQ(result.stop_reason, StopReason::kStop) << result.text;
      const std::string open = "<tool_call>\n", close = "\n</tool_call>";
      ASSERT_TRUE(result.text.starts_with(open) && result.text.ends_with(close)) << result.text;
      const Json call = Json::parse(
          result.text.substr(open.size(), result.text.size() - open.size() - close.size()));
      const std::string name = call.at("name");
      if (forced) {
        EXPECT_EQ(name, *forced);
      }
      const Json* parameters = nullptr;
      for (const Json& tool : tools) {
        if (tool["function"]["name"] == name) parameters = &tool["function"]["parameters"];
      }
      ASSERT_NE(parameters, nullptr) << name;
      EXPECT_EQ(constrain::testing::check_schema(call.at("arguments"), *parameters, *parameters),
                "") << result.text;
    }
  }
}

TEST(ConstrainedGeneration, MissingTokenIndexIsAnError) {
  ASSERT_TRUE(tiny_model().model);
  GenerationRequest request = constrained(constrain::any_json_object(), 1);
  request.grammar_tokens = nullptr;
  testing::TinyModel& tiny = tiny_model();
  auto session = TextSession::create(*tiny.model, tiny.assets->tokenizer, *tiny.pool, {1024, 256});
  ASSERT_TRUE(session.ok());
  auto result = (*session)->generate(request, nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("token index"), std::string::npos);
}

TEST(ConstrainedGeneration, SameTokensAloneOrBatched) {
  ASSERT_TRUE(tiny_model().model && tiny_index());
  testing::TinyModel& tiny = tiny_model();
  ThreadPool pool(2);
  auto scheduler = Scheduler::create(*tiny.model, tiny.assets->tokenizer, pool, {3, 1024, 64, 8});
  ASSERT_TRUE(scheduler.ok()) << scheduler.error().message;
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 3; ++i) {
    auto grammar = constrain::compile_json_schema(Json::parse(kBoundedSchemas[i]));
    ASSERT_TRUE(grammar.ok());
    requests.push_back(constrained(*grammar, 11 + static_cast<uint64_t>(i)));
  }
  GenerationRequest plain = requests[0];  // an unconstrained neighbour
  plain.grammar = nullptr;
  plain.max_new_tokens = 40;
  requests.push_back(plain);
  std::vector<std::future<Expected<GenerationResult>>> futures;
  for (GenerationRequest request : requests) {
    request.grammar_tokens = nullptr;  // the scheduler supplies its own
    auto promise = std::make_shared<std::promise<Expected<GenerationResult>>>();
    futures.push_back(promise->get_future());
    SequenceRequest sequence;
    sequence.generation = std::move(request);
    sequence.on_done = [promise](Expected<GenerationResult> r) { promise->set_value(std::move(r)); };
    const SubmitResult submitted = (*scheduler)->submit(std::move(sequence));
    ASSERT_TRUE(submitted.ok()) << submitted.message;
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    auto batched = futures[i].get();
    ASSERT_TRUE(batched.ok()) << batched.error().message;
    const GenerationResult expected = run_alone(requests[i]);
    EXPECT_EQ(batched->generated_ids, expected.generated_ids) << "request " << i;
    EXPECT_EQ(batched->text, expected.text);
    EXPECT_EQ(batched->stop_reason, expected.stop_reason);
  }
}

}  // namespace
}  // namespace qinfer::engine
