#include "kernels/x86/x86_kernels.h"

#include "kernels/x86/x86_tables.h"

namespace qinfer {

std::vector<const KernelTable*> x86_kernel_tables(const CpuFeatures& features) {
  std::vector<const KernelTable*> tables;
  if (features.avx2) tables.push_back(&avx2_kernel_table());
  if (features.avx2 && features.avx512 && features.avx512_vnni && features.avx512_bf16) {
    tables.push_back(&avx512_kernel_table());
  }
  return tables;
}

}  // namespace qinfer
