// Quantized matmul on matrices repacked once at load for SDOT: the tuned path of Kunpeng 920,
// Ampere Altra and Graviton2 (dotprod without i8mm or SVE). Four W rows (a quad) are interleaved
// by 4 bytes, so one 16-byte load feeds SDOT's by-element form (vdotq_laneq_s32): lane r of the
// accumulator gathers row r's products with 4 activation bytes broadcast from one lane of x.
// The quad's four row sums arrive in the four lanes with no horizontal reduction (the unpacked
// kernels of quant_matmul_arm.inc pay three pairwise adds per sub-block for that), the
// sub-block scales of the four rows are stored side by side so one vector multiply-add applies
// them, and the float step is one 4-lane operation per block, the canonical one
// (kernels/quant_act.h): results are bit-identical to matmul_quant on the original blocks.
//
// Every quantized type (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) is packed, and each quad block takes
// exactly the bytes of the four ggml blocks it replaces, so packing at load costs no memory.
// Decode (M = 1) streams quads; prefill runs up to 4 activation rows per pass over a quad, whose
// decoded values stay in registers, for chunks of kChunkRowsX rows.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/arm/arm_backends.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_act.h"
#include "tensor/quant_blocks.h"

namespace qinfer::arm {
namespace {

inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

#include "kernels/arm/quant_matmul_arm.inc"

constexpr int kQuadRows = 4;
static_assert(kQuadRows == kTileRowsW && kPackedGroupRows % kQuadRows == 0);

// ---- Layouts: block b of four consecutive W rows. "Interleaved" bytes: byte 16 g + 4 r + j
// is byte 4 g + j of row r's array. ----

// Q8_0: the rows' f16 scales, then their 32 quants interleaved.
struct QuadQ8_0 {
  uint16_t d[kQuadRows];
  int8_t qs[kQuadRows * kQK8_0];
};
static_assert(sizeof(QuadQ8_0) == kQuadRows * sizeof(BlockQ8_0));

// Q4_0: the rows' scales, then their 16 qs bytes interleaved (byte i: value i in the low
// nibble, i + 16 in the high one, both stored + 8).
struct QuadQ4_0 {
  uint16_t d[kQuadRows];
  uint8_t qs[kQuadRows * kQK4_0 / 2];
};
static_assert(sizeof(QuadQ4_0) == kQuadRows * sizeof(BlockQ4_0));

// Q4_K / Q5_K, first: the rows' d and dmin; the 6-bit scales and mins of entry
// e = 4 * sub-block + row as planes (scale_low[i]: low 4 bits of scales e = i and i + 16 in its
// low and high nibble, min_low likewise; high[i]: the top 2 bits of scale i, scale i + 16,
// min i, min i + 16 from bit 0 up).
struct QuadK4Scales {
  uint16_t d[kQuadRows];
  uint16_t dmin[kQuadRows];
  uint8_t scale_low[16];
  uint8_t min_low[16];
  uint8_t high[16];
};
// Then the 128 qs bytes of each row interleaved (ggml order: byte 32 p + i holds value 64 p + i
// in its low nibble, 64 p + 32 + i in its high one).
struct QuadQ4_K : QuadK4Scales {
  uint8_t qs[kQuadRows * kQK_K / 2];
};
static_assert(sizeof(QuadQ4_K) == kQuadRows * sizeof(BlockQ4_K));
// Q5_K adds the 32 qh bytes of each row interleaved (bit j of byte i: the fifth bit of value
// 32 j + i), so qh group g pairs with qs group g of every 32-byte run p.
struct QuadQ5_K : QuadK4Scales {
  uint8_t qh[kQuadRows * kQK_K / 8];
  uint8_t qs[kQuadRows * kQK_K / 2];
};
static_assert(sizeof(QuadQ5_K) == kQuadRows * sizeof(BlockQ5_K));

// Q6_K: the rows' d; the int8 scale of entry 4 * sub-block + row; ql and qh interleaved (each
// half of 128 values: 64 ql bytes and 32 qh bytes per row, halves one after the other).
struct QuadQ6_K {
  uint16_t d[kQuadRows];
  int8_t scales[16 * kQuadRows];
  uint8_t ql[kQuadRows * kQK_K / 2];
  uint8_t qh[kQuadRows * kQK_K / 4];
};
static_assert(sizeof(QuadQ6_K) == kQuadRows * sizeof(BlockQ6_K));

// Interleaves n bytes (a multiple of 4) of each of four rows into dst.
void interleave_rows(const uint8_t* const (&rows)[kQuadRows], int n, uint8_t* dst) {
  for (int g = 0; g < n / 4; ++g) {
    for (int r = 0; r < kQuadRows; ++r) std::memcpy(dst + 16 * g + 4 * r, rows[r] + 4 * g, 4);
  }
}

void pack_quad(const BlockQ8_0* const (&w)[kQuadRows], QuadQ8_0* out) {
  const uint8_t* qs[kQuadRows];
  for (int r = 0; r < kQuadRows; ++r) {
    out->d[r] = w[r]->d;
    qs[r] = reinterpret_cast<const uint8_t*>(w[r]->qs);
  }
  interleave_rows(qs, kQK8_0, reinterpret_cast<uint8_t*>(out->qs));
}

void pack_quad(const BlockQ4_0* const (&w)[kQuadRows], QuadQ4_0* out) {
  const uint8_t* qs[kQuadRows];
  for (int r = 0; r < kQuadRows; ++r) {
    out->d[r] = w[r]->d;
    qs[r] = w[r]->qs;
  }
  interleave_rows(qs, kQK4_0 / 2, out->qs);
}

template <class Block>
void pack_k4_scales(const Block* const (&w)[kQuadRows], QuadK4Scales* out) {
  uint8_t scales[32], mins[32];
  for (int r = 0; r < kQuadRows; ++r) {
    out->d[r] = w[r]->d;
    out->dmin[r] = w[r]->dmin;
    for (int sub = 0; sub < 8; ++sub) {
      scale_min_k4(sub, w[r]->scales, &scales[4 * sub + r], &mins[4 * sub + r]);
    }
  }
  for (int i = 0; i < 16; ++i) {
    out->scale_low[i] = static_cast<uint8_t>((scales[i] & 15) | (scales[i + 16] & 15) << 4);
    out->min_low[i] = static_cast<uint8_t>((mins[i] & 15) | (mins[i + 16] & 15) << 4);
    out->high[i] = static_cast<uint8_t>(scales[i] >> 4 | (scales[i + 16] >> 4) << 2 |
                                        (mins[i] >> 4) << 4 | (mins[i + 16] >> 4) << 6);
  }
}

void pack_quad(const BlockQ4_K* const (&w)[kQuadRows], QuadQ4_K* out) {
  pack_k4_scales(w, out);
  const uint8_t* qs[kQuadRows];
  for (int r = 0; r < kQuadRows; ++r) qs[r] = w[r]->qs;
  interleave_rows(qs, kQK_K / 2, out->qs);
}

void pack_quad(const BlockQ5_K* const (&w)[kQuadRows], QuadQ5_K* out) {
  pack_k4_scales(w, out);
  const uint8_t* qs[kQuadRows];
  const uint8_t* qh[kQuadRows];
  for (int r = 0; r < kQuadRows; ++r) {
    qs[r] = w[r]->qs;
    qh[r] = w[r]->qh;
  }
  interleave_rows(qs, kQK_K / 2, out->qs);
  interleave_rows(qh, kQK_K / 8, out->qh);
}

void pack_quad(const BlockQ6_K* const (&w)[kQuadRows], QuadQ6_K* out) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql[kQuadRows];
    const uint8_t* qh[kQuadRows];
    for (int r = 0; r < kQuadRows; ++r) {
      ql[r] = w[r]->ql + 64 * half;
      qh[r] = w[r]->qh + 32 * half;
    }
    interleave_rows(ql, 64, out->ql + 256 * half);
    interleave_rows(qh, 32, out->qh + 128 * half);
  }
  for (int r = 0; r < kQuadRows; ++r) {
    out->d[r] = w[r]->d;
    for (int sub = 0; sub < 16; ++sub) out->scales[4 * sub + r] = w[r]->scales[sub];
  }
}

