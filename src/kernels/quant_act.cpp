#include "kernels/quant_act.h"

namespace qinfer {

int64_t act_row_bytes(DType w_dtype, int64_t K) {
  switch (w_dtype) {
    case DType::Q8_0:
    case DType::Q4_0:
      return K / kQK8_0 * static_cast<int64_t>(sizeof(ActQ8_32));
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
      return K / kQK_K * static_cast<int64_t>(sizeof(BlockQ8_K));
    default:
      return 0;  // float weights take f32 activations directly
  }
}

}  // namespace qinfer
