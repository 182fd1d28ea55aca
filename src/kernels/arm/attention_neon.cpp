// Attention over a KV cache in ARMv8.0 NEON: one query head (attention_head_neon), and the query
// heads of a GQA group at one position together (attention_heads_neon).
//
// Per query both take the same steps: each score is ref_dot's reduction (two 4-lane
// accumulators over 8-element steps, multiply then add, the head_dim % 8 tail in order, then
// ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) + tail), the softmax is softmax_neon, and out[d] sums
// p_j * v_j[d] with a separate multiply and add over keys in key order (vectors below
// head_dim - head_dim % 8, scalars above). So the group kernel gives each query the bits of the
// single-head kernel, whatever the group size. F16 keys and values are widened exactly (FCVTL),
// so attention over them gives the bits of attention over their f32 widening.
#include <arm_neon.h>

#include "kernels/arm/arm_backends.h"
#include "kernels/ref/ref_kernels.h"

namespace qinfer::arm {
namespace {

// Four or one cache elements as f32.
struct CacheF32 {
  using Element = float;
  static float32x4_t four(const float* p) { return vld1q_f32(p); }
  static float one(const float* p) { return *p; }
  static float dot(const float* q, const float* key, int64_t n) { return ref_dot(q, key, n); }
};
struct CacheF16 {
  using Element = uint16_t;
  static float32x4_t four(const uint16_t* p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
  }
  static float one(const uint16_t* p) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(p))), 0);
  }
  static float dot(const float* q, const uint16_t* key, int64_t n) {
    return ref_dot_f16(q, key, n);
  }
};

template <class Cache>
void attention_head_typed(const float* q, const void* k_bytes, const void* v_bytes,
                          int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                          float* scores, float* out) {
  using Element = typename Cache::Element;
  const auto* k = static_cast<const Element*>(k_bytes);
  const auto* v = static_cast<const Element*>(v_bytes);
  for (int64_t j = 0; j < n_keys; ++j) {
    scores[j] = Cache::dot(q, k + j * kv_stride, head_dim) * scale;
  }
  softmax_neon(scores, n_keys);
  // out = sum_j p_j v_j, keys in order for every lane (as the reference).
  int64_t d = 0;
  for (; d + 8 <= head_dim; d += 8) {
    float32x4_t lo = vdupq_n_f32(0.0f), hi = lo;
    for (int64_t j = 0; j < n_keys; ++j) {
      const Element* vj = v + j * kv_stride + d;
      lo = vaddq_f32(lo, vmulq_n_f32(Cache::four(vj), scores[j]));
      hi = vaddq_f32(hi, vmulq_n_f32(Cache::four(vj + 4), scores[j]));
    }
    vst1q_f32(out + d, lo);
    vst1q_f32(out + d + 4, hi);
  }
  for (; d < head_dim; ++d) {
    float acc = 0.0f;
    for (int64_t j = 0; j < n_keys; ++j) acc += scores[j] * Cache::one(v + j * kv_stride + d);
    out[d] = acc;
  }
}

// ---- A GQA group: the kv head's keys and values loaded once for up to kMaxGroup queries. ----
//
// Why: one head at a time reads every key and value once per query head (5 times for Qwen3-14B,
// 40 query heads over 8 kv heads), and at long contexts a kv head no longer fits in L2, so each
// of those reads comes from L3 or memory. The arithmetic per query stays the single head's
// (multiply then add; fusing them would change the bits), so what the group saves is loads.

constexpr int kMaxGroup = 8;  // queries per pass: 2 x 8 score accumulators per key

// Keys per step of the score pass: each (query, key) pair is two dependent add chains, and
// fewer than ~8 chains leave the adders waiting on latency, so small groups take more keys.
constexpr int keys_per_step(int n_q) { return n_q >= 4 ? 1 : n_q == 1 ? 4 : 2; }

// 4-lane slices of out per pass over the values: n_q x slices <= 16 accumulators.
constexpr int value_slices(int n_q) { return n_q <= 2 ? 8 : n_q <= 4 ? 4 : 2; }

// Keys per block of the value pass. The single head sweeps all keys once per 8 lanes of out, so
// each cache line of a value row is fetched head_dim / 8 / (lines per row) times, from memory
// once the head outgrows L2; a block of rows (16 KiB of F32 at head_dim 128) stays in L1 while
// every slice passes, and the partial sums wait in out between blocks (a store and reload of a
// float is exact, so the order per lane is still key order).
constexpr int64_t kValueBlockKeys = 32;

inline float combine_lanes(float32x4_t lo, float32x4_t hi, float tail) {
  const float32x4_t s = vaddq_f32(lo, hi);
  return ((vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) +
          (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3))) + tail;
}

