// The "avx512" backend, for CPUs with AVX-512 F/BW/VL/DQ, VNNI and BF16 (Ice Lake, Sapphire
// Rapids, Zen 4 and later). It runs the avx2 kernels' layout with VNNI's exact int8/int16 dot
// products (no saturating i16 step, one instruction instead of two) on 256-bit vectors and the
// 32 vector registers, which let prefill share each decoded weight block among 4 activation rows.
// Decode (Q8_0, Q4_K and Q6_K with 1-3 activation rows, BF16 with 1) runs 512-bit kernels that
// pack two weight rows per vector (quant_matmul_avx512.inc, quant_matmul_k4_avx512.inc,
// matmul_float_avx512.inc).
// vdpbf16ps is not used: it would round x to bf16, far outside the 1e-5 float contract.
#include <immintrin.h>

#include <cstddef>

#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
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

#include "kernels/x86/quant_act_x86.inc"
#include "kernels/x86/quant_matmul_x86.inc"
#include "kernels/x86/matmul_float_x86.inc"
// GCC 12 flags the _mm512_undefined_* operands inside its own zmm intrinsics (cast, convert,
// gather) as maybe-uninitialized: a known false positive of the header, not of this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/x86/quant_matmul_avx512.inc"
#include "kernels/x86/quant_matmul_k4_avx512.inc"
#include "kernels/x86/matmul_float_avx512.inc"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include "kernels/x86/attention_x86.inc"

// Decode-sized batches take the 16-row paths; prefill keeps sharing each decoded block among
// kPrefillRows activation rows (quant_matmul_x86.inc).
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
      .rmsnorm = ref_rmsnorm,
      .rope_neox = ref_rope_neox,
      .softmax = ref_softmax,
      .silu_mul = ref_silu_mul,
      .attention_head = attention_head_simd,
  };
  return table;
}

}  // namespace qinfer
