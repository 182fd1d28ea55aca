// Invariants and bad paths of the forward pass on a small in-memory model (correctness against
// transformers lives in tests/reference/test_forward.py): chunked and token-by-token decoding
// equal one pass bit for bit, the thread count changes nothing, and bad input is an error.
#include "model/qwen3.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include "model_test_files.h"

namespace qinfer {
namespace {

Qwen3Config small_config() {
  Qwen3Config config;
  config.vocab_size = 53;
  config.hidden_size = 24;
  config.intermediate_size = 40;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 10;
  config.max_position_embeddings = 128;
  config.tie_word_embeddings = true;
  return config;
}

// Random F32 weights owned by the fixture, viewed by `weights`.
struct SmallModel {
  Qwen3Config config = small_config();
  std::deque<std::vector<float>> storage;
  ModelWeights weights;
  std::mt19937 rng{5};

  TensorView tensor(std::vector<int64_t> shape, float mean, float stddev) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::normal_distribution<float> dist(mean, stddev);
    std::vector<float>& data = storage.emplace_back(static_cast<size_t>(n));
    for (float& v : data) v = dist(rng);
    return testing::f32_view(std::move(shape), data);
  }

  SmallModel() {
    const int64_t H = config.hidden_size, I = config.intermediate_size, D = config.head_dim;
    const float s = 0.3f;
    weights.embed_tokens = tensor({config.vocab_size, H}, 0.0f, 1.0f);
    for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
      LayerWeights layer;
      layer.input_layernorm = tensor({H}, 1.0f, 0.2f);
      layer.q_proj = tensor({config.q_dim(), H}, 0.0f, s);
      layer.k_proj = tensor({config.kv_dim(), H}, 0.0f, s);
      layer.v_proj = tensor({config.kv_dim(), H}, 0.0f, s);
      layer.q_norm = tensor({D}, 1.0f, 0.2f);
      layer.k_norm = tensor({D}, 1.0f, 0.2f);
      layer.o_proj = tensor({H, config.q_dim()}, 0.0f, s);
      layer.post_attention_layernorm = tensor({H}, 1.0f, 0.2f);
      layer.gate_proj = tensor({I, H}, 0.0f, s);
      layer.up_proj = tensor({I, H}, 0.0f, s);
      layer.down_proj = tensor({H, I}, 0.0f, s);
      weights.layers.push_back(layer);
    }
    weights.norm = tensor({H}, 1.0f, 0.2f);
    weights.lm_head = weights.embed_tokens;
  }
};

using testing::all_logits;

TEST(Qwen3Forward, ChunkedAndCachedDecodingEqualOnePassOnAnyThreadCount) {
  SmallModel model;
  std::vector<int32_t> ids;
  for (int i = 0; i < 37; ++i) ids.push_back((i * 17 + 3) % 53);
  const std::vector<float> one_pass = all_logits(model.config, model.weights, ids, 64, 2);
  ASSERT_EQ(one_pass.size(), ids.size() * 53);
  EXPECT_EQ(all_logits(model.config, model.weights, ids, 1, 2), one_pass);
  EXPECT_EQ(all_logits(model.config, model.weights, ids, 5, 1), one_pass);
  EXPECT_EQ(all_logits(model.config, model.weights, ids, 64, 1), one_pass);
  // Logits depend on the context: the same token at two positions differs.
  EXPECT_NE(std::vector<float>(one_pass.begin(), one_pass.begin() + 53),
            std::vector<float>(one_pass.begin() + 53 * 3, one_pass.begin() + 53 * 4));
}

TEST(Qwen3Forward, BatchedSequencesEqualEachRunAlone) {
  SmallModel model;
  testing::expect_batched_equals_alone(model.config, model.weights, 2);
  testing::expect_batched_equals_alone(model.config, model.weights, 1);
}

