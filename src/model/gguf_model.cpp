#include "model/gguf_model.h"

#include <algorithm>
#include <cmath>

#include "model/gguf_qwen3_names.h"
#include "model/weights.h"

namespace qinfer {
namespace {

// Same bounds as config.json parsing (model/config.cpp): far above any real Qwen3, low enough that
// products of sizes cannot overflow and a hostile file cannot ask for absurd allocations.
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxWidth = int64_t{1} << 20;
constexpr int64_t kMaxCount = 4096;

Expected<int64_t> sized(const GgufFile& file, const std::string& key, int64_t max) {
  QINFER_ASSIGN_OR_RETURN(uint64_t value, file.get_uint(key));
  if (value == 0 || value > static_cast<uint64_t>(max)) {
    return make_error("{}: metadata '{}' = {} is out of range (1..{})", file.path(), key, value,
                      max);
  }
  return static_cast<int64_t>(value);
}

// An optional integer key: nullopt when absent, an error when present with the wrong type.
Expected<std::optional<int64_t>> optional_id(const GgufFile& file, const char* key) {
  if (file.find(key) == nullptr) return std::optional<int64_t>();
  QINFER_ASSIGN_OR_RETURN(uint64_t value, file.get_uint(key));
  return std::optional<int64_t>(static_cast<int64_t>(value));
}

Expected<std::optional<bool>> optional_flag(const GgufFile& file, const char* key) {
  if (file.find(key) == nullptr) return std::optional<bool>();
  QINFER_ASSIGN_OR_RETURN(bool value, file.get_bool(key));
  return std::optional<bool>(value);
}

// End-of-generation ids the way llama.cpp's vocab loader collects them: eos, eot and eom, plus
// control tokens whose text is a known end-of-turn marker. Qwen3's converter only records eos
// (<|im_end|>); <|endoftext|> is added by the text rule, matching generation_config.json's
// eos_token_id [151645, 151643].
std::vector<int64_t> end_of_generation_ids(const GgufVocab& vocab) {
  std::vector<int64_t> ids;
  auto add = [&](std::optional<int64_t> id) {
    if (id && *id >= 0 && *id < static_cast<int64_t>(vocab.tokens.size()) &&
        std::find(ids.begin(), ids.end(), *id) == ids.end()) {
      ids.push_back(*id);
    }
  };
  add(vocab.eos_token_id);
  add(vocab.eot_token_id);
  add(vocab.eom_token_id);
  static constexpr std::string_view kEndTexts[] = {"<|eot_id|>", "<|im_end|>",    "<|end|>",
                                                   "<end_of_turn>", "<|endoftext|>", "<|eom_id|>"};
  for (size_t id = 0; id < vocab.tokens.size(); ++id) {
    if (vocab.token_types[id] != static_cast<int32_t>(GgufTokenType::kControl)) continue;
    for (std::string_view text : kEndTexts) {
      if (vocab.tokens[id] == text) add(static_cast<int64_t>(id));
    }
  }
  return ids;
}

Status sampling_from_gguf(const GgufFile& file, GenerationConfig& generation) {
  if (file.find("general.sampling.top_k") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(generation.top_k, file.get_int("general.sampling.top_k"));
  }
  struct FloatKey {
    const char* key;
    double* field;
  };
  for (auto [key, field] : {FloatKey{"general.sampling.top_p", &generation.top_p},
                            FloatKey{"general.sampling.min_p", &generation.min_p},
                            FloatKey{"general.sampling.temp", &generation.temperature}}) {
    if (file.find(key) != nullptr) {
      QINFER_ASSIGN_OR_RETURN(*field, file.get_float(key));
      if (!std::isfinite(*field) || *field < 0) {
        return make_error("{}: metadata '{}' = {} is out of range", file.path(), key, *field);
      }
    }
  }
  return ok_status();
}

}  // namespace

Expected<Qwen3Config> qwen3_config_from_gguf(const GgufFile& file) {
  const std::string& path = file.path();
  QINFER_ASSIGN_OR_RETURN(std::string_view arch, file.get_string("general.architecture"));
  if (arch != "qwen3") {
    return make_error("{}: general.architecture is '{}'; qinfer runs 'qwen3' models", path, arch);
  }
  Qwen3Config config;
  QINFER_ASSIGN_OR_RETURN(config.hidden_size, sized(file, "qwen3.embedding_length", kMaxWidth));
  QINFER_ASSIGN_OR_RETURN(config.intermediate_size,
                          sized(file, "qwen3.feed_forward_length", kMaxWidth));
  QINFER_ASSIGN_OR_RETURN(config.num_hidden_layers, sized(file, "qwen3.block_count", kMaxCount));
  QINFER_ASSIGN_OR_RETURN(config.num_attention_heads,
                          sized(file, "qwen3.attention.head_count", kMaxCount));
  // llama.cpp's defaults for absent keys: kv heads = heads, key_length = embedding / heads.
  config.num_key_value_heads = config.num_attention_heads;
  if (file.find("qwen3.attention.head_count_kv") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(config.num_key_value_heads,
                            sized(file, "qwen3.attention.head_count_kv", kMaxCount));
  }
  if (config.num_attention_heads % config.num_key_value_heads != 0) {
    return make_error("{}: attention.head_count {} is not a multiple of head_count_kv {}", path,
                      config.num_attention_heads, config.num_key_value_heads);
  }
  if (file.find("qwen3.attention.key_length") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(config.head_dim, sized(file, "qwen3.attention.key_length", kMaxCount));
  } else if (config.hidden_size % config.num_attention_heads == 0) {
    config.head_dim = config.hidden_size / config.num_attention_heads;
  } else {
    return make_error("{}: no attention.key_length and embedding_length {} is not a multiple of "
                      "{} heads", path, config.hidden_size, config.num_attention_heads);
  }
  if (file.find("qwen3.attention.value_length") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(int64_t value_length,
                            sized(file, "qwen3.attention.value_length", kMaxCount));
    if (value_length != config.head_dim) {
      return make_error("{}: attention.value_length {} differs from key_length {}", path,
                        value_length, config.head_dim);
    }
  }
  if (config.head_dim % 2 != 0) {
    return make_error("{}: attention.key_length {} must be even (RoPE rotates pairs)", path,
                      config.head_dim);
  }
  QINFER_ASSIGN_OR_RETURN(config.max_position_embeddings,
                          sized(file, "qwen3.context_length", kMaxVocab));
  QINFER_ASSIGN_OR_RETURN(config.rms_norm_eps,
                          file.get_float("qwen3.attention.layer_norm_rms_epsilon"));
  if (!(config.rms_norm_eps > 0 && config.rms_norm_eps < 1)) {
    return make_error("{}: attention.layer_norm_rms_epsilon {} is out of range (0, 1)", path,
                      config.rms_norm_eps);
  }
  config.rope_theta = 10000.0;  // llama.cpp's default when rope.freq_base is absent
  if (file.find("qwen3.rope.freq_base") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(config.rope_theta, file.get_float("qwen3.rope.freq_base"));
  }
  if (!(config.rope_theta > 1 && std::isfinite(config.rope_theta))) {
    return make_error("{}: rope.freq_base {} is out of range", path, config.rope_theta);
  }
  if (file.find("qwen3.rope.scaling.type") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(std::string_view type, file.get_string("qwen3.rope.scaling.type"));
    if (type == "yarn") {
      config.rope_scaling.rope_type = "yarn";
      QINFER_ASSIGN_OR_RETURN(config.rope_scaling.factor,
                              file.get_float("qwen3.rope.scaling.factor"));
      QINFER_ASSIGN_OR_RETURN(
          config.rope_scaling.original_max_position_embeddings,
          sized(file, "qwen3.rope.scaling.original_context_length", kMaxVocab));
      if (!(config.rope_scaling.factor >= 1 && std::isfinite(config.rope_scaling.factor))) {
        return make_error("{}: rope.scaling.factor {} is out of range", path,
                          config.rope_scaling.factor);
      }
    } else if (type != "none") {
      return make_error("{}: rope.scaling.type '{}' is not supported (Qwen3 uses yarn)", path,
                        type);
    }
  }

  // The vocabulary is the embedding's row count; a token list, when present, must agree with it
  // (llama.cpp rejects the file otherwise).
  const GgufTensorInfo* embed = file.find_tensor("token_embd.weight");
  if (embed == nullptr) return make_error("{}: missing tensor 'token_embd.weight'", path);
  if (embed->shape.size() != 2 || embed->shape[0] <= 0 || embed->shape[0] > kMaxVocab) {
    return make_error("{}: tensor 'token_embd.weight' has shape {}, expected [vocab, {}]", path,
                      shape_string(embed->shape), config.hidden_size);
  }
  config.vocab_size = embed->shape[0];
  if (file.find("tokenizer.ggml.tokens") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(const auto* tokens, file.get_string_array("tokenizer.ggml.tokens"));
    if (static_cast<int64_t>(tokens->size()) != config.vocab_size) {
      return make_error("{}: tokenizer.ggml.tokens has {} entries but token_embd.weight has {} "
                        "rows", path, tokens->size(), config.vocab_size);
    }
  }
  config.tie_word_embeddings = file.find_tensor("output.weight") == nullptr;
  QINFER_ASSIGN_OR_RETURN(config.bos_token_id, optional_id(file, "tokenizer.ggml.bos_token_id"));
  QINFER_ASSIGN_OR_RETURN(auto eos, optional_id(file, "tokenizer.ggml.eos_token_id"));
  if (eos) config.eos_token_ids = {*eos};
  return config;
}

Expected<GgufVocab> gguf_vocab_from_file(const GgufFile& file) {
  GgufVocab vocab;
  const std::string& path = file.path();
  if (file.find("tokenizer.ggml.model") == nullptr) return vocab;  // weights-only file
  QINFER_ASSIGN_OR_RETURN(std::string_view model, file.get_string("tokenizer.ggml.model"));
  vocab.model = std::string(model);
  if (file.find("tokenizer.ggml.pre") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(std::string_view pre, file.get_string("tokenizer.ggml.pre"));
    vocab.pre = std::string(pre);
  }
  QINFER_ASSIGN_OR_RETURN(const auto* tokens, file.get_string_array("tokenizer.ggml.tokens"));
  vocab.tokens = *tokens;
  if (file.find("tokenizer.ggml.token_type") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(auto types, file.get_int_array("tokenizer.ggml.token_type"));
    if (types.size() != vocab.tokens.size()) {
      return make_error("{}: tokenizer.ggml.token_type has {} entries for {} tokens", path,
                        types.size(), vocab.tokens.size());
    }
    vocab.token_types.reserve(types.size());
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i] < 1 || types[i] > 6) {
        return make_error("{}: tokenizer.ggml.token_type[{}] = {} is not a token type", path, i,
                          types[i]);
      }
      vocab.token_types.push_back(static_cast<int32_t>(types[i]));
    }
  } else {
    vocab.token_types.assign(vocab.tokens.size(), static_cast<int32_t>(GgufTokenType::kNormal));
  }
  if (file.find("tokenizer.ggml.merges") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(const auto* merges, file.get_string_array("tokenizer.ggml.merges"));
    vocab.merges = *merges;
  }
  struct IdKey {
    const char* key;
    std::optional<int64_t>* field;
  };
  for (auto [key, field] : {IdKey{"tokenizer.ggml.bos_token_id", &vocab.bos_token_id},
                            IdKey{"tokenizer.ggml.eos_token_id", &vocab.eos_token_id},
                            IdKey{"tokenizer.ggml.eot_token_id", &vocab.eot_token_id},
                            IdKey{"tokenizer.ggml.eom_token_id", &vocab.eom_token_id},
                            IdKey{"tokenizer.ggml.padding_token_id", &vocab.padding_token_id},
                            IdKey{"tokenizer.ggml.unknown_token_id", &vocab.unknown_token_id}}) {
    QINFER_ASSIGN_OR_RETURN(*field, optional_id(file, key));
    if (*field && **field >= static_cast<int64_t>(vocab.tokens.size())) {
      return make_error("{}: {} = {} is not below the vocabulary size {}", path, key, **field,
                        vocab.tokens.size());
    }
  }
  QINFER_ASSIGN_OR_RETURN(vocab.add_bos_token, optional_flag(file, "tokenizer.ggml.add_bos_token"));
  QINFER_ASSIGN_OR_RETURN(vocab.add_eos_token, optional_flag(file, "tokenizer.ggml.add_eos_token"));
  return vocab;
}

