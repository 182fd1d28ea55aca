// Quantized matmul for SVE servers (Graviton3: 256-bit vectors, Graviton4: 128-bit), written
// vector-length agnostic: every loop steps by svcntb() at run time, with a whilelt predicate
// for the last (or only) partial vector, so the same code runs at 128, 256, 512 bits or more.
//
// Decode (M = 1) is bound by streaming W once, so it is where wider vectors pay: per W block,
// SDOT over the block's int8 values in as few vectors as the length allows (one per 32-value
// run at 256 bits, where NEON needs two), the sub-block scales of the K-quants applied per
// 32-bit lane with one multiply-add, and one reduction per block. Prefill and small batches
// (M > 1) keep the i8mm table's kernels: SMMLA tiles and SDOT that read each W block once for
// several activation rows (SVE types are sizeless, so per-row accumulator arrays are not an
// option here). Both paths produce the same integer sums and then the same float steps
// (kernels/quant_act.h), so results do not depend on M.
//
// Float steps: a tile of kTileRowsW = 4 W rows keeps one NEON float lane per output row (the
// helpers of quant_matmul_arm.inc), so each output has its own sequential chain over blocks.
// Predicated-off lanes of an activation load are zero, so whatever an inactive W lane holds
// adds nothing to a dot product.
#include <arm_neon.h>
#include <arm_sve.h>

#include "kernels/arm/arm_backends.h"
#include "kernels/quant_act.h"

namespace qinfer::arm {
namespace {

inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

#include "kernels/arm/quant_matmul_arm.inc"

inline int32_t sum_lanes(svint32_t v) { return static_cast<int32_t>(svaddv_s32(svptrue_b32(), v)); }

// Bytes [i, end) of the current vector step (all lanes when at least a vector remains).
inline svbool_t bytes_until(int64_t i, int64_t end) { return svwhilelt_b8(i, end); }

// ---- Per type: the integer sums of one W block against one activation block. ----

struct SveQ8_0 {
  using W = BlockQ8_0;
  using X = ActQ8_32;
  static constexpr int64_t kBlockElements = kQK8_0;

  static int32_t isum(const W& w, const X& x) {
    svint32_t acc = svdup_n_s32(0);
    for (int64_t i = 0; i < kQK8_0; i += static_cast<int64_t>(svcntb())) {
      const svbool_t active = bytes_until(i, kQK8_0);
      acc = svdot_s32(acc, svld1_s8(active, w.qs + i), svld1_s8(active, x.qs + i));
    }
    return sum_lanes(acc);
  }

  static int32x4_t tile_isums(const W* const (&w)[kTileRowsW], const X& x, int64_t b) {
    const int32_t sums[kTileRowsW] = {isum(w[0][b], x), isum(w[1][b], x), isum(w[2][b], x), isum(w[3][b], x)};
    return vld1q_s32(sums);
  }

  static float32x4_t step(const W* const (&w)[kTileRowsW], const X& x, int64_t b, float32x4_t acc) {
    const float32x4_t w_d = f16x4_to_f32(w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d);
    return float_step(acc, w_d, x.d, tile_isums(w, x, b));
  }
};

struct SveQ4_0 {
  using W = BlockQ4_0;
  using X = ActQ8_32;
  static constexpr int64_t kBlockElements = kQK4_0;

  // Value v of the block is the low nibble of qs[v] for v < 16, the high nibble of qs[v - 16]
  // after. LD1RQ repeats the 16 bytes of qs in every 128-bit segment, so the lane holding value
  // v of a step holds qs[v % 16] at any vector length; a whilelt picks the nibble per lane.
  static int32_t isum(const W& w, const X& x) {
    const svbool_t all = svptrue_b8();
    const svuint8_t q = svld1rq_u8(all, w.qs);
    const svint8_t low = svreinterpret_s8_u8(svand_n_u8_x(all, q, 0x0f));
    const svint8_t high = svreinterpret_s8_u8(svlsr_n_u8_x(all, q, 4));
    svint32_t acc = svdup_n_s32(0);
    for (int64_t v = 0; v < kQK4_0; v += static_cast<int64_t>(svcntb())) {
      const svint8_t values = svsel_s8(bytes_until(v, kQK4_0 / 2), low, high);
      acc = svdot_s32(acc, values, svld1_s8(bytes_until(v, kQK4_0), x.qs + v));
    }
    // The nibbles are stored +8: sum (nib - 8) * x = sum nib * x - 8 * sum x.
    return sum_lanes(acc) - 8 * x.sum;
  }

  static float32x4_t step(const W* const (&w)[kTileRowsW], const X& x, int64_t b, float32x4_t acc) {
    const int32_t sums[kTileRowsW] = {isum(w[0][b], x), isum(w[1][b], x), isum(w[2][b], x), isum(w[3][b], x)};
    const float32x4_t w_d = f16x4_to_f32(w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d);
    return float_step(acc, w_d, x.d, vld1q_s32(sums));
  }
};

// Q4_K and Q5_K share everything but the fifth bit; kFifthBit selects it.
template <class Block, bool kFifthBit>
struct SveK4K5 {
  using W = Block;
  using X = BlockQ8_K;
  static constexpr int64_t kBlockElements = kQK_K;

