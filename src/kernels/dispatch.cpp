#include "kernels/dispatch.h"

#include "kernels/ref/ref_kernels.h"

namespace qinfer {

const KernelTable& kernels() {
  // Only the portable backend exists so far; the kernels issue adds CPU-feature detection here
  // (base/ cpu features) and picks x86/ or arm/ tables when the CPU supports them.
  static const KernelTable& chosen = ref_kernel_table();
  return chosen;
}

}  // namespace qinfer
