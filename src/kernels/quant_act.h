// Activations quantized on the fly for the integer dot products against quantized weights, and
// the one arithmetic every backend follows, so that every SIMD variant is bit-identical to the
// reference (and a result never depends on M, tiling, thread count or batch neighbours).
//
// Activation formats (per row of x, blocks in order):
//   Q8_0 and Q4_0 weights -> ActQ8_32 per 32 elements      Q4_K, Q5_K, Q6_K -> BlockQ8_K per 256
// Rounding rule, per block, identical in every backend:
//   amax = max |x_i|;  if amax == 0: d = 0 and every q_i = 0;
//   else d = amax / 127.0f,  id = 127.0f / amax,  q_i = nearbyint(x_i * id) (round half to even,
//   the default FP rounding mode), clamped to [-127, 127];  sum / bsums are exact integer sums.
// Canonical dot product of an activation row with a weight row (no fused multiply-add anywhere;
// kernels are compiled with -ffp-contract=off):  acc = 0.0f, then for each block b in order
//   Q8_0: isum = sum_i w.qs[i] * x.qs[i]                         acc = acc + (f16(w.d) * x.d) * float(isum)
//   Q4_0: isum = sum_i nib_i * x.qs[i] - 8 * x.sum                acc = acc + (f16(w.d) * x.d) * float(isum)
//   Q4_K / Q5_K (sub-block j = 0..7 of 32, 6-bit sc_j and m_j):
//         isum_sc = sum_j sc_j * sum_{i in j} q_i * x.qs[i]     (q_i the 4- or 5-bit value)
//         isum_m  = sum_j m_j * (x.bsums[2j] + x.bsums[2j+1])
//         acc = acc + ((f16(w.d) * x.d) * float(isum_sc) - (f16(w.dmin) * x.d) * float(isum_m))
//   Q6_K (sub-block j = 0..15 of 16, int8 sc_j):
//         isum = sum_j sc_j * sum_{i in j} (q_i - 32) * x.qs[i]  acc = acc + (f16(w.d) * x.d) * float(isum)
// Integer sums are exact in int32 for every input, so SIMD variants may sum them in any order;
// the float steps above are the only rounding and happen in this order per output element.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"

namespace qinfer {

struct ActQ8_32 {
  float d;
  int32_t sum;
  int8_t qs[32];
};
static_assert(sizeof(ActQ8_32) == 40);

// Bytes of one quantized activation row of K elements for weights of type w_dtype (K must be a
// whole number of the weight's blocks).
int64_t act_row_bytes(DType w_dtype, int64_t K);

}  // namespace qinfer
