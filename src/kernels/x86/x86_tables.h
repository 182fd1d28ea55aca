// The x86 tables, one per ISA file (kernels_avx2.cpp, kernels_avx512.cpp). Calling one is only
// allowed once the CPU is known to have that ISA (x86_kernel_tables checks).
#pragma once

#include "kernels/kernel_table.h"

namespace qinfer {

const KernelTable& avx2_kernel_table();
const KernelTable& avx512_kernel_table();

}  // namespace qinfer