// acc lane r += row r's dot with 16 values of x: w[g] holds values 4 g .. 4 g + 3 of the rows.
inline int32x4_t dot_quad16(int32x4_t acc, const int8x16_t (&w)[4], int8x16_t x) {
  acc = vdotq_laneq_s32(acc, w[0], x, 0);
  acc = vdotq_laneq_s32(acc, w[1], x, 1);
  acc = vdotq_laneq_s32(acc, w[2], x, 2);
  return vdotq_laneq_s32(acc, w[3], x, 3);
}

inline float32x4_t f16x4_load(const uint16_t* bits) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(bits)));
}

// Entries 4 s + r (s = 0..3) of 16 bytes as four 4-lane vectors out[s], one per sub-block.
inline void widen_entries(uint8x16_t v, int32x4_t* out) {
  const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_high_u8(v);
  out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
  out[1] = vreinterpretq_s32_u32(vmovl_high_u16(lo));
  out[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
  out[3] = vreinterpretq_s32_u32(vmovl_high_u16(hi));
}

inline void widen_entries(int8x16_t v, int32x4_t* out) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_high_s8(v);
  out[0] = vmovl_s16(vget_low_s16(lo));
  out[1] = vmovl_high_s16(lo);
  out[2] = vmovl_s16(vget_low_s16(hi));
  out[3] = vmovl_high_s16(hi);
}