// An F16 cache keeps every invariance F32 has (each path stores the rounded rows before
// attention reads them, so chunking, threads and batching change no bit), and its logits are
// F32's within the rounding of keys and values, but not equal to them: the cache holds F16.
TEST(Qwen3Forward, F16CacheKeepsTheInvariancesAndStaysCloseToF32) {
  SmallModel model;
  std::vector<int32_t> ids;
  for (int i = 0; i < 37; ++i) ids.push_back((i * 17 + 3) % 53);
  const std::vector<float> one_pass = all_logits(model.config, model.weights, ids, 64, 2,
                                                 DType::F16);
  ASSERT_EQ(one_pass.size(), ids.size() * 53);
  EXPECT_EQ(all_logits(model.config, model.weights, ids, 1, 2, DType::F16), one_pass);
  EXPECT_EQ(all_logits(model.config, model.weights, ids, 5, 1, DType::F16), one_pass);
  testing::expect_batched_equals_alone(model.config, model.weights, 2, DType::F16);
  testing::expect_batched_equals_alone(model.config, model.weights, 1, DType::F16);

  const std::vector<float> f32 = all_logits(model.config, model.weights, ids, 64, 2, DType::F32);
  ASSERT_EQ(f32.size(), one_pass.size());
  EXPECT_NE(f32, one_pass);
  double max_delta = 0.0, max_logit = 0.0;
  for (size_t i = 0; i < f32.size(); ++i) {
    max_delta = std::max(max_delta, std::fabs(double(f32[i]) - one_pass[i]));
    max_logit = std::max(max_logit, std::fabs(double(f32[i])));
  }
  EXPECT_LT(max_delta, 1e-2 * max_logit) << "max |logit| " << max_logit;
}

TEST(Qwen3Forward, KvTypeAutoFollowsTheWeightsAndOnlyF32AndF16AreAccepted) {
  ThreadPool pool(1);
  SmallModel model;
  auto f32 = Qwen3Forward::create(model.config, model.weights, pool, {});
  ASSERT_TRUE(f32.ok());
  EXPECT_EQ((*f32)->kv_dtype(), DType::F32);  // every matrix F32
  EXPECT_EQ((*f32)->make_cache().dtype(), DType::F32);
  auto forced = Qwen3Forward::create(model.config, model.weights, pool, {.kv_dtype = DType::F16});
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)->make_cache().dtype(), DType::F16);

  SmallModel bf16;
  bf16.weights.layers[0].up_proj.dtype = DType::BF16;  // only checked here, never run
  auto f16 = Qwen3Forward::create(bf16.config, bf16.weights, pool, {});
  ASSERT_TRUE(f16.ok());
  EXPECT_EQ((*f16)->kv_dtype(), DType::F16);

  for (DType bad : {DType::BF16, DType::Q8_0}) {
    auto rejected = Qwen3Forward::create(model.config, model.weights, pool, {.kv_dtype = bad});
    ASSERT_FALSE(rejected.ok());
    EXPECT_NE(rejected.error().message.find("KV cache type"), std::string::npos);
  }
}

