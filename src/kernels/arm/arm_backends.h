// Entry points of the per-ISA AArch64 files, for arm_kernels.cpp to assemble into tables. Each
// function has the signature of its KernelTable entry; the suffix names the instructions it
// needs (neon = ARMv8.0 Advanced SIMD, dotprod = SDOT, i8mm = SMMLA, sve = scalable vectors with
// SDOT plus i8mm for the paths it borrows from the i8mm table), and dispatch only installs
// it when the CPU has them. Only compiled for AArch64.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace qinfer::arm {

// kernels/quant_act.h rounding rule; baseline NEON, shared by every ARM table.
void quantize_act_neon(const float* x, int64_t K, DType w_dtype, void* xq);

// Matmul with F32/F16/BF16 weights, bit-identical to ref_matmul; baseline NEON.
void matmul_float_neon(const float* x, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, float* tile_scratch);

// Softmax, SiLU-mul and attention with a 4-lane exp (within a few ulp of ref); baseline NEON.
void softmax_neon(float* x, int64_t n);
void silu_mul_neon(const float* gate, const float* up, int64_t n, float* out);
// F32 or F16 keys and values, widened exactly. attention_heads_neon: a GQA group's queries
// sharing each key and value load, each query the bits of attention_head_neon on it.
void attention_head_neon(const float* q, const void* k, const void* v, DType kv_dtype,
                         int64_t n_keys, int64_t kv_stride, int64_t head_dim, float scale,
                         float* scores, float* out);
void attention_heads_neon(const float* q, int64_t n_q, const void* k, const void* v,
                          DType kv_dtype, int64_t n_keys, int64_t kv_stride, int64_t head_dim,
                          float scale, float* scores, float* out);
// KernelTable::from_f32, bit-identical to ref_from_f32.
void from_f32_neon(const float* src, int64_t n, DType dst_dtype, void* dst);

// Canonical quantized dot products (kernels/quant_act.h) with the int8 dot product built from
// SMULL/SADALP (neon), SDOT (dotprod) or, for M >= 4, SMMLA 2x8x2 tiles (i8mm).
void matmul_quant_neon(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);
void matmul_quant_dotprod(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                          int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);
void matmul_quant_i8mm(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                       int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);
// KernelTable's packed_bytes / pack_rows / matmul_packed for SDOT: every quantized type repacked
// at load into quads of 4 rows interleaved by 4 bytes (quant_matmul_packed_dotprod.cpp).
int64_t packed_bytes_dotprod(DType w_dtype, int64_t N, int64_t K);
void pack_rows_dotprod(const void* w, DType w_dtype, int64_t K, int64_t n_begin, int64_t n_end,
                       void* packed);
void matmul_packed_dotprod(const void* xq, int64_t M, int64_t K, const void* packed,
                           DType w_dtype, int64_t n_begin, int64_t n_end, float* y, int64_t ldy,
                           void* scratch);
// Decode (M = 1) with vector-length-agnostic SVE SDOT; M > 1 is matmul_quant_i8mm.
void matmul_quant_sve(const void* xq, int64_t M, int64_t K, const void* w, DType w_dtype,
                      int64_t n_begin, int64_t n_end, float* y, int64_t ldy, void* scratch);

}  // namespace qinfer::arm
