// Block layouts of the quantized weight types, byte-for-byte ggml's (ggml-common.h), so GGUF files
// written by llama.cpp tools load as they are and ours load in llama.cpp. A tensor row is a run of
// blocks; `d`/`dmin` are IEEE half floats stored as raw bits (see tensor/dtype.h f16 helpers).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace qinfer {

inline constexpr int kQK4_0 = 32;   // elements per Q4_0 block
inline constexpr int kQK8_0 = 32;   // elements per Q8_0 block
inline constexpr int kQK_K = 256;   // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;  // packed 6-bit scales and mins of Q4_K / Q5_K

// x[i] = d * (qs nibble - 8); element j < 16 in the low nibble of qs[j], j >= 16 in the high
// nibble of qs[j - 16].
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];
};

// x[i] = d * qs[i].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};

// 8 sub-blocks of 32: x = d * sc[j] * q - dmin * m[j], q a 4-bit value; sc/m are 6-bit, packed in
// `scales` as ggml's get_scale_min_k4 reads them. qs holds 64 elements per 32 bytes: sub-block
// 2p in the low nibbles of qs[32p .. 32p+32), sub-block 2p+1 in the high nibbles.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};

// As Q4_K with a fifth bit per element in qh (bit j of qh[i] belongs to element 32j + i).
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q a 6-bit value whose low 4 bits are in ql
// and high 2 bits in qh (ggml's interleaving).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// ggml's activation companion of the K-quants (float scale, 16-element partial sums). qinfer's
// kernels use it for activations only; it never appears in a file we write.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// The 6-bit scale and min of sub-block j from a Q4_K / Q5_K block's 12 packed bytes (ggml's
// get_scale_min_k4): sub-blocks 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins);
// sub-blocks 4-7 split into a low nibble in bytes 8-11 and two high bits in the top of bytes
// 0-3 / 4-7.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace qinfer
