#include "model/quant_mix.h"

#include <cctype>
#include <cstdio>

#include "tensor/quantize.h"

namespace qinfer {
namespace {

// llama.cpp's LLAMA_FTYPE values (include/llama.h).
constexpr QuantTarget kTargets[] = {
    {"F32", 0, DType::F32, false, false},     {"F16", 1, DType::F16, false, false},
    {"Q4_0", 2, DType::Q4_0, false, false},   {"Q8_0", 7, DType::Q8_0, false, false},
    {"Q4_K_S", 14, DType::Q4_K, false, true}, {"Q4_K_M", 15, DType::Q4_K, true, false},
    {"Q5_K_S", 16, DType::Q5_K, false, true}, {"Q5_K_M", 17, DType::Q5_K, true, false},
    {"Q6_K", 18, DType::Q6_K, false, false},  {"BF16", 32, DType::BF16, false, false},
};

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// llama.cpp's tensor_allows_quantization, reduced to the names a Qwen3 GGUF can hold: matrices
// whose name ends in "weight", except norms (and MoE router weights, for completeness).
bool allows_quantization(const QuantTensor& tensor) {
  if (tensor.shape->size() < 2) return false;
  if (!ends_with(tensor.gguf_name, "weight")) return false;
  if (contains(tensor.gguf_name, "_norm.weight")) return false;
  if (contains(tensor.gguf_name, "ffn_gate_inp.weight")) return false;
  return true;
}

enum class Category { kOutput, kTokenEmbd, kAttentionV, kFfnDown, kOther };

// llama.cpp's tensor_get_category, for the categories whose rules touch our mixes. attn_qkv and
// attn_kv_b count as attn_v there.
Category category_of(std::string_view name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight") return Category::kTokenEmbd;
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") ||
      contains(name, "attn_v.weight")) {
    return Category::kAttentionV;
  }
  if (contains(name, "ffn_down")) return Category::kFfnDown;
  return Category::kOther;
}

// The layer of "blk.N.*"; llama.cpp counts attn_v and ffn_down tensors in its loader's order
// (by layer, then name), which for one of each per layer is the layer index.
int layer_of(std::string_view name) {
  int layer = -1;
  std::sscanf(std::string(name).c_str(), "blk.%d.", &layer);
  return layer;
}

// First and last eighth of the layers, and every third one in between.
bool use_more_bits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

}  // namespace

Expected<QuantTarget> parse_quant_target(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const QuantTarget& target : kTargets) {
    if (target.name == upper) return target;
  }
  return make_error("--type '{}': expected one of {}", name, quant_target_names());
}

std::string quant_target_names() {
  return "Q8_0, Q4_0, Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q6_K, F16, BF16, F32";
}

Expected<DType> choose_tensor_type(const QuantTarget& target, const QuantTensor& tensor,
                                   const QuantModelFacts& facts) {
  if (!allows_quantization(tensor)) return tensor.current;
  const DType base = target.base;
  if (!is_quantized(base)) return base;

  const int64_t row = tensor.shape->back();
  const Category category = category_of(tensor.gguf_name);
  DType type = base;
  if (category == Category::kOutput || (!facts.has_output && category == Category::kTokenEmbd)) {
    // The output projection (or the tied embedding that serves as it) gets 6 bits or more.
    if (row % dtype_info(base).block_elements != 0) {
      type = DType::Q8_0;
    } else if (base != DType::Q8_0) {
      type = DType::Q6_K;
    }
  } else if (category == Category::kAttentionV) {
    const int layer = layer_of(tensor.gguf_name);
    if (target.medium && (base == DType::Q4_K || base == DType::Q5_K) &&
        use_more_bits(layer, facts.n_attention_v)) {
      type = DType::Q6_K;
    } else if (target.small && base == DType::Q4_K && layer < 4) {
      type = DType::Q5_K;
    }
  } else if (category == Category::kFfnDown) {
    const int layer = layer_of(tensor.gguf_name);
    if (target.medium && (base == DType::Q4_K || base == DType::Q5_K) &&
        use_more_bits(layer, facts.n_layers)) {
      type = DType::Q6_K;
    } else if (target.small && base == DType::Q4_K && layer < facts.n_layers / 8) {
      type = DType::Q5_K;
    }
  }

  // llama.cpp's tensor_type_fallback for rows that are not whole blocks of the chosen type.
  if (row % dtype_info(type).block_elements == 0) return type;
  const char* fallback = nullptr;
  switch (type) {
    case DType::Q4_K: fallback = "q5_0"; break;
    case DType::Q5_K: fallback = "q5_1"; break;
    case DType::Q6_K: fallback = "q8_0"; break;
    default:
      return make_error("tensor '{}': rows of {} elements are not a multiple of {} ({}), and "
                        "llama.cpp defines no fallback type for {}",
                        tensor.gguf_name, row, dtype_info(type).block_elements, dtype_name(type),
                        dtype_name(type));
  }
  if (row % 32 != 0) return DType::F16;  // not even the 32-element fallback fits
  if (type == DType::Q6_K) return DType::Q8_0;
  return make_error("tensor '{}': rows of {} elements are not a multiple of 256 ({}); llama.cpp "
                    "falls back to {} there, which qinfer does not write (use Q8_0, Q4_0 or a "
                    "float type for this model)",
                    tensor.gguf_name, row, dtype_name(type), fallback);
}

}  // namespace qinfer
