#include "model/config.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "model/json_fields.h"

namespace qinfer {
namespace {

using json_fields::optional_bool;
using json_fields::optional_int;
using json_fields::optional_number;
using json_fields::optional_string;

// Bounds far above any real Qwen3 (the largest has hidden 5120, vocab 151936) but low enough that
// products of sizes cannot overflow int64 and a hostile config cannot ask for absurd allocations.
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxWidth = int64_t{1} << 20;   // hidden, intermediate
constexpr int64_t kMaxCount = 4096;               // layers, heads, head_dim

Status check_range(const char* field, int64_t value, int64_t max, const std::string& source) {
  if (value <= 0 || value > max) {
    return make_error("{}: field '{}' = {} is out of range (1..{})", source, field, value, max);
  }
  return ok_status();
}

// eos_token_id may be an integer or a list of integers (generation_config.json uses both).
Expected<std::vector<int64_t>> token_id_list(const nlohmann::json& object, const char* field,
                                             const std::string& source) {
  std::vector<int64_t> ids;
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return ids;
  auto push = [&](const nlohmann::json& value) -> Status {
    auto id = json_fields::as_int(value);
    if (!id || *id < 0) {
      return make_error("{}: field '{}' must hold non-negative integer token ids, got {}", source,
                        field, value.dump());
    }
    ids.push_back(*id);
    return ok_status();
  };
  if (it->is_array()) {
    for (const auto& value : *it) QINFER_RETURN_IF_ERROR(push(value));
  } else {
    QINFER_RETURN_IF_ERROR(push(*it));
  }
  return ids;
}

// Qwen3 configs carry rope scaling as `rope_scaling` (transformers 4.x, the published files) or
// `rope_parameters` (transformers 5 save_pretrained, which also moves rope_theta inside it).
Status parse_rope(const nlohmann::json& root, const std::string& source, Qwen3Config& config) {
  QINFER_ASSIGN_OR_RETURN(auto theta, optional_number(root, "rope_theta", source));
  if (theta) config.rope_theta = *theta;
  for (const char* field : {"rope_scaling", "rope_parameters"}) {
    auto it = root.find(field);
    if (it == root.end() || it->is_null()) continue;
    if (!it->is_object()) {
      return make_error("{}: field '{}' must be null or an object, got {}", source, field,
                        it->dump());
    }
    const std::string where = fmt::format("{} ({})", source, field);
    QINFER_ASSIGN_OR_RETURN(auto inner_theta, optional_number(*it, "rope_theta", where));
    if (inner_theta) config.rope_theta = *inner_theta;
    QINFER_ASSIGN_OR_RETURN(auto type, optional_string(*it, "rope_type", where));
    if (!type) {  // older files spell it "type"
      QINFER_ASSIGN_OR_RETURN(type, optional_string(*it, "type", where));
    }
    std::string rope_type = type.value_or("default");
    if (rope_type == "default") continue;
    if (rope_type != "yarn") {
      return make_error("{}: rope type '{}' is not supported (Qwen3 uses none or 'yarn')", where,
                        rope_type);
    }
    QINFER_ASSIGN_OR_RETURN(auto factor, optional_number(*it, "factor", where));
    QINFER_ASSIGN_OR_RETURN(auto original, optional_int(*it, "original_max_position_embeddings",
                                                        where));
    if (!factor || *factor < 1.0) {
      return make_error("{}: yarn needs 'factor' >= 1", where);
    }
    if (!original || *original <= 0 || *original > kMaxVocab) {
      return make_error("{}: yarn needs a positive 'original_max_position_embeddings'", where);
    }
    config.rope_scaling = RopeScaling{"yarn", *factor, *original};
  }
  if (!(config.rope_theta > 0)) {
    return make_error("{}: 'rope_theta' must be positive, got {}", source, config.rope_theta);
  }
  return ok_status();
}

// Features of the wider Qwen family that this engine does not implement: refuse them instead of
// computing something else silently.
Status reject_unsupported_features(const nlohmann::json& root, const std::string& source) {
  QINFER_ASSIGN_OR_RETURN(auto model_type, optional_string(root, "model_type", source));
  if (!model_type) return make_error("{}: required field 'model_type' is missing", source);
  if (*model_type != "qwen3") {
    return make_error("{}: model_type '{}' is not supported (only 'qwen3')", source, *model_type);
  }
  auto arch = root.find("architectures");
  if (arch != root.end() && !arch->is_null()) {
    bool found = false;
    if (arch->is_array()) {
      for (const auto& name : *arch) found |= name.is_string() && name == "Qwen3ForCausalLM";
    }
    if (!found) {
      return make_error("{}: architectures {} is not supported (only Qwen3ForCausalLM)", source,
                        arch->dump());
    }
  }
  QINFER_ASSIGN_OR_RETURN(auto bias, optional_bool(root, "attention_bias", source));
  if (bias.value_or(false)) return make_error("{}: attention_bias true is not supported", source);
  QINFER_ASSIGN_OR_RETURN(auto sliding, optional_bool(root, "use_sliding_window", source));
  if (sliding.value_or(false)) {
    return make_error("{}: use_sliding_window true is not supported", source);
  }
  QINFER_ASSIGN_OR_RETURN(auto act, optional_string(root, "hidden_act", source));
  if (act && *act != "silu") {
    return make_error("{}: hidden_act '{}' is not supported (only 'silu')", source, *act);
  }
  return ok_status();
}

}  // namespace

Expected<Qwen3Config> parse_hf_config(const std::string& json_text, const std::string& source) {
  QINFER_ASSIGN_OR_RETURN(nlohmann::json root, json_fields::parse(json_text, source));
  if (!root.is_object()) return make_error("{}: expected a JSON object", source);
  QINFER_RETURN_IF_ERROR(reject_unsupported_features(root, source));

  Qwen3Config config;
  QINFER_ASSIGN_OR_RETURN(config.vocab_size, json_fields::required_int(root, "vocab_size", source));
  QINFER_ASSIGN_OR_RETURN(config.hidden_size, json_fields::required_int(root, "hidden_size", source));
  QINFER_ASSIGN_OR_RETURN(config.intermediate_size,
                          json_fields::required_int(root, "intermediate_size", source));
  QINFER_ASSIGN_OR_RETURN(config.num_hidden_layers,
                          json_fields::required_int(root, "num_hidden_layers", source));
  QINFER_ASSIGN_OR_RETURN(config.num_attention_heads,
                          json_fields::required_int(root, "num_attention_heads", source));
  QINFER_RETURN_IF_ERROR(check_range("vocab_size", config.vocab_size, kMaxVocab, source));
  QINFER_RETURN_IF_ERROR(check_range("hidden_size", config.hidden_size, kMaxWidth, source));
  QINFER_RETURN_IF_ERROR(
      check_range("intermediate_size", config.intermediate_size, kMaxWidth, source));
  QINFER_RETURN_IF_ERROR(
      check_range("num_hidden_layers", config.num_hidden_layers, kMaxCount, source));
  QINFER_RETURN_IF_ERROR(
      check_range("num_attention_heads", config.num_attention_heads, kMaxCount, source));

  // transformers' defaults when a field is absent: kv heads = q heads, head_dim = hidden / heads.
  QINFER_ASSIGN_OR_RETURN(auto kv_heads, optional_int(root, "num_key_value_heads", source));
  config.num_key_value_heads = kv_heads.value_or(config.num_attention_heads);
  QINFER_RETURN_IF_ERROR(
      check_range("num_key_value_heads", config.num_key_value_heads, kMaxCount, source));
  if (config.num_attention_heads % config.num_key_value_heads != 0) {
    return make_error("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}",
                      source, config.num_attention_heads, config.num_key_value_heads);
  }
  QINFER_ASSIGN_OR_RETURN(auto head_dim, optional_int(root, "head_dim", source));
  if (!head_dim && config.hidden_size % config.num_attention_heads != 0) {
    return make_error("{}: no head_dim and hidden_size {} is not a multiple of {} heads", source,
                      config.hidden_size, config.num_attention_heads);
  }
  config.head_dim = head_dim.value_or(config.hidden_size / config.num_attention_heads);
  QINFER_RETURN_IF_ERROR(check_range("head_dim", config.head_dim, kMaxCount, source));
  if (config.head_dim % 2 != 0) {
    return make_error("{}: head_dim {} must be even (RoPE rotates pairs)", source, config.head_dim);
  }

  QINFER_ASSIGN_OR_RETURN(auto max_positions,
                          optional_int(root, "max_position_embeddings", source));
  config.max_position_embeddings = max_positions.value_or(32768);
  QINFER_RETURN_IF_ERROR(check_range("max_position_embeddings", config.max_position_embeddings,
                                     kMaxVocab, source));
  QINFER_ASSIGN_OR_RETURN(auto eps, optional_number(root, "rms_norm_eps", source));
  config.rms_norm_eps = eps.value_or(1e-6);
  if (!(config.rms_norm_eps > 0 && config.rms_norm_eps < 1)) {
    return make_error("{}: rms_norm_eps {} is out of range (0, 1)", source, config.rms_norm_eps);
  }
  QINFER_ASSIGN_OR_RETURN(auto tie, optional_bool(root, "tie_word_embeddings", source));
  config.tie_word_embeddings = tie.value_or(false);
  QINFER_RETURN_IF_ERROR(parse_rope(root, source, config));

  QINFER_ASSIGN_OR_RETURN(config.bos_token_id, optional_int(root, "bos_token_id", source));
  QINFER_ASSIGN_OR_RETURN(config.eos_token_ids, token_id_list(root, "eos_token_id", source));
  return config;
}

Expected<GenerationConfig> parse_generation_config(const std::string& json_text,
                                                   const std::string& source) {
  QINFER_ASSIGN_OR_RETURN(nlohmann::json root, json_fields::parse(json_text, source));
  if (!root.is_object()) return make_error("{}: expected a JSON object", source);
  GenerationConfig out;
  QINFER_ASSIGN_OR_RETURN(out.eos_token_ids, token_id_list(root, "eos_token_id", source));
  QINFER_ASSIGN_OR_RETURN(out.bos_token_id, optional_int(root, "bos_token_id", source));
  QINFER_ASSIGN_OR_RETURN(out.pad_token_id, optional_int(root, "pad_token_id", source));
  QINFER_ASSIGN_OR_RETURN(auto do_sample, optional_bool(root, "do_sample", source));
  // transformers' GenerationConfig defaults to greedy when do_sample is absent.
  out.do_sample = do_sample.value_or(false);
  QINFER_ASSIGN_OR_RETURN(auto temperature, optional_number(root, "temperature", source));
  out.temperature = temperature.value_or(out.temperature);
  QINFER_ASSIGN_OR_RETURN(auto top_k, optional_int(root, "top_k", source));
  out.top_k = top_k.value_or(out.top_k);
  QINFER_ASSIGN_OR_RETURN(auto top_p, optional_number(root, "top_p", source));
  out.top_p = top_p.value_or(out.top_p);
  QINFER_ASSIGN_OR_RETURN(auto min_p, optional_number(root, "min_p", source));
  out.min_p = min_p.value_or(out.min_p);
  QINFER_ASSIGN_OR_RETURN(auto penalty, optional_number(root, "repetition_penalty", source));
  out.repetition_penalty = penalty.value_or(out.repetition_penalty);
  if (out.temperature < 0 || out.top_k < 0 || out.top_p <= 0 || out.top_p > 1 ||
      out.min_p < 0 || out.min_p > 1 || out.repetition_penalty <= 0) {
    return make_error("{}: sampling values out of range (temperature {}, top_k {}, top_p {}, "
                      "min_p {}, repetition_penalty {})",
                      source, out.temperature, out.top_k, out.top_p, out.min_p,
                      out.repetition_penalty);
  }
  return out;
}

namespace {

// rope_theta is written as the published files write it: an integer when it is one.
nlohmann::ordered_json number_as_published(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return nlohmann::ordered_json(static_cast<int64_t>(value));
  }
  return nlohmann::ordered_json(value);
}

nlohmann::ordered_json eos_value(const std::vector<int64_t>& ids) {
  if (ids.size() == 1) return ids[0];
  return nlohmann::ordered_json(ids);
}

}  // namespace

