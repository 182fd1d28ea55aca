// The "avx2" backend (AVX2 + FMA + F16C): every x86-64 server CPU of the last decade.
#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/x86/packed_groups.h"
#include "kernels/x86/x86_tables.h"

namespace qinfer {
namespace {

// 8 int32 lanes summing to sum_i u[i] * s[i]; the pairwise i16 sums cannot saturate because
// every caller keeps u <= 128 and |s| <= 127 (2 * 128 * 127 < 32768).
inline __m256i dot_u8s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

inline __m256i madd_acc(__m256i acc, __m256i a, __m256i b) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
}

constexpr int kPrefillRows = 2;  // with 16 vector registers

#include "kernels/x86/quant_act_x86.inc"
#include "kernels/x86/quant_matmul_x86.inc"
#include "kernels/x86/pack_groups_avx2.inc"
#include "kernels/x86/quant_matmul_packed_avx2.inc"
#include "kernels/x86/matmul_float_x86.inc"
#include "kernels/x86/attention_x86.inc"

}  // namespace

const KernelTable& avx2_kernel_table() {
  static const KernelTable table = {
      .name = "avx2",
      .matmul = matmul_float_simd,
      .quantize_act = quantize_act_simd,
      .matmul_quant = matmul_quant_simd,
      .to_f32 = ref_to_f32,
      .from_f32 = from_f32_simd,
      .rmsnorm = ref_rmsnorm,
      .rope_neox = ref_rope_neox,
      .softmax = ref_softmax,
      .silu_mul = ref_silu_mul,
      .attention_head = attention_head_simd,
      .attention_heads = attention_heads_simd,
      .packed_bytes = packed_bytes_avx2,
      .pack_rows = pack_rows_avx2,
      .matmul_packed = matmul_packed_avx2,
  };
  return table;
}

}  // namespace qinfer
