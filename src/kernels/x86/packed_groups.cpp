// Sizes of matrices packed into the x86 group layouts (packed_groups.h).
#include "kernels/x86/packed_groups.h"

namespace qinfer {

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

}  // namespace qinfer
