#include "model/random_init.h"

#include <cmath>
#include <string_view>

namespace qinfer {
namespace {

// murmur3's 64-bit finalizer: a bijection with full avalanche, so consecutive counters give
// independent-looking bits. Counter-based (no state) is what makes chunks order-free.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// A standard-normal-like variate from one 64-bit hash: the sum of four 16-bit uniforms
// (Irwin-Hall), centred and scaled to unit variance. Bell-shaped, bounded at +-3.46, and a few
// integer operations instead of Box-Muller's log/sqrt/cos, which matters for 15e9 elements.
inline float bell(uint64_t bits) {
  const uint32_t sum = static_cast<uint32_t>(bits & 0xffff) + static_cast<uint32_t>((bits >> 16) & 0xffff) +
                       static_cast<uint32_t>((bits >> 32) & 0xffff) + static_cast<uint32_t>(bits >> 48);
  // Mean of the sum is 4 * 65535 / 2; its standard deviation is 65536 * sqrt(4 / 12).
  constexpr float kMean = 2.0f * 65535.0f;
  constexpr float kInvStd = 1.0f / (65536.0f * 0.5773502692f);
  return (static_cast<float>(sum) - kMean) * kInvStd;
}

inline float bell_at(uint64_t stream, uint64_t index) {
  return bell(mix64(stream + mix64(index + 0x9e3779b97f4a7c15ULL)));
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// How each kind of tensor is drawn (all with the bell variate z):
//  * Linear weights: z / sqrt(fan_in), so each projection keeps the RMS of its input.
//  * Token embeddings and lm_head: z * 4 / sqrt(H). Logits are dot products of the final
//    normalized hidden state with these rows, so their spread is ~4 and max|logit| ~20: top-1
//    margins are clear, yet the logits stay small enough that transformers' own fp32 rounding
//    (~5e-6 relative) keeps the 1e-4 agreement bar meaningful at 28 layers. (Log-normal row norms
//    widened the margins but pushed max|logit| to ~60, where fp32 itself misses 1e-4.)
//  * RMSNorm weights: 1 + 0.2 z, around 1 with spread, never near 0 (z >= -3.46).
//  * q_norm/k_norm: 1.25 + 0.25 z. After the per-head RMSNorm a score q.k/sqrt(D) has standard
//    deviation ~ w_q * w_k ~ 1.6, so attention is clearly not uniform (entropy well below
//    log(positions)) yet not so sharp that bf16 rounding flips which key wins: with 2 + 0.5 z,
//    bf16-activation matmuls flipped the top-1 token at 1.6% of positions (transformers, tiny).
enum class Kind { kLinear, kTokenMatrix, kNorm, kHeadNorm };

Kind kind_of(std::string_view name) {
  if (ends_with(name, "embed_tokens.weight") || name == "lm_head.weight") return Kind::kTokenMatrix;
  if (ends_with(name, "q_norm.weight") || ends_with(name, "k_norm.weight")) return Kind::kHeadNorm;
  if (ends_with(name, "norm.weight")) return Kind::kNorm;
  return Kind::kLinear;
}

constexpr float kLogitSpread = 4.0f;

}  // namespace

std::vector<TensorSpec> qwen3_tensor_specs(const Qwen3Config& config) {
  const int64_t H = config.hidden_size, I = config.intermediate_size;
  std::vector<TensorSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {config.vocab_size, H}});
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    specs.push_back({prefix + "self_attn.q_proj.weight", {config.q_dim(), H}});
    specs.push_back({prefix + "self_attn.k_proj.weight", {config.kv_dim(), H}});
    specs.push_back({prefix + "self_attn.v_proj.weight", {config.kv_dim(), H}});
    specs.push_back({prefix + "self_attn.o_proj.weight", {H, config.q_dim()}});
    specs.push_back({prefix + "self_attn.q_norm.weight", {config.head_dim}});
    specs.push_back({prefix + "self_attn.k_norm.weight", {config.head_dim}});
    specs.push_back({prefix + "mlp.gate_proj.weight", {I, H}});
    specs.push_back({prefix + "mlp.up_proj.weight", {I, H}});
    specs.push_back({prefix + "mlp.down_proj.weight", {H, I}});
    specs.push_back({prefix + "input_layernorm.weight", {H}});
    specs.push_back({prefix + "post_attention_layernorm.weight", {H}});
  }
  specs.push_back({"model.norm.weight", {H}});
  if (!config.tie_word_embeddings) specs.push_back({"lm_head.weight", {config.vocab_size, H}});
  return specs;
}

void fill_random_tensor(const Qwen3Config& config, uint64_t seed, const TensorSpec& spec,
                        uint64_t first, uint64_t count, float* out) {
  const uint64_t stream = mix64(fnv1a64(spec.name) ^ mix64(seed));
  const uint64_t cols = spec.shape.empty() ? 1 : static_cast<uint64_t>(spec.shape.back());
  switch (kind_of(spec.name)) {
    case Kind::kLinear: {
      const float scale = 1.0f / std::sqrt(static_cast<float>(cols));
      for (uint64_t j = 0; j < count; ++j) out[j] = scale * bell_at(stream, first + j);
      break;
    }
    case Kind::kTokenMatrix: {
      const float scale = kLogitSpread / std::sqrt(static_cast<float>(config.hidden_size));
      for (uint64_t j = 0; j < count; ++j) out[j] = scale * bell_at(stream, first + j);
      break;
    }
    case Kind::kNorm:
      for (uint64_t j = 0; j < count; ++j) out[j] = 1.0f + 0.2f * bell_at(stream, first + j);
      break;
    case Kind::kHeadNorm:
      for (uint64_t j = 0; j < count; ++j) out[j] = 1.25f + 0.25f * bell_at(stream, first + j);
      break;
  }
}

Expected<Qwen3Config> qwen3_preset(const std::string& name) {
  struct Shape {
    const char* name;
    int64_t hidden, layers, q_heads, kv_heads, intermediate, head_dim;
    bool tied;
  };
  // shared/qwen3/PRESETS.md
  static constexpr Shape kShapes[] = {
      {"tiny", 64, 2, 4, 2, 128, 16, true},       {"0.6B", 1024, 28, 16, 8, 3072, 128, true},
      {"1.7B", 2048, 28, 16, 8, 6144, 128, true}, {"4B", 2560, 36, 32, 8, 9728, 128, true},
      {"8B", 4096, 36, 32, 8, 12288, 128, false}, {"14B", 5120, 40, 40, 8, 17408, 128, false},
  };
  for (const Shape& shape : kShapes) {
    if (name != shape.name) continue;
    Qwen3Config config;
    config.vocab_size = 151936;
    config.hidden_size = shape.hidden;
    config.num_hidden_layers = shape.layers;
    config.num_attention_heads = shape.q_heads;
    config.num_key_value_heads = shape.kv_heads;
    config.intermediate_size = shape.intermediate;
    config.head_dim = shape.head_dim;
    config.tie_word_embeddings = shape.tied;
    config.max_position_embeddings = 40960;
    config.rope_theta = 1e6;
    config.rms_norm_eps = 1e-6;
    config.bos_token_id = 151643;
    config.eos_token_ids = {151645};
    return config;
  }
  return make_error("unknown preset '{}' (tiny, 0.6B, 1.7B, 4B, 8B, 14B)", name);
}

}  // namespace qinfer
