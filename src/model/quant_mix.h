// Which type each tensor of a GGUF gets for a `qinfer quantize --type` choice: llama.cpp's rules
// (src/llama-quant.cpp, llama_tensor_get_type without imatrix, overrides or --pure) as they apply
// to a Qwen3 model, so our Q4_K_M file has the tensor types of llama-quantize's Q4_K_M file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "tensor/dtype.h"

namespace qinfer {

struct QuantTarget {
  std::string_view name;   // as llama.cpp's tools spell it: "Q4_K_M", "F16" (a literal)
  uint32_t file_type = 0;  // llama.cpp's LLAMA_FTYPE, written to general.file_type
  DType base = DType::F32; // the type of most matrices (the mix's default)
  bool medium = false;     // _M mixes: more bits in attn_v and ffn_down of some layers
  bool small = false;      // _S mixes
};

// Q8_0, Q4_0, Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q6_K, F16, BF16, F32 (case-insensitive).
Expected<QuantTarget> parse_quant_target(std::string_view name);
// The accepted names, for help texts and errors.
std::string quant_target_names();

// One tensor as the mix rules see it.
struct QuantTensor {
  std::string_view gguf_name;      // "blk.3.attn_v.weight"
  const std::vector<int64_t>* shape = nullptr;  // outermost first; the row is shape.back()
  DType current = DType::F32;      // its type in the input (kept when it is not quantized)
};

// Facts about the whole model that the rules use.
struct QuantModelFacts {
  int n_layers = 0;                // qwen3.block_count
  int n_attention_v = 0;           // number of attn_v tensors
  bool has_output = false;         // output.weight present (else token_embd is the output too)
};

// The type `tensor` is written as. Errors when llama.cpp would choose a type qinfer cannot write
// (its q5_0/q5_1 fallbacks for rows that are not a multiple of 256) or has no fallback at all.
Expected<DType> choose_tensor_type(const QuantTarget& target, const QuantTensor& tensor,
                                   const QuantModelFacts& facts);

}  // namespace qinfer
