// The x86 layouts of quantized matrices repacked at load (KernelTable::pack_rows): 16 W rows
// per group, one group block per 256 elements, laid out so that one 32-bit lane of a vector
// holds 4 consecutive quants of one row and a 64-byte line holds the same 4 elements of all 16
// rows. The avx512 kernels read a line as one zmm (one vpdpbusd per 4 elements of 16 rows), the
// avx2 kernels as two ymm of 8 rows each (vpmaddubsw). Both backends share these layouts; the
// avx512 backend packs them through its prefill tiles, the avx2 one in pack_groups_avx2.inc.
//
// A group block takes the bytes of the 16 ggml blocks it replaces (Q6_K 1% more), so a packed
// copy never costs more memory than the mapped file it stands for.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"
#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"

namespace qinfer {

// The scales of a group of Q4_K or Q5_K rows (the two share ggml's 12-byte scale format).
struct KGroupScales {
  uint16_t d[kPackedGroupRows];  // f16, as in the blocks
  uint16_t dmin[kPackedGroupRows];
  // The 6-bit scales and mins of sub-blocks a and a + 4 of row r, at byte 16a + r:
  uint8_t scale_low[64];  // low 4 bits of sc_a | low 4 bits of sc_{a+4} << 4
  uint8_t min_low[64];    // the same for the mins
  uint8_t high[64];       // bits 4-5 of sc_a, sc_{a+4}, m_a, m_{a+4} at bits 0-1, 2-3, 4-5, 6-7
};
static_assert(sizeof(KGroupScales) == 4 * 64);

struct alignas(64) Q4_KGroupBlock : KGroupScales {
  // Sub-block j, quad t: byte 4r + i = q_r[32j + 8t + i] | q_r[32j + 8t + 4 + i] << 4.
  uint8_t qs[8][4][64];
};
static_assert(sizeof(Q4_KGroupBlock) == 16 * sizeof(BlockQ4_K));

// Q5_K: Q4_K's group plus the fifth bit of every quant, as a byte mask per nibble vector, each
// sub-block's masks right after its nibbles so that the block still streams front to back.
struct Q5_KSubBlock {
  uint8_t qs[4][64];     // as Q4_KGroupBlock::qs[j]: the low 4 bits
  uint64_t fifth[4][2];  // quad t: bit k = bit 4 of byte k of its low [0] / high [1] nibbles
};
struct alignas(64) Q5_KGroupBlock : KGroupScales {
  Q5_KSubBlock sub[8];
};
static_assert(sizeof(Q5_KSubBlock) == 5 * 64);
static_assert(sizeof(Q5_KGroupBlock) == 16 * sizeof(BlockQ5_K));

// Q6_K the same way: the low 4 bits of the quants as Q4_K's nibbles, the high 2 bits of two quads
// in one byte vector, and the 16 int8 scales in pairs (sc_2i, sc_2i+1) per row, which widened to
// int16 one multiply-add multiplies with the activation's adjacent bsums for the -32 offset.
//
// Quads 2u and 2u + 1 of sub-chunk j (32 elements): their high bits, then their low bits, in the
// order the kernels read them. Every line of a group is read once, front to back; with the low
// and high bits in two regions of the block instead, the walk alternated between them and the
// hardware prefetchers gave up: a plain read in that order streamed 12 GB/s per core against 33
// front to back, and the Q6_K matmul was stuck at 11 GB/s while Q4_K's reached 29 (Zen 5).
struct Q6_KQuadPair {
  // Byte 4r + i: the high 2 bits of elements 8t + i (bits 0-1), 8t + 4 + i (2-3), 8(t+1) + i
  // (4-5), 8(t+1) + 4 + i (6-7), t = 2u.
  uint8_t high[64];
  uint8_t low[2][64];  // quads 2u, 2u + 1: as Q4_KGroupBlock::qs, the low 4 bits of each quant
};
struct alignas(64) Q6_KGroupBlock {
  uint16_t d[kPackedGroupRows];  // f16
  uint8_t unused[32];      // keeps every vector below on one cache line
  int8_t scale_pairs[8][kPackedGroupRows][2];  // [i][row] = (sc_2i, sc_2i+1)
  Q6_KQuadPair quads[8][2];              // [j][u]
};
static_assert(sizeof(Q6_KQuadPair) == 3 * 64);
static_assert(sizeof(Q6_KGroupBlock) == 16 * sizeof(BlockQ6_K) + 32);

// Q8_0 for vpmaddubsw (avx2): block b of 16 rows, the quants as stored (signed: the kernel takes
// their magnitudes and moves their signs onto the activations; the avx512 backend's group keeps
// q + 128 for vpdpbusd instead, which vpmaddubsw's int16 pair sums could not hold).
struct Q8_0SignedGroupBlock {
  int8_t qs[8][kPackedGroupRows][4];  // element 4g + i of row r at [g][r][i]
  uint16_t d[kPackedGroupRows];       // f16
};
static_assert(sizeof(Q8_0SignedGroupBlock) == kPackedGroupRows * sizeof(BlockQ8_0));

// Bytes of an [N, K] matrix of Q8_0 as Q8_0SignedGroupBlock; 0 when N is not a multiple of
// kPackedGroupRows or K of 32.
int64_t q8_0_signed_group_bytes(int64_t N, int64_t K);

// Bytes of an [N, K] matrix of Q4_K, Q5_K or Q6_K packed into the groups above; 0 for any other
// type or when N is not a multiple of kPackedGroupRows or K of 256.
int64_t k_group_bytes(DType w_dtype, int64_t N, int64_t K);

}  // namespace qinfer
