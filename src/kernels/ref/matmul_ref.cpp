// Reference matmul y = x · W^T. Where the time goes: decode (M = 1) streams every weight byte
// once, so it is memory bound; prefill (M > 1) is compute bound, so W is widened to f32 one
// tile of kMatmulTileRows rows at a time and that tile is reused by all M rows of x while it
// sits in L1/L2.
//
// Every dot product follows ref_dot's order (see ref_kernels.h), whether W is read directly
// (F32, or F16/BF16 widened in registers when M = 1) or from a widened tile: widening is exact,
// so y[m, n] is bit-identical for any M, slice or thread count.
#include <cstring>

#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/vec4.h"
#include "kernels/ref/widen.h"
#include "tensor/quantize.h"

namespace qinfer {
namespace {

using ref::f32x4;
using ref::load4;
using ref::load4_bf16;
using ref::load4_f16;
using ref::store4;

constexpr int64_t kLanes = 8;  // two f32x4: lanes 0-3 in `lo`, lanes 4-7 in `hi`

// Loaders of 4 consecutive W elements as f32 (vectors) or 1 element (tails).
struct LoadF32 {
  static f32x4 four(const void* row, int64_t k) { return load4(static_cast<const float*>(row) + k); }
  static float one(const void* row, int64_t k) { return static_cast<const float*>(row)[k]; }
};
struct LoadBF16 {
  static f32x4 four(const void* row, int64_t k) {
    return load4_bf16(static_cast<const uint16_t*>(row) + k);
  }
  static float one(const void* row, int64_t k) {
    return ref::bf16_bits_to_f32(static_cast<const uint16_t*>(row)[k]);
  }
};
struct LoadF16 {
  static f32x4 four(const void* row, int64_t k) {
    return load4_f16(static_cast<const uint16_t*>(row) + k);
  }
  static float one(const void* row, int64_t k) {
    return ref::f16_bits_to_f32(static_cast<const uint16_t*>(row)[k]);
  }
};

// ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) + tail: the fixed final tree of every dot product.
inline float combine_lanes(f32x4 lo, f32x4 hi, float tail) {
  const f32x4 s = lo + hi;
  return ((s[0] + s[1]) + (s[2] + s[3])) + tail;
}

// One x row against four W rows: x is loaded once per k for four dot products.
template <class Load>
void dot_1x4(const float* __restrict x, const void* w0, const void* w1, const void* w2,
             const void* w3, int64_t K, float* __restrict out) {
  f32x4 lo0 = {}, hi0 = {}, lo1 = {}, hi1 = {}, lo2 = {}, hi2 = {}, lo3 = {}, hi3 = {};
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    const f32x4 xlo = load4(x + k), xhi = load4(x + k + 4);
    lo0 += xlo * Load::four(w0, k);
    hi0 += xhi * Load::four(w0, k + 4);
    lo1 += xlo * Load::four(w1, k);
    hi1 += xhi * Load::four(w1, k + 4);
    lo2 += xlo * Load::four(w2, k);
    hi2 += xhi * Load::four(w2, k + 4);
    lo3 += xlo * Load::four(w3, k);
    hi3 += xhi * Load::four(w3, k + 4);
  }
  float tail0 = 0.0f, tail1 = 0.0f, tail2 = 0.0f, tail3 = 0.0f;
  for (; k < K; ++k) {
    tail0 += x[k] * Load::one(w0, k);
    tail1 += x[k] * Load::one(w1, k);
    tail2 += x[k] * Load::one(w2, k);
    tail3 += x[k] * Load::one(w3, k);
  }
  out[0] = combine_lanes(lo0, hi0, tail0);
  out[1] = combine_lanes(lo1, hi1, tail1);
  out[2] = combine_lanes(lo2, hi2, tail2);
  out[3] = combine_lanes(lo3, hi3, tail3);
}

template <class Load>
float dot_1x1(const float* __restrict x, const void* w, int64_t K) {
  f32x4 lo = {}, hi = {};
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    lo += load4(x + k) * Load::four(w, k);
    hi += load4(x + k + 4) * Load::four(w, k + 4);
  }
  float tail = 0.0f;
  for (; k < K; ++k) tail += x[k] * Load::one(w, k);
  return combine_lanes(lo, hi, tail);
}