// ---- Per type: tile<MR>(quads, x, nb, acc): acc[m] lane r += the canonical dot of blocks
// [0, nb) of x[m] and quad row r. ----

struct QuadKernelQ8_0 {
  using Quad = QuadQ8_0;
  using W = BlockQ8_0;
  using X = ActQ8_32;
  static constexpr int64_t kBlockElements = kQK8_0;

  template <int MR>
  static void tile(const Quad* w, const X* const (&x)[MR], int64_t nb, float32x4_t (&acc)[MR]) {
    for (int64_t b = 0; b < nb; ++b) {
      const Quad& quad = w[b];
      int8x16_t first[4], second[4];
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        first[g] = vld1q_s8(quad.qs + 16 * g);
        second[g] = vld1q_s8(quad.qs + 64 + 16 * g);
      }
      const float32x4_t w_d = f16x4_load(quad.d);
      for (int m = 0; m < MR; ++m) {
        const int8_t* xs = x[m][b].qs;
        const int32x4_t isum =
            dot_quad16(dot_quad16(vdupq_n_s32(0), first, vld1q_s8(xs)), second, vld1q_s8(xs + 16));
        acc[m] = float_step(acc[m], w_d, x[m][b].d, isum);
      }
    }
  }
};

struct QuadKernelQ4_0 {
  using Quad = QuadQ4_0;
  using W = BlockQ4_0;
  using X = ActQ8_32;
  static constexpr int64_t kBlockElements = kQK4_0;

  template <int MR>
  static void tile(const Quad* w, const X* const (&x)[MR], int64_t nb, float32x4_t (&acc)[MR]) {
    const uint8x16_t low4 = vdupq_n_u8(0x0f);
    for (int64_t b = 0; b < nb; ++b) {
      const Quad& quad = w[b];
      int8x16_t low[4], high[4];
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const uint8x16_t q = vld1q_u8(quad.qs + 16 * g);
        low[g] = vreinterpretq_s8_u8(vandq_u8(q, low4));
        high[g] = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
      }
      const float32x4_t w_d = f16x4_load(quad.d);
      for (int m = 0; m < MR; ++m) {
        const int8_t* xs = x[m][b].qs;
        const int32x4_t dot =
            dot_quad16(dot_quad16(vdupq_n_s32(0), low, vld1q_s8(xs)), high, vld1q_s8(xs + 16));
        // The nibbles are stored + 8: sum (nib - 8) * x = sum nib * x - 8 * sum x.
        acc[m] = float_step(acc[m], w_d, x[m][b].d, vsubq_s32(dot, vdupq_n_s32(8 * x[m][b].sum)));
      }
    }
  }
};

template <class QuadType, class Block, bool kFifthBit>
struct QuadKernelK4K5 {
  using Quad = QuadType;
  using W = Block;
  using X = BlockQ8_K;
  static constexpr int64_t kBlockElements = kQK_K;

