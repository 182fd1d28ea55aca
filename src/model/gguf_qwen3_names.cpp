#include "model/gguf_qwen3_names.h"

#include <charconv>

namespace qinfer {
namespace {

struct NamePair {
  std::string_view hf;
  std::string_view gguf;
};

// Whole-model tensors.
constexpr NamePair kGlobal[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Per-layer suffixes after "model.layers.N." and "blk.N.".
constexpr NamePair kLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Splits "<prefix><N>.<rest>" into N and rest; N must be a plain decimal.
bool split_layer(std::string_view name, std::string_view prefix, std::string_view* layer,
                 std::string_view* rest) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + dot, value);
  if (ec != std::errc() || end != name.data() + dot) return false;
  if (dot > 1 && name[0] == '0') return false;  // "01" is not a layer number either format writes
  *layer = name.substr(0, dot);
  *rest = name.substr(dot + 1);
  return true;
}

std::optional<std::string> translate(std::string_view name, bool to_gguf) {
  for (const auto& pair : kGlobal) {
    if (name == (to_gguf ? pair.hf : pair.gguf)) return std::string(to_gguf ? pair.gguf : pair.hf);
  }
  std::string_view from_prefix = to_gguf ? "model.layers." : "blk.";
  std::string_view to_prefix = to_gguf ? "blk." : "model.layers.";
  std::string_view layer, rest;
  if (!split_layer(name, from_prefix, &layer, &rest)) return std::nullopt;
  for (const auto& pair : kLayer) {
    if (rest == (to_gguf ? pair.hf : pair.gguf)) {
      std::string out(to_prefix);
      out.append(layer).append(".").append(to_gguf ? pair.gguf : pair.hf);
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> gguf_name_from_hf(std::string_view hf_name) {
  return translate(hf_name, true);
}

std::optional<std::string> hf_name_from_gguf(std::string_view gguf_name) {
  return translate(gguf_name, false);
}

}  // namespace qinfer
