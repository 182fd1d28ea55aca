// What the CPU we run on can do, detected once (cpuid on x86-64, getauxval on AArch64). Kernel
// dispatch reads this to choose an implementation; `QINFER_CPU_FEATURES` narrows it for tests
// and for reproducing a smaller machine (e.g. "avx2" on an AVX-512 host, "neon" on an SVE host).
#pragma once

#include <string>

#include "base/expected.h"

namespace qinfer {

struct CpuFeatures {
  // x86-64
  bool avx2 = false;         // with FMA and F16C, which every AVX2 server CPU has
  bool avx512 = false;       // F, BW, VL, DQ (Skylake-SP and later, Zen 4 and later)
  bool avx512_vnni = false;  // int8 dot products (VPDPBUSD)
  bool avx512_bf16 = false;  // VDPBF16PS
  // AArch64
  bool neon = false;         // Advanced SIMD: every ARMv8-A server (Phytium, Kunpeng, Altra, Graviton)
  bool dotprod = false;      // SDOT/UDOT (ARMv8.2: Kunpeng 920, Altra, Graviton2+)
  bool i8mm = false;         // SMMLA (ARMv8.6: Graviton3+)
  bool sve = false;          // scalable vectors (Graviton3+)
  bool arm_bf16 = false;     // BFMMLA / BFDOT

  std::string to_string() const;  // "avx2 avx512 avx512_vnni" — the names QINFER_CPU_FEATURES takes
};

// Detects the host's features (no override).
CpuFeatures detect_cpu_features();

// Keeps only the features named in `allowed` (space or comma separated); a name the host lacks
// or a name we do not know is an error, so a typo cannot silently test the wrong kernel.
Expected<CpuFeatures> restrict_cpu_features(const CpuFeatures& host, const std::string& allowed);

// The features kernels may use in this process: the host's, narrowed by QINFER_CPU_FEATURES if
// set. Computed once; an invalid override is reported and ignored.
const CpuFeatures& cpu_features();

}  // namespace qinfer