  template <int MR>
  static void tile(const Quad* w, const X* const (&x)[MR], int64_t nb, float32x4_t (&acc)[MR]) {
    const uint8x16_t low4 = vdupq_n_u8(0x0f), low2 = vdupq_n_u8(3);
    for (int64_t b = 0; b < nb; ++b) {
      const Quad& quad = w[b];
      const uint8x16_t scale_low = vld1q_u8(quad.scale_low), min_low = vld1q_u8(quad.min_low);
      const uint8x16_t high = vld1q_u8(quad.high);
      int32x4_t scales[8];  // per sub-block, the four rows' scales
      widen_entries(vorrq_u8(vandq_u8(scale_low, low4), vshlq_n_u8(vandq_u8(high, low2), 4)),
                    scales);
      widen_entries(vorrq_u8(vshrq_n_u8(scale_low, 4),
                             vshlq_n_u8(vandq_u8(vshrq_n_u8(high, 2), low2), 4)),
                    scales + 4);
      // Mins as int16, two sub-blocks per vector (lanes 0-3: sub-block 2 i, 4-7: 2 i + 1).
      const uint8x16_t mins_a =
          vorrq_u8(vandq_u8(min_low, low4), vshlq_n_u8(vandq_u8(vshrq_n_u8(high, 4), low2), 4));
      const uint8x16_t mins_b = vorrq_u8(vshrq_n_u8(min_low, 4), vshlq_n_u8(vshrq_n_u8(high, 6), 4));
      const int16x8_t mins[4] = {vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins_a))),
                                 vreinterpretq_s16_u16(vmovl_high_u8(mins_a)),
                                 vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins_b))),
                                 vreinterpretq_s16_u16(vmovl_high_u8(mins_b))};
      int32x4_t isum[MR];
      for (int m = 0; m < MR; ++m) isum[m] = vdupq_n_s32(0);
      for (int p = 0; p < 4; ++p) {  // sub-blocks 2 p (low nibbles) and 2 p + 1 (high)
        int8x16_t low[2][4], hi[2][4];
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
          const uint8x16_t q = vld1q_u8(quad.qs + 128 * p + 16 * g);
          uint8x16_t q_low = vandq_u8(q, low4), q_high = vshrq_n_u8(q, 4);
          if constexpr (kFifthBit) {
            const uint8x16_t qh = vld1q_u8(quad.qh + 16 * g), sixteen = vdupq_n_u8(16);
            const auto bit = [&](int j) {
              return vandq_u8(vtstq_u8(qh, vdupq_n_u8(static_cast<uint8_t>(1u << j))), sixteen);
            };
            q_low = vorrq_u8(q_low, bit(2 * p));
            q_high = vorrq_u8(q_high, bit(2 * p + 1));
          }
          low[g / 4][g % 4] = vreinterpretq_s8_u8(q_low);
          hi[g / 4][g % 4] = vreinterpretq_s8_u8(q_high);
        }
        for (int m = 0; m < MR; ++m) {
          const int8_t* xs = x[m][b].qs + 64 * p;
          const int32x4_t dot_low =
              dot_quad16(dot_quad16(vdupq_n_s32(0), low[0], vld1q_s8(xs)), low[1], vld1q_s8(xs + 16));
          const int32x4_t dot_high = dot_quad16(dot_quad16(vdupq_n_s32(0), hi[0], vld1q_s8(xs + 32)),
                                                hi[1], vld1q_s8(xs + 48));
          isum[m] = vmlaq_s32(vmlaq_s32(isum[m], dot_low, scales[2 * p]), dot_high,
                              scales[2 * p + 1]);
        }
      }
      const float32x4_t w_d = f16x4_load(quad.d), w_dmin = f16x4_load(quad.dmin);
      for (int m = 0; m < MR; ++m) {
        const int16x8_t pairs = bsum_pairs_of(x[m][b]);  // lane s: the sums of sub-block s
        int32x4_t isum_m = vmull_laneq_s16(vget_low_s16(mins[0]), pairs, 0);
        isum_m = vmlal_laneq_s16(isum_m, vget_high_s16(mins[0]), pairs, 1);
        isum_m = vmlal_laneq_s16(isum_m, vget_low_s16(mins[1]), pairs, 2);
        isum_m = vmlal_laneq_s16(isum_m, vget_high_s16(mins[1]), pairs, 3);
        isum_m = vmlal_laneq_s16(isum_m, vget_low_s16(mins[2]), pairs, 4);
        isum_m = vmlal_laneq_s16(isum_m, vget_high_s16(mins[2]), pairs, 5);
        isum_m = vmlal_laneq_s16(isum_m, vget_low_s16(mins[3]), pairs, 6);
        isum_m = vmlal_laneq_s16(isum_m, vget_high_s16(mins[3]), pairs, 7);
        acc[m] = float_step_min(acc[m], w_d, w_dmin, x[m][b].d, isum[m], isum_m);
      }
    }
  }
};

using QuadKernelQ4_K = QuadKernelK4K5<QuadQ4_K, BlockQ4_K, false>;
using QuadKernelQ5_K = QuadKernelK4K5<QuadQ5_K, BlockQ5_K, true>;

