// The portable backend: plain C++ loops written so that GCC auto-vectorizes them at any -march
// (independent lane accumulators, __restrict, no reductions the compiler must reorder). It is
// the oracle every optimized backend is tested against, so clarity wins over speed here.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace qinfer {

const KernelTable& ref_kernel_table();

// Entries of the table, exposed for tests and for optimized backends that reuse some of them.
void ref_matmul(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype,
                int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile_scratch);
void ref_quantize_act(const float* x, int64_t K, DType w_dtype, void* xq);
void ref_matmul_quant(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                      int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);
void ref_to_f32(const void* src, DType src_dtype, int64_t n, float* dst);
void ref_from_f32(const float* src, int64_t n, DType dst_dtype, void* dst);
void ref_rmsnorm(const float* x, const float* weight, int64_t rows, int64_t n, float eps,
                 float* y);
void ref_rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos,
                   const float* sin);
void ref_softmax(float* x, int64_t n);
void ref_silu_mul(const float* gate, const float* up, int64_t n, float* out);
void ref_attention_head(const float* q, const void* k, const void* v, DType kv_dtype,
                        int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                        float* scores_scratch, float* out);

// Dot product in the reference reduction order: 8 interleaved lane sums (lane j takes
// k = j, j+8, ...), the K % 8 tail summed separately, then the fixed tree
// ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) + tail. Matmul and attention both use this order.
float ref_dot(const float* a, const float* b, int64_t n);
// ref_dot with b in F16, each element widened exactly: the bits of ref_dot on b's widening.
float ref_dot_f16(const float* a, const uint16_t* b, int64_t n);

}  // namespace qinfer
