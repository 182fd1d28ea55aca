// Chooses the kernel backend once, at the first call (i.e. at start-up), from the CPU's features.
// Model code calls kernels only through this table (or the threaded drivers in kernels/ops.h).
#pragma once

#include <span>
#include <string_view>

#include "kernels/kernel_table.h"

namespace qinfer {

// The backend for this CPU: the last of available_kernel_tables(), or the one named by the
// environment variable QINFER_KERNELS (an unknown or unsupported name is reported once on stderr
// and ignored). Thread-safe; the choice never changes during the process.
const KernelTable& kernels();

// Every backend compiled into this binary that the CPU can run (its features as narrowed by
// QINFER_CPU_FEATURES), "ref" first and the preferred one last. Tests check each against "ref".
std::span<const KernelTable* const> available_kernel_tables();

// The available backend with this name, or nullptr.
const KernelTable* find_kernel_table(std::string_view name);

}  // namespace qinfer
