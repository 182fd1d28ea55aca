// Weights copied into the huge-page arena at load (model/resident_weights.h): every matrix the
// forward pass streams moves there byte for byte, the logits do not change, and --mmap (or an
// arena that has nothing to hold) leaves the views where load_model put them.
#include "model/resident_weights.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "model/convert_weights.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

std::vector<TensorView*> streamed_matrices(ModelWeights& w) {
  std::vector<TensorView*> views;
  for (LayerWeights& l : w.layers) {
    for (TensorView* v : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj,
                          &l.down_proj}) {
      views.push_back(v);
    }
  }
  views.push_back(&w.lm_head);
  return views;
}

bool inside(const ZeroedPages& arena, const TensorView& view) {
  return view.data >= arena.data() && view.data + view.nbytes <= arena.data() + arena.size();
}

std::unique_ptr<Model> load(const testing::ScratchDir& dir, WeightMemory memory) {
  auto model = load_model_as(dir.str(), std::nullopt, 2, memory);
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? std::move(*model) : nullptr;
}

void expect_copied(bool tied, DType dtype) {
  testing::ScratchDir dir;
  const Qwen3Config config = testing::small_config(tied);
  testing::write_small_model(dir, config, dtype);
  std::unique_ptr<Model> mapped = load(dir, WeightMemory::kMapped);
  std::unique_ptr<Model> copied = load(dir, WeightMemory::kHugePages);
  ASSERT_TRUE(mapped && copied);
  EXPECT_EQ(mapped->arena.data(), nullptr);
  ASSERT_NE(copied->arena.data(), nullptr);

  const std::vector<TensorView*> from = streamed_matrices(mapped->weights);
  const std::vector<TensorView*> to = streamed_matrices(copied->weights);
  for (size_t i = 0; i < from.size(); ++i) {
    EXPECT_FALSE(inside(mapped->arena, *from[i])) << i;
    EXPECT_TRUE(inside(copied->arena, *to[i])) << i;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(to[i]->data) % 64, 0u) << i;
    ASSERT_EQ(to[i]->nbytes, from[i]->nbytes);
    EXPECT_EQ(std::memcmp(to[i]->data, from[i]->data, from[i]->nbytes), 0) << i;
  }
  // The embedding table is read a few rows per step: a tied one is the copied lm_head, an
  // untied one stays in the file.
  const ModelWeights& w = copied->weights;
  EXPECT_EQ(tied, w.embed_tokens.data == w.lm_head.data);
  EXPECT_EQ(tied, inside(copied->arena, w.embed_tokens));
  EXPECT_FALSE(inside(copied->arena, w.layers[0].q_norm));

  const std::vector<int32_t> ids = {1, 5, 9, 30, 2, 17};
  const std::vector<float> a = testing::all_logits(config, mapped->weights, ids, 4, 2);
  const std::vector<float> b = testing::all_logits(config, copied->weights, ids, 4, 2);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(ResidentWeights, TiedF32MatricesMoveAndLogitsStay) { expect_copied(true, DType::F32); }
TEST(ResidentWeights, UntiedBf16MatricesMoveAndLogitsStay) { expect_copied(false, DType::BF16); }

TEST(ResidentWeights, MatricesConvertedOnTheHeapStayThere) {
  testing::ScratchDir dir;
  testing::write_small_model(dir, testing::small_config(true), DType::F32);
  auto model = load_model_as(dir.str(), DType::F16, 1, WeightMemory::kHugePages);
  ASSERT_TRUE(model.ok()) << model.error().message;
  // Copying heap blocks would hold them twice; only packing (none here: F16) would move them.
  EXPECT_EQ((*model)->arena.data(), nullptr);
  EXPECT_EQ((*model)->weights.layers[0].q_proj.dtype, DType::F16);
}

TEST(ResidentWeights, HugePageSupportIsReadFromTheKernel) {
  // Whatever this machine's setting, the answer must agree with the sysfs file.
  std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (f == nullptr) {
    EXPECT_FALSE(transparent_huge_pages_available());
    return;
  }
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  ASSERT_TRUE(read);
  const bool on = std::strstr(line, "[always]") != nullptr || std::strstr(line, "[madvise]") != nullptr;
  EXPECT_EQ(transparent_huge_pages_available(), on);
}

}  // namespace
}  // namespace qinfer