// dots[i * KB + r] = ref_dot(q_i, key_r), q_i = q + i * head_dim, in ref_dot's order.
template <class Cache, int Q, int KB>
void dot_step(const float* q, int64_t head_dim, const typename Cache::Element* const (&keys)[KB],
              float (&dots)[Q * KB]) {
  float32x4_t lo[Q][KB], hi[Q][KB];
  for (int i = 0; i < Q; ++i) {
    for (int r = 0; r < KB; ++r) lo[i][r] = hi[i][r] = vdupq_n_f32(0.0f);
  }
  int64_t k = 0;
  for (; k + 8 <= head_dim; k += 8) {
    // Whichever side is smaller stays in registers while the other streams past it.
    if constexpr (Q <= KB) {
      float32x4_t q_lo[Q], q_hi[Q];
      for (int i = 0; i < Q; ++i) {
        q_lo[i] = vld1q_f32(q + i * head_dim + k);
        q_hi[i] = vld1q_f32(q + i * head_dim + k + 4);
      }
      for (int r = 0; r < KB; ++r) {
        const float32x4_t k_lo = Cache::four(keys[r] + k), k_hi = Cache::four(keys[r] + k + 4);
        for (int i = 0; i < Q; ++i) {
          lo[i][r] = vaddq_f32(lo[i][r], vmulq_f32(q_lo[i], k_lo));
          hi[i][r] = vaddq_f32(hi[i][r], vmulq_f32(q_hi[i], k_hi));
        }
      }
    } else {
      float32x4_t k_lo[KB], k_hi[KB];
      for (int r = 0; r < KB; ++r) {
        k_lo[r] = Cache::four(keys[r] + k);
        k_hi[r] = Cache::four(keys[r] + k + 4);
      }
      for (int i = 0; i < Q; ++i) {
        const float32x4_t q_lo = vld1q_f32(q + i * head_dim + k);
        const float32x4_t q_hi = vld1q_f32(q + i * head_dim + k + 4);
        for (int r = 0; r < KB; ++r) {
          lo[i][r] = vaddq_f32(lo[i][r], vmulq_f32(q_lo, k_lo[r]));
          hi[i][r] = vaddq_f32(hi[i][r], vmulq_f32(q_hi, k_hi[r]));
        }
      }
    }
  }
  float tail[Q][KB] = {};
  for (; k < head_dim; ++k) {
    for (int r = 0; r < KB; ++r) {
      const float key = Cache::one(keys[r] + k);
      for (int i = 0; i < Q; ++i) tail[i][r] += q[i * head_dim + k] * key;
    }
  }
  for (int i = 0; i < Q; ++i) {
    for (int r = 0; r < KB; ++r) dots[i * KB + r] = combine_lanes(lo[i][r], hi[i][r], tail[i][r]);
  }
}

// scores[i * n_keys + j + r] = scale * q_i . k_{j+r} for r < KB.
template <class Cache, int Q, int KB>
void score_step(const float* q, const typename Cache::Element* k, int64_t j, int64_t n_keys,
                int64_t kv_stride, int64_t head_dim, float scale, float* scores) {
  const typename Cache::Element* keys[KB];
  for (int r = 0; r < KB; ++r) keys[r] = k + (j + r) * kv_stride;
  float dots[Q * KB];
  dot_step<Cache, Q, KB>(q, head_dim, keys, dots);
  for (int i = 0; i < Q; ++i) {
    for (int r = 0; r < KB; ++r) scores[i * n_keys + j + r] = dots[i * KB + r] * scale;
  }
}

template <class Cache, int Q>
void group_scores(const float* q, const typename Cache::Element* k, int64_t n_keys,
                  int64_t kv_stride, int64_t head_dim, float scale, float* scores) {
  constexpr int KB = keys_per_step(Q);
  int64_t j = 0;
  for (; j + KB <= n_keys; j += KB) {
    score_step<Cache, Q, KB>(q, k, j, n_keys, kv_stride, head_dim, scale, scores);
  }
  for (; j < n_keys; ++j) {
    score_step<Cache, Q, 1>(q, k, j, n_keys, kv_stride, head_dim, scale, scores);
  }
}

// Lanes [d, d + 4S) of out_i over keys [j0, j1), continuing the sums in out unless `first`.
template <class Cache, int Q, int S>
void value_block(const float* scores, int64_t n_keys, const typename Cache::Element* v,
                 int64_t kv_stride, int64_t j0, int64_t j1, bool first, int64_t d,
                 int64_t head_dim, float* out) {
  float32x4_t acc[Q][S];
  for (int i = 0; i < Q; ++i) {
    for (int s = 0; s < S; ++s) {
      acc[i][s] = first ? vdupq_n_f32(0.0f) : vld1q_f32(out + i * head_dim + d + 4 * s);
    }
  }
  for (int64_t j = j0; j < j1; ++j) {
    const typename Cache::Element* row = v + j * kv_stride + d;
    float32x4_t values[S];
    for (int s = 0; s < S; ++s) values[s] = Cache::four(row + 4 * s);
    for (int i = 0; i < Q; ++i) {
      const float p = scores[i * n_keys + j];
      for (int s = 0; s < S; ++s) acc[i][s] = vaddq_f32(acc[i][s], vmulq_n_f32(values[s], p));
    }
  }
  for (int i = 0; i < Q; ++i) {
    for (int s = 0; s < S; ++s) vst1q_f32(out + i * head_dim + d + 4 * s, acc[i][s]);
  }
}

