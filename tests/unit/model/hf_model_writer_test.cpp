#include "model/hf_model_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "model/model.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

using testing::ScratchDir;
using testing::write_file;

std::string tokenizer_dir(const ScratchDir& dir) {
  std::filesystem::create_directories(dir.file("tok"));
  write_file(dir.file("tok/tokenizer.json"), "{\"model\": {}}");
  write_file(dir.file("tok/tokenizer_config.json"), "{\"chat_template\": \"T\"}");
  return dir.file("tok");
}

TEST(HfModelWriter, PlanShardsNeverSplitsATensor) {
  std::vector<SafetensorsEntry> entries = {{"a", DType::F32, {10}},   // 40 bytes
                                           {"b", DType::F32, {5}},    // 20
                                           {"c", DType::F32, {30}},   // 120, above the limit
                                           {"d", DType::F32, {1}}};   // 4
  auto shards = plan_shards(entries, 64);
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(shards[0].size(), 2u);  // a + b = 60
  EXPECT_EQ(shards[1][0].name, "c");
  EXPECT_EQ(shards[2][0].name, "d");
  EXPECT_EQ(plan_shards(entries, 0).size(), 1u);
}

TEST(HfModelWriter, WritesLoadableModelsSingleAndSharded) {
  ScratchDir dir;
  Qwen3Config config = testing::small_config(/*tied=*/false);
  const std::string tok = tokenizer_dir(dir);
  ASSERT_TRUE(write_hf_model(config, 4, DType::BF16, tok, dir.file("single")).ok());
  HfModelWriteOptions options;
  options.max_shard_bytes = 600;
  uint64_t last_done = 0, last_total = 1;
  options.progress = [&](uint64_t done, uint64_t total) { last_done = done, last_total = total; };
  Status status = write_hf_model(config, 4, DType::BF16, tok, dir.file("sharded"), options);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(last_done, last_total);
  EXPECT_TRUE(std::filesystem::exists(dir.file("sharded/model.safetensors.index.json")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("sharded/model.safetensors")));
  int shard_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("sharded"))) {
    shard_files += entry.path().filename().string().rfind("model-0000", 0) == 0;
  }
  EXPECT_GT(shard_files, 1);
  EXPECT_TRUE(std::filesystem::exists(
      dir.file(fmt::format("sharded/model-00001-of-{:05d}.safetensors", shard_files))));

  auto single = load_model(dir.file("single"));
  ASSERT_TRUE(single.ok()) << single.error().message;
  auto sharded = load_model(dir.file("sharded"));
  ASSERT_TRUE(sharded.ok()) << sharded.error().message;
  EXPECT_EQ((*single)->chat_template, "T");
  EXPECT_EQ((*single)->generation.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  const TensorView& a = (*single)->weights.lm_head;
  const TensorView& b = (*sharded)->weights.lm_head;
  ASSERT_EQ(a.nbytes, b.nbytes);
  EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0);
  // The stored bf16 values are the generator's values rounded.
  std::vector<float> expected(8);
  fill_random_tensor(config, 4, {"lm_head.weight", {32, 8}}, 0, 8, expected.data());
  for (int j = 0; j < 8; ++j) EXPECT_EQ(a.as<uint16_t>()[j], f32_to_bf16(expected[j]));
}

TEST(HfModelWriter, RefusesToOverwriteAndCleansUp) {
  ScratchDir dir;
  const Qwen3Config config = testing::small_config(true);
  const std::string tok = tokenizer_dir(dir);
  ASSERT_TRUE(write_hf_model(config, 1, DType::F32, tok, dir.file("m")).ok());
  Status again = write_hf_model(config, 1, DType::F32, tok, dir.file("m"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  HfModelWriteOptions overwrite;
  overwrite.overwrite = true;
  EXPECT_TRUE(write_hf_model(config, 2, DType::F32, tok, dir.file("m"), overwrite).ok());

  Status missing = write_hf_model(config, 1, DType::F32, dir.file("no_tokenizer"), dir.file("n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("tokenizer.json"), std::string::npos);
  for (const auto& entry : std::filesystem::directory_iterator(dir.str())) {
    EXPECT_EQ(entry.path().filename().string().find(".n.partial"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("n")));
  EXPECT_FALSE(write_hf_model(config, 1, DType::Q8_0, tok, dir.file("q")).ok());
  // "dir/" names the directory itself, not a file inside it.
  ASSERT_TRUE(write_hf_model(config, 1, DType::F32, tok, dir.file("slash") + "/").ok());
  EXPECT_TRUE(std::filesystem::exists(dir.file("slash/config.json")));
}

}  // namespace
}  // namespace qinfer
