#include "base/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace qinfer {
namespace {

using FeatureField = bool CpuFeatures::*;

const std::vector<std::pair<std::string, FeatureField>>& feature_names() {
  static const std::vector<std::pair<std::string, FeatureField>> names = {
      {"avx2", &CpuFeatures::avx2},       {"avx512", &CpuFeatures::avx512},
      {"avx512_vnni", &CpuFeatures::avx512_vnni}, {"avx512_bf16", &CpuFeatures::avx512_bf16},
      {"neon", &CpuFeatures::neon},       {"dotprod", &CpuFeatures::dotprod},
      {"i8mm", &CpuFeatures::i8mm},       {"sve", &CpuFeatures::sve},
      {"arm_bf16", &CpuFeatures::arm_bf16},
  };
  return names;
}

#if defined(__x86_64__)
// The OS must save the wider registers on context switch, or using them corrupts state.
bool os_saves_avx_state(bool want_avx512) {
  unsigned eax, ebx, ecx, edx;
  __cpuid(1, eax, ebx, ecx, edx);
  if (!(ecx & bit_OSXSAVE)) return false;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const unsigned ymm = 0x6, zmm = 0xe6;
  return want_avx512 ? (xcr0_lo & zmm) == zmm : (xcr0_lo & ymm) == ymm;
}
#endif

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  __cpuid(1, eax, ebx, ecx, edx);
  bool fma = ecx & bit_FMA, f16c = ecx & bit_F16C, avx = ecx & bit_AVX;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    bool avx2 = ebx & bit_AVX2;
    f.avx2 = avx && avx2 && fma && f16c && os_saves_avx_state(false);
    bool avx512 = (ebx & bit_AVX512F) && (ebx & bit_AVX512BW) && (ebx & bit_AVX512VL) &&
                  (ebx & bit_AVX512DQ);
    f.avx512 = f.avx2 && avx512 && os_saves_avx_state(true);
    f.avx512_vnni = f.avx512 && (ecx & bit_AVX512VNNI);
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avx512_bf16 = f.avx512 && (eax & bit_AVX512BF16);
  }
#elif defined(__aarch64__)
  unsigned long hwcap = getauxval(AT_HWCAP);
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  f.neon = hwcap & HWCAP_ASIMD;
  f.dotprod = hwcap & HWCAP_ASIMDDP;
  f.sve = hwcap & HWCAP_SVE;
#ifdef HWCAP2_I8MM
  f.i8mm = hwcap2 & HWCAP2_I8MM;
#endif
#ifdef HWCAP2_BF16
  f.arm_bf16 = hwcap2 & HWCAP2_BF16;
#endif
  (void)hwcap2;
#endif
  return f;
}

std::string CpuFeatures::to_string() const {
  std::string out;
  for (const auto& [name, field] : feature_names()) {
    if (this->*field) out += (out.empty() ? "" : " ") + name;
  }
  return out.empty() ? "baseline" : out;
}

Expected<CpuFeatures> restrict_cpu_features(const CpuFeatures& host, const std::string& allowed) {
  CpuFeatures out;  // all false
  std::string list = allowed;
  for (char& c : list) {
    if (c == ',') c = ' ';
  }
  std::istringstream words(list);
  std::string word;
  while (words >> word) {
    if (word == "baseline") continue;
    bool known = false;
    for (const auto& [name, field] : feature_names()) {
      if (name != word) continue;
      known = true;
      if (!(host.*field)) {
        return make_error("CPU feature '{}' requested but this CPU lacks it (it has: {})", word,
                          host.to_string());
      }
      out.*field = true;
    }
    if (!known) return make_error("unknown CPU feature '{}' (known: avx2 avx512 avx512_vnni avx512_bf16 neon dotprod i8mm sve arm_bf16 baseline)", word);
  }
  return out;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures host = detect_cpu_features();
    const char* env = std::getenv("QINFER_CPU_FEATURES");
    if (env == nullptr) return host;
    auto narrowed = restrict_cpu_features(host, env);
    if (!narrowed.ok()) {
      std::fprintf(stderr, "qinfer: ignoring QINFER_CPU_FEATURES: %s\n", narrowed.error().message.c_str());
      return host;
    }
    return *narrowed;
  }();
  return features;
}

}  // namespace qinfer
