// The AArch64 tables. Each starts from the reference table and replaces the entries that have a
// faster ARM implementation; the rest (and anything the reference gains later) stay ref's.
#include "kernels/arm/arm_kernels.h"

#include "kernels/arm/arm_backends.h"
#include "kernels/ref/ref_kernels.h"

namespace qinfer {
namespace {

KernelTable arm_table(const char* name,
                      void (*matmul_quant)(const void*, int64_t, int64_t, const void*, DType,
                                           int64_t, int64_t, float*, int64_t, void*)) {
  KernelTable table = ref_kernel_table();
  table.name = name;
  table.matmul = arm::matmul_float_neon;
  table.softmax = arm::softmax_neon;
  table.silu_mul = arm::silu_mul_neon;
  table.attention_head = arm::attention_head_neon;
  table.attention_heads = arm::attention_heads_neon;
  table.from_f32 = arm::from_f32_neon;
  table.quantize_act = arm::quantize_act_neon;
  table.matmul_quant = matmul_quant;
  return table;
}

// Matrices repacked at load for SDOT's by-element form: the tuned path of the dotprod-only
// servers (the i8mm and SVE tables keep the ggml blocks, which their kernels repack per tile).
KernelTable with_dotprod_packing(KernelTable table) {
  table.packed_bytes = arm::packed_bytes_dotprod;
  table.pack_rows = arm::pack_rows_dotprod;
  table.matmul_packed = arm::matmul_packed_dotprod;
  return table;
}

}  // namespace

std::vector<const KernelTable*> arm_kernel_tables(const CpuFeatures& features) {
  // ARMv8.0 NEON: Cortex-A72 class (Phytium).
  static const KernelTable neon = arm_table("neon", arm::matmul_quant_neon);
  // SDOT: Kunpeng 920, Ampere Altra, Graviton2.
  static const KernelTable dotprod =
      with_dotprod_packing(arm_table("dotprod", arm::matmul_quant_dotprod));
  // SMMLA for prefill (SDOT for decode): Graviton3+.
  static const KernelTable i8mm = arm_table("i8mm", arm::matmul_quant_i8mm);
  // SVE SDOT for decode, the i8mm kernels for prefill: Graviton3 (256-bit), Graviton4 (128-bit).
  // Only quantized matmul differs from i8mm: the rest is bound by memory or by exp, not by
  // vector width. (quantize_act stays NEON too: K floats per matmul next to N * K weights.)
  static const KernelTable sve = arm_table("sve", arm::matmul_quant_sve);

  std::vector<const KernelTable*> tables;
  if (!features.neon) return tables;
  tables.push_back(&neon);
  if (features.dotprod) tables.push_back(&dotprod);
  if (features.dotprod && features.i8mm) tables.push_back(&i8mm);
  if (features.dotprod && features.i8mm && features.sve) tables.push_back(&sve);
  return tables;
}

}  // namespace qinfer
