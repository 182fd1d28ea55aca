// Softmax, SiLU-mul and KV rows to F16 in ARMv8.0 NEON (attention: attention_neon.cpp). What the
// reference spends its time on here is libm's scalar expf; these use a 4-lane exp with the same
// accuracy class (~1 ulp), so results stay within a few ulp of ref's (the float tolerance of the
// kernels contract), and every output depends only on its own inputs and n: identical for any
// M, slice or thread count.
#include <arm_neon.h>

#include "kernels/arm/arm_backends.h"
#include "kernels/ref/ref_kernels.h"

namespace qinfer::arm {
namespace {

// exp(x) per lane: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n ln2 is exact enough),
// e^r by Cephes' degree-7 polynomial (relative error < 2^-23), then 2^n applied as two
// factors 2^(n/2) 2^(n - n/2) so that results from subnormal to overflow (inf) come out right
// without special cases; below -104 the product underflows to 0 as expf does.
float32x4_t exp4(float32x4_t x) {
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-104.0f)), vdupq_n_f32(89.0f));
  const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));  // 1 + r + r^2 p(r)
  const int32x4_t ni = vcvtq_s32_f32(n);
  const int32x4_t half = vshrq_n_s32(ni, 1);
  const int32x4_t bias = vdupq_n_s32(127);
  const float32x4_t scale1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(half, bias), 23));
  const float32x4_t scale2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, half), bias), 23));
  return vmulq_f32(vmulq_f32(p, scale1), scale2);
}

float exp1(float x) { return vgetq_lane_f32(exp4(vdupq_n_f32(x)), 0); }

}  // namespace

void softmax_neon(float* x, int64_t n) {
  if (n <= 0) return;
  float max_value = x[0];
  int64_t i = 0;
  if (n >= 4) {
    float32x4_t m = vld1q_f32(x);
    for (i = 4; i + 4 <= n; i += 4) m = vmaxq_f32(m, vld1q_f32(x + i));
    max_value = vmaxvq_f32(m);
  }
  for (; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  // The sum in double, as the reference: long rows (40k keys) lose nothing to it.
  float64x2_t sum_lo = vdupq_n_f64(0.0), sum_hi = sum_lo;
  const float32x4_t max4 = vdupq_n_f32(max_value);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + i), max4));
    vst1q_f32(x + i, e);
    sum_lo = vaddq_f64(sum_lo, vcvt_f64_f32(vget_low_f32(e)));
    sum_hi = vaddq_f64(sum_hi, vcvt_high_f64_f32(e));
  }
  double sum = vaddvq_f64(vaddq_f64(sum_lo, sum_hi));
  for (; i < n; ++i) {
    x[i] = exp1(x[i] - max_value);
    sum += x[i];
  }
  const float32x4_t inv_sum = vdupq_n_f32(static_cast<float>(1.0 / sum));
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_f32(vld1q_f32(x + i), inv_sum));
  for (; i < n; ++i) x[i] *= vgetq_lane_f32(inv_sum, 0);
}

void silu_mul_neon(const float* gate, const float* up, int64_t n, float* out) {
  // silu(g) * up = g / (1 + exp(-g)) * up, in the reference's order of operations.
  const float32x4_t one = vdupq_n_f32(1.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t g = vld1q_f32(gate + i);
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(one, exp4(vnegq_f32(g))));
    vst1q_f32(out + i, vmulq_f32(silu, vld1q_f32(up + i)));
  }
  for (; i < n; ++i) out[i] = (gate[i] / (1.0f + exp1(-gate[i]))) * up[i];
}

namespace {

// F32 -> F16 by FCVTN, round to nearest even (FPCR's default mode, which Linux leaves set):
// f32_to_f16's result for every finite value and inf; NaN lanes get its quiet NaN, as the
// hardware keeps payload bits.
uint16x4_t f16_from_four(float32x4_t x) {
  const uint16x4_t h = vreinterpret_u16_f16(vcvt_f16_f32(x));
  const uint16x4_t is_nan = vcgt_u16(vand_u16(h, vdup_n_u16(0x7fff)), vdup_n_u16(0x7c00));
  const uint16x4_t quiet = vorr_u16(vand_u16(h, vdup_n_u16(0x8000)), vdup_n_u16(0x7e00));
  return vbsl_u16(is_nan, quiet, h);
}

}  // namespace

void from_f32_neon(const float* src, int64_t n, DType dst_dtype, void* dst) {
  if (dst_dtype != DType::F16) return ref_from_f32(src, n, dst_dtype, dst);
  auto* out = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1_u16(out + i, f16_from_four(vld1q_f32(src + i)));
  for (; i < n; ++i) out[i] = f32_to_f16(src[i]);
}

}  // namespace qinfer::arm
