// Quantized matmul with SMMLA (ARMv8.6 i8mm: Graviton3+). SMMLA multiplies a 2x8 int8 matrix
// by the transpose of another, accumulating a 2x2 int32 tile: two activation rows against two W
// rows, eight values deep, i.e. 32 multiply-adds per instruction (SDOT does 16).
//
// Prefill (M >= 4): a tile of kTileRowsW = 4 W rows is unpacked once into the per-thread
// scratch (PackedBlock per block: the int8 values of W rows 2q and 2q+1 interleaved eight at a
// time, which is SMMLA's operand layout, plus ready-made scale vectors), then every 4-row tile
// of the activation chunk runs against it; pairs of activation rows are interleaved the same way
// in registers (one ZIP1/ZIP2 pair per 16 values, used against both W row pairs). Decode and
// small batches (M < 4) use the SDOT kernels (quant_matmul_arm.inc) on W in place. Both produce
// the same integer sums and then the same float steps (kernels/quant_act.h), so results are
// identical whatever M is.
#include <arm_neon.h>

#include <cstring>

#include "kernels/arm/arm_backends.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_act.h"

namespace qinfer::arm {
namespace {

inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

#include "kernels/arm/quant_matmul_arm.inc"

constexpr int64_t kRowsPerSmmlaTile = 4;  // activation rows per tile_4x4 (two SMMLA row pairs)

// Interleaves two rows of n int8 values (n a multiple of 16) eight at a time:
// out = a[0..8) b[0..8) a[8..16) b[8..16) ...
void interleave_rows8(const int8_t* a, const int8_t* b, int n, int8_t* out) {
  for (int i = 0; i < n; i += 16) {
    const int64x2_t va = vreinterpretq_s64_s8(vld1q_s8(a + i));
    const int64x2_t vb = vreinterpretq_s64_s8(vld1q_s8(b + i));
    vst1q_s8(out + 2 * i, vreinterpretq_s8_s64(vzip1q_s64(va, vb)));
    vst1q_s8(out + 2 * i + 16, vreinterpretq_s8_s64(vzip2q_s64(va, vb)));
  }
}

// One block of a 4-row W tile, repacked for SMMLA. kGroups: runs of values sharing one integer
// scale (1 for Q8_0/Q4_0, 8 sub-blocks of 32 for Q4_K/Q5_K, 16 of 16 for Q6_K).
template <int kBlockElements, int kGroups>
struct PackedBlock {
  float d[kTileRowsW];                     // f16(w.d) of each row
  float dmin[kTileRowsW];                  // f16(w.dmin) (Q4_K/Q5_K)
  int16_t mins[kTileRowsW][8];             // 6-bit sub-block mins (Q4_K/Q5_K)
  int32_t group_scales[2][kGroups][4];     // per row pair q: [s(2q), s(2q+1), s(2q), s(2q+1)]
  int8_t values[2][2 * kBlockElements];    // per row pair: rows 2q, 2q+1 interleaved by 8
};
using PackedBlock32 = PackedBlock<32, 1>;
using PackedBlockK4 = PackedBlock<kQK_K, 8>;
using PackedBlockK6 = PackedBlock<kQK_K, 16>;
static_assert(sizeof(PackedBlock32) == 32 + 64 + 32 + 128);
static_assert(sizeof(PackedBlockK4) == 32 + 64 + 256 + 1024);
static_assert(sizeof(PackedBlockK6) == 32 + 64 + 512 + 1024);
// The scratch holds kMatmulTileRows * K floats: a packed block must fit in the share of its
// kBlockElements values.
static_assert(kTileRowsW == kMatmulTileRows);
static_assert(sizeof(PackedBlock32) <= kMatmulTileRows * 32 * sizeof(float));
static_assert(sizeof(PackedBlockK6) <= kMatmulTileRows * kQK_K * sizeof(float));

// ---- Per type: the int8 values of one W block in element order, and its group scales. ----

struct UnpackQ8_0 {
  using Kernel = KernelQ8_0;
  using Packed = PackedBlock32;
  static constexpr bool kHasMins = false, kStoredPlus8 = false;
  static void values(const BlockQ8_0& block, int8_t* out, int32_t*, int16_t*) {
    std::memcpy(out, block.qs, 32);
  }
};

struct UnpackQ4_0 {
  using Kernel = KernelQ4_0;
  using Packed = PackedBlock32;
  static constexpr bool kHasMins = false, kStoredPlus8 = true;
  static void values(const BlockQ4_0& block, int8_t* out, int32_t*, int16_t*) {
    const uint8x16_t q = vld1q_u8(block.qs);
    vst1q_s8(out, low_nibbles(q));
    vst1q_s8(out + 16, high_nibbles(q));
  }
};

template <class Block, bool kFifthBit>
struct UnpackK4K5 {
  using Kernel = KernelK4K5<Block, kFifthBit>;
  using Packed = PackedBlockK4;
  static constexpr bool kHasMins = true, kStoredPlus8 = false;
  static void values(const Block& block, int8_t* out, int32_t* scales, int16_t* mins) {
    uint8x8_t scales8, mins8;
    unpack_scales_mins_k4(block.scales, &scales8, &mins8);
    int32x4_t scales_lo, scales_hi;
    widen_u8x8(scales8, &scales_lo, &scales_hi);
    vst1q_s32(scales, scales_lo);
    vst1q_s32(scales + 4, scales_hi);
    vst1q_s16(mins, vreinterpretq_s16_u16(vmovl_u8(mins8)));
    uint8x16_t qh0 = vdupq_n_u8(0), qh1 = qh0;
    if constexpr (kFifthBit) {
      qh0 = vld1q_u8(block.qh);
      qh1 = vld1q_u8(block.qh + 16);
    }
    for (int p = 0; p < 4; ++p) {
      const uint8x16_t q0 = vld1q_u8(block.qs + 32 * p), q1 = vld1q_u8(block.qs + 32 * p + 16);
      vst1q_s8(out + 64 * p, Kernel::values16(q0, false, qh0, 2 * p));
      vst1q_s8(out + 64 * p + 16, Kernel::values16(q1, false, qh1, 2 * p));
      vst1q_s8(out + 64 * p + 32, Kernel::values16(q0, true, qh0, 2 * p + 1));
      vst1q_s8(out + 64 * p + 48, Kernel::values16(q1, true, qh1, 2 * p + 1));
    }
  }
};

struct UnpackQ6_K {
  using Kernel = KernelQ6_K;
  using Packed = PackedBlockK6;
  static constexpr bool kHasMins = false, kStoredPlus8 = false;
  static void values(const BlockQ6_K& block, int8_t* out, int32_t* scales, int16_t*) {
    for (int j = 0; j < 16; ++j) scales[j] = block.scales[j];
    const uint8x16_t low_mask = vdupq_n_u8(0x0f);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = block.ql + 64 * half;
      const uint8_t* qh = block.qh + 32 * half;
      int8_t* o = out + 128 * half;
      for (int l16 = 0; l16 < 2; ++l16) {
        const uint8x16_t ql_a = vld1q_u8(ql + 16 * l16), ql_b = vld1q_u8(ql + 32 + 16 * l16);
        const uint8x16_t qhv = vld1q_u8(qh + 16 * l16);
        vst1q_s8(o + 16 * l16, KernelQ6_K::centered(vandq_u8(ql_a, low_mask), qhv));
        vst1q_s8(o + 32 + 16 * l16,
                 KernelQ6_K::centered(vandq_u8(ql_b, low_mask), vshrq_n_u8(qhv, 2)));
        vst1q_s8(o + 64 + 16 * l16, KernelQ6_K::centered(vshrq_n_u8(ql_a, 4), vshrq_n_u8(qhv, 4)));
        vst1q_s8(o + 96 + 16 * l16, KernelQ6_K::centered(vshrq_n_u8(ql_b, 4), vshrq_n_u8(qhv, 6)));
      }
    }
  }
};

// Repacks blocks [0, nb) of the 4 W rows of a tile into packed[0, nb).
template <class Unpack>
void pack_tile(const typename Unpack::Kernel::W* const (&w)[kTileRowsW], int64_t nb,
               typename Unpack::Packed* packed) {
  constexpr int kBlock = static_cast<int>(Unpack::Kernel::kBlockElements);
  constexpr int kGroups = sizeof(packed->group_scales[0]) / sizeof(packed->group_scales[0][0]);
  for (int64_t b = 0; b < nb; ++b) {
    auto& out = packed[b];
    int8_t values[kTileRowsW][kBlock];
    int32_t scales[kTileRowsW][kGroups > 1 ? kGroups : 1] = {};
    std::memset(out.mins, 0, sizeof(out.mins));
    for (int r = 0; r < kTileRowsW; ++r) {
      Unpack::values(w[r][b], values[r], scales[r], out.mins[r]);
      out.d[r] = f16_to_f32_scalar(w[r][b].d);
      out.dmin[r] = 0.0f;
      if constexpr (Unpack::kHasMins) out.dmin[r] = f16_to_f32_scalar(w[r][b].dmin);
    }
    for (int q = 0; q < 2; ++q) {
      interleave_rows8(values[2 * q], values[2 * q + 1], kBlock, out.values[q]);
      for (int g = 0; g < kGroups; ++g) {
        const int32_t a = scales[2 * q][g], c = scales[2 * q + 1][g];
        out.group_scales[q][g][0] = a;
        out.group_scales[q][g][1] = c;
        out.group_scales[q][g][2] = a;
        out.group_scales[q][g][3] = c;
      }
    }
  }
}

// Four activation rows (2 pairs) against the packed tile: acc[m] lane r += dot(x[m], w[r]).
template <class Unpack>
void tile_4x4(const typename Unpack::Packed* packed, const typename Unpack::Kernel::X* const (&x)[4],
              int64_t nb, float32x4_t (&acc)[4]) {
  using Kernel = typename Unpack::Kernel;
  constexpr int kBlock = static_cast<int>(Kernel::kBlockElements);
  constexpr int kGroups = sizeof(packed->group_scales[0]) / sizeof(packed->group_scales[0][0]);
  constexpr int kGroupValues = kBlock / kGroups;
  for (int64_t b = 0; b < nb; ++b) {
    const auto& pb = packed[b];
    // sums[p][q] = [x(2p).w(2q), x(2p).w(2q+1), x(2p+1).w(2q), x(2p+1).w(2q+1)]
    int32x4_t sums[2][2];
    for (int p = 0; p < 2; ++p) sums[p][0] = sums[p][1] = vdupq_n_s32(0);
    for (int g = 0; g < kGroups; ++g) {
      for (int p = 0; p < 2; ++p) {
        const int8_t* xa = x[2 * p][b].qs + g * kGroupValues;
        const int8_t* xb = x[2 * p + 1][b].qs + g * kGroupValues;
        int32x4_t group_sums[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (int i = 0; i < kGroupValues; i += 16) {
          // Rows 2p and 2p+1 interleaved by 8 in registers: SMMLA's left operand.
          const int64x2_t a = vreinterpretq_s64_s8(vld1q_s8(xa + i));
          const int64x2_t c = vreinterpretq_s64_s8(vld1q_s8(xb + i));
          const int8x16_t x_first8 = vreinterpretq_s8_s64(vzip1q_s64(a, c));
          const int8x16_t x_second8 = vreinterpretq_s8_s64(vzip2q_s64(a, c));
          for (int q = 0; q < 2; ++q) {
            const int8_t* wv = pb.values[q] + 2 * (g * kGroupValues + i);
            group_sums[q] = vmmlaq_s32(group_sums[q], x_first8, vld1q_s8(wv));
            group_sums[q] = vmmlaq_s32(group_sums[q], x_second8, vld1q_s8(wv + 16));
          }
        }
        for (int q = 0; q < 2; ++q) {
          if constexpr (kGroups == 1) {
            sums[p][q] = group_sums[q];
          } else {
            sums[p][q] = vmlaq_s32(sums[p][q], group_sums[q], vld1q_s32(pb.group_scales[q][g]));
          }
        }
      }
    }
    const float32x4_t w_d = vld1q_f32(pb.d);
    for (int p = 0; p < 2; ++p) {
      const int64x2_t lo = vreinterpretq_s64_s32(sums[p][0]), hi = vreinterpretq_s64_s32(sums[p][1]);
      const int32x4_t row_sums[2] = {vreinterpretq_s32_s64(vzip1q_s64(lo, hi)),
                                     vreinterpretq_s32_s64(vzip2q_s64(lo, hi))};
      for (int i = 0; i < 2; ++i) {
        const int m = 2 * p + i;
        const auto& xb = x[m][b];
        if constexpr (Unpack::kHasMins) {
          const int16x8_t pairs = bsum_pairs_of(xb);
          int32x4_t parts_m[kTileRowsW];
          for (int r = 0; r < kTileRowsW; ++r) parts_m[r] = mins_dot(pairs, vld1q_s16(pb.mins[r]));
          acc[m] = float_step_min(acc[m], w_d, vld1q_f32(pb.dmin), xb.d, row_sums[i], sum_each(parts_m));
        } else if constexpr (Unpack::kStoredPlus8) {
          acc[m] = float_step(acc[m], w_d, xb.d, vsubq_s32(row_sums[i], vdupq_n_s32(8 * xb.sum)));
        } else {
          acc[m] = float_step(acc[m], w_d, xb.d, row_sums[i]);
        }
      }
    }
  }
}

template <class Unpack>
void matmul_prefill(const void* xq, int64_t M, int64_t K, const void* w, int64_t n_begin,
                    int64_t n_end, float* y, int64_t ldy, void* scratch) {
  using W = typename Unpack::Kernel::W;
  using X = typename Unpack::Kernel::X;
  const int64_t nb = K / Unpack::Kernel::kBlockElements;
  const auto* x_rows = static_cast<const X*>(xq);
  const auto* w_rows = static_cast<const W*>(w);
  auto* packed = static_cast<typename Unpack::Packed*>(scratch);
  for (int64_t chunk = 0; chunk < M; chunk += kChunkRowsX) {
    const int64_t chunk_end = M - chunk < kChunkRowsX ? M : chunk + kChunkRowsX;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += kTileRowsW) {
      const int valid_w = n_end - n0 < kTileRowsW ? static_cast<int>(n_end - n0) : kTileRowsW;
      // A partial tile repeats its last row (of W or x) and drops the duplicate results.
      const W* tile_w[kTileRowsW];
      for (int r = 0; r < kTileRowsW; ++r) tile_w[r] = w_rows + (n0 + (r < valid_w ? r : valid_w - 1)) * nb;
      pack_tile<Unpack>(tile_w, nb, packed);
      for (int64_t m0 = chunk; m0 < chunk_end; m0 += 4) {
        const int valid_x = chunk_end - m0 < 4 ? static_cast<int>(chunk_end - m0) : 4;
        const X* tile_x[4];
        float32x4_t acc[4];
        for (int m = 0; m < 4; ++m) {
          tile_x[m] = x_rows + (m0 + (m < valid_x ? m : valid_x - 1)) * nb;
          acc[m] = vdupq_n_f32(0.0f);
        }
        tile_4x4<Unpack>(packed, tile_x, nb, acc);
        for (int m = 0; m < valid_x; ++m) {
          float lanes[kTileRowsW];
          vst1q_f32(lanes, acc[m]);
          for (int r = 0; r < valid_w; ++r) y[(m0 + m) * ldy + n0 + r] = lanes[r];
        }
      }
    }
  }
}

}  // namespace

void matmul_quant_i8mm(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch) {
  // Fewer than 4 activation rows (decode, small batches) would leave SMMLA tiles half empty
  // and not repay the repacking: SDOT on W in place.
  if (M < kRowsPerSmmlaTile) {
    matmul_quant_any_type(xq, M, K, w, w_dtype, n_begin, n_end, y, ldy);
    return;
  }
  switch (w_dtype) {
    case DType::Q8_0: matmul_prefill<UnpackQ8_0>(xq, M, K, w, n_begin, n_end, y, ldy, scratch); return;
    case DType::Q4_0: matmul_prefill<UnpackQ4_0>(xq, M, K, w, n_begin, n_end, y, ldy, scratch); return;
    case DType::Q4_K:
      matmul_prefill<UnpackK4K5<BlockQ4_K, false>>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      return;
    case DType::Q5_K:
      matmul_prefill<UnpackK4K5<BlockQ5_K, true>>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      return;
    case DType::Q6_K: matmul_prefill<UnpackQ6_K>(xq, M, K, w, n_begin, n_end, y, ldy, scratch); return;
    default: __builtin_trap();
  }
}

}  // namespace qinfer::arm