struct QuadKernelQ6_K {
  using Quad = QuadQ6_K;
  using W = BlockQ6_K;
  using X = BlockQ8_K;
  static constexpr int64_t kBlockElements = kQK_K;

  template <int MR>
  static void tile(const Quad* w, const X* const (&x)[MR], int64_t nb, float32x4_t (&acc)[MR]) {
    const uint8x16_t low4 = vdupq_n_u8(0x0f);
    for (int64_t b = 0; b < nb; ++b) {
      const Quad& quad = w[b];
      int32x4_t isum[MR];
      for (int m = 0; m < MR; ++m) isum[m] = vdupq_n_s32(0);
      for (int half = 0; half < 2; ++half) {
        int32x4_t scales[8];  // sub-blocks 8 half .. 8 half + 7
        widen_entries(vld1q_s8(quad.scales + 32 * half),
                      scales);
        widen_entries(vld1q_s8(quad.scales + 32 * half + 16),
                      scales + 4);
        const uint8_t* ql = quad.ql + 256 * half;
        const uint8_t* qh = quad.qh + 128 * half;
        for (int part = 0; part < 2; ++part) {  // values 16 part .. 16 part + 15 of each quarter
          // quarters[k][j]: values 32 k + 16 part + 4 j .. + 3 of this half (see KernelQ6_K).
          int8x16_t quarters[4][4];
#pragma GCC unroll 4
          for (int j = 0; j < 4; ++j) {
            const int g = 4 * part + j;
            const uint8x16_t ql_a = vld1q_u8(ql + 16 * g), ql_b = vld1q_u8(ql + 16 * (g + 8));
            const uint8x16_t qhv = vld1q_u8(qh + 16 * g);
            quarters[0][j] = KernelQ6_K::centered(vandq_u8(ql_a, low4), qhv);
            quarters[1][j] = KernelQ6_K::centered(vandq_u8(ql_b, low4), vshrq_n_u8(qhv, 2));
            quarters[2][j] = KernelQ6_K::centered(vshrq_n_u8(ql_a, 4), vshrq_n_u8(qhv, 4));
            quarters[3][j] = KernelQ6_K::centered(vshrq_n_u8(ql_b, 4), vshrq_n_u8(qhv, 6));
          }
          for (int m = 0; m < MR; ++m) {
            const int8_t* xs = x[m][b].qs + 128 * half + 16 * part;
#pragma GCC unroll 4
            for (int k = 0; k < 4; ++k) {  // sub-block 2 k + part of this half
              const int32x4_t dot = dot_quad16(vdupq_n_s32(0), quarters[k], vld1q_s8(xs + 32 * k));
              isum[m] = vmlaq_s32(isum[m], dot, scales[2 * k + part]);
            }
          }
        }
      }
      const float32x4_t w_d = f16x4_load(quad.d);
      for (int m = 0; m < MR; ++m) acc[m] = float_step(acc[m], w_d, x[m][b].d, isum[m]);
    }
  }
};

// ---- Driver ----

template <class Kernel>
constexpr int64_t quad_bytes_per_row(int64_t K) {
  return K / Kernel::kBlockElements * static_cast<int64_t>(sizeof(typename Kernel::W));
}

template <class Kernel>
void pack_quads(const void* w, int64_t K, int64_t n_begin, int64_t n_end, void* packed) {
  using W = typename Kernel::W;
  const int64_t nb = K / Kernel::kBlockElements;
  const auto* rows = static_cast<const W*>(w);
  auto* quads = static_cast<typename Kernel::Quad*>(packed);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kQuadRows) {
    for (int64_t b = 0; b < nb; ++b) {
      const W* blocks[kQuadRows];
      for (int r = 0; r < kQuadRows; ++r) blocks[r] = rows + (n0 + r) * nb + b;
      pack_quad(blocks, quads + n0 / kQuadRows * nb + b);
    }
  }
}

template <class Kernel, int MR>
void run_quad(const typename Kernel::Quad* w, const typename Kernel::X* x_rows, int64_t m0,
              int64_t nb, int64_t n0, float* y, int64_t ldy) {
  const typename Kernel::X* x[MR];
  float32x4_t acc[MR];
  for (int m = 0; m < MR; ++m) {
    x[m] = x_rows + (m0 + m) * nb;
    acc[m] = vdupq_n_f32(0.0f);
  }
  Kernel::template tile<MR>(w, x, nb, acc);
  for (int m = 0; m < MR; ++m) vst1q_f32(y + (m0 + m) * ldy + n0, acc[m]);
}

