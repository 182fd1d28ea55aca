// Activation quantization (kernels/quant_act.h) in ARMv8.0 NEON, used by every ARM table: the
// rounding is the one the reference does (FCVTNS rounds to nearest, ties to even, exactly as
// nearbyint in the default rounding mode), so every backend's integer dot products see the same
// int8 activations.
#include <arm_neon.h>

#include <cstring>

#include "kernels/arm/arm_backends.h"
#include "kernels/quant_act.h"

namespace qinfer::arm {
namespace {

// max |x_i| over n floats, n a multiple of 16. FMAXNM skips NaNs, as the reference's
// `|x| > amax` comparison does.
float abs_max(const float* x, int n) {
  float32x4_t m0 = vdupq_n_f32(0.0f), m1 = m0;
  for (int i = 0; i < n; i += 8) {
    m0 = vmaxnmq_f32(m0, vabsq_f32(vld1q_f32(x + i)));
    m1 = vmaxnmq_f32(m1, vabsq_f32(vld1q_f32(x + i + 4)));
  }
  return vmaxnmvq_f32(vmaxnmq_f32(m0, m1));
}

int32x4_t round_clamped(const float* x, float32x4_t inverse_scale) {
  const int32x4_t q = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(x), inverse_scale));
  return vminq_s32(vmaxq_s32(q, vdupq_n_s32(-127)), vdupq_n_s32(127));
}

// q[0..16) = clamp(nearbyint(x * id), -127, 127).
int8x16_t quantize16(const float* x, float32x4_t inverse_scale) {
  const int16x8_t lo = vcombine_s16(vmovn_s32(round_clamped(x, inverse_scale)),
                                    vmovn_s32(round_clamped(x + 4, inverse_scale)));
  const int16x8_t hi = vcombine_s16(vmovn_s32(round_clamped(x + 8, inverse_scale)),
                                    vmovn_s32(round_clamped(x + 12, inverse_scale)));
  return vcombine_s8(vmovn_s16(lo), vmovn_s16(hi));
}

// One block of n floats (a multiple of 16) -> scale d, n int8 and one exact sum per 16.
float quantize_block(const float* x, int n, int8_t* qs, int16_t* sums16) {
  const float amax = abs_max(x, n);
  if (amax == 0.0f) {
    std::memset(qs, 0, static_cast<size_t>(n));
    std::memset(sums16, 0, static_cast<size_t>(n / 16) * sizeof(int16_t));
    return 0.0f;
  }
  const float32x4_t inverse_scale = vdupq_n_f32(127.0f / amax);
  for (int i = 0; i < n; i += 16) {
    const int8x16_t q = quantize16(x + i, inverse_scale);
    vst1q_s8(qs + i, q);
    sums16[i / 16] = vaddlvq_s8(q);  // |sum| <= 16 * 127
  }
  return amax / 127.0f;
}

}  // namespace

void quantize_act_neon(const float* x, int64_t K, DType w_dtype, void* xq) {
  if (w_dtype == DType::Q8_0 || w_dtype == DType::Q4_0) {
    auto* blocks = static_cast<ActQ8_32*>(xq);
    for (int64_t b = 0; b < K / 32; ++b) {
      int16_t sums16[2];
      blocks[b].d = quantize_block(x + b * 32, 32, blocks[b].qs, sums16);
      blocks[b].sum = int32_t{sums16[0]} + sums16[1];
    }
    return;
  }
  auto* blocks = static_cast<BlockQ8_K*>(xq);
  for (int64_t b = 0; b < K / kQK_K; ++b) {
    blocks[b].d = quantize_block(x + b * kQK_K, kQK_K, blocks[b].qs, blocks[b].bsums);
  }
}

}  // namespace qinfer::arm
