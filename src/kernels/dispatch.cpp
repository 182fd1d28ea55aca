#include "kernels/dispatch.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ref/ref_kernels.h"

#if defined(__x86_64__)
#include "kernels/x86/x86_kernels.h"
#endif
#if defined(__aarch64__)
#include "kernels/arm/arm_kernels.h"
#endif

namespace qinfer {
namespace {

std::vector<const KernelTable*> collect_tables() {
  std::vector<const KernelTable*> tables = {&ref_kernel_table()};
#if defined(__x86_64__)
  for (const KernelTable* table : x86_kernel_tables(cpu_features())) tables.push_back(table);
#endif
#if defined(__aarch64__)
  for (const KernelTable* table : arm_kernel_tables(cpu_features())) tables.push_back(table);
#endif
  return tables;
}

const std::vector<const KernelTable*>& tables() {
  static const std::vector<const KernelTable*> all = collect_tables();
  return all;
}

const KernelTable& choose() {
  const KernelTable& preferred = *tables().back();
  const char* wanted = std::getenv("QINFER_KERNELS");
  if (wanted == nullptr || *wanted == '\0') return preferred;
  if (const KernelTable* named = find_kernel_table(wanted)) return *named;
  std::string names;
  for (const KernelTable* table : tables()) {
    names += names.empty() ? "" : ", ";
    names += table->name;
  }
  std::fprintf(stderr,
               "qinfer: QINFER_KERNELS=%s is not an available kernel backend (%s); using %s\n",
               wanted, names.c_str(), preferred.name);
  return preferred;
}

}  // namespace

const KernelTable& kernels() {
  static const KernelTable& chosen = choose();
  return chosen;
}

std::span<const KernelTable* const> available_kernel_tables() { return tables(); }

const KernelTable* find_kernel_table(std::string_view name) {
  for (const KernelTable* table : tables()) {
    if (name == table->name) return table;
  }
  return nullptr;
}

}  // namespace qinfer
