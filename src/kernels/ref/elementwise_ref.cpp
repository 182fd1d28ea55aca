// Reference norms, RoPE, softmax, SiLU and single-head attention. These are O(n) per row next
// to the O(n^2) matmuls, so they favour matching PyTorch's numerics over speed: the RMSNorm
// mean of squares is accumulated in double, and the rest follows the order of operations of
// transformers' Qwen3 code (noted per function).
#include <cmath>

#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/widen.h"

namespace qinfer {

void ref_rmsnorm(const float* x, const float* __restrict weight, int64_t rows, int64_t n,
                 float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    // Four double lanes: exact enough that the result is the correctly rounded mean.
    double lane[4] = {0.0, 0.0, 0.0, 0.0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int64_t j = 0; j < 4; ++j) lane[j] += static_cast<double>(xr[i + j]) * xr[i + j];
    }
    for (; i < n; ++i) lane[0] += static_cast<double>(xr[i]) * xr[i];
    const float mean_square = static_cast<float>(((lane[0] + lane[1]) + (lane[2] + lane[3])) / n);
    // transformers: hidden * rsqrt(variance + eps), then weight * that (both in f32).
    const float inv_rms =
        static_cast<float>(1.0 / std::sqrt(static_cast<double>(mean_square + eps)));
    for (int64_t k = 0; k < n; ++k) yr[k] = weight[k] * (xr[k] * inv_rms);
  }
}

void ref_rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* __restrict cos,
                   const float* __restrict sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* __restrict lo = x + h * head_dim;  // x[h, 0 .. D/2)
    float* __restrict hi = lo + half;         // x[h, D/2 .. D)
    // q*cos + rotate_half(q)*sin, rotate_half(q) = [-hi, lo].
    for (int64_t i = 0; i < half; ++i) {
      const float a = lo[i], b = hi[i];
      lo[i] = a * cos[i] + (-b) * sin[i];
      hi[i] = b * cos[i] + a * sin[i];
    }
  }
}

void ref_softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_value);
    sum += x[i];
  }
  const float inv_sum = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv_sum;
}

void ref_silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  // transformers: act_fn(gate_proj(x)) * up_proj(x), silu(g) = g * sigmoid(g).
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

namespace {

float widen(const float* row, int64_t i) { return row[i]; }
float widen(const uint16_t* row, int64_t i) { return ref::f16_bits_to_f32(row[i]); }
float dot(const float* q, const float* key, int64_t n) { return ref_dot(q, key, n); }
float dot(const float* q, const uint16_t* key, int64_t n) { return ref_dot_f16(q, key, n); }

// Element is float (F32 cache) or uint16_t (F16 bits); the arithmetic is the same either way.
template <class Element>
void attention_head_of(const float* q, const Element* k, const Element* v, int64_t n_keys,
                       int64_t kv_stride, int64_t head_dim, float scale, float* scores,
                       float* __restrict out) {
  for (int64_t j = 0; j < n_keys; ++j) scores[j] = dot(q, k + j * kv_stride, head_dim) * scale;
  ref_softmax(scores, n_keys);
  for (int64_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  // Sum over keys in key order for every output lane: vectorizes over d, order fixed by j.
  for (int64_t j = 0; j < n_keys; ++j) {
    const float p = scores[j];
    const Element* __restrict vj = v + j * kv_stride;
    for (int64_t d = 0; d < head_dim; ++d) out[d] += p * widen(vj, d);
  }
}

}  // namespace

void ref_attention_head(const float* q, const void* k, const void* v, DType kv_dtype,
                        int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                        float* scores, float* out) {
  switch (kv_dtype) {
    case DType::F32:
      return attention_head_of(q, static_cast<const float*>(k), static_cast<const float*>(v),
                               n_keys, kv_stride, head_dim, scale, scores, out);
    case DType::F16:
      return attention_head_of(q, static_cast<const uint16_t*>(k),
                               static_cast<const uint16_t*>(v), n_keys, kv_stride, head_dim,
                               scale, scores, out);
    default:
      __builtin_trap();  // KV caches are F32 or F16 (model/kv_cache.h); a caller bug
  }
}

const KernelTable& ref_kernel_table() {
  static const KernelTable table = {
      .name = "ref",
      .matmul = ref_matmul,
      .quantize_act = ref_quantize_act,
      .matmul_quant = ref_matmul_quant,
      .to_f32 = ref_to_f32,
      .from_f32 = ref_from_f32,
      .rmsnorm = ref_rmsnorm,
      .rope_neox = ref_rope_neox,
      .softmax = ref_softmax,
      .silu_mul = ref_silu_mul,
      .attention_head = ref_attention_head,
      .attention_heads = nullptr,  // attention_head per head (ARM tables inherit this)
      .packed_bytes = nullptr,     // matrices stay in their blocks
      .pack_rows = nullptr,
      .matmul_packed = nullptr,
  };
  return table;
}

}  // namespace qinfer
