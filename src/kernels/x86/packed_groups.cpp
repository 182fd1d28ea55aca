// Portable packing into the x86 group layouts (packed_groups.h), for the avx2 backend: 64-bit
// words do the byte shuffles, so that packing a 14B model at load costs about what copying it
// does.
#include "kernels/x86/packed_groups.h"

#include <cstring>

namespace qinfer {
namespace {

constexpr uint64_t kNibbles = 0x0f0f0f0f0f0f0f0full;
constexpr uint64_t kTwoBits = 0x0303030303030303ull;

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store32(uint8_t* p, uint64_t low_half) {
  const auto v = static_cast<uint32_t>(low_half);
  std::memcpy(p, &v, sizeof(v));
}

// n holds 8 values < 16, one per byte: byte i of the result (i < 4) is n_i | n_{i+4} << 4.
inline uint64_t pair_nibbles(uint64_t n) { return n | (n >> 32) << 4; }

// Q4_K/Q5_K: the group's scale bytes and the nibbles of sub-blocks 2p + h, for row r.
void k_scales_and_nibbles(uint16_t d, uint16_t dmin, const uint8_t* scales, const uint8_t* qs,
                          int r, KGroupScales* scales_out, uint8_t (*nibbles)[4][64]) {
  scales_out->d[r] = d;
  scales_out->dmin[r] = dmin;
  uint8_t sc[8], m[8];  // ggml's get_scale_min_k4
  for (int j = 0; j < 4; ++j) {
    sc[j] = scales[j] & 63;
    m[j] = scales[j + 4] & 63;
    sc[j + 4] = static_cast<uint8_t>((scales[j + 8] & 0xf) | (scales[j] >> 6) << 4);
    m[j + 4] = static_cast<uint8_t>((scales[j + 8] >> 4) | (scales[j + 4] >> 6) << 4);
  }
  for (int a = 0; a < 4; ++a) {
    const int at = 16 * a + r;
    scales_out->scale_low[at] = static_cast<uint8_t>((sc[a] & 15) | (sc[a + 4] & 15) << 4);
    scales_out->min_low[at] = static_cast<uint8_t>((m[a] & 15) | (m[a + 4] & 15) << 4);
    scales_out->high[at] = static_cast<uint8_t>((sc[a] >> 4) | (sc[a + 4] >> 4) << 2 |
                                                (m[a] >> 4) << 4 | (m[a + 4] >> 4) << 6);
  }
  // Element 64p + 32h + l is nibble h of qs[32p + l]; sub-block j = 2p + h.
  for (int p = 0; p < 4; ++p) {
    for (int t = 0; t < 4; ++t) {
      const uint64_t word = load64(qs + 32 * p + 8 * t);
      store32(nibbles[2 * p][t] + 4 * r, pair_nibbles(word & kNibbles));
      store32(nibbles[2 * p + 1][t] + 4 * r, pair_nibbles((word >> 4) & kNibbles));
    }
  }
}

void pack_block(const BlockQ4_K* const* rows, int64_t b, Q4_KGroupBlock* g) {
  for (int r = 0; r < kPackedGroupRows; ++r) {
    const BlockQ4_K& blk = rows[r][b];
    k_scales_and_nibbles(blk.d, blk.dmin, blk.scales, blk.qs, r, g, g->qs);
  }
}

void pack_block(const BlockQ5_K* const* rows, int64_t b, Q5_KGroupBlock* g) {
  uint8_t nibbles[8][4][64];
  std::memset(g->sub, 0, sizeof(g->sub));
  for (int r = 0; r < kPackedGroupRows; ++r) {
    const BlockQ5_K& blk = rows[r][b];
    k_scales_and_nibbles(blk.d, blk.dmin, blk.scales, blk.qs, r, g, nibbles);
    // The fifth bit of element 32j + l is bit j of qh[l].
    for (int j = 0; j < 8; ++j) {
      for (int t = 0; t < 4; ++t) {
        uint64_t bits = 0;  // bit i: element 32j + 8t + i
        for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(blk.qh[8 * t + i] >> j & 1) << i;
        g->sub[j].fifth[t][0] |= (bits & 0xf) << (4 * r);
        g->sub[j].fifth[t][1] |= (bits >> 4) << (4 * r);
      }
    }
  }
  for (int j = 0; j < 8; ++j) std::memcpy(g->sub[j].qs, nibbles[j], sizeof(nibbles[j]));
}

void pack_block(const BlockQ6_K* const* rows, int64_t b, Q6_KGroupBlock* g) {
  std::memset(g->unused, 0, sizeof(g->unused));
  for (int r = 0; r < kPackedGroupRows; ++r) {
    const BlockQ6_K& blk = rows[r][b];
    g->d[r] = blk.d;
    for (int i = 0; i < 8; ++i) {
      g->scale_pairs[i][r][0] = blk.scales[2 * i];
      g->scale_pairs[i][r][1] = blk.scales[2 * i + 1];
    }
    // Sub-chunk j = 4H + c (32 elements, l = 0..31) of ggml's layout: the low 4 bits are nibble
    // c >> 1 of ql[64H + 32(c & 1) + l], the high 2 bits are bits 2c, 2c + 1 of qh[32H + l].
    for (int j = 0; j < 8; ++j) {
      const int half = j / 4, c = j % 4;
      const uint8_t* ql = blk.ql + 64 * half + 32 * (c & 1);
      const uint8_t* qh = blk.qh + 32 * half;
      for (int u = 0; u < 2; ++u) {
        Q6_KQuadPair& pair = g->quads[j][u];
        for (int w = 0; w < 2; ++w) {
          const int t = 2 * u + w;
          const uint64_t word = load64(ql + 8 * t) >> (4 * (c >> 1));
          store32(pair.low[w] + 4 * r, pair_nibbles(word & kNibbles));
        }
        const uint64_t a = (load64(qh + 16 * u) >> (2 * c)) & kTwoBits;
        const uint64_t z = (load64(qh + 16 * u + 8) >> (2 * c)) & kTwoBits;
        store32(pair.high + 4 * r, a | (a >> 32) << 2 | z << 4 | (z >> 32) << 6);
      }
    }
  }
}

template <class Block, class Group>
void pack_groups(const void* w, int64_t K, int64_t n_begin, int64_t n_end, void* packed) {
  const int64_t n_blocks = K / kQK_K;
  const auto* blocks = static_cast<const Block*>(w);
  auto* groups = static_cast<Group*>(packed);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kPackedGroupRows) {
    const Block* rows[kPackedGroupRows];
    for (int r = 0; r < kPackedGroupRows; ++r) rows[r] = blocks + (n0 + r) * n_blocks;
    Group* out = groups + n0 / kPackedGroupRows * n_blocks;
    for (int64_t b = 0; b < n_blocks; ++b) pack_block(rows, b, out + b);
  }
}

}  // namespace

