// KvCache in both element types: sizes, layer layout, prefix copies between caches of other
// lengths, truncation; and how --kv-type is read and what "auto" picks.
#include "model/kv_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace qinfer {
namespace {

Qwen3Config small_config() {
  Qwen3Config config;
  config.num_hidden_layers = 3;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 6;
  return config;
}

constexpr int64_t kLayers = 3, kHeads = 2, kHeadDim = 6;

int64_t element_bytes(const KvCache& cache) { return cache.dtype() == DType::F32 ? 4 : 2; }

// A distinct byte pattern per (layer, keys or values, head, position): a copy that reads the
// wrong layer, half, head or position shows.
std::vector<std::byte> row_pattern(int64_t layer, bool values, int64_t head, int64_t position,
                                   int64_t bytes) {
  std::vector<std::byte> row(static_cast<size_t>(bytes));
  for (int64_t i = 0; i < bytes; ++i) {
    row[static_cast<size_t>(i)] = static_cast<std::byte>(layer * 37 + (values ? 101 : 0) +
                                                         head * 53 + position * 7 + i);
  }
  return row;
}

void fill(KvCache& cache, int64_t positions) {
  const int64_t bytes = kHeadDim * element_bytes(cache);
  for (int64_t l = 0; l < kLayers; ++l) {
    for (int64_t h = 0; h < kHeads; ++h) {
      for (int64_t p = 0; p < positions; ++p) {
        std::memcpy(cache.key(l, h, p), row_pattern(l, false, h, p, bytes).data(),
                    static_cast<size_t>(bytes));
        std::memcpy(cache.value(l, h, p), row_pattern(l, true, h, p, bytes).data(),
                    static_cast<size_t>(bytes));
      }
    }
  }
  cache.commit(positions);
}

void expect_holds(const KvCache& cache, int64_t positions, const std::string& what) {
  const int64_t bytes = kHeadDim * element_bytes(cache);
  for (int64_t l = 0; l < kLayers; ++l) {
    for (int64_t h = 0; h < kHeads; ++h) {
      for (int64_t p = 0; p < positions; ++p) {
        EXPECT_EQ(std::memcmp(cache.key(l, h, p), row_pattern(l, false, h, p, bytes).data(),
                              static_cast<size_t>(bytes)), 0)
            << what << " keys layer " << l << " head " << h << " position " << p;
        EXPECT_EQ(std::memcmp(cache.value(l, h, p), row_pattern(l, true, h, p, bytes).data(),
                              static_cast<size_t>(bytes)), 0)
            << what << " values layer " << l << " head " << h << " position " << p;
      }
    }
  }
}

TEST(KvCache, SizesFollowTheElementType) {
  const Qwen3Config config = small_config();  // 3 layers, kv_dim 12
  EXPECT_EQ(KvCache::bytes_per_position(config, DType::F32), 2 * 3 * 12 * 4);
  EXPECT_EQ(KvCache::bytes_per_position(config, DType::F16), 2 * 3 * 12 * 2);
  for (DType dtype : {DType::F32, DType::F16}) {
    const KvCache cache(config, 10, dtype);
    const int64_t element = dtype == DType::F32 ? 4 : 2;
    EXPECT_EQ(cache.dtype(), dtype);
    EXPECT_EQ(cache.capacity_bytes(), 10 * KvCache::bytes_per_position(config, dtype));
    // Keys of every layer, then values: [2, layers, Hkv, max_positions, D], no overlap; each
    // head's positions contiguous.
    EXPECT_EQ(cache.position_stride(), 6);
    EXPECT_EQ(cache.head_stride(), 10 * 6);
    EXPECT_EQ(cache.key(0, 0, 1) - cache.key(0, 0, 0), 6 * element);
    EXPECT_EQ(cache.key(0, 1, 0) - cache.key(0, 0, 0), 10 * 6 * element);
    EXPECT_EQ(cache.key(1, 0, 0) - cache.keys(0), 2 * 10 * 6 * element);
    EXPECT_EQ(cache.value(0, 0, 0) - cache.keys(0), 3 * 2 * 10 * 6 * element);
    EXPECT_EQ(cache.value(2, 1, 9) + 6 * element - cache.keys(0), cache.capacity_bytes());
    EXPECT_EQ(cache.length(), 0);
  }
}

TEST(KvCache, CopiesAPrefixIntoACacheOfAnotherLengthAndTruncates) {
  const Qwen3Config config = small_config();
  for (DType dtype : {DType::F32, DType::F16}) {
    const std::string name(dtype_name(dtype));
    KvCache source(config, 9, dtype);
    fill(source, 7);
    expect_holds(source, 7, name + " source");

    // A longer destination: its layers lie further apart than the source's.
    KvCache longer(config, 20, dtype);
    longer.copy_prefix_from(source, 5);
    EXPECT_EQ(longer.length(), 5);
    expect_holds(longer, 5, name + " longer");
    // Position 5 was not copied: still zero.
    const std::vector<std::byte> zero(static_cast<size_t>(kHeadDim * element_bytes(longer)));
    EXPECT_EQ(std::memcmp(longer.key(2, 1, 5), zero.data(), zero.size()), 0);

    // Asking for more than the source holds copies what it holds; a shorter destination takes
    // what fits.
    KvCache all(config, 9, dtype);
    all.copy_prefix_from(source, 100);
    EXPECT_EQ(all.length(), 7);
    expect_holds(all, 7, name + " all");
    KvCache shorter(config, 4, dtype);
    shorter.copy_prefix_from(source, 7);
    EXPECT_EQ(shorter.length(), 4);
    expect_holds(shorter, 4, name + " shorter");

    // Truncate only shortens; the kept positions keep their bytes.
    source.truncate(9);
    EXPECT_EQ(source.length(), 7);
    source.truncate(3);
    EXPECT_EQ(source.length(), 3);
    expect_holds(source, 3, name + " truncated");
    source.truncate(0);
    EXPECT_EQ(source.length(), 0);
    // A copy from an emptied cache copies nothing.
    longer.copy_prefix_from(source, 5);
    EXPECT_EQ(longer.length(), 0);
  }
}

TEST(KvCache, KvTypeFlagValues) {
  EXPECT_EQ(parse_kv_dtype("").value(), std::nullopt);
  EXPECT_EQ(parse_kv_dtype("auto").value(), std::nullopt);
  EXPECT_EQ(parse_kv_dtype("AUTO").value(), std::nullopt);
  EXPECT_EQ(parse_kv_dtype("f32").value(), DType::F32);
  EXPECT_EQ(parse_kv_dtype("F16").value(), DType::F16);
  for (const char* bad : {"bf16", "q8_0", "f", "f16 "}) {
    const auto parsed = parse_kv_dtype(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("expected auto, f32 or f16"), std::string::npos);
  }
  EXPECT_TRUE(is_supported_kv_dtype(DType::F32));
  EXPECT_TRUE(is_supported_kv_dtype(DType::F16));
  EXPECT_FALSE(is_supported_kv_dtype(DType::BF16));
  EXPECT_FALSE(is_supported_kv_dtype(DType::Q8_0));
}

TEST(KvCache, AutoIsF32OnlyWhenEveryMatrixIsF32) {
  ModelWeights weights;
  weights.embed_tokens.dtype = weights.lm_head.dtype = DType::F32;
  weights.layers.resize(2);
  for (LayerWeights& layer : weights.layers) {
    for (TensorView* m : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                          &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      m->dtype = DType::F32;
    }
  }
  EXPECT_EQ(default_kv_dtype(weights), DType::F32);
  // Any one matrix in another type (a BF16 checkpoint, a quantized GGUF's Q6_K lm_head, a
  // Q4_K layer) makes it F16.
  for (DType other : {DType::BF16, DType::F16, DType::Q6_K}) {
    ModelWeights changed = weights;
    changed.lm_head.dtype = other;
    EXPECT_EQ(default_kv_dtype(changed), DType::F16);
    changed = weights;
    changed.layers[1].down_proj.dtype = other;
    EXPECT_EQ(default_kv_dtype(changed), DType::F16);
  }
}

}  // namespace
}  // namespace qinfer
