// Qwen3 hyper-parameters, read from a Hugging Face config.json or from GGUF metadata, and the
// sampling defaults of generation_config.json. Field names follow config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace qinfer {

struct RopeScaling {
  std::string rope_type;                         // "yarn" (the only one Qwen3 publishes), or "" for none
  double factor = 1.0;
  int64_t original_max_position_embeddings = 0;
};

struct Qwen3Config {
  std::string model_type = "qwen3";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rope_theta = 1e6;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeScaling rope_scaling;                      // rope_type empty when config has null
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;

  int64_t q_dim() const { return num_attention_heads * head_dim; }
  int64_t kv_dim() const { return num_key_value_heads * head_dim; }
};

// Parses config.json text. `source` names the file in error messages. Rejects unsupported
// model_type/architectures, missing or non-positive sizes, heads that do not divide, etc.
Expected<Qwen3Config> parse_hf_config(const std::string& json_text, const std::string& source);

struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;            // generation stops at any of these
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> pad_token_id;
  bool do_sample = true;
  double temperature = 1.0;
  int64_t top_k = 0;                             // 0 = off
  double top_p = 1.0;
  double min_p = 0.0;
  double repetition_penalty = 1.0;
};

// Parses generation_config.json text (all fields optional; an absent do_sample means greedy, as
// in transformers' GenerationConfig, and an absent eos_token_id leaves the list empty so that the
// loader can fall back to config.json's).
Expected<GenerationConfig> parse_generation_config(const std::string& json_text,
                                                   const std::string& source);

// config.json text for `config`, with the fields, order and fixed values of the published Qwen3
// checkpoints (shared/qwen3/Qwen3-14B.config.json). `torch_dtype` is "bfloat16", "float16" or
// "float32": the dtype the weights are stored in.
std::string hf_config_json(const Qwen3Config& config, const std::string& torch_dtype);

// generation_config.json text with the published fields (bos, do_sample, eos list, pad,
// temperature, top_k, top_p).
std::string generation_config_json(const GenerationConfig& generation);

// The sampling defaults Qwen publishes for its Qwen3 checkpoints (thinking mode).
GenerationConfig qwen3_default_generation_config();

}  // namespace qinfer
