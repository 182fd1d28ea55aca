// `qinfer inspect MODEL [--checksums]`: loads a model (HF directory or GGUF) exactly as serving
// would and prints, as JSON, the config, generation defaults, tokenizer source and every bound
// weight (Hugging Face name, dtype, shape; with --checksums an FNV-1a hash of its bytes and the sum
// of its elements), so that tests can compare our loader with independent readers.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "model/model.h"

namespace qinfer::cli {
namespace {

uint64_t fnv1a64(const std::byte* data, uint64_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    hash ^= static_cast<uint8_t>(data[i]);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

double element_sum(const TensorView& view) {
  double sum = 0;
  const int64_t n = view.elements();
  for (int64_t i = 0; i < n; ++i) {
    switch (view.dtype) {
      case DType::F32: sum += view.as<float>()[i]; break;
      case DType::F16: sum += f16_to_f32(view.as<uint16_t>()[i]); break;
      case DType::BF16: sum += bf16_to_f32(view.as<uint16_t>()[i]); break;
      default: return 0;  // quantized: only the hash
    }
  }
  return sum;
}

nlohmann::ordered_json describe(const std::string& name, const TensorView& view, bool checksums) {
  nlohmann::ordered_json out;
  out["name"] = name;
  out["dtype"] = std::string(dtype_name(view.dtype));
  out["shape"] = view.shape;
  if (checksums) {
    out["fnv1a64"] = fmt::format("{:016x}", fnv1a64(view.data, view.nbytes));
    out["sum"] = element_sum(view);
  }
  return out;
}

nlohmann::ordered_json optional_id(const std::optional<int64_t>& id) {
  return id ? nlohmann::ordered_json(*id) : nlohmann::ordered_json(nullptr);
}

int run_inspect(const std::string& path, bool checksums) {
  auto loaded = load_model(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "error: %s\n", loaded.error().message.c_str());
    return 1;
  }
  const Model& model = **loaded;
  const Qwen3Config& c = model.config;
  nlohmann::ordered_json out;
  out["format"] = model.format == ModelFormat::kGguf ? "gguf" : "hf";
  out["config"] = {
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"intermediate_size", c.intermediate_size},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads},
      {"head_dim", c.head_dim},
      {"max_position_embeddings", c.max_position_embeddings},
      {"rope_theta", c.rope_theta},
      {"rms_norm_eps", c.rms_norm_eps},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"rope_scaling",
       c.rope_scaling.rope_type.empty()
           ? nlohmann::ordered_json(nullptr)
           : nlohmann::ordered_json{{"rope_type", c.rope_scaling.rope_type},
                                    {"factor", c.rope_scaling.factor},
                                    {"original_max_position_embeddings",
                                     c.rope_scaling.original_max_position_embeddings}}},
      {"bos_token_id", optional_id(c.bos_token_id)},
      {"eos_token_ids", c.eos_token_ids},
  };
  const GenerationConfig& g = model.generation;
  out["generation"] = {
      {"eos_token_ids", g.eos_token_ids}, {"bos_token_id", optional_id(g.bos_token_id)},
      {"pad_token_id", optional_id(g.pad_token_id)}, {"temperature", g.temperature},
      {"top_k", g.top_k}, {"top_p", g.top_p}, {"min_p", g.min_p},
  };
  out["chat_template"] = model.chat_template;
  out["tokenizer_json_path"] = model.tokenizer_json_path;
  const GgufVocab& v = model.gguf_vocab;
  out["gguf_vocab"] = {
      {"model", v.model}, {"pre", v.pre}, {"tokens", v.tokens.size()},
      {"merges", v.merges.size()}, {"bos_token_id", optional_id(v.bos_token_id)},
      {"eos_token_id", optional_id(v.eos_token_id)},
      {"padding_token_id", optional_id(v.padding_token_id)},
      {"add_bos_token", v.add_bos_token ? nlohmann::ordered_json(*v.add_bos_token)
                                        : nlohmann::ordered_json(nullptr)},
  };

  const ModelWeights& w = model.weights;
  auto tensors = nlohmann::ordered_json::array();
  tensors.push_back(describe("model.embed_tokens.weight", w.embed_tokens, checksums));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& l = w.layers[i];
    const std::string p = fmt::format("model.layers.{}.", i);
    const std::pair<const char*, const TensorView*> parts[] = {
        {"input_layernorm.weight", &l.input_layernorm},
        {"self_attn.q_proj.weight", &l.q_proj},
        {"self_attn.k_proj.weight", &l.k_proj},
        {"self_attn.v_proj.weight", &l.v_proj},
        {"self_attn.q_norm.weight", &l.q_norm},
        {"self_attn.k_norm.weight", &l.k_norm},
        {"self_attn.o_proj.weight", &l.o_proj},
        {"post_attention_layernorm.weight", &l.post_attention_layernorm},
        {"mlp.gate_proj.weight", &l.gate_proj},
        {"mlp.up_proj.weight", &l.up_proj},
        {"mlp.down_proj.weight", &l.down_proj},
    };
    for (const auto& [suffix, view] : parts) tensors.push_back(describe(p + suffix, *view, checksums));
  }
  tensors.push_back(describe("model.norm.weight", w.norm, checksums));
  if (w.lm_head.data != w.embed_tokens.data) {
    tensors.push_back(describe("lm_head.weight", w.lm_head, checksums));
  }
  out["tensors"] = std::move(tensors);
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("inspect", "Load a model and print its config and tensors as JSON");
  auto path = std::make_shared<std::string>();
  auto checksums = std::make_shared<bool>(false);
  cmd->add_option("model", *path, "Hugging Face model directory or .gguf file")->required();
  cmd->add_flag("--checksums", *checksums, "Hash and sum every weight (reads the whole model)");
  cmd->callback([path, checksums, &exit_code] { exit_code = run_inspect(*path, *checksums); });
}

}  // namespace qinfer::cli
