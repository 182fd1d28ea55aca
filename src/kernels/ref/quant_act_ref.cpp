// Reference activation quantization (the rule of kernels/quant_act.h), one block at a time.
#include <cmath>

#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"

namespace qinfer {
namespace {

// Quantizes n values to q[0..n) with the block rule; returns d.
float quantize_block(const float* x, int n, int8_t* q) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::fabs(x[i]) > amax ? std::fabs(x[i]) : amax;
  if (amax == 0.0f) {
    for (int i = 0; i < n; ++i) q[i] = 0;
    return 0.0f;
  }
  const float id = 127.0f / amax;
  for (int i = 0; i < n; ++i) {
    float v = std::nearbyint(x[i] * id);
    v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
    q[i] = static_cast<int8_t>(v);
  }
  return amax / 127.0f;
}

}  // namespace

void ref_quantize_act(const float* x, int64_t K, DType w_dtype, void* xq) {
  if (w_dtype == DType::Q8_0 || w_dtype == DType::Q4_0) {
    auto* blocks = static_cast<ActQ8_32*>(xq);
    for (int64_t b = 0; b < K / kQK8_0; ++b) {
      ActQ8_32& out = blocks[b];
      out.d = quantize_block(x + b * kQK8_0, kQK8_0, out.qs);
      out.sum = 0;
      for (int i = 0; i < kQK8_0; ++i) out.sum += out.qs[i];
    }
    return;
  }
  auto* blocks = static_cast<BlockQ8_K*>(xq);
  for (int64_t b = 0; b < K / kQK_K; ++b) {
    BlockQ8_K& out = blocks[b];
    out.d = quantize_block(x + b * kQK_K, kQK_K, out.qs);
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += out.qs[16 * j + i];
      out.bsums[j] = static_cast<int16_t>(sum);
    }
  }
}

}  // namespace qinfer