Expected<std::unique_ptr<Model>> load_gguf_model(const std::string& path) {
  QINFER_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  auto model = std::make_unique<Model>();
  model->format = ModelFormat::kGguf;
  model->path = path;
  QINFER_ASSIGN_OR_RETURN(model->config, qwen3_config_from_gguf(file));
  QINFER_ASSIGN_OR_RETURN(model->gguf_vocab, gguf_vocab_from_file(file));
  if (file.find("tokenizer.chat_template") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(std::string_view tmpl, file.get_string("tokenizer.chat_template"));
    model->chat_template = std::string(tmpl);
  }

  GenerationConfig& generation = model->generation;
  generation.bos_token_id = model->config.bos_token_id;
  generation.pad_token_id = model->gguf_vocab.padding_token_id;
  generation.eos_token_ids = end_of_generation_ids(model->gguf_vocab);
  if (generation.eos_token_ids.empty()) generation.eos_token_ids = model->config.eos_token_ids;
  QINFER_RETURN_IF_ERROR(sampling_from_gguf(file, generation));

  TensorMap tensors;
  for (const GgufTensorInfo& info : file.tensors()) {
    auto hf_name = hf_name_from_gguf(info.name);
    if (!hf_name) {
      return make_error("{}: tensor '{}' is not part of a qwen3 model", path, info.name);
    }
    tensors.emplace(*hf_name, file.view(info));
  }
  // Views stay valid: the mapping moves into the model without changing address.
  model->files.push_back(file.release_file());
  widen_vectors_to_f32(tensors, model->converted);
  QINFER_ASSIGN_OR_RETURN(model->weights, bind_weights(model->config, tensors, path));
  return model;
}

}  // namespace qinfer