TEST(Qwen3Forward, BadBatchesAreErrorsThatChangeNoCache) {
  SmallModel model;
  ThreadPool pool(1);
  auto forward = Qwen3Forward::create(model.config, model.weights, pool,
                                      {.max_chunk_tokens = 4, .max_positions = 8, .max_sequences = 2});
  ASSERT_TRUE(forward.ok());
  KvCache a = (*forward)->make_cache(), b = (*forward)->make_cache(), c = (*forward)->make_cache();
  const std::vector<int32_t> two = {1, 2}, three = {1, 2, 3}, bad = {1, 99};
  auto expect_error = [&](std::vector<SequenceChunk> chunks, const char* words) {
    auto result = (*forward)->forward_batch(chunks);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
    EXPECT_EQ(a.length() + b.length() + c.length(), 0);
  };
  expect_error({}, "no sequences");
  expect_error({{two, &a}, {two, &b}, {two, &c}}, "batch limit");
  expect_error({{two, &a}, {three, &b}}, "chunk size");
  expect_error({{two, &a}, {two, &a}}, "share a cache");
  expect_error({{two, &a}, {bad, &b}}, "outside the vocabulary");
  expect_error({{two, &a}, {two, nullptr}}, "no cache");
  KvCache other_type(model.config, 8, (*forward)->kv_dtype() == DType::F32 ? DType::F16 : DType::F32);
  expect_error({{two, &a}, {two, &other_type}}, "KV cache holds");
  EXPECT_EQ(other_type.length(), 0);
  auto ok = (*forward)->forward_batch(std::vector<SequenceChunk>{{two, &a}, {two, &b, LogitsFor::kNone}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 53u);  // one row: b asked for none
  EXPECT_EQ(a.length(), 2);
  EXPECT_EQ(b.length(), 2);
}

TEST(Qwen3Forward, LastPositionIsLastRowAndTruncateRewinds) {
  SmallModel model;
  const std::vector<int32_t> ids = {1, 5, 9, 2, 44};
  const std::vector<float> full = all_logits(model.config, model.weights, ids, 64, 2);
  ThreadPool pool(2);
  auto forward = Qwen3Forward::create(model.config, model.weights, pool, {.max_chunk_tokens = 8, .max_positions = 16});
  ASSERT_TRUE(forward.ok());
  KvCache cache = (*forward)->make_cache();
  auto last = (*forward)->forward(ids, cache, LogitsFor::kLastPosition);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(std::vector<float>(last->begin(), last->end()),
            std::vector<float>(full.end() - 53, full.end()));
  // Rewind to 3 positions and feed the last two again: same result.
  cache.truncate(3);
  auto again = (*forward)->forward(std::span<const int32_t>(ids).subspan(3), cache,
                                   LogitsFor::kLastPosition);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<float>(again->begin(), again->end()),
            std::vector<float>(full.end() - 53, full.end()));
  // A prompt chunk that needs no logits, then the rest.
  cache.truncate(0);
  auto none = (*forward)->forward(std::span<const int32_t>(ids).first(3), cache, LogitsFor::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto rest = (*forward)->forward(std::span<const int32_t>(ids).subspan(3), cache,
                                  LogitsFor::kLastPosition);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(std::vector<float>(rest->begin(), rest->end()),
            std::vector<float>(full.end() - 53, full.end()));
}

TEST(Qwen3Forward, BadInputIsAnError) {
  SmallModel model;
  ThreadPool pool(1);
  auto forward = Qwen3Forward::create(model.config, model.weights, pool, {.max_chunk_tokens = 4, .max_positions = 6});
  ASSERT_TRUE(forward.ok());
  KvCache cache = (*forward)->make_cache();
  const std::vector<int32_t> out_of_vocab = {1, 53};
  auto result = (*forward)->forward(out_of_vocab, cache, LogitsFor::kLastPosition);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(cache.length(), 0);
  EXPECT_FALSE((*forward)->forward({}, cache, LogitsFor::kLastPosition).ok());
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  EXPECT_FALSE((*forward)->forward(five, cache, LogitsFor::kLastPosition).ok());  // > chunk
  const std::vector<int32_t> four = {1, 2, 3, 4};
  EXPECT_FALSE((*forward)->forward(four, cache, LogitsFor::kAllPositions).ok());  // no buffer
  ASSERT_TRUE((*forward)->forward(four, cache, LogitsFor::kLastPosition).ok());
  auto past_context = (*forward)->forward(four, cache, LogitsFor::kLastPosition);  // 8 > 6
  ASSERT_FALSE(past_context.ok());
  EXPECT_NE(past_context.error().message.find("context"), std::string::npos);
}

TEST(Qwen3Forward, UnsupportedConfigOrWeightsAreRejectedAtCreate) {
  ThreadPool pool(1);
  {
    SmallModel model;
    model.config.rope_scaling = RopeScaling{"yarn", 4.0, 32768};
    auto forward = Qwen3Forward::create(model.config, model.weights, pool, {});
    ASSERT_FALSE(forward.ok());
    EXPECT_NE(forward.error().message.find("not supported yet"), std::string::npos);
  }
  {
    // A quantized matrix whose rows (I = 40) are not whole 32-element blocks.
    SmallModel model;
    model.weights.layers[1].down_proj.dtype = DType::Q8_0;
    auto forward = Qwen3Forward::create(model.config, model.weights, pool, {});
    ASSERT_FALSE(forward.ok());
    EXPECT_NE(forward.error().message.find("q8_0"), std::string::npos);
  }
  {
    SmallModel model;
    model.weights.layers.pop_back();
    EXPECT_FALSE(Qwen3Forward::create(model.config, model.weights, pool, {}).ok());
  }
}

}  // namespace
}  // namespace qinfer
