// --dtype on load (model/convert_weights.h): matrices become the requested blocks, norms and a
// tied lm_head are handled, and impossible requests fail with the tensor's name.
#include "model/convert_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/quantize.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

struct Fixture {
  std::vector<std::vector<float>> buffers;
  Model model;

  TensorView f32(std::vector<int64_t> shape, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float>& data = buffers.emplace_back(static_cast<size_t>(n));
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : data) v = dist(rng);
    return testing::f32_view(std::move(shape), data);
  }

  // One layer, hidden `h`, FFN `f`, vocabulary 8; lm_head tied unless `untied`.
  Fixture(int64_t h, int64_t f, bool untied = false) {
    model.format = ModelFormat::kHuggingFace;
    ModelWeights& w = model.weights;
    w.embed_tokens = f32({8, h}, 1);
    w.lm_head = untied ? f32({8, h}, 2) : w.embed_tokens;
    w.norm = f32({h}, 3);
    LayerWeights& l = w.layers.emplace_back();
    l.input_layernorm = f32({h}, 4);
    l.q_proj = f32({h, h}, 5);
    l.k_proj = f32({h, h}, 6);
    l.v_proj = f32({h, h}, 7);
    l.q_norm = f32({h}, 8);
    l.k_norm = f32({h}, 9);
    l.o_proj = f32({h, h}, 10);
    l.post_attention_layernorm = f32({h}, 11);
    l.gate_proj = f32({f, h}, 12);
    l.up_proj = f32({f, h}, 13);
    l.down_proj = f32({h, f}, 14);
  }
};

TEST(ConvertWeights, ParsesDtypeNames) {
  EXPECT_EQ(*parse_weight_dtype("q8_0"), DType::Q8_0);
  EXPECT_EQ(*parse_weight_dtype("Q4_K"), DType::Q4_K);
  EXPECT_EQ(*parse_weight_dtype("BF16"), DType::BF16);
  EXPECT_FALSE(parse_weight_dtype("").value().has_value());
  auto bad = parse_weight_dtype("q3_k");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("q6_k"), std::string::npos);
}

TEST(ConvertWeights, QuantizesMatricesAndKeepsNorms) {
  Fixture fx(256, 512, /*untied=*/true);
  const TensorView original_down = fx.model.weights.layers[0].down_proj;
  const TensorView original_norm = fx.model.weights.norm;
  ASSERT_TRUE(convert_matrices(fx.model, DType::Q4_K, 1).ok());
  const ModelWeights& w = fx.model.weights;
  for (const TensorView* m : {&w.embed_tokens, &w.lm_head, &w.layers[0].q_proj,
                              &w.layers[0].down_proj, &w.layers[0].up_proj}) {
    EXPECT_EQ(m->dtype, DType::Q4_K);
    EXPECT_EQ(m->nbytes, *row_bytes(DType::Q4_K, m->shape[1]) * m->shape[0]);
  }
  EXPECT_EQ(w.norm.dtype, DType::F32);
  EXPECT_EQ(w.norm.data, original_norm.data);
  // The blocks are quantize_row's.
  std::vector<std::byte> expected(w.layers[0].down_proj.nbytes);
  const int64_t cols = original_down.shape[1];
  for (int64_t r = 0; r < original_down.shape[0]; ++r) {
    quantize_row(DType::Q4_K, original_down.as<float>() + r * cols, cols,
                 expected.data() + r * *row_bytes(DType::Q4_K, cols));
  }
  EXPECT_EQ(std::memcmp(expected.data(), w.layers[0].down_proj.data, expected.size()), 0);
}

TEST(ConvertWeights, TiedLmHeadStaysTheEmbedding) {
  Fixture fx(64, 128);
  ASSERT_TRUE(convert_matrices(fx.model, DType::Q8_0, 2).ok());
  const ModelWeights& w = fx.model.weights;
  EXPECT_EQ(w.embed_tokens.dtype, DType::Q8_0);
  EXPECT_EQ(w.lm_head.data, w.embed_tokens.data);
  EXPECT_EQ(w.lm_head.dtype, DType::Q8_0);
}

TEST(ConvertWeights, RowsThatAreNotWholeBlocksAreAnError) {
  Fixture fx(64, 128);
  Status status = convert_matrices(fx.model, DType::Q6_K, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("model.embed_tokens.weight"), std::string::npos);
  EXPECT_NE(status.error().message.find("256"), std::string::npos);
}

TEST(ConvertWeights, GgufModelsAreNotConverted) {
  Fixture fx(64, 128);
  fx.model.format = ModelFormat::kGguf;
  Status status = convert_matrices(fx.model, DType::Q8_0, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("qinfer quantize"), std::string::npos);
}

}  // namespace
}  // namespace qinfer