std::string hf_config_json(const Qwen3Config& config, const std::string& torch_dtype) {
  nlohmann::ordered_json out;
  out["architectures"] = {"Qwen3ForCausalLM"};
  out["attention_bias"] = false;
  out["attention_dropout"] = 0.0;
  out["bos_token_id"] = config.bos_token_id ? nlohmann::ordered_json(*config.bos_token_id)
                                            : nlohmann::ordered_json(nullptr);
  out["eos_token_id"] = config.eos_token_ids.empty() ? nlohmann::ordered_json(nullptr)
                                                     : eos_value(config.eos_token_ids);
  out["head_dim"] = config.head_dim;
  out["hidden_act"] = "silu";
  out["hidden_size"] = config.hidden_size;
  out["initializer_range"] = 0.02;
  out["intermediate_size"] = config.intermediate_size;
  out["max_position_embeddings"] = config.max_position_embeddings;
  out["max_window_layers"] = config.num_hidden_layers;
  out["model_type"] = "qwen3";
  out["num_attention_heads"] = config.num_attention_heads;
  out["num_hidden_layers"] = config.num_hidden_layers;
  out["num_key_value_heads"] = config.num_key_value_heads;
  out["rms_norm_eps"] = config.rms_norm_eps;
  if (config.rope_scaling.rope_type.empty()) {
    out["rope_scaling"] = nullptr;
  } else {
    out["rope_scaling"] = {
        {"rope_type", config.rope_scaling.rope_type},
        {"factor", config.rope_scaling.factor},
        {"original_max_position_embeddings", config.rope_scaling.original_max_position_embeddings}};
  }
  out["rope_theta"] = number_as_published(config.rope_theta);
  out["sliding_window"] = nullptr;
  out["tie_word_embeddings"] = config.tie_word_embeddings;
  out["torch_dtype"] = torch_dtype;
  out["transformers_version"] = "4.51.0";
  out["use_cache"] = true;
  out["use_sliding_window"] = false;
  out["vocab_size"] = config.vocab_size;
  return out.dump(2) + "\n";
}

std::string generation_config_json(const GenerationConfig& generation) {
  nlohmann::ordered_json out;
  if (generation.bos_token_id) out["bos_token_id"] = *generation.bos_token_id;
  out["do_sample"] = generation.do_sample;
  out["eos_token_id"] = generation.eos_token_ids;
  if (generation.pad_token_id) out["pad_token_id"] = *generation.pad_token_id;
  out["temperature"] = generation.temperature;
  out["top_k"] = generation.top_k;
  out["top_p"] = generation.top_p;
  out["transformers_version"] = "4.51.0";
  return out.dump(2) + "\n";
}

GenerationConfig qwen3_default_generation_config() {
  GenerationConfig generation;
  generation.bos_token_id = 151643;
  generation.eos_token_ids = {151645, 151643};  // <|im_end|>, <|endoftext|>
  generation.pad_token_id = 151643;
  generation.do_sample = true;
  generation.temperature = 0.6;
  generation.top_k = 20;
  generation.top_p = 0.95;
  return generation;
}

}  // namespace qinfer
