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
// `threads` threads, with a KV cache of kv_dtype (nullopt: the default for the weights).
inline std::vector<float> all_logits(const Qwen3Config& config, const ModelWeights& weights,
                                     const std::vector<int32_t>& ids, int64_t chunk, int threads,
                                     std::optional<DType> kv_dtype = std::nullopt) {
  ThreadPool pool(threads);
  ForwardOptions options{.max_chunk_tokens = chunk, .max_positions = 64, .all_logits = true,
                         .kv_dtype = kv_dtype};
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

// Runs three sequences through one forward pass each step, starting at different steps and
// mixing prefill chunks with single decode tokens (as a continuous-batching server does), and
// checks every logits row is bit-identical to the same sequence run alone.
inline void expect_batched_equals_alone(const Qwen3Config& config, const ModelWeights& weights,
                                        int threads,
                                        std::optional<DType> kv_dtype = std::nullopt) {
  const int64_t V = config.vocab_size;
  // Each sequence: a prompt, then decode tokens; `start` = the batch step its prompt joins.
  struct Script {
    std::vector<int32_t> prompt, decode;
    int start;
  };
  std::vector<Script> scripts = {{{}, {}, 0}, {{}, {}, 0}, {{}, {}, 2}};
  const int prompt_lengths[] = {7, 3, 5};
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < prompt_lengths[s]; ++i) {
      scripts[s].prompt.push_back(static_cast<int32_t>((i * 13 + s * 7 + 1) % V));
    }
    for (int i = 0; i < 4; ++i) {
      scripts[s].decode.push_back(static_cast<int32_t>((i * 5 + s * 11 + 2) % V));
    }
  }
  ThreadPool pool(threads);
  ForwardOptions options{.max_chunk_tokens = 16, .max_positions = 32, .max_sequences = 3,
                         .kv_dtype = kv_dtype};
  auto forward = Qwen3Forward::create(config, weights, pool, options);
  ASSERT_TRUE(forward.ok()) << forward.error().message;
  if (kv_dtype) {
    ASSERT_EQ((*forward)->make_cache().dtype(), *kv_dtype);
  }

  // Alone: prompt, then each decode token; the logits after each step.
  std::vector<std::vector<std::vector<float>>> alone(3);
  for (int s = 0; s < 3; ++s) {
    KvCache cache = (*forward)->make_cache();
    auto logits = (*forward)->forward(scripts[s].prompt, cache, LogitsFor::kLastPosition);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    alone[s].emplace_back(logits->begin(), logits->end());
    for (int32_t id : scripts[s].decode) {
      auto next = (*forward)->forward(std::span<const int32_t>(&id, 1), cache,
                                      LogitsFor::kLastPosition);
      ASSERT_TRUE(next.ok()) << next.error().message;
      alone[s].emplace_back(next->begin(), next->end());
    }
  }

  // Batched: at step k, sequence s runs its prompt if k == start, else decode token k-start-1.
  std::vector<KvCache> caches;
  for (int s = 0; s < 3; ++s) caches.push_back((*forward)->make_cache());
  for (int step = 0; step < 7; ++step) {
    std::vector<SequenceChunk> chunks;
    std::vector<int> who;
    for (int s = 0; s < 3; ++s) {
      const int k = step - scripts[s].start;
      if (k < 0 || k > static_cast<int>(scripts[s].decode.size())) continue;
      std::span<const int32_t> tokens =
          k == 0 ? std::span<const int32_t>(scripts[s].prompt)
                 : std::span<const int32_t>(scripts[s].decode).subspan(static_cast<size_t>(k - 1), 1);
      chunks.push_back({tokens, &caches[static_cast<size_t>(s)], LogitsFor::kLastPosition});
      who.push_back(s);
    }
    if (chunks.empty()) continue;
    auto logits = (*forward)->forward_batch(chunks);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    ASSERT_EQ(logits->size(), chunks.size() * static_cast<size_t>(V));
    for (size_t c = 0; c < chunks.size(); ++c) {
      const int s = who[c];
      const std::vector<float> row(logits->begin() + static_cast<std::ptrdiff_t>(c * V),
                                   logits->begin() + static_cast<std::ptrdiff_t>((c + 1) * V));
      EXPECT_EQ(row, alone[s][static_cast<size_t>(step - scripts[s].start)])
          << "sequence " << s << " at batch step " << step;
    }
  }
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
