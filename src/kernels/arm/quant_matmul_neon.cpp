// Quantized matmul for ARMv8.0 NEON without SDOT (Cortex-A72 class, Phytium): the int8 dot
// product is SMULL/SMULL2 into int16 and a pairwise widening accumulate into int32.
#include <arm_neon.h>

#include "kernels/arm/arm_backends.h"
#include "kernels/quant_act.h"

namespace qinfer::arm {
namespace {

// Activations are clamped to [-127, 127] and weights are int8, so a product is at most
// 128 * 127 in magnitude and the sum of two of them (32512) still fits in int16.
inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) {
  const int16x8_t products = vaddq_s16(vmull_s8(vget_low_s8(a), vget_low_s8(b)), vmull_high_s8(a, b));
  return vpadalq_s16(acc, products);
}

#include "kernels/arm/quant_matmul_arm.inc"

}  // namespace

void matmul_quant_neon(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* /*scratch*/) {
  matmul_quant_any_type(xq, M, K, w, w_dtype, n_begin, n_end, y, ldy);
}

}  // namespace qinfer::arm