  // Lanes whose qh byte has bit `sub` set: the values of sub-block `sub` that get 16 added.
  static svbool_t bit_set(svbool_t active, svuint8_t qh, int sub) {
    return svcmpne_n_u8(active, svand_n_u8_x(active, qh, static_cast<uint8_t>(1u << sub)), 0);
  }

  // isum_sc of the block; its 8 sub-block mins widened to int16 go to *mins16 (for mins_dot).
  // qs[32p + l] holds value 64p + l (low nibble, sub-block 2p) and 64p + 32 + l (high nibble,
  // sub-block 2p + 1); bit j of qh[l] is the fifth bit of value 32j + l. A step covers at most
  // the 32 bytes of one p, so each of its two dot products lies in a single sub-block and one
  // multiply-add by that sub-block's scale applies it.
  static int32_t isum_sc(const W& w, const X& x, int16x8_t* mins16) {
    uint8x8_t scales8, mins8;
    unpack_scales_mins_k4(w.scales, &scales8, &mins8);
    *mins16 = vreinterpretq_s16_u16(vmovl_u8(mins8));
    uint8_t scales[8];
    vst1_u8(scales, scales8);
    const svbool_t all32 = svptrue_b32();
    const svint32_t zero = svdup_n_s32(0);
    svint32_t acc = zero;
    for (int p = 0; p < 4; ++p) {
      for (int64_t l = 0; l < 32; l += static_cast<int64_t>(svcntb())) {
        const svbool_t active = bytes_until(l, 32);
        const svuint8_t q = svld1_u8(active, w.qs + 32 * p + l);
        svuint8_t low = svand_n_u8_x(active, q, 0x0f);
        svuint8_t high = svlsr_n_u8_x(active, q, 4);
        if constexpr (kFifthBit) {
          const svuint8_t qh = svld1_u8(active, w.qh + l);
          low = svorr_n_u8_m(bit_set(active, qh, 2 * p), low, 16);
          high = svorr_n_u8_m(bit_set(active, qh, 2 * p + 1), high, 16);
        }
        const int8_t* xs = x.qs + 64 * p + l;
        const svint32_t dot_low = svdot_s32(zero, svreinterpret_s8_u8(low), svld1_s8(active, xs));
        const svint32_t dot_high = svdot_s32(zero, svreinterpret_s8_u8(high), svld1_s8(active, xs + 32));
        acc = svmla_n_s32_x(all32, acc, dot_low, scales[2 * p]);
        acc = svmla_n_s32_x(all32, acc, dot_high, scales[2 * p + 1]);
      }
    }
    return sum_lanes(acc);
  }

  static float32x4_t step(const W* const (&w)[kTileRowsW], const X& x, int64_t b, float32x4_t acc) {
    int16x8_t mins16[kTileRowsW];
    int32_t sums_sc[kTileRowsW];
    for (int r = 0; r < kTileRowsW; ++r) sums_sc[r] = isum_sc(w[r][b], x, &mins16[r]);
    const int16x8_t bsum_pairs = bsum_pairs_of(x);
    const int32x4_t sums_m = sums_of_4(mins_dot(bsum_pairs, mins16[0]), mins_dot(bsum_pairs, mins16[1]),
                                       mins_dot(bsum_pairs, mins16[2]), mins_dot(bsum_pairs, mins16[3]));
    const float32x4_t w_d = f16x4_to_f32(w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d);
    const float32x4_t w_dmin = f16x4_to_f32(w[0][b].dmin, w[1][b].dmin, w[2][b].dmin, w[3][b].dmin);
    return float_step_min(acc, w_d, w_dmin, x.d, vld1q_s32(sums_sc), sums_m);
  }
};
using SveQ4_K = SveK4K5<BlockQ4_K, false>;
using SveQ5_K = SveK4K5<BlockQ5_K, true>;

// Q6_K: in each half of 128 values, ql[l] holds values l (low nibble) and l+64 (high), ql[l+32]
// values l+32 and l+96, and qh[l] their top two bits (bits 0-1, 4-5 for l / l+64; 2-3, 6-7 for
// l+32 / l+96); value i has scale scales[i / 16] and is stored +32.
struct SveQ6_K {
  using W = BlockQ6_K;
  using X = BlockQ8_K;
  static constexpr int64_t kBlockElements = kQK_K;

  // low4 | top2 (already shifted to bits 4-5) - 32.
  static svint8_t centered(svbool_t active, svuint8_t low4, svuint8_t top2_at_4) {
    const svuint8_t q = svorr_u8_x(active, low4, svand_n_u8_x(active, top2_at_4, 0x30));
    return svsub_n_s8_x(active, svreinterpret_s8_u8(q), 32);
  }

