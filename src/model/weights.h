// Qwen3's weights as views into the loaded files, one plain struct per layer. Shapes use
// config.json's names: H = hidden_size, I = intermediate_size, V = vocab_size, D = head_dim,
// Hq = num_attention_heads, Hkv = num_key_value_heads. Linear weights are [out, in], row-major.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "base/expected.h"
#include "model/config.h"
#include "tensor/tensor_view.h"

namespace qinfer {

struct LayerWeights {
  TensorView input_layernorm;           // [H]
  TensorView q_proj;                    // [Hq*D, H]
  TensorView k_proj;                    // [Hkv*D, H]
  TensorView v_proj;                    // [Hkv*D, H]
  TensorView q_norm;                    // [D]   RMSNorm over each query head, before RoPE
  TensorView k_norm;                    // [D]   RMSNorm over each key head, before RoPE
  TensorView o_proj;                    // [H, Hq*D]
  TensorView post_attention_layernorm;  // [H]
  TensorView gate_proj;                 // [I, H]
  TensorView up_proj;                   // [I, H]
  TensorView down_proj;                 // [H, I]
};

struct ModelWeights {
  TensorView embed_tokens;              // [V, H]
  std::vector<LayerWeights> layers;     // num_hidden_layers
  TensorView norm;                      // [H]
  TensorView lm_head;                   // [V, H]; the same bytes as embed_tokens when tied
};

// Tensors by Hugging Face name ("model.layers.0.self_attn.q_proj.weight"), as a checkpoint
// reader found them. GGUF readers translate their names into these.
using TensorMap = std::map<std::string, TensorView>;

// Looks up every tensor Qwen3 needs, checks its shape against the config and its dtype against
// the supported ones, and names the file/tensor in the error. 1-D norm weights must be F32 here:
// the loader converts other float types once at load (see model/model.h).
// Tied embeddings: when config.tie_word_embeddings, lm_head is embed_tokens (as transformers ties
// them, a stored lm_head.weight is ignored); otherwise lm_head.weight must be present. A tensor
// that is not part of Qwen3 (e.g. a bias) is an error: ignoring it would compute another model.
Expected<ModelWeights> bind_weights(const Qwen3Config& config, const TensorMap& tensors,
                                    const std::string& source);

// Replaces every 1-D F16/BF16 tensor of `tensors` (the norm weights) by an F32 copy stored in
// `storage` (a deque, so earlier copies never move). Norms are tiny and read once per token, so
// widening them once at load keeps the forward pass free of per-dtype norm code.
void widen_vectors_to_f32(TensorMap& tensors, std::deque<std::vector<float>>& storage);

// Dtypes accepted for the 2-D weights (embeddings and linear layers).
bool is_supported_matrix_dtype(DType dtype);

}  // namespace qinfer
