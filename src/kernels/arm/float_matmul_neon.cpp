// Matmul with F32, F16 or BF16 weights in ARMv8.0 NEON, bit-identical to ref_matmul: every
// output follows ref_dot's order (8 lanes as two 4-lane vectors, multiply then add, the K % 8
// tail in order, then ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) + tail), so switching backends or
// M never changes a logit. What is faster than the reference: FCVTL widens f16 in one
// instruction (the portable code emulates it with a dozen integer ops per vector), and prefill
// runs 2 x rows x 4 W rows register tiles (16 accumulators): 0.75 loads per vector multiply
// instead of the reference's 1.25. Decode (M = 1) reads W in place, four rows side by side; prefill widens a tile of
// kMatmulTileRows W rows to f32 in the thread's scratch once per chunk of x rows. Widening is
// exact, so both paths give the same bits.
#include <arm_neon.h>

#include <cstring>

#include "kernels/arm/arm_backends.h"
#include "kernels/kernel_table.h"

namespace qinfer::arm {
namespace {

constexpr int kRowsW = 4;       // W rows per register tile (one lane of the final vector each)
constexpr int kRowsX = 2;       // x rows per register tile in prefill (2 x 4 x 2 accumulators)
constexpr int64_t kChunkRowsX = 32;  // x rows kept hot in L2 while the W tiles pass
static_assert(kRowsW == kMatmulTileRows);

struct LoadF32 {
  static constexpr bool kWidens = false;
  static float32x4_t four(const void* row, int64_t k) { return vld1q_f32(static_cast<const float*>(row) + k); }
  static float one(const void* row, int64_t k) { return static_cast<const float*>(row)[k]; }
};
struct LoadF16 {
  static constexpr bool kWidens = true;
  static float32x4_t four(const void* row, int64_t k) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(row) + k)));
  }
  static float one(const void* row, int64_t k) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(static_cast<const uint16_t*>(row) + k))), 0);
  }
};
struct LoadBF16 {  // bf16 is the top half of an f32
  static constexpr bool kWidens = true;
  static float32x4_t four(const void* row, int64_t k) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(static_cast<const uint16_t*>(row) + k), 16));
  }
  static float one(const void* row, int64_t k) {
    const uint32_t bits = uint32_t{static_cast<const uint16_t*>(row)[k]} << 16;
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
};

// out[m] lane r = dot(x[m], w[r]) in ref_dot's order (see the top of the file).
template <int MR, class Load>
void dot_tile(const float* const (&x)[MR], const void* const (&w)[kRowsW], int64_t K,
              float32x4_t (&out)[MR]) {
  float32x4_t lo[MR][kRowsW], hi[MR][kRowsW];  // lanes k % 8 in 0..3 and 4..7
  for (int m = 0; m < MR; ++m) {
    for (int r = 0; r < kRowsW; ++r) lo[m][r] = hi[m][r] = vdupq_n_f32(0.0f);
  }
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    float32x4_t x_lo[MR], x_hi[MR];
    for (int m = 0; m < MR; ++m) {
      x_lo[m] = vld1q_f32(x[m] + k);
      x_hi[m] = vld1q_f32(x[m] + k + 4);
    }
    for (int r = 0; r < kRowsW; ++r) {
      const float32x4_t w_lo = Load::four(w[r], k), w_hi = Load::four(w[r], k + 4);
      for (int m = 0; m < MR; ++m) {
        lo[m][r] = vaddq_f32(lo[m][r], vmulq_f32(x_lo[m], w_lo));
        hi[m][r] = vaddq_f32(hi[m][r], vmulq_f32(x_hi[m], w_hi));
      }
    }
  }
  float tail[MR][kRowsW] = {};
  for (; k < K; ++k) {
    for (int r = 0; r < kRowsW; ++r) {
      const float wk = Load::one(w[r], k);
      for (int m = 0; m < MR; ++m) tail[m][r] += x[m][k] * wk;
    }
  }
  for (int m = 0; m < MR; ++m) {
    float32x4_t s[kRowsW];
    for (int r = 0; r < kRowsW; ++r) s[r] = vaddq_f32(lo[m][r], hi[m][r]);
    // ((s0 + s1) + (s2 + s3)) per W row, then + tail.
    const float32x4_t sums = vpaddq_f32(vpaddq_f32(s[0], s[1]), vpaddq_f32(s[2], s[3]));
    out[m] = vaddq_f32(sums, vld1q_f32(tail[m]));
  }
}

