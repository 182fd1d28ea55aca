// Quantized matmul with SDOT (ARMv8.2 dotprod: Kunpeng 920, Ampere Altra, Graviton2): four
// 4-byte dot products per instruction, the workhorse of decode and prefill on those servers.
#include <arm_neon.h>

#include "kernels/arm/arm_backends.h"
#include "kernels/quant_act.h"

namespace qinfer::arm {
namespace {

inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

#include "kernels/arm/quant_matmul_arm.inc"

}  // namespace

void matmul_quant_dotprod(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                          int64_t n_begin, int64_t n_end, float* y, int64_t ldy,
                          void* /*scratch*/) {
  matmul_quant_any_type(xq, M, K, w, w_dtype, n_begin, n_end, y, ldy);
}

}  // namespace qinfer::arm
