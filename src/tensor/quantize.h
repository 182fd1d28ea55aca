// Conversion between f32 rows and the quantized block types, bit-identical to ggml's reference
// code (ggml-quants.c `quantize_row_*_ref` / `dequantize_row_*`, no importance matrix), so the
// blocks we write are the blocks llama-quantize writes for the same input and our dequantized
// values are llama.cpp's. These are the oracles of the SIMD kernels and the engine of
// `qinfer quantize`; they are not on the per-token path (the kernels read blocks directly).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace qinfer {

// True for the quantized types this build can write and read (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K).
bool is_quantized(DType dtype);

// src: n floats; dst: row_bytes(dtype, n) bytes. n must be a multiple of the block size; F32,
// F16 and BF16 are accepted too (plain conversion, round to nearest even).
void quantize_row(DType dtype, const float* src, int64_t n, void* dst);

// src: row_bytes(dtype, n) bytes; dst: n floats. Every dtype in tensor/dtype.h.
void dequantize_row(DType dtype, const void* src, int64_t n, float* dst);

}  // namespace qinfer
