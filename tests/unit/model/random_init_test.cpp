#include "model/random_init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace qinfer {
namespace {

double mean_of(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double std_of(const std::vector<float>& v) {
  const double mean = mean_of(v);
  double sum = 0;
  for (float x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size()));
}

std::vector<float> generate(const Qwen3Config& config, uint64_t seed, const TensorSpec& spec,
                            uint64_t first, uint64_t count) {
  std::vector<float> out(count);
  fill_random_tensor(config, seed, spec, first, count, out.data());
  return out;
}

TEST(RandomInit, PresetsMatchPublishedShapes) {
  auto tiny = qwen3_preset("tiny");
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->hidden_size, 64);
  EXPECT_EQ(tiny->num_hidden_layers, 2);
  EXPECT_EQ(tiny->num_attention_heads, 4);
  EXPECT_EQ(tiny->num_key_value_heads, 2);
  EXPECT_EQ(tiny->intermediate_size, 128);
  EXPECT_EQ(tiny->head_dim, 16);
  EXPECT_TRUE(tiny->tie_word_embeddings);
  auto big = qwen3_preset("14B");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->hidden_size, 5120);
  EXPECT_EQ(big->intermediate_size, 17408);
  EXPECT_FALSE(big->tie_word_embeddings);
  // Parameter counts of the published checkpoints (0.6B: 596M with tied embeddings, 14B: 14.77B).
  auto count = [](const Qwen3Config& config) {
    uint64_t n = 0;
    for (const auto& spec : qwen3_tensor_specs(config)) {
      uint64_t e = 1;
      for (int64_t d : spec.shape) e *= static_cast<uint64_t>(d);
      n += e;
    }
    return n;
  };
  EXPECT_EQ(count(*qwen3_preset("0.6B")), 596049920u);
  EXPECT_EQ(count(*big), 14768307200u);
  EXPECT_FALSE(qwen3_preset("3B").ok());
}

TEST(RandomInit, SpecsCoverEveryTensorOnce) {
  Qwen3Config config = *qwen3_preset("tiny");
  auto specs = qwen3_tensor_specs(config);
  EXPECT_EQ(specs.size(), 1u + 2u * 11u + 1u);  // tied: no lm_head
  std::set<std::string> names;
  for (const auto& spec : specs) names.insert(spec.name);
  EXPECT_EQ(names.size(), specs.size());
  config.tie_word_embeddings = false;
  EXPECT_EQ(qwen3_tensor_specs(config).back().name, "lm_head.weight");
}

TEST(RandomInit, ChunkingDoesNotChangeValues) {
  const Qwen3Config config = *qwen3_preset("tiny");
  for (const TensorSpec& spec : qwen3_tensor_specs(config)) {
    uint64_t n = 1;
    for (int64_t d : spec.shape) n *= static_cast<uint64_t>(d);
    n = std::min<uint64_t>(n, 5000);
    auto whole = generate(config, 9, spec, 0, n);
    auto head = generate(config, 9, spec, 0, n / 3);
    auto tail = generate(config, 9, spec, n / 3, n - n / 3);
    head.insert(head.end(), tail.begin(), tail.end());
    ASSERT_EQ(whole, head) << spec.name;
  }
}

TEST(RandomInit, SeedAndNameChangeValues) {
  const Qwen3Config config = *qwen3_preset("tiny");
  const TensorSpec up{"model.layers.0.mlp.up_proj.weight", {128, 64}};
  const TensorSpec gate{"model.layers.0.mlp.gate_proj.weight", {128, 64}};
  EXPECT_NE(generate(config, 1, up, 0, 64), generate(config, 2, up, 0, 64));
  EXPECT_NE(generate(config, 1, up, 0, 64), generate(config, 1, gate, 0, 64));
  EXPECT_EQ(generate(config, 1, up, 0, 64), generate(config, 1, up, 0, 64));
}

TEST(RandomInit, ScalesPerKind) {
  const Qwen3Config config = *qwen3_preset("0.6B");
  auto linear = generate(config, 3, {"model.layers.0.mlp.down_proj.weight", {1024, 3072}}, 0, 1 << 18);
  EXPECT_NEAR(mean_of(linear), 0.0, 0.002);
  EXPECT_NEAR(std_of(linear) * std::sqrt(3072.0), 1.0, 0.02);
  auto norm = generate(config, 3, {"model.norm.weight", {1024}}, 0, 1024);
  EXPECT_NEAR(mean_of(norm), 1.0, 0.03);
  EXPECT_NEAR(std_of(norm), 0.2, 0.03);
  for (float w : norm) EXPECT_GT(w, 0.25f);
  auto q_norm = generate(config, 3, {"model.layers.5.self_attn.q_norm.weight", {128}}, 0, 128);
  EXPECT_NEAR(mean_of(q_norm), 1.25, 0.08);
  // Token rows: rms 4 / sqrt(H), so logits spread ~4 whatever the hidden size.
  auto embed = generate(config, 3, {"model.embed_tokens.weight", {151936, 1024}}, 0, 1024 * 512);
  EXPECT_NEAR(mean_of(embed), 0.0, 0.002);
  EXPECT_NEAR(std_of(embed) * std::sqrt(1024.0), 4.0, 0.05);
}

}  // namespace
}  // namespace qinfer
