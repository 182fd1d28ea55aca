// One random-weight tiny Qwen3 with the real tokenizer, written once per test binary: greedy
// and seeded decoding on it are deterministic, which is all the engine tests need (the text it
// makes is meaningless).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "engine/text_assets.h"
#include "model/hf_model_writer.h"
#include "model/model.h"
#include "model/random_init.h"

namespace qinfer::engine::testing {

constexpr int64_t kEndOfText = 151643;
constexpr int64_t kImEnd = 151645;

struct TinyModel {
  std::string dir;
  std::unique_ptr<Model> model;
  std::unique_ptr<TextAssets> assets;
  std::unique_ptr<ThreadPool> pool;

  ~TinyModel() { std::filesystem::remove_all(dir); }

  std::vector<int32_t> encode(const std::string& text) const {
    auto ids = assets->tokenizer.encode(text);
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? *ids : std::vector<int32_t>{};
  }
};

// Built on first use, deleted at exit; fails the calling test if it cannot be built.
inline TinyModel& tiny_model() {
  static TinyModel* shared = [] {
    auto* tiny = new TinyModel;
    tiny->dir = (std::filesystem::temp_directory_path() /
                 ("qinfer_engine_test_" + std::to_string(getpid())))
                    .string();
    auto config = qwen3_preset("tiny");
    EXPECT_TRUE(config.ok()) << config.error().message;
    const Status written = write_hf_model(
        *config, 1, DType::F32, std::string(QINFER_SOURCE_DIR) + "/.deps/qwen3-tokenizer",
        tiny->dir + "/model");
    EXPECT_TRUE(written.ok()) << written.error().message;
    auto model = load_model(tiny->dir + "/model");
    EXPECT_TRUE(model.ok()) << model.error().message;
    if (model.ok()) tiny->model = std::move(model).value();
    if (tiny->model) {
      auto assets = load_text_assets(*tiny->model);
      EXPECT_TRUE(assets.ok()) << assets.error().message;
      if (assets.ok()) tiny->assets = std::make_unique<TextAssets>(std::move(assets).value());
    }
    tiny->pool = std::make_unique<ThreadPool>(2);
    std::atexit([] { delete shared; });
    return tiny;
  }();
  return *shared;
}

}  // namespace qinfer::engine::testing
