// The forward pass on quantized weights (every supported block type, mixed within one model as
// llama.cpp's Q4_K_M mixes them): decoding with the KV cache, chunked prefill and any thread
// count give bit-identical logits, and the logits are close to those of the same model with the
// dequantized weights in f32 (so embedding rows, lm_head and every matmul read the right blocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "kernels/dispatch.h"
#include "model/qwen3.h"
#include "tensor/quantize.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

Qwen3Config quant_config() {
  Qwen3Config config;
  config.vocab_size = 40;
  config.hidden_size = 256;  // K-quant rows are whole 256-element super-blocks
  config.intermediate_size = 512;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 64;
  config.max_position_embeddings = 128;
  config.tie_word_embeddings = false;
  return config;
}

// Two views of the same model: quantized blocks, and those blocks dequantized to f32.
struct QuantModel {
  Qwen3Config config = quant_config();
  std::deque<std::vector<std::byte>> blocks;
  std::deque<std::vector<float>> floats;
  ModelWeights quantized, dequantized;
  std::mt19937 rng{9};

  void matrix(TensorView ModelWeights::*field, LayerWeights* q_layer, LayerWeights* f_layer,
              TensorView LayerWeights::*layer_field, int64_t rows, int64_t cols, DType dtype,
              float stddev) {
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> values(static_cast<size_t>(rows * cols));
    for (float& v : values) v = dist(rng);
    const uint64_t row_size = *row_bytes(dtype, static_cast<uint64_t>(cols));
    std::vector<std::byte>& q = blocks.emplace_back(static_cast<size_t>(rows) * row_size);
    std::vector<float>& f = floats.emplace_back(values.size());
    for (int64_t r = 0; r < rows; ++r) {
      quantize_row(dtype, values.data() + r * cols, cols, q.data() + r * row_size);
      dequantize_row(dtype, q.data() + r * row_size, cols, f.data() + r * cols);
    }
    TensorView qv{dtype, {rows, cols}, q.data(), q.size()};
    TensorView fv = testing::f32_view({rows, cols}, f);
    if (q_layer != nullptr) {
      q_layer->*layer_field = qv;
      f_layer->*layer_field = fv;
    } else {
      quantized.*field = qv;
      dequantized.*field = fv;
    }
  }

  TensorView norm(int64_t n) {
    std::normal_distribution<float> dist(1.0f, 0.2f);
    std::vector<float>& data = floats.emplace_back(static_cast<size_t>(n));
    for (float& v : data) v = dist(rng);
    return testing::f32_view({n}, data);
  }

  QuantModel() {
    const int64_t H = config.hidden_size, I = config.intermediate_size, D = config.head_dim;
    const int64_t V = config.vocab_size;
    matrix(&ModelWeights::embed_tokens, nullptr, nullptr, nullptr, V, H, DType::Q4_0, 1.0f);
    matrix(&ModelWeights::lm_head, nullptr, nullptr, nullptr, V, H, DType::Q6_K, 0.3f);
    const TensorView final_norm = norm(H);
    quantized.norm = dequantized.norm = final_norm;
    for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
      LayerWeights q, f;
      q.input_layernorm = f.input_layernorm = norm(H);
      q.post_attention_layernorm = f.post_attention_layernorm = norm(H);
      q.q_norm = f.q_norm = norm(D);
      q.k_norm = f.k_norm = norm(D);
      // q/k/v share one K-quant activation; gate/up need both activation formats in one call.
      matrix(nullptr, &q, &f, &LayerWeights::q_proj, config.q_dim(), H, DType::Q4_K, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::k_proj, config.kv_dim(), H, DType::Q5_K, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::v_proj, config.kv_dim(), H, DType::Q6_K, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::o_proj, H, config.q_dim(), DType::Q8_0, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::gate_proj, I, H, DType::Q4_0, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::up_proj, I, H, DType::Q4_K, 0.1f);
      matrix(nullptr, &q, &f, &LayerWeights::down_proj, H, I, DType::Q6_K, 0.05f);
      quantized.layers.push_back(q);
      dequantized.layers.push_back(f);
    }
  }
};

using testing::all_logits;

TEST(Qwen3QuantizedForward, CachedChunkedAndThreadedDecodingAreBitIdentical) {
  QuantModel model;
  std::vector<int32_t> ids;
  for (int i = 0; i < 19; ++i) ids.push_back((i * 7 + 3) % 40);
  const std::vector<float> one_pass = all_logits(model.config, model.quantized, ids, 32, 2);
  ASSERT_EQ(one_pass.size(), ids.size() * 40);
  EXPECT_EQ(all_logits(model.config, model.quantized, ids, 1, 2), one_pass);
  EXPECT_EQ(all_logits(model.config, model.quantized, ids, 1, 1), one_pass);
  EXPECT_EQ(all_logits(model.config, model.quantized, ids, 5, 1), one_pass);
  EXPECT_EQ(all_logits(model.config, model.quantized, ids, 32, 1), one_pass);
}

