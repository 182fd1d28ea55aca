// Tensor names: Hugging Face (model.layers.N.self_attn.q_proj.weight) <-> GGUF/llama.cpp
// (blk.N.attn_q.weight), as gguf-py's TensorNameMap maps them for architecture qwen3.
// Qwen3 needs no permutation or transposition: a [out, in] row-major HF matrix is the same bytes
// as the GGUF tensor with dims {in, out}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qinfer {

// nullopt for a name that is not part of a Qwen3 checkpoint.
std::optional<std::string> gguf_name_from_hf(std::string_view hf_name);
std::optional<std::string> hf_name_from_gguf(std::string_view gguf_name);

}  // namespace qinfer
