// Reference quantized matmul: the canonical dot product of kernels/quant_act.h written out per
// weight type, one block at a time. Tiles of kMatmulTileRows W rows are the outer loop, so with
// M > 1 a tile is read from memory once and then served from cache for every row of x.
#include <cstring>

#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/widen.h"

namespace qinfer {
namespace {

using ref::f16_bits_to_f32;

struct DotQ8_0 {
  using Block = BlockQ8_0;
  using Act = ActQ8_32;
  static float step(float acc, const BlockQ8_0& w, const ActQ8_32& x) {
    int32_t isum = 0;
    for (int i = 0; i < kQK8_0; ++i) isum += w.qs[i] * x.qs[i];
    return acc + (f16_bits_to_f32(w.d) * x.d) * static_cast<float>(isum);
  }
};

struct DotQ4_0 {
  using Block = BlockQ4_0;
  using Act = ActQ8_32;
  static float step(float acc, const BlockQ4_0& w, const ActQ8_32& x) {
    int32_t isum = 0;
    for (int i = 0; i < kQK4_0 / 2; ++i) {
      isum += (w.qs[i] & 0xF) * x.qs[i] + (w.qs[i] >> 4) * x.qs[i + kQK4_0 / 2];
    }
    isum -= 8 * x.sum;
    return acc + (f16_bits_to_f32(w.d) * x.d) * static_cast<float>(isum);
  }
};

// Q4_K and Q5_K differ only in how the quant of element i of sub-block j is read.
float step_k4_k5(float acc, uint16_t d, uint16_t dmin, const uint8_t* scales, const int8_t* q,
                 const BlockQ8_K& x) {
  int32_t isum_sc = 0, isum_m = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t scale, min;
    scale_min_k4(j, scales, &scale, &min);
    int32_t dot = 0;
    for (int i = 0; i < 32; ++i) dot += q[32 * j + i] * x.qs[32 * j + i];
    isum_sc += scale * dot;
    isum_m += min * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return acc + ((f16_bits_to_f32(d) * x.d) * static_cast<float>(isum_sc) -
                (f16_bits_to_f32(dmin) * x.d) * static_cast<float>(isum_m));
}

struct DotQ4_K {
  using Block = BlockQ4_K;
  using Act = BlockQ8_K;
  static float step(float acc, const BlockQ4_K& w, const BlockQ8_K& x) {
    int8_t q[kQK_K];
    for (int p = 0; p < 4; ++p) {
      for (int i = 0; i < 32; ++i) {
        q[64 * p + i] = static_cast<int8_t>(w.qs[32 * p + i] & 0xF);
        q[64 * p + 32 + i] = static_cast<int8_t>(w.qs[32 * p + i] >> 4);
      }
    }
    return step_k4_k5(acc, w.d, w.dmin, w.scales, q, x);
  }
};

struct DotQ5_K {
  using Block = BlockQ5_K;
  using Act = BlockQ8_K;
  static float step(float acc, const BlockQ5_K& w, const BlockQ8_K& x) {
    int8_t q[kQK_K];
    for (int p = 0; p < 4; ++p) {
      for (int i = 0; i < 32; ++i) {
        const int j_lo = 2 * p, j_hi = 2 * p + 1;  // sub-blocks in the low / high nibbles
        q[32 * j_lo + i] = static_cast<int8_t>((w.qs[32 * p + i] & 0xF) |
                                               (((w.qh[i] >> j_lo) & 1) << 4));
        q[32 * j_hi + i] = static_cast<int8_t>((w.qs[32 * p + i] >> 4) |
                                               (((w.qh[i] >> j_hi) & 1) << 4));
      }
    }
    return step_k4_k5(acc, w.d, w.dmin, w.scales, q, x);
  }
};

struct DotQ6_K {
  using Block = BlockQ6_K;
  using Act = BlockQ8_K;
  static float step(float acc, const BlockQ6_K& w, const BlockQ8_K& x) {
    // ggml's interleaving: each half of 128 elements takes 64 bytes of ql and 32 of qh.
    int8_t q[kQK_K];
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = w.ql + 64 * half;
      const uint8_t* qh = w.qh + 32 * half;
      int8_t* out = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        out[l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
        out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
        out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    int32_t isum = 0;
    for (int j = 0; j < kQK_K / 16; ++j) {
      int32_t dot = 0;
      for (int i = 0; i < 16; ++i) dot += q[16 * j + i] * x.qs[16 * j + i];
      isum += w.scales[j] * dot;
    }
    return acc + (f16_bits_to_f32(w.d) * x.d) * static_cast<float>(isum);
  }
};

template <class Dot>
float dot_row(const typename Dot::Block* w, const typename Dot::Act* x, int64_t n_blocks) {
  float acc = 0.0f;
  for (int64_t b = 0; b < n_blocks; ++b) acc = Dot::step(acc, w[b], x[b]);
  return acc;
}

template <class Dot>
void matmul_blocks(const void* xq, int64_t M, int64_t K, const void* w, int64_t n_begin,
                   int64_t n_end, float* y, int64_t ldy) {
  using Block = typename Dot::Block;
  using Act = typename Dot::Act;
  constexpr int64_t kBlockElements = sizeof(Act) == sizeof(ActQ8_32) ? kQK8_0 : kQK_K;
  const int64_t n_blocks = K / kBlockElements;
  const auto* w_rows = static_cast<const Block*>(w);
  const auto* x_rows = static_cast<const Act*>(xq);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kMatmulTileRows) {
    const int64_t n1 = n0 + kMatmulTileRows < n_end ? n0 + kMatmulTileRows : n_end;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = n0; n < n1; ++n) {
        y[m * ldy + n] = dot_row<Dot>(w_rows + n * n_blocks, x_rows + m * n_blocks, n_blocks);
      }
    }
  }
}

}  // namespace

void ref_matmul_quant(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                      int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* /*scratch*/) {
  switch (w_dtype) {
    case DType::Q8_0: return matmul_blocks<DotQ8_0>(xq, M, K, w, n_begin, n_end, y, ldy);
    case DType::Q4_0: return matmul_blocks<DotQ4_0>(xq, M, K, w, n_begin, n_end, y, ldy);
    case DType::Q4_K: return matmul_blocks<DotQ4_K>(xq, M, K, w, n_begin, n_end, y, ldy);
    case DType::Q5_K: return matmul_blocks<DotQ5_K>(xq, M, K, w, n_begin, n_end, y, ldy);
    case DType::Q6_K: return matmul_blocks<DotQ6_K>(xq, M, K, w, n_begin, n_end, y, ldy);
    default: __builtin_trap();  // float weights go through matmul; a caller bug
  }
}

}  // namespace qinfer
