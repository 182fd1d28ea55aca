// The AArch64 backends (one table per feature level: neon, dotprod, i8mm, sve). Only compiled
// for AArch64.
#pragma once

#include <vector>

#include "base/cpu_features.h"
#include "kernels/kernel_table.h"

namespace qinfer {

// The AArch64 tables `features` can run, least preferred first.
std::vector<const KernelTable*> arm_kernel_tables(const CpuFeatures& features);

}  // namespace qinfer
