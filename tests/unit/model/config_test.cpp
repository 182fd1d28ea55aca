#include "model/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace qinfer {
namespace {

std::string published_14b_config() {
  std::ifstream in("/work/shared/qwen3/Qwen3-14B.config.json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The 14B config.json exactly as published (kept in the test so the test does not depend on
// files outside the repository).
constexpr const char* kPublished14B = R"({
  "architectures": ["Qwen3ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151645,
  "head_dim": 128,
  "hidden_act": "silu",
  "hidden_size": 5120,
  "initializer_range": 0.02,
  "intermediate_size": 17408,
  "max_position_embeddings": 40960,
  "max_window_layers": 40,
  "model_type": "qwen3",
  "num_attention_heads": 40,
  "num_hidden_layers": 40,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 1000000,
  "sliding_window": null,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.51.0",
  "use_cache": true,
  "use_sliding_window": false,
  "vocab_size": 151936
})";

std::string with(const std::string& field, const nlohmann::json& value) {
  nlohmann::json root = nlohmann::json::parse(kPublished14B);
  if (value.is_discarded()) {
    root.erase(field);
  } else {
    root[field] = value;
  }
  return root.dump();
}

std::string error_of(const std::string& text) {
  auto config = parse_hf_config(text, "dir/config.json");
  return config.ok() ? "(no error)" : config.error().message;
}

TEST(Qwen3Config, ParsesPublished14B) {
  auto config = parse_hf_config(kPublished14B, "config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->vocab_size, 151936);
  EXPECT_EQ(config->hidden_size, 5120);
  EXPECT_EQ(config->intermediate_size, 17408);
  EXPECT_EQ(config->num_hidden_layers, 40);
  EXPECT_EQ(config->num_attention_heads, 40);
  EXPECT_EQ(config->num_key_value_heads, 8);
  EXPECT_EQ(config->head_dim, 128);
  EXPECT_EQ(config->q_dim(), 5120);
  EXPECT_EQ(config->kv_dim(), 1024);
  EXPECT_EQ(config->max_position_embeddings, 40960);
  EXPECT_EQ(config->rope_theta, 1e6);
  EXPECT_EQ(config->rms_norm_eps, 1e-6);
  EXPECT_FALSE(config->tie_word_embeddings);
  EXPECT_TRUE(config->rope_scaling.rope_type.empty());
  EXPECT_EQ(config->bos_token_id, 151643);
  EXPECT_EQ(config->eos_token_ids, std::vector<int64_t>{151645});
}

TEST(Qwen3Config, WritesThePublishedFieldsInOrder) {
  // Our writer must reproduce the published file for the published shapes (as JSON; key order
  // checked by comparing the ordered key lists).
  auto config = parse_hf_config(kPublished14B, "config.json");
  ASSERT_TRUE(config.ok());
  auto ours = nlohmann::ordered_json::parse(hf_config_json(*config, "bfloat16"));
  auto published = nlohmann::ordered_json::parse(kPublished14B);
  EXPECT_EQ(ours, published);
  std::vector<std::string> our_keys, published_keys;
  for (const auto& item : ours.items()) our_keys.push_back(item.key());
  for (const auto& item : published.items()) published_keys.push_back(item.key());
  EXPECT_EQ(our_keys, published_keys);
  const std::string shared = published_14b_config();
  if (!shared.empty()) {
    EXPECT_EQ(nlohmann::ordered_json::parse(shared), ours);
  }
}

TEST(Qwen3Config, YarnRopeScaling) {
  auto config = parse_hf_config(
      with("rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0},
                            {"original_max_position_embeddings", 32768}}),
      "config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->rope_scaling.rope_type, "yarn");
  EXPECT_EQ(config->rope_scaling.factor, 4.0);
  EXPECT_EQ(config->rope_scaling.original_max_position_embeddings, 32768);
  EXPECT_NE(error_of(with("rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}))
                .find("rope type 'linear' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(with("rope_scaling", {{"rope_type", "yarn"}})).find("factor"), std::string::npos);
}

TEST(Qwen3Config, Transformers5RopeParameters) {
  nlohmann::json root = nlohmann::json::parse(kPublished14B);
  root.erase("rope_theta");
  root.erase("rope_scaling");
  root["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 5e5}};
  auto config = parse_hf_config(root.dump(), "config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->rope_theta, 5e5);
  EXPECT_TRUE(config->rope_scaling.rope_type.empty());
}

TEST(Qwen3Config, Defaults) {
  nlohmann::json root = nlohmann::json::parse(kPublished14B);
  root.erase("head_dim");
  root.erase("num_key_value_heads");
  root["eos_token_id"] = {151645, 151643};
  auto config = parse_hf_config(root.dump(), "config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->head_dim, 5120 / 40);
  EXPECT_EQ(config->num_key_value_heads, 40);
  EXPECT_EQ(config->eos_token_ids, (std::vector<int64_t>{151645, 151643}));
}

TEST(Qwen3Config, RejectsUnsupportedModels) {
  std::string message = error_of(with("model_type", "llama"));
  EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("model_type 'llama' is not supported"), std::string::npos) << message;
  message = error_of(with("architectures", {"Qwen3MoeForCausalLM"}));
  EXPECT_NE(message.find("architectures"), std::string::npos) << message;
  EXPECT_NE(error_of(with("model_type", nlohmann::json::value_t::discarded)).find("'model_type' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(with("attention_bias", true)).find("attention_bias"), std::string::npos);
  EXPECT_NE(error_of(with("use_sliding_window", true)).find("use_sliding_window"), std::string::npos);
  EXPECT_NE(error_of(with("hidden_act", "gelu")).find("hidden_act 'gelu'"), std::string::npos);
}

TEST(Qwen3Config, RejectsBadValues) {
  EXPECT_NE(error_of("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(error_of(with("hidden_size", "5120")).find("'hidden_size' must be an integer"), std::string::npos);
  EXPECT_NE(error_of(with("hidden_size", 0)).find("out of range"), std::string::npos);
  EXPECT_NE(error_of(with("vocab_size", 1e18)).find("out of range"), std::string::npos);
  EXPECT_NE(error_of(with("num_hidden_layers", -1)).find("out of range"), std::string::npos);
  EXPECT_NE(error_of(with("num_key_value_heads", 7)).find("not a multiple"), std::string::npos);
  EXPECT_NE(error_of(with("head_dim", 127)).find("must be even"), std::string::npos);
  EXPECT_NE(error_of(with("intermediate_size", nlohmann::json::value_t::discarded)).find("'intermediate_size' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(with("rms_norm_eps", -1)).find("rms_norm_eps"), std::string::npos);
  EXPECT_NE(error_of(with("eos_token_id", "x")).find("eos_token_id"), std::string::npos);
  EXPECT_NE(error_of(with("rope_theta", 0)).find("rope_theta"), std::string::npos);
}

TEST(GenerationConfig, ParsesPublished) {
  auto generation = parse_generation_config(
      R"({"bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
          "pad_token_id": 151643, "temperature": 0.6, "top_k": 20, "top_p": 0.95,
          "transformers_version": "4.51.0"})",
      "generation_config.json");
  ASSERT_TRUE(generation.ok()) << generation.error().message;
  EXPECT_EQ(generation->eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(generation->pad_token_id, 151643);
  EXPECT_TRUE(generation->do_sample);
  EXPECT_EQ(generation->temperature, 0.6);
  EXPECT_EQ(generation->top_k, 20);
  EXPECT_EQ(generation->top_p, 0.95);
  // Our writer emits the same document.
  EXPECT_EQ(nlohmann::json::parse(generation_config_json(qwen3_default_generation_config())),
            nlohmann::json::parse(R"({"bos_token_id": 151643, "do_sample": true,
              "eos_token_id": [151645, 151643], "pad_token_id": 151643, "temperature": 0.6,
              "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"})"));
}

TEST(GenerationConfig, SingleEosAndErrors) {
  auto generation = parse_generation_config(R"({"eos_token_id": 7})", "g.json");
  ASSERT_TRUE(generation.ok());
  EXPECT_EQ(generation->eos_token_ids, std::vector<int64_t>{7});
  EXPECT_FALSE(generation->do_sample);
  auto bad = parse_generation_config(R"({"top_p": "high"})", "g.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("g.json: field 'top_p'"), std::string::npos);
  EXPECT_FALSE(parse_generation_config(R"({"top_p": 2})", "g.json").ok());
  EXPECT_FALSE(parse_generation_config(R"({"eos_token_id": [1, -2]})", "g.json").ok());
}

}  // namespace
}  // namespace qinfer