TEST(Qwen3QuantizedForward, BatchedSequencesEqualEachRunAlone) {
  QuantModel model;
  testing::expect_batched_equals_alone(model.config, model.quantized, 2);
  // The float kernels too (their M = 1 decode path differs from the tiled M > 1 path).
  testing::expect_batched_equals_alone(model.config, model.dequantized, 2);
  std::deque<std::vector<uint16_t>> bf16_storage;
  auto to_bf16 = [&](const TensorView& f32) {
    const float* values = f32.as<float>();
    std::vector<uint16_t>& narrow = bf16_storage.emplace_back(static_cast<size_t>(f32.nbytes / 4));
    for (size_t i = 0; i < narrow.size(); ++i) narrow[i] = f32_to_bf16(values[i]);
    return TensorView{DType::BF16, f32.shape, reinterpret_cast<const std::byte*>(narrow.data()),
                      narrow.size() * 2};
  };
  ModelWeights bf16 = model.dequantized;
  bf16.embed_tokens = to_bf16(bf16.embed_tokens);
  bf16.lm_head = to_bf16(bf16.lm_head);
  for (LayerWeights& layer : bf16.layers) {
    for (TensorView* m : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                          &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      *m = to_bf16(*m);
    }
  }
  testing::expect_batched_equals_alone(model.config, bf16, 2);
}

// Matrices repacked for the running backend (as model/resident_weights.h does at load) give the
// logits of their blocks, decoding one token at a time and in prefill chunks.
TEST(Qwen3QuantizedForward, PackedMatricesGiveTheLogitsOfTheBlocks) {
  QuantModel model;
  const KernelTable& table = kernels();
  if (table.packed_bytes == nullptr) GTEST_SKIP() << table.name << " does not pack matrices";
  ModelWeights packed = model.quantized;
  std::deque<std::vector<std::byte>> storage;
  int packed_matrices = 0;
  auto pack = [&](TensorView& view) {
    const int64_t bytes = table.packed_bytes(view.dtype, view.rows(), view.cols());
    if (bytes == 0) return;
    std::vector<std::byte>& buffer = storage.emplace_back(static_cast<size_t>(bytes + 64));
    auto* aligned = reinterpret_cast<std::byte*>(
        (reinterpret_cast<uintptr_t>(buffer.data()) + 63) / 64 * 64);
    table.pack_rows(view.data, view.dtype, view.cols(), 0, view.rows(), aligned);
    view.packed = aligned;
    ++packed_matrices;
  };
  pack(packed.lm_head);
  for (LayerWeights& layer : packed.layers) {
    for (TensorView* m : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                          &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      pack(*m);
    }
  }
  if (packed_matrices == 0) GTEST_SKIP() << table.name << " packs none of these types";
  std::vector<int32_t> ids;
  for (int i = 0; i < 21; ++i) ids.push_back((i * 11 + 5) % 40);
  const std::vector<float> blocks = all_logits(model.config, model.quantized, ids, 32, 2);
  EXPECT_EQ(all_logits(model.config, packed, ids, 32, 2), blocks) << table.name;
  EXPECT_EQ(all_logits(model.config, packed, ids, 1, 2), blocks) << table.name;
  EXPECT_EQ(all_logits(model.config, packed, ids, 6, 1), blocks) << table.name;
}

TEST(Qwen3QuantizedForward, CloseToTheDequantizedF32Model) {
  QuantModel model;
  std::vector<int32_t> ids;
  for (int i = 0; i < 9; ++i) ids.push_back((i * 11 + 1) % 40);
  const std::vector<float> quantized = all_logits(model.config, model.quantized, ids, 16, 2);
  const std::vector<float> reference = all_logits(model.config, model.dequantized, ids, 16, 2);
  ASSERT_EQ(quantized.size(), reference.size());
  double max_diff = 0.0, max_logit = 0.0;
  int top1_agree = 0;
  for (size_t t = 0; t < ids.size(); ++t) {
    const auto q = quantized.begin() + t * 40, r = reference.begin() + t * 40;
    for (int v = 0; v < 40; ++v) {
      max_diff = std::max(max_diff, std::fabs(double(q[v]) - r[v]));
      max_logit = std::max(max_logit, std::fabs(double(r[v])));
    }
    top1_agree += std::max_element(q, q + 40) - q == std::max_element(r, r + 40) - r;
  }
  // Only the activations' 8-bit rounding separates the two (about 1% per matmul).
  EXPECT_LT(max_diff, 0.05 * max_logit) << max_diff << " vs " << max_logit;
  EXPECT_GE(top1_agree, static_cast<int>(ids.size()) - 1);
}

}  // namespace
}  // namespace qinfer
