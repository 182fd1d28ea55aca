// Per-tensor types of the quantization mixes (model/quant_mix.h), against llama.cpp's rules worked
// out by hand for a 28-layer Qwen3 (Qwen3-0.6B's depth). The oracle test compares whole files with
// llama-quantize's (tests/reference/test_quantize.py).
#include "model/quant_mix.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace qinfer {
namespace {

const std::vector<int64_t> kMatrix{1024, 1024};
const std::vector<int64_t> kNarrow{64, 64};     // rows of 64: no K-quant fits
const std::vector<int64_t> kOdd{64, 48};        // rows of 48: not even 32-element blocks
const std::vector<int64_t> kVector{1024};

QuantTarget target(const char* name) {
  auto parsed = parse_quant_target(name);
  EXPECT_TRUE(parsed.ok()) << name;
  return *parsed;
}

DType type_of(const char* mix, const std::string& name, const std::vector<int64_t>& shape,
              bool has_output = false, DType current = DType::BF16) {
  QuantModelFacts facts{28, 28, has_output};
  auto type = choose_tensor_type(target(mix), QuantTensor{name, &shape, current}, facts);
  EXPECT_TRUE(type.ok()) << mix << " " << name << ": " << (type.ok() ? "" : type.error().message);
  return type.ok() ? *type : DType::F32;
}

TEST(QuantMix, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(target("q4_k_m").file_type, 15u);
  EXPECT_EQ(target("Q8_0").file_type, 7u);
  EXPECT_EQ(target("bf16").file_type, 32u);
  EXPECT_EQ(target("F32").file_type, 0u);
  EXPECT_EQ(target("Q5_K_S").base, DType::Q5_K);
  auto bad = parse_quant_target("Q3_K_M");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Q4_K_M"), std::string::npos);
}

TEST(QuantMix, NormsAndVectorsKeepTheirType) {
  EXPECT_EQ(type_of("Q4_K_M", "blk.0.attn_norm.weight", kVector, false, DType::F32), DType::F32);
  EXPECT_EQ(type_of("Q8_0", "output_norm.weight", kVector, false, DType::F32), DType::F32);
  EXPECT_EQ(type_of("F16", "blk.3.attn_q_norm.weight", kVector, false, DType::F32), DType::F32);
}

TEST(QuantMix, Q4_K_MGivesMoreBitsToAttnVAndFfnDownOfChosenLayers) {
  // use_more_bits(i, 28): i < 3, i >= 24, or (i - 3) % 3 == 2.
  const std::set<int> more = {0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27};
  for (int layer = 0; layer < 28; ++layer) {
    const std::string p = "blk." + std::to_string(layer) + ".";
    const DType expected = more.count(layer) ? DType::Q6_K : DType::Q4_K;
    EXPECT_EQ(type_of("Q4_K_M", p + "attn_v.weight", kMatrix), expected) << layer;
    EXPECT_EQ(type_of("Q4_K_M", p + "ffn_down.weight", kMatrix), expected) << layer;
    EXPECT_EQ(type_of("Q4_K_M", p + "attn_q.weight", kMatrix), DType::Q4_K) << layer;
    EXPECT_EQ(type_of("Q4_K_M", p + "ffn_up.weight", kMatrix), DType::Q4_K) << layer;
    EXPECT_EQ(type_of("Q5_K_M", p + "attn_v.weight", kMatrix),
              more.count(layer) ? DType::Q6_K : DType::Q5_K) << layer;
  }
}

TEST(QuantMix, SmallMixes) {
  // Q4_K_S: attn_v of the first 4 layers and ffn_down of the first 28/8 = 3 layers get Q5_K.
  EXPECT_EQ(type_of("Q4_K_S", "blk.3.attn_v.weight", kMatrix), DType::Q5_K);
  EXPECT_EQ(type_of("Q4_K_S", "blk.4.attn_v.weight", kMatrix), DType::Q4_K);
  EXPECT_EQ(type_of("Q4_K_S", "blk.2.ffn_down.weight", kMatrix), DType::Q5_K);
  EXPECT_EQ(type_of("Q4_K_S", "blk.3.ffn_down.weight", kMatrix), DType::Q4_K);
  // Q5_K_S changes nothing but the output.
  EXPECT_EQ(type_of("Q5_K_S", "blk.0.attn_v.weight", kMatrix), DType::Q5_K);
  EXPECT_EQ(type_of("Q5_K_S", "blk.0.ffn_down.weight", kMatrix), DType::Q5_K);
}

TEST(QuantMix, OutputAndTiedEmbeddingGetSixBits) {
  EXPECT_EQ(type_of("Q4_K_M", "output.weight", kMatrix, true), DType::Q6_K);
  EXPECT_EQ(type_of("Q4_K_M", "token_embd.weight", kMatrix, true), DType::Q4_K);  // untied
  EXPECT_EQ(type_of("Q4_K_M", "token_embd.weight", kMatrix, false), DType::Q6_K);  // tied
  EXPECT_EQ(type_of("Q4_0", "token_embd.weight", kMatrix, false), DType::Q6_K);
  EXPECT_EQ(type_of("Q8_0", "token_embd.weight", kMatrix, false), DType::Q8_0);
  EXPECT_EQ(type_of("Q6_K", "output.weight", kMatrix, true), DType::Q6_K);
}

TEST(QuantMix, FloatMixesConvertEveryMatrix) {
  EXPECT_EQ(type_of("F16", "token_embd.weight", kMatrix), DType::F16);
  EXPECT_EQ(type_of("BF16", "blk.0.attn_v.weight", kMatrix, false, DType::Q8_0), DType::BF16);
  EXPECT_EQ(type_of("F32", "blk.0.ffn_down.weight", kOdd, false, DType::Q8_0), DType::F32);
}

TEST(QuantMix, FallbacksForRowsThatAreNotWholeSuperBlocks) {
  // The tied output of rows of 64: q6_K does not fit, q8_0 does (as for llama.cpp's tiny models).
  EXPECT_EQ(type_of("Q4_0", "token_embd.weight", kNarrow), DType::Q8_0);
  EXPECT_EQ(type_of("Q6_K", "blk.0.attn_q.weight", kNarrow), DType::Q8_0);
  EXPECT_EQ(type_of("Q4_K_M", "blk.0.attn_v.weight", kNarrow), DType::Q8_0);  // q6_K -> q8_0
  // Rows of 48: not even the 32-element fallbacks fit, llama.cpp uses F16.
  EXPECT_EQ(type_of("Q4_K_M", "blk.1.attn_q.weight", kOdd), DType::F16);
  // q4_K -> q5_0 and q5_K -> q5_1 are llama.cpp's fallbacks; qinfer does not write those types.
  QuantModelFacts facts{28, 28, false};
  auto q4 = choose_tensor_type(target("Q4_K_M"), QuantTensor{"blk.1.attn_q.weight", &kNarrow,
                                                               DType::F32}, facts);
  ASSERT_FALSE(q4.ok());
  EXPECT_NE(q4.error().message.find("q5_0"), std::string::npos);
  auto q5 = choose_tensor_type(target("Q5_K_S"), QuantTensor{"blk.1.attn_q.weight", &kNarrow,
                                                               DType::F32}, facts);
  ASSERT_FALSE(q5.ok());
  EXPECT_NE(q5.error().message.find("q5_1"), std::string::npos);
  // Q8_0 / Q4_0 have no fallback at all in llama.cpp.
  auto q8 = choose_tensor_type(target("Q8_0"), QuantTensor{"blk.1.attn_q.weight", &kOdd,
                                                             DType::F32}, facts);
  ASSERT_FALSE(q8.ok());
  EXPECT_NE(q8.error().message.find("no fallback"), std::string::npos);
}

}  // namespace
}  // namespace qinfer