// Widens a row of W to f32.
template <class Load>
void widen_row(const void* src, int64_t K, float* __restrict dst) {
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) store4(dst + k, Load::four(src, k));
  for (; k < K; ++k) dst[k] = Load::one(src, k);
}

// Rows [n_begin, n_end) of W read in place (row n at w + n * row_bytes). Tiles of W rows are
// the outer loop, so with M > 1 a tile is read from memory once and then served from L1.
template <class Load>
void matmul_direct(const float* x, int64_t M, int64_t K, const std::byte* w, int64_t row_bytes,
                   int64_t n_begin, int64_t n_end, float* y, int64_t ldy) {
  int64_t n = n_begin;
  for (; n + kMatmulTileRows <= n_end; n += kMatmulTileRows) {
    const std::byte* row = w + n * row_bytes;
    for (int64_t m = 0; m < M; ++m) {
      dot_1x4<Load>(x + m * K, row, row + row_bytes, row + 2 * row_bytes, row + 3 * row_bytes, K,
                    y + m * ldy + n);
    }
  }
  for (; n < n_end; ++n) {
    for (int64_t m = 0; m < M; ++m) y[m * ldy + n] = dot_1x1<Load>(x + m * K, w + n * row_bytes, K);
  }
}

// Prefill: widen a tile of W rows once, then run every x row against it.
template <class Load>
void matmul_tiled(const float* x, int64_t M, int64_t K, const std::byte* w, int64_t row_bytes,
                  int64_t n_begin, int64_t n_end, float* y, int64_t ldy,
                  float* __restrict tile /* [kMatmulTileRows, K] */) {
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kMatmulTileRows) {
    const int64_t rows = n_end - n0 < kMatmulTileRows ? n_end - n0 : kMatmulTileRows;
    for (int64_t r = 0; r < rows; ++r) widen_row<Load>(w + (n0 + r) * row_bytes, K, tile + r * K);
    matmul_direct<LoadF32>(x, M, K, reinterpret_cast<const std::byte*>(tile),
                           K * static_cast<int64_t>(sizeof(float)), 0, rows, y + n0, ldy);
  }
}

int64_t element_bytes(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

}  // namespace

float ref_dot(const float* a, const float* b, int64_t n) { return dot_1x1<LoadF32>(a, b, n); }

float ref_dot_f16(const float* a, const uint16_t* b, int64_t n) {
  return dot_1x1<LoadF16>(a, b, n);
}

void ref_matmul(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype,
                int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile_scratch) {
  const auto* wb = static_cast<const std::byte*>(w);
  const int64_t row_bytes = K * element_bytes(w_dtype);
  switch (w_dtype) {
    case DType::F32:
      matmul_direct<LoadF32>(x, M, K, wb, row_bytes, n_begin, n_end, y, ldy);
      return;
    case DType::BF16:
      if (M == 1) {
        matmul_direct<LoadBF16>(x, M, K, wb, row_bytes, n_begin, n_end, y, ldy);
      } else {
        matmul_tiled<LoadBF16>(x, M, K, wb, row_bytes, n_begin, n_end, y, ldy, tile_scratch);
      }
      return;
    case DType::F16:
      if (M == 1) {
        matmul_direct<LoadF16>(x, M, K, wb, row_bytes, n_begin, n_end, y, ldy);
      } else {
        matmul_tiled<LoadF16>(x, M, K, wb, row_bytes, n_begin, n_end, y, ldy, tile_scratch);
      }
      return;
    default:
      // Quantized weights go through matmul_quant (kernels/ops.cpp); reaching this is a bug.
      __builtin_trap();
  }
}

void ref_to_f32(const void* src, DType src_dtype, int64_t n, float* __restrict dst) {
  switch (src_dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::BF16:
      widen_row<LoadBF16>(src, n, dst);
      return;
    case DType::F16:
      widen_row<LoadF16>(src, n, dst);
      return;
    default:
      // Quantized blocks: the ggml-exact dequantization (embedding rows are read once each).
      dequantize_row(src_dtype, src, n, dst);
      return;
  }
}

void ref_from_f32(const float* src, int64_t n, DType dst_dtype, void* dst) {
  switch (dst_dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      auto* __restrict out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
      return;
    }
    default:
      __builtin_trap();  // KV caches are F32 or F16 (model/kv_cache.h); a caller bug
  }
}

}  // namespace qinfer
