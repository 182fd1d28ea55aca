// The K-quant (super-blocks of 256) half of tensor/quantize.h, kept apart because the scale search
// of Q4_K/Q5_K/Q6_K is most of the code. Internal to the tensor stage: callers use quantize.h.
#pragma once

#include <cstdint>

#include "tensor/quant_blocks.h"

namespace qinfer::detail {

// n: elements, a multiple of kQK_K. Bit-identical to ggml's quantize_row_q*_K_ref (no
// importance matrix) and dequantize_row_q*_K.
void quantize_row_q4_k(const float* src, int64_t n, BlockQ4_K* dst);
void quantize_row_q5_k(const float* src, int64_t n, BlockQ5_K* dst);
void quantize_row_q6_k(const float* src, int64_t n, BlockQ6_K* dst);
void dequantize_row_q4_k(const BlockQ4_K* src, int64_t n, float* dst);
void dequantize_row_q5_k(const BlockQ5_K* src, int64_t n, float* dst);
void dequantize_row_q6_k(const BlockQ6_K* src, int64_t n, float* dst);

}  // namespace qinfer::detail
