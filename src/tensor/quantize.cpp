// Q8_0, Q4_0 and the plain float types; the K-quants are in quantize_k.cpp.
//
// Bit-identity with ggml is the point of this file, so every expression keeps ggml's operand
// order and types (int * float promotions included), and the stage is built with
// -ffp-contract=off: a fused multiply-add rounds once where ggml rounds twice.
#include "tensor/quantize.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/quantize_k.h"

namespace qinfer {
namespace {

void quantize_row_q8_0(const float* src, int64_t n, BlockQ8_0* dst) {
  const int64_t blocks = n / kQK8_0;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* x = src + b * kQK8_0;
    float amax = 0.0f;
    // ggml's MAX(a, b) is a > b ? a : b; spelled the same way so a NaN propagates as there.
    for (int j = 0; j < kQK8_0; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[b].d = f32_to_f16(d);
    for (int j = 0; j < kQK8_0; ++j) {
      dst[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    }
  }
}

void quantize_row_q4_0(const float* src, int64_t n, BlockQ4_0* dst) {
  const int64_t blocks = n / kQK4_0;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* x = src + b * kQK4_0;
    // The signed value of largest magnitude (the first one, on ties) maps to -8, so the
    // asymmetric 4-bit range [-8, 7] is used fully on the side that needs it.
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK4_0; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[b].d = f32_to_f16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK4_0 / 2 + j] * id;
      // Truncation of (v + 8.5) is ggml's rounding (half away from -8); 16 clamps to 15.
      const uint8_t q0 = static_cast<uint8_t>(std::min(15, int{static_cast<int8_t>(x0 + 8.5f)}));
      const uint8_t q1 = static_cast<uint8_t>(std::min(15, int{static_cast<int8_t>(x1 + 8.5f)}));
      dst[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_row_q8_0(const BlockQ8_0* src, int64_t n, float* dst) {
  const int64_t blocks = n / kQK8_0;
  for (int64_t b = 0; b < blocks; ++b) {
    const float d = f16_to_f32(src[b].d);
    for (int j = 0; j < kQK8_0; ++j) dst[b * kQK8_0 + j] = src[b].qs[j] * d;
  }
}

void dequantize_row_q4_0(const BlockQ4_0* src, int64_t n, float* dst) {
  const int64_t blocks = n / kQK4_0;
  for (int64_t b = 0; b < blocks; ++b) {
    const float d = f16_to_f32(src[b].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int x0 = (src[b].qs[j] & 0x0F) - 8;
      const int x1 = (src[b].qs[j] >> 4) - 8;
      dst[b * kQK4_0 + j] = x0 * d;
      dst[b * kQK4_0 + j + kQK4_0 / 2] = x1 * d;
    }
  }
}

}  // namespace

bool is_quantized(DType dtype) {
  switch (dtype) {
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
      return true;
    case DType::F32:
    case DType::F16:
    case DType::BF16:
      return false;
  }
  return false;
}

void quantize_row(DType dtype, const float* src, int64_t n, void* dst) {
  assert(n % dtype_info(dtype).block_elements == 0);
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      auto* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::BF16: {
      auto* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::Q8_0: return quantize_row_q8_0(src, n, static_cast<BlockQ8_0*>(dst));
    case DType::Q4_0: return quantize_row_q4_0(src, n, static_cast<BlockQ4_0*>(dst));
    case DType::Q4_K: return detail::quantize_row_q4_k(src, n, static_cast<BlockQ4_K*>(dst));
    case DType::Q5_K: return detail::quantize_row_q5_k(src, n, static_cast<BlockQ5_K*>(dst));
    case DType::Q6_K: return detail::quantize_row_q6_k(src, n, static_cast<BlockQ6_K*>(dst));
  }
}

void dequantize_row(DType dtype, const void* src, int64_t n, float* dst) {
  assert(n % dtype_info(dtype).block_elements == 0);
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      const auto* in = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(in[i]);
      return;
    }
    case DType::BF16: {
      const auto* in = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(in[i]);
      return;
    }
    case DType::Q8_0: return dequantize_row_q8_0(static_cast<const BlockQ8_0*>(src), n, dst);
    case DType::Q4_0: return dequantize_row_q4_0(static_cast<const BlockQ4_0*>(src), n, dst);
    case DType::Q4_K:
      return detail::dequantize_row_q4_k(static_cast<const BlockQ4_K*>(src), n, dst);
    case DType::Q5_K:
      return detail::dequantize_row_q5_k(static_cast<const BlockQ5_K*>(src), n, dst);
    case DType::Q6_K:
      return detail::dequantize_row_q6_k(static_cast<const BlockQ6_K*>(src), n, dst);
  }
}

}  // namespace qinfer