int64_t k_group_bytes(DType w_dtype, int64_t N, int64_t K) {
  if (N % kPackedGroupRows != 0 || K % kQK_K != 0) return 0;
  const int64_t blocks = N / kPackedGroupRows * (K / kQK_K);
  switch (w_dtype) {
    case DType::Q4_K: return blocks * static_cast<int64_t>(sizeof(Q4_KGroupBlock));
    case DType::Q5_K: return blocks * static_cast<int64_t>(sizeof(Q5_KGroupBlock));
    case DType::Q6_K: return blocks * static_cast<int64_t>(sizeof(Q6_KGroupBlock));
    default: return 0;
  }
}

int64_t q8_0_signed_group_bytes(int64_t N, int64_t K) {
  if (N % kPackedGroupRows != 0 || K % kQK8_0 != 0) return 0;
  return N / kPackedGroupRows * (K / kQK8_0) * static_cast<int64_t>(sizeof(Q8_0SignedGroupBlock));
}

void pack_q8_0_signed_groups(const void* w, int64_t K, int64_t n_begin, int64_t n_end,
                             void* packed) {
  const int64_t n_blocks = K / kQK8_0;
  const auto* blocks = static_cast<const BlockQ8_0*>(w);
  auto* groups = static_cast<Q8_0SignedGroupBlock*>(packed);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += kPackedGroupRows) {
    Q8_0SignedGroupBlock* out = groups + n0 / kPackedGroupRows * n_blocks;
    for (int64_t b = 0; b < n_blocks; ++b) {
      for (int r = 0; r < kPackedGroupRows; ++r) {
        const BlockQ8_0& blk = blocks[(n0 + r) * n_blocks + b];
        for (int g = 0; g < 8; ++g) std::memcpy(out[b].qs[g][r], blk.qs + 4 * g, 4);
        out[b].d[r] = blk.d;
      }
    }
  }
}

void pack_k_groups(const void* w, DType w_dtype, int64_t K, int64_t n_begin, int64_t n_end,
                   void* packed) {
  switch (w_dtype) {
    case DType::Q4_K:
      return pack_groups<BlockQ4_K, Q4_KGroupBlock>(w, K, n_begin, n_end, packed);
    case DType::Q5_K:
      return pack_groups<BlockQ5_K, Q5_KGroupBlock>(w, K, n_begin, n_end, packed);
    case DType::Q6_K:
      return pack_groups<BlockQ6_K, Q6_KGroupBlock>(w, K, n_begin, n_end, packed);
    default: __builtin_trap();  // k_group_bytes said 0: a caller bug
  }
}

}  // namespace qinfer