// out_i = sum_j p_ij v_j with p_ij = scores[i * n_keys + j], as attention_head_typed per lane.
template <class Cache, int Q>
void group_values(const float* scores, const typename Cache::Element* v, int64_t n_keys,
                  int64_t kv_stride, int64_t head_dim, float* out) {
  constexpr int S = value_slices(Q);
  const int64_t vector_end = head_dim - head_dim % 8;
  for (int64_t j0 = 0; j0 < n_keys; j0 += kValueBlockKeys) {
    const int64_t j1 = n_keys - j0 < kValueBlockKeys ? n_keys : j0 + kValueBlockKeys;
    const bool first = j0 == 0;
    int64_t d = 0;
    for (; d + 4 * S <= vector_end; d += 4 * S) {
      value_block<Cache, Q, S>(scores, n_keys, v, kv_stride, j0, j1, first, d, head_dim, out);
    }
    for (; d < vector_end; d += 8) {
      value_block<Cache, Q, 2>(scores, n_keys, v, kv_stride, j0, j1, first, d, head_dim, out);
    }
    for (; d < head_dim; ++d) {
      for (int i = 0; i < Q; ++i) {
        float acc = first ? 0.0f : out[i * head_dim + d];
        for (int64_t j = j0; j < j1; ++j) {
          acc += scores[i * n_keys + j] * Cache::one(v + j * kv_stride + d);
        }
        out[i * head_dim + d] = acc;
      }
    }
  }
}

template <class Cache, int Q>
void attention_group(const float* q, const typename Cache::Element* k,
                     const typename Cache::Element* v, int64_t n_keys, int64_t kv_stride,
                     int64_t head_dim, float scale, float* scores, float* out) {
  group_scores<Cache, Q>(q, k, n_keys, kv_stride, head_dim, scale, scores);
  for (int i = 0; i < Q; ++i) softmax_neon(scores + i * n_keys, n_keys);
  group_values<Cache, Q>(scores, v, n_keys, kv_stride, head_dim, out);
}

template <class Cache>
void attention_heads_typed(const float* q, int64_t n_q, const void* k_bytes, const void* v_bytes,
                           int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                           float* scores, float* out) {
  using Element = typename Cache::Element;
  const auto* k = static_cast<const Element*>(k_bytes);
  const auto* v = static_cast<const Element*>(v_bytes);
  if (n_keys <= 0) {  // no keys: the single head's zeros (the value pass writes nothing)
    for (int64_t i = 0; i < n_q * head_dim; ++i) out[i] = 0.0f;
    return;
  }
  for (int64_t i = 0; i < n_q; i += kMaxGroup) {
    const float* qi = q + i * head_dim;
    float* oi = out + i * head_dim;
    switch (n_q - i < kMaxGroup ? n_q - i : kMaxGroup) {
#define QINFER_GROUP_CASE(Q)                                                                   \
  case Q:                                                                                      \
    attention_group<Cache, Q>(qi, k, v, n_keys, kv_stride, head_dim, scale, scores, oi);      \
    break;
      QINFER_GROUP_CASE(1)
      QINFER_GROUP_CASE(2)
      QINFER_GROUP_CASE(3)
      QINFER_GROUP_CASE(4)
      QINFER_GROUP_CASE(5)
      QINFER_GROUP_CASE(6)
      QINFER_GROUP_CASE(7)
      QINFER_GROUP_CASE(8)
#undef QINFER_GROUP_CASE
    }
  }
}

}  // namespace

void attention_head_neon(const float* q, const void* k, const void* v, DType kv_dtype,
                         int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                         float* scores, float* out) {
  switch (kv_dtype) {
    case DType::F32:
      return attention_head_typed<CacheF32>(q, k, v, n_keys, kv_stride, head_dim, scale, scores,
                                            out);
    case DType::F16:
      return attention_head_typed<CacheF16>(q, k, v, n_keys, kv_stride, head_dim, scale, scores,
                                            out);
    default: __builtin_trap();  // KV caches are F32 or F16; a caller bug
  }
}

void attention_heads_neon(const float* q, int64_t n_q, const void* k, const void* v,
                          DType kv_dtype, int64_t n_keys, int64_t kv_stride, int64_t head_dim,
                          float scale, float* scores, float* out) {
  switch (kv_dtype) {
    case DType::F32:
      return attention_heads_typed<CacheF32>(q, n_q, k, v, n_keys, kv_stride, head_dim, scale,
                                             scores, out);
    case DType::F16:
      return attention_heads_typed<CacheF16>(q, n_q, k, v, n_keys, kv_stride, head_dim, scale,
                                             scores, out);
    default: __builtin_trap();
  }
}

}  // namespace qinfer::arm
