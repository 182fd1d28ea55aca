// Helpers for model tests: a scratch directory, and small Qwen3 checkpoints written byte by byte
// so that tests can break them in precise ways.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "model/config.h"
#include "model/qwen3.h"
#include "model/random_init.h"
#include "model/safetensors_writer.h"
#include "tensor/tensor_view.h"

namespace qinfer::testing {

class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("qinfer_model_test_") + info->test_suite_name() + "_" + info->name() +
             "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An F32 view of `data` (which must outlive it) with the given shape.
inline TensorView f32_view(std::vector<int64_t> shape, const std::vector<float>& data) {
  TensorView view;
  view.dtype = DType::F32;
  view.shape = std::move(shape);
  view.data = reinterpret_cast<const std::byte*>(data.data());
  view.nbytes = static_cast<uint64_t>(data.size()) * 4;
  return view;
}

// Logits at every position of `ids`, fed to a fresh forward pass `chunk` tokens at a time on
// `threads` threads.
inline std::vector<float> all_logits(const Qwen3Config& config, const ModelWeights& weights,
                                     const std::vector<int32_t>& ids, int64_t chunk, int threads) {
  ThreadPool pool(threads);
  ForwardOptions options{.max_chunk_tokens = chunk, .max_positions = 64, .all_logits = true};
  auto forward = Qwen3Forward::create(config, weights, pool, options);
  EXPECT_TRUE(forward.ok()) << forward.error().message;
  if (!forward.ok()) return {};
  KvCache cache = (*forward)->make_cache();
  std::vector<float> out;
  for (size_t begin = 0; begin < ids.size(); begin += static_cast<size_t>(chunk)) {
    const size_t count = std::min(static_cast<size_t>(chunk), ids.size() - begin);
    auto logits = (*forward)->forward(std::span<const int32_t>(ids).subspan(begin, count), cache,
                                      LogitsFor::kAllPositions);
    EXPECT_TRUE(logits.ok()) << logits.error().message;
    out.insert(out.end(), logits->begin(), logits->end());
  }
  EXPECT_EQ(cache.length(), static_cast<int64_t>(ids.size()));
  return out;
}

// A very small Qwen3 (vocab 32, hidden 8, 1 layer, 2 q heads, 1 kv head, head_dim 4).
inline Qwen3Config small_config(bool tied) {
  Qwen3Config config;
  config.vocab_size = 32;
  config.hidden_size = 8;
  config.intermediate_size = 16;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.head_dim = 4;
  config.max_position_embeddings = 128;
  config.tie_word_embeddings = tied;
  config.bos_token_id = 1;
  config.eos_token_ids = {2};
  return config;
}

// Element j of tensor number t holds t * 1000 + j (exact in f32, bf16 only for small values;
// tests that check values use f32 or norms).
inline std::vector<float> pattern(size_t tensor_index, size_t count) {
  std::vector<float> values(count);
  for (size_t j = 0; j < count; ++j) values[j] = static_cast<float>(tensor_index * 1000 + j);
  return values;
}

inline void write_values(SafetensorsWriter& writer, DType dtype, const std::vector<float>& values) {
  if (dtype == DType::F32) {
    ASSERT_TRUE(writer.write(values.data(), values.size() * 4).ok());
    return;
  }
  std::vector<uint16_t> narrow(values.size());
  for (size_t j = 0; j < values.size(); ++j) {
    narrow[j] = dtype == DType::BF16 ? f32_to_bf16(values[j]) : f32_to_f16(values[j]);
  }
  ASSERT_TRUE(writer.write(narrow.data(), narrow.size() * 2).ok());
}

// Writes `specs` into one safetensors file with pattern() values.
inline void write_checkpoint_file(const std::string& path, const std::vector<TensorSpec>& specs,
                                  DType dtype, size_t first_index = 0) {
  std::vector<SafetensorsEntry> entries;
  for (const auto& spec : specs) entries.push_back({spec.name, dtype, spec.shape});
  auto writer = SafetensorsWriter::create(path, entries, {{"format", "pt"}});
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  for (size_t t = 0; t < specs.size(); ++t) {
    size_t count = 1;
    for (int64_t d : specs[t].shape) count *= static_cast<size_t>(d);
    write_values(*writer, dtype, pattern(first_index + t, count));
  }
  ASSERT_TRUE(writer->finish().ok());
}

// config.json + generation_config.json + tokenizer_config.json + model.safetensors.
inline void write_small_model(const ScratchDir& dir, const Qwen3Config& config, DType dtype) {
  write_file(dir.file("config.json"), hf_config_json(config, "float32"));
  write_file(dir.file("generation_config.json"),
             R"({"bos_token_id": 1, "do_sample": true, "eos_token_id": [2, 3], "temperature": 0.6,
                 "top_k": 20, "top_p": 0.95})");
  write_file(dir.file("tokenizer_config.json"), R"({"chat_template": "{{ messages }}"})");
  write_checkpoint_file(dir.file("model.safetensors"), qwen3_tensor_specs(config), dtype);
}

}  // namespace qinfer::testing
