// The kernels behind an F16 KV cache, on every backend this CPU has (and under qemu, each
// emulated ARM CPU's): from_f32 rounds exactly as tensor/dtype.h's f32_to_f16, and attention
// over F16 keys and values gives the bits of the same backend's attention over their f32
// widenings. With the F32 tests in float_backends_test.cpp that makes the x86 backends
// bit-identical to the reference on F16 too, and ARM within its few-ulp softmax of it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/dtype.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

bool exact_backend(const KernelTable& table) {
  return std::string(table.name) == "avx2" || std::string(table.name) == "avx512";
}

float from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }

// Values where a conversion goes wrong if it does: zeros, f32 subnormals, the f16 subnormal
// range and its edges (2^-24 and its half, a tie that rounds to zero), the normal boundary
// 2^-14, the largest f16 (65504), the overflow tie 65520 (rounds to inf) and the largest value
// below it, infinities and NaNs: quiet, signalling, with payloads, of both signs.
std::vector<float> edge_values() {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f,
                               0x1.000002p-25f, 0x1p-26f, 0x1p-14f, 0x1.ff8p-15f, 0x1.ffcp-15f,
                               65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e30f, 3.0e-5f, 6.1e-5f,
                               from_bits(0x00000001u), from_bits(0x007fffffu)};
  values.push_back(std::numeric_limits<float>::infinity());
  values.push_back(-std::numeric_limits<float>::infinity());
  for (uint32_t nan : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fbfffffu, 0x7fffffffu,
                       0xff812345u, 0x7fc02000u}) {
    values.push_back(from_bits(nan));
  }
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) values.push_back(-values[i]);
  return values;
}

// Every f16 value's neighbourhood: the f32 halfway to the next f16 (a tie: the even one wins),
// one f32 ulp either side of it, and the value itself; plus a stride through all f32 bit
// patterns (every exponent, both signs).
std::vector<float> sweep_values() {
  std::vector<float> values;
  for (uint32_t h = 0; h < 0x7c00u; ++h) {
    const float low = f16_to_f32(static_cast<uint16_t>(h));
    const float high = f16_to_f32(static_cast<uint16_t>(h + 1));  // 0x7c00: inf
    const float mid = h + 1 == 0x7c00u ? 65520.0f : low + (high - low) / 2;
    const uint32_t bits = std::bit_cast<uint32_t>(mid);
    for (float value : {low, mid, from_bits(bits - 1), from_bits(bits + 1)}) {
      values.push_back(value);
      values.push_back(-value);
    }
  }
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 65537) {
    values.push_back(from_bits(static_cast<uint32_t>(bits)));
  }
  return values;
}

void expect_same_f16(const KernelTable& table, const std::vector<float>& values,
                     const std::string& what) {
  // Offsets and lengths that leave every possible tail after the vector loops.
  for (size_t offset = 0; offset < 4 && offset <= values.size(); ++offset) {
    const int64_t n = static_cast<int64_t>(values.size() - offset);
    std::vector<uint16_t> out(values.size() - offset + 1, 0x1234);
    table.from_f32(values.data() + offset, n, DType::F16, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const float x = values[offset + static_cast<size_t>(i)];
      ASSERT_EQ(out[static_cast<size_t>(i)], f32_to_f16(x))
          << table.name << " " << what << ": f32 bits 0x" << std::hex
          << std::bit_cast<uint32_t>(x) << " (" << x << ")";
    }
    ASSERT_EQ(out.back(), 0x1234) << table.name << " " << what << ": wrote past n";
  }
}

TEST(KvF16Kernels, FromF32RoundsAsTheScalarConversion) {
  const std::vector<float> edges = edge_values();
  const std::vector<float> sweep = sweep_values();
  std::mt19937 rng(31);
  for (const KernelTable* table : available_kernel_tables()) {
    expect_same_f16(*table, edges, "edge values");
    expect_same_f16(*table, sweep, "sweep");
    for (size_t n = 0; n <= 19; ++n) {
      const std::vector<float> x = random_vector(n, rng, 100.0f);
      expect_same_f16(*table, x, "n=" + std::to_string(n));
    }
    // F32 is a plain copy, bit for bit (NaN payloads too).
    std::vector<float> copy(edges.size(), 0.0f);
    table->from_f32(edges.data(), static_cast<int64_t>(edges.size()), DType::F32, copy.data());
    expect_bit_identical(edges, copy, std::string(table->name) + " f32 copy");
  }
}

