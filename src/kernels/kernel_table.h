// The seam between the model and the compute: one table of function pointers per backend
// (ref/ = portable C++, the oracle; x86/ = avx2, avx512; arm/ = neon and up; kernels/dispatch.h
// picks one). Each entry is a single-threaded kernel over a slice of the work; kernels/ops.h
// splits work across the ThreadPool, so a backend never deals with threads. Ops are agnostic of
// the model: they see plain f32 buffers, and weights and cached keys and values as dtype + bytes,
// never a config.
//
// Determinism contract every backend keeps: each output element is computed by one call in a
// fixed reduction order that depends only on K (the reduced length), never on M, on the slice
// bounds, or on the thread count. Hence decoding with a KV cache and recomputing a whole prompt
// produce bit-identical logits, with 1 thread or 2.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace qinfer {

// Rows of W a matmul kernel widens at a time; tile scratch holds kMatmulTileRows * K floats.
inline constexpr int64_t kMatmulTileRows = 4;

// Scratch a quantized matmul may use per element of K: room for two tiles of 16 W rows decoded
// to bytes with their per-block scales (x86 repacks them per 32 output columns for M >= 4,
// x86/quant_matmul_tile_avx512.inc: 45 bytes per K plus alignment).
inline constexpr int64_t kMatmulQuantScratchBytesPerK = 48;

// Floats of per-thread scratch every matmul entry needs for reduction length K.
inline constexpr int64_t matmul_scratch_floats(int64_t K) {
  const int64_t float_tile = kMatmulTileRows * K;
  const int64_t quant = (kMatmulQuantScratchBytesPerK * K + 64) / 4;  // + 64: aligning it
  return float_tile > quant ? float_tile : quant;
}

struct KernelTable {
  const char* name;  // "ref", later "avx2", "avx512", "neon", ... (printed by --verbose)

  // y[m, n] = sum_k x[m, k] * W[n, k] for m in [0, M), n in [n_begin, n_end).
  //   x: [M, K] f32, rows contiguous        W: [N, K] of `w_dtype` (F32, F16 or BF16)
  //   y: [M, ldy] f32 (only columns [n_begin, n_end) are written)
  //   tile_scratch: matmul_scratch_floats(K) floats owned by the calling thread
  void (*matmul)(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype,
                 int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile_scratch);

  // Quantizes one activation row x[K] for weights of type w_dtype (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)
  // into act_row_bytes(w_dtype, K) bytes at xq, by the rule in kernels/quant_act.h.
  void (*quantize_act)(const float* x, int64_t K, DType w_dtype, void* xq);

  // y[m, n] = canonical dot (kernels/quant_act.h) of activation row m with W row n, for m in
  // [0, M), n in [n_begin, n_end).
  //   xq: M rows of act_row_bytes(w_dtype, K) bytes    W: [N, K] quantized, ggml row-major blocks
  //   y: [M, ldy] f32     scratch: matmul_scratch_floats(K) floats owned by the thread (float-aligned)
  //   (e.g. for repacking a tile of W rows into the interleaved layout a kernel wants)
  void (*matmul_quant)(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);

  // dst[0..n) = src[0..n) widened to f32 (exact for F16 and BF16, dequantized for quantized
  // types). For embedding rows.
  void (*to_f32)(const void* src, DType src_dtype, int64_t n, float* dst);

  // dst[0..n) = src[0..n) as dst_dtype: F32 copied, F16 rounded to nearest even exactly as
  // tensor/dtype.h's f32_to_f16 (subnormals kept, overflow to inf, every NaN to the quiet NaN
  // 0x7e00 with its sign). For the rows the forward pass appends to a KV cache.
  void (*from_f32)(const float* src, int64_t n, DType dst_dtype, void* dst);

  // y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight, for r in [0, rows).
  //   x, y: [rows, n] (y may alias x)     weight: [n]
  void (*rmsnorm)(const float* x, const float* weight, int64_t rows, int64_t n, float eps,
                  float* y);

  // NeoX rotate-half RoPE of n_heads heads of one position, in place:
  //   x[h, i]       <- x[h, i] * cos[i] - x[h, i + D/2] * sin[i]
  //   x[h, i + D/2] <- x[h, i + D/2] * cos[i] + x[h, i] * sin[i]        for i in [0, D/2)
  //   x: [n_heads, D]     cos, sin: [D/2] (one row of a RopeTable)
  void (*rope_neox)(float* x, int64_t n_heads, int64_t head_dim, const float* cos,
                    const float* sin);

  // x[0..n) <- exp(x - max) / sum(exp(x - max)), in place.
  void (*softmax)(float* x, int64_t n);

  // out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]  (out may alias).
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);

  // One query head attending to n_keys cached positions (causality is the caller's choice of
  // n_keys):  out[D] = sum_j softmax_j(scale * q.k_j) * v_j
  //   q: [D]   k_j = k + j * kv_stride, v_j = v + j * kv_stride elements of kv_dtype (F32 or
  //   F16, a KV cache's type), each [D]; F16 is widened exactly, so attention over F16 keys and
  //   values gives the same bits as over their f32 widenings.
  //   scores_scratch: [n_keys] floats owned by the calling thread
  void (*attention_head)(const float* q, const void* k, const void* v, DType kv_dtype,
                         int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                         float* scores_scratch, float* out);

  // Optional (nullptr: the drivers call attention_head per head). n_q query heads that read the
  // same kv head over the same n_keys keys (a GQA group at one position), so each key and value
  // is loaded once for all of them; output i is bit-identical to attention_head on query i.
  //   q: n_q rows of head_dim at q + i * head_dim     out: likewise
  //   scores_scratch: [n_q, n_keys] floats owned by the calling thread
  void (*attention_heads)(const float* q, int64_t n_q, const void* k, const void* v,
                          DType kv_dtype, int64_t n_keys, int64_t kv_stride, int64_t head_dim,
                          float scale, float* scores_scratch, float* out);

  // Optional (null on backends without): quantized matrices repacked once at load into the
  // layout this backend's matmul_packed streams (x86 avx512: Q8_0, Q4_K, Q5_K and Q6_K as
  // 16-row groups whose quants interleave for VNNI, so no per-call unpacking; a group takes the
  // bytes of the 16 x 256 blocks it replaces, Q6_K 1% more; x86 avx2: the same groups of Q4_K,
  // Q5_K and Q6_K, and Q8_0 as signed 16-row groups, x86/packed_groups.h; arm dotprod: every
  // quantized type as quads of 4 rows interleaved by 4 bytes for SDOT by element, byte for
  // byte). Results are bit-identical to matmul_quant on the original blocks.
  // packed_bytes: the packed size of an [N, K] matrix of w_dtype; 0 when this backend does not
  // pack it (its type, or N not a multiple of kPackedGroupRows).
  int64_t (*packed_bytes)(DType w_dtype, int64_t N, int64_t K);
  // Packs rows [n_begin, n_end) of W (multiples of kPackedGroupRows) into `packed`, the buffer
  // of the whole matrix (64-byte aligned): slices may be packed by different threads.
  void (*pack_rows)(const void* w, DType w_dtype, int64_t K, int64_t n_begin, int64_t n_end,
                    void* packed);
  // As matmul_quant, reading the packed matrix; n_begin and n_end multiples of kPackedGroupRows.
  void (*matmul_packed)(const void* xq, int64_t M, int64_t K, const void* packed, DType w_dtype,
                        int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);
};

// Rows of W that one packed group holds (KernelTable::pack_rows).
inline constexpr int64_t kPackedGroupRows = 16;

}  // namespace qinfer
