// The backend list: "ref" first, every entry complete, names unique and findable, and on this
// CPU the backends its features allow.
#include "kernels/dispatch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/cpu_features.h"

namespace qinfer {
namespace {

TEST(Dispatch, RefFirstEveryTableCompleteAndFindable) {
  const auto tables = available_kernel_tables();
  ASSERT_FALSE(tables.empty());
  EXPECT_STREQ(tables[0]->name, "ref");
  for (size_t i = 0; i < tables.size(); ++i) {
    const KernelTable& t = *tables[i];
    EXPECT_TRUE(t.matmul && t.quantize_act && t.matmul_quant && t.to_f32 && t.rmsnorm &&
                t.rope_neox && t.softmax && t.silu_mul && t.attention_head)
        << t.name;
    EXPECT_EQ(find_kernel_table(t.name), &t);
    for (size_t j = 0; j < i; ++j) EXPECT_STRNE(tables[j]->name, t.name);
  }
  EXPECT_EQ(find_kernel_table("no-such-backend"), nullptr);
  const char* forced = std::getenv("QINFER_KERNELS");
  if (forced == nullptr || find_kernel_table(forced) == nullptr) {
    EXPECT_EQ(&kernels(), tables.back());
  } else {
    EXPECT_STREQ(kernels().name, forced);
  }
}

TEST(Dispatch, CpuFeaturesSelectTheX86Backends) {
#if defined(__x86_64__)
  const CpuFeatures& features = cpu_features();
  EXPECT_EQ(find_kernel_table("avx2") != nullptr, features.avx2);
  EXPECT_EQ(find_kernel_table("avx512") != nullptr,
            features.avx2 && features.avx512 && features.avx512_vnni && features.avx512_bf16);
#else
  GTEST_SKIP() << "x86-64 only";
#endif
}

}  // namespace
}  // namespace qinfer