// A cache layer [n_keys, kv_stride] holding one head of head_dim per position at column
// `column`, as F16 bits and as their exact f32 widening. Normal values with some subnormal
// f16 ones (|x| < 2^-14) and some large ones (|x| up to 3e4) mixed in.
struct F16Layer {
  std::vector<uint16_t> bits;
  std::vector<float> widened;
};

F16Layer random_layer(int64_t n_keys, int64_t kv_stride, std::mt19937& rng) {
  std::vector<float> raw = random_vector(static_cast<size_t>(n_keys * kv_stride), rng);
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_real_distribution<float> tiny(-6e-5f, 6e-5f), large(-3e4f, 3e4f);
  for (float& x : raw) {
    const int p = pick(rng);
    if (p == 0) x = tiny(rng);
    if (p == 1) x = large(rng);
  }
  F16Layer layer;
  for (float x : raw) {
    layer.bits.push_back(f32_to_f16(x));
    layer.widened.push_back(f16_to_f32(layer.bits.back()));
  }
  return layer;
}

TEST(KvF16Kernels, AttentionOverF16EqualsAttentionOverItsWidening) {
  std::mt19937 rng(32);
  const KernelTable& ref = ref_kernel_table();
  for (int64_t head_dim : {1, 3, 8, 13, 64, 72, 128, 130}) {
    for (int64_t n_keys : {1, 3, 4, 5, 9, 37, 71}) {
      const int64_t kv_stride = 3 * head_dim, column = head_dim;  // the middle of three heads
      const F16Layer k = random_layer(n_keys, kv_stride, rng);
      const F16Layer v = random_layer(n_keys, kv_stride, rng);
      // Queries scaled down: the large keys would otherwise make every softmax one-hot.
      const std::vector<float> q = random_vector(static_cast<size_t>(11 * head_dim), rng, 1e-3f);
      const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
      const std::string what =
          "D=" + std::to_string(head_dim) + " keys=" + std::to_string(n_keys);
      std::vector<float> scores(static_cast<size_t>(11 * n_keys));
      std::vector<float> expect_ref(static_cast<size_t>(head_dim));
      ref.attention_head(q.data(), k.bits.data() + column, v.bits.data() + column, DType::F16,
                         n_keys, kv_stride, head_dim, scale, scores.data(), expect_ref.data());
      for (const KernelTable* table : available_kernel_tables()) {
        const std::string name = std::string(table->name) + " " + what;
        std::vector<float> wide(static_cast<size_t>(head_dim), NAN), half = wide;
        table->attention_head(q.data(), k.widened.data() + column, v.widened.data() + column,
                              DType::F32, n_keys, kv_stride, head_dim, scale, scores.data(),
                              wide.data());
        table->attention_head(q.data(), k.bits.data() + column, v.bits.data() + column,
                              DType::F16, n_keys, kv_stride, head_dim, scale, scores.data(),
                              half.data());
        expect_bit_identical(wide, half, name + " f16 vs widened f32");
        for (int64_t d = 0; d < head_dim; ++d) {
          if (exact_backend(*table)) {
            ASSERT_EQ(std::bit_cast<uint32_t>(half[d]), std::bit_cast<uint32_t>(expect_ref[d]))
                << name << " vs ref at " << d;
          } else {
            // Weighted means of values up to 3e4: a few ulp of that.
            ASSERT_NEAR(half[d], expect_ref[d], 1e-5 * 3e4) << name << " vs ref at " << d;
          }
        }
        if (table->attention_heads == nullptr) continue;
        // GQA groups of 1..8 query heads (the driver's chunks) and past 8: each the bits of
        // attention_head on its query.
        for (int64_t n_q : {1, 2, 3, 4, 5, 6, 7, 8, 11}) {
          std::vector<float> group(static_cast<size_t>(n_q * head_dim), NAN);
          table->attention_heads(q.data(), n_q, k.bits.data() + column, v.bits.data() + column,
                                 DType::F16, n_keys, kv_stride, head_dim, scale, scores.data(),
                                 group.data());
          for (int64_t i = 0; i < n_q; ++i) {
            std::vector<float> one(static_cast<size_t>(head_dim), NAN);
            table->attention_head(q.data() + i * head_dim, k.bits.data() + column,
                                  v.bits.data() + column, DType::F16, n_keys, kv_stride,
                                  head_dim, scale, scores.data(), one.data());
            expect_bit_identical(one, std::vector<float>(group.begin() + i * head_dim,
                                                         group.begin() + (i + 1) * head_dim),
                                 name + " attention_heads n_q=" + std::to_string(n_q));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qinfer