  // A step covers l in [l0, l0 + step) of 32; in each of the four runs of 32 values (l, l+32,
  // l+64, l+96) values with l < 16 have the run's first scale and the others its second, so
  // the 32-bit lanes (four values each) choose their scale with a whilelt on l0 / 4 + lane < 4.
  static int32_t isum(const W& w, const X& x) {
    const svint32_t zero = svdup_n_s32(0);
    const svbool_t all32 = svptrue_b32();
    svint32_t acc = zero;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = w.ql + 64 * half;
      const uint8_t* qh = w.qh + 32 * half;
      const int8_t* scales = w.scales + 8 * half;
      const int8_t* xs = x.qs + 128 * half;
      for (int64_t l = 0; l < 32; l += static_cast<int64_t>(svcntb())) {
        const svbool_t active = bytes_until(l, 32);
        const svbool_t first_scale = svwhilelt_b32(l / 4, int64_t{4});
        const svuint8_t ql_a = svld1_u8(active, ql + l), ql_b = svld1_u8(active, ql + 32 + l);
        const svuint8_t h = svld1_u8(active, qh + l);
        // SVE vectors are sizeless (no arrays of them): the four runs one by one.
        const auto add_run = [&](int run, svint8_t values) {
          const svint32_t dot = svdot_s32(zero, values, svld1_s8(active, xs + 32 * run + l));
          const svint32_t lane_scales =
              svsel_s32(first_scale, svdup_n_s32(scales[2 * run]), svdup_n_s32(scales[2 * run + 1]));
          return svmla_s32_x(all32, acc, dot, lane_scales);
        };
        acc = add_run(0, centered(active, svand_n_u8_x(active, ql_a, 0x0f), svlsl_n_u8_x(active, h, 4)));
        acc = add_run(1, centered(active, svand_n_u8_x(active, ql_b, 0x0f), svlsl_n_u8_x(active, h, 2)));
        acc = add_run(2, centered(active, svlsr_n_u8_x(active, ql_a, 4), h));
        acc = add_run(3, centered(active, svlsr_n_u8_x(active, ql_b, 4), svlsr_n_u8_x(active, h, 2)));
      }
    }
    return sum_lanes(acc);
  }

  static float32x4_t step(const W* const (&w)[kTileRowsW], const X& x, int64_t b, float32x4_t acc) {
    const int32_t sums[kTileRowsW] = {isum(w[0][b], x), isum(w[1][b], x), isum(w[2][b], x), isum(w[3][b], x)};
    const float32x4_t w_d = f16x4_to_f32(w[0][b].d, w[1][b].d, w[2][b].d, w[3][b].d);
    return float_step(acc, w_d, x.d, vld1q_s32(sums));
  }
};

// ---- Decode driver: one activation row against W rows [n_begin, n_end), 4 at a time. ----

template <class Kernel>
void decode(const void* xq, int64_t K, const void* w, int64_t n_begin, int64_t n_end, float* y) {
  using W = typename Kernel::W;
  const int64_t nb = K / Kernel::kBlockElements;
  const auto* x = static_cast<const typename Kernel::X*>(xq);
  const auto* w_rows = static_cast<const W*>(w);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kTileRowsW) {
    const int valid = n_end - n0 < kTileRowsW ? static_cast<int>(n_end - n0) : kTileRowsW;
    // A partial tile repeats its last row in the missing lanes and drops their results.
    const W* tile_w[kTileRowsW];
    for (int r = 0; r < kTileRowsW; ++r) tile_w[r] = w_rows + (n0 + (r < valid ? r : valid - 1)) * nb;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < nb; ++b) acc = Kernel::step(tile_w, x[b], b, acc);
    float lanes[kTileRowsW];
    vst1q_f32(lanes, acc);
    for (int r = 0; r < valid; ++r) y[n0 + r] = lanes[r];
  }
}

}  // namespace

void matmul_quant_sve(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                      int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch) {
  if (M != 1) {
    matmul_quant_i8mm(xq, M, K, w, w_dtype, n_begin, n_end, y, ldy, scratch);
    return;
  }
  switch (w_dtype) {
    case DType::Q8_0: decode<SveQ8_0>(xq, K, w, n_begin, n_end, y); return;
    case DType::Q4_0: decode<SveQ4_0>(xq, K, w, n_begin, n_end, y); return;
    case DType::Q4_K: decode<SveQ4_K>(xq, K, w, n_begin, n_end, y); return;
    case DType::Q5_K: decode<SveQ5_K>(xq, K, w, n_begin, n_end, y); return;
    case DType::Q6_K: decode<SveQ6_K>(xq, K, w, n_begin, n_end, y); return;
    default: __builtin_trap();  // the model only routes quantized weights here
  }
}

}  // namespace qinfer::arm
