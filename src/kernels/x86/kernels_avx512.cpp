// The "avx512" backend, for CPUs with AVX-512 F/BW/VL/DQ, VNNI and BF16 (Ice Lake, Sapphire
// Rapids, Zen 4 and later). It runs the avx2 kernels' layout with VNNI's exact int8/int16 dot
// products (no saturating i16 step, one instruction instead of two) on 256-bit vectors and the
// 32 vector registers, which let prefill share each decoded weight block among 4 activation rows.
// Decode (Q8_0, Q4_K and Q6_K with 1-3 activation rows, BF16 with 1) runs 512-bit kernels that
// pack two weight rows per vector (quant_matmul_avx512.inc, quant_matmul_k4_avx512.inc,
// matmul_float_avx512.inc). Q8_0, Q4_K, Q5_K and Q6_K matrices repacked at load take
// quant_matmul_packed_q8_avx512.inc / quant_matmul_packed_avx512.inc for every batch size.
// vdpbf16ps is not used: it would round x to bf16, far outside the 1e-5 float contract.
#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/widen.h"
#include "tensor/quant_blocks.h"
#include "kernels/x86/packed_groups.h"
#include "kernels/x86/x86_tables.h"

namespace qinfer {
namespace {

// VNNI sums the four u8 * s8 products of each int32 lane exactly (no i16 saturation step).
inline __m256i dot_u8s8(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

inline __m256i madd_acc(__m256i acc, __m256i a, __m256i b) {
  return _mm256_dpwssd_epi32(acc, a, b);
}

constexpr int kPrefillRows = 4;  // with 32 vector registers
constexpr int64_t kTileMinRowsQ6_K = 12;  // see matmul_quant_avx512

#include "kernels/x86/quant_act_x86.inc"
#include "kernels/x86/quant_matmul_x86.inc"
#include "kernels/x86/matmul_float_x86.inc"
// GCC 12 flags the _mm512_undefined_* operands inside its own zmm intrinsics (cast, convert,
// gather) as maybe-uninitialized, or once inlined deep enough as uninitialized: a known false
// positive of the header, not of this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/x86/quant_matmul_avx512.inc"
#include "kernels/x86/quant_matmul_k4_avx512.inc"
#include "kernels/x86/quant_matmul_tile_avx512.inc"
#include "kernels/x86/quant_matmul_packed_q8_avx512.inc"
#include "kernels/x86/quant_matmul_packed_avx512.inc"
#include "kernels/x86/matmul_float_avx512.inc"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include "kernels/x86/attention_x86.inc"

// Decode-sized batches (M < 4) take the 16-row streaming paths (Q4_K and Q6_K unpack each
// weight block once for all M rows); larger ones repacked tiles. Measured, one core, 3072 x 1024
// in cache: the shared unpack makes M = 2 and 3 cost 1.45x and 2.1x of M = 1 (was 1.95x and 2.9x);
// at M = 4 the tiles (Q4_K) and the 8-row kernel (Q6_K) are still 20% faster.
void matmul_quant_avx512(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                         int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch) {
  if (M < kPrefillRows) {
    switch (w_dtype) {
      case DType::Q8_0:
        return matmul_quant_wide_blocks<Q8_0Wide>(xq, M, K, w, n_begin, n_end, y, ldy);
      case DType::Q4_K:
        return matmul_quant_wide_pairs<Q4_KWide>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      case DType::Q6_K:
        return matmul_quant_wide_pairs<Q6_KWide>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      default: break;
    }
  }
  // From here on a repacked 16-row tile (quant_matmul_tile_avx512.inc) costs about as much to
  // build as 4-5 activation rows take through the 8-row kernels and then ~2.5x less per row.
  // Measured, one core, 3072 x 1024 in cache: Q4_K/Q5_K break even at M = 4 and win 1.4x at 8,
  // Q8_0/Q4_0 win from M = 4; Q6_K's repack (16 scales, 6-bit unpack) is dearer: it breaks
  // even near M = 10, so smaller batches keep the 8-row kernel.
  const bool tile = w_dtype == DType::Q6_K ? M >= kTileMinRowsQ6_K : M >= kPrefillRows;
  if (tile) {
    switch (w_dtype) {
      case DType::Q8_0:
        return matmul_quant_tiled<Q8_0Tile>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      case DType::Q4_0:
        return matmul_quant_tiled<Q4_0Tile>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      case DType::Q4_K:
        return matmul_quant_tiled<Q4_KTile>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      case DType::Q5_K:
        return matmul_quant_tiled<Q5_KTile>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      case DType::Q6_K:
        return matmul_quant_tiled<Q6_KTile>(xq, M, K, w, n_begin, n_end, y, ldy, scratch);
      default: break;
    }
  }
  matmul_quant_simd(xq, M, K, w, w_dtype, n_begin, n_end, y, ldy, scratch);
}

}  // namespace

const KernelTable& avx512_kernel_table() {
  static const KernelTable table = {
      .name = "avx512",
      .matmul = matmul_float_avx512,
      .quantize_act = quantize_act_simd,
      .matmul_quant = matmul_quant_avx512,
      .to_f32 = ref_to_f32,
      .from_f32 = from_f32_simd,
      .rmsnorm = ref_rmsnorm,
      .rope_neox = ref_rope_neox,
      .softmax = ref_softmax,
      .silu_mul = ref_silu_mul,
      .attention_head = attention_head_simd,
      .attention_heads = attention_heads_simd,
      .packed_bytes = packed_bytes_avx512,
      .pack_rows = pack_rows_avx512,
      .matmul_packed = matmul_packed_avx512,
  };
  return table;
}

}  // namespace qinfer