template <class Kernel>
void matmul_quads(const void* xq, int64_t M, int64_t K, const void* packed, int64_t n_begin,
                  int64_t n_end, float* y, int64_t ldy) {
  const int64_t nb = K / Kernel::kBlockElements;
  const auto* quads = static_cast<const typename Kernel::Quad*>(packed);
  const auto* x_rows = static_cast<const typename Kernel::X*>(xq);
  for (int64_t chunk = 0; chunk < M; chunk += kChunkRowsX) {
    const int64_t chunk_end = std::min(M, chunk + kChunkRowsX);
    for (int64_t n0 = n_begin; n0 < n_end; n0 += kQuadRows) {
      const auto* w = quads + n0 / kQuadRows * nb;
      int64_t m = chunk;
      for (; m + kTileRowsX <= chunk_end; m += kTileRowsX) {
        run_quad<Kernel, kTileRowsX>(w, x_rows, m, nb, n0, y, ldy);
      }
      switch (chunk_end - m) {
        case 1: run_quad<Kernel, 1>(w, x_rows, m, nb, n0, y, ldy); break;
        case 2: run_quad<Kernel, 2>(w, x_rows, m, nb, n0, y, ldy); break;
        case 3: run_quad<Kernel, 3>(w, x_rows, m, nb, n0, y, ldy); break;
        default: break;
      }
    }
  }
}

}  // namespace

int64_t packed_bytes_dotprod(DType w_dtype, int64_t N, int64_t K) {
  if (N % kPackedGroupRows != 0) return 0;
  switch (w_dtype) {
    case DType::Q8_0:
      return K % kQK8_0 == 0 ? N * quad_bytes_per_row<QuadKernelQ8_0>(K) : 0;
    case DType::Q4_0:
      return K % kQK4_0 == 0 ? N * quad_bytes_per_row<QuadKernelQ4_0>(K) : 0;
    case DType::Q4_K:
      return K % kQK_K == 0 ? N * quad_bytes_per_row<QuadKernelQ4_K>(K) : 0;
    case DType::Q5_K:
      return K % kQK_K == 0 ? N * quad_bytes_per_row<QuadKernelQ5_K>(K) : 0;
    case DType::Q6_K:
      return K % kQK_K == 0 ? N * quad_bytes_per_row<QuadKernelQ6_K>(K) : 0;
    default: return 0;
  }
}

void pack_rows_dotprod(const void* w, DType w_dtype, int64_t K, int64_t n_begin, int64_t n_end,
                       void* packed) {
  switch (w_dtype) {
    case DType::Q8_0: pack_quads<QuadKernelQ8_0>(w, K, n_begin, n_end, packed); return;
    case DType::Q4_0: pack_quads<QuadKernelQ4_0>(w, K, n_begin, n_end, packed); return;
    case DType::Q4_K: pack_quads<QuadKernelQ4_K>(w, K, n_begin, n_end, packed); return;
    case DType::Q5_K: pack_quads<QuadKernelQ5_K>(w, K, n_begin, n_end, packed); return;
    case DType::Q6_K: pack_quads<QuadKernelQ6_K>(w, K, n_begin, n_end, packed); return;
    default: __builtin_trap();  // packed_bytes_dotprod said 0: nothing is packed
  }
}

void matmul_packed_dotprod(const void* xq, int64_t M, int64_t K, const void* packed,
                           DType w_dtype, int64_t n_begin, int64_t n_end, float* y, int64_t ldy,
                           void* /*scratch*/) {
  switch (w_dtype) {
    case DType::Q8_0: matmul_quads<QuadKernelQ8_0>(xq, M, K, packed, n_begin, n_end, y, ldy); return;
    case DType::Q4_0: matmul_quads<QuadKernelQ4_0>(xq, M, K, packed, n_begin, n_end, y, ldy); return;
    case DType::Q4_K: matmul_quads<QuadKernelQ4_K>(xq, M, K, packed, n_begin, n_end, y, ldy); return;
    case DType::Q5_K: matmul_quads<QuadKernelQ5_K>(xq, M, K, packed, n_begin, n_end, y, ldy); return;
    case DType::Q6_K: matmul_quads<QuadKernelQ6_K>(xq, M, K, packed, n_begin, n_end, y, ldy); return;
    default: __builtin_trap();
  }
}

}  // namespace qinfer::arm