template <int MR, class Load>
void run_tile(const float* x, int64_t m0, int64_t K, const void* const (&w)[kRowsW], int valid_w,
              int64_t n0, float* y, int64_t ldy) {
  const float* rows[MR];
  for (int m = 0; m < MR; ++m) rows[m] = x + (m0 + m) * K;
  float32x4_t out[MR];
  dot_tile<MR, Load>(rows, w, K, out);
  for (int m = 0; m < MR; ++m) {
    float lanes[kRowsW];
    vst1q_f32(lanes, out[m]);
    for (int r = 0; r < valid_w; ++r) y[(m0 + m) * ldy + n0 + r] = lanes[r];
  }
}

// All x rows [m_begin, m_end) against one W tile.
template <class Load>
void rows_against_tile(const float* x, int64_t m_begin, int64_t m_end, int64_t K,
                       const void* const (&w)[kRowsW], int valid_w, int64_t n0, float* y,
                       int64_t ldy) {
  int64_t m = m_begin;
  for (; m + kRowsX <= m_end; m += kRowsX) run_tile<kRowsX, Load>(x, m, K, w, valid_w, n0, y, ldy);
  if (m < m_end) run_tile<1, Load>(x, m, K, w, valid_w, n0, y, ldy);
}

template <class Load>
void widen_row(const void* src, int64_t K, float* dst) {
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) vst1q_f32(dst + k, Load::four(src, k));
  for (; k < K; ++k) dst[k] = Load::one(src, k);
}

template <class Load>
void matmul_typed(const float* x, int64_t M, int64_t K, const std::byte* w, int64_t row_bytes,
                  int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile) {
  // F32 weights need no widening; F16/BF16 in prefill are widened once per tile and chunk.
  const bool widen = M > 1 && Load::kWidens;
  for (int64_t chunk = 0; chunk < M; chunk += kChunkRowsX) {
    const int64_t chunk_end = M - chunk < kChunkRowsX ? M : chunk + kChunkRowsX;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += kRowsW) {
      const int valid_w = n_end - n0 < kRowsW ? static_cast<int>(n_end - n0) : kRowsW;
      // A partial tile repeats its last row in the missing lanes and drops their results.
      const void* rows[kRowsW];
      for (int r = 0; r < kRowsW; ++r) rows[r] = w + (n0 + (r < valid_w ? r : valid_w - 1)) * row_bytes;
      if (!widen) {
        rows_against_tile<Load>(x, chunk, chunk_end, K, rows, valid_w, n0, y, ldy);
        continue;
      }
      const void* wide[kRowsW];
      for (int r = 0; r < kRowsW; ++r) {
        widen_row<Load>(rows[r], K, tile + r * K);
        wide[r] = tile + r * K;
      }
      rows_against_tile<LoadF32>(x, chunk, chunk_end, K, wide, valid_w, n0, y, ldy);
    }
  }
}

}  // namespace

void matmul_float_neon(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile_scratch) {
  const auto* wb = static_cast<const std::byte*>(w);
  switch (w_dtype) {
    case DType::F32:
      matmul_typed<LoadF32>(x, M, K, wb, K * 4, n_begin, n_end, y, ldy, tile_scratch);
      return;
    case DType::F16:
      matmul_typed<LoadF16>(x, M, K, wb, K * 2, n_begin, n_end, y, ldy, tile_scratch);
      return;
    case DType::BF16:
      matmul_typed<LoadBF16>(x, M, K, wb, K * 2, n_begin, n_end, y, ldy, tile_scratch);
      return;
    default:
      __builtin_trap();  // quantized weights go through matmul_quant
  }
}

}  // namespace qinfer::arm
