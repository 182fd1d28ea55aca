// The x86-64 backends (one table per instruction-set level). Only compiled for x86-64.
#pragma once

#include <vector>

#include "base/cpu_features.h"
#include "kernels/kernel_table.h"

namespace qinfer {

// The x86 tables `features` can run, least preferred first (e.g. avx2, then avx512).
std::vector<const KernelTable*> x86_kernel_tables(const CpuFeatures& features);

}  // namespace qinfer
