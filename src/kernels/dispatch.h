// Chooses the kernel backend once, at the first call (i.e. at start-up), from the CPU's features.
// Model code calls kernels only through this table (or the threaded drivers in kernels/ops.h).
#pragma once

#include "kernels/kernel_table.h"

namespace qinfer {

// The backend for this CPU. Thread-safe; the choice never changes during the process.
const KernelTable& kernels();

}  // namespace qinfer
