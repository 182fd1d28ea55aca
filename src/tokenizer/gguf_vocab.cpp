// Tokenizer::from_gguf: the same tokenizer from GGUF metadata (tokenizer.ggml.*), as written by
// llama.cpp's convert_hf_to_gguf.py for Qwen2/Qwen3 models.
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::tokenizer {

Expected<Tokenizer> Tokenizer::from_gguf(std::string_view pre,
                                         std::span<const std::string_view> tokens,
                                         std::span<const int32_t> token_types,
                                         std::span<const std::string_view> merges) {
  if (pre != "qwen2") {
    return make_error("GGUF tokenizer.ggml.pre '{}' is unsupported (only 'qwen2')", pre);
  }
  if (!token_types.empty() && token_types.size() != tokens.size()) {
    return make_error("GGUF tokenizer.ggml.token_type has {} entries for {} tokens",
                      token_types.size(), tokens.size());
  }
  TokenizerParts parts;
  parts.nfc = true;  // Qwen's tokenizer.json normalizer; GGUF does not record it
  parts.split_pattern = std::string(kQwen2Pattern);
  // Normal tokens form the BPE vocabulary and come first (ids 0..n-1), as in HF's tokenizer.json.
  bool normal_run_over = false;
  for (size_t id = 0; id < tokens.size(); ++id) {
    const int32_t type = token_types.empty() ? kGgufTokenNormal : token_types[id];
    const auto token_id = static_cast<TokenId>(id);
    if (type == kGgufTokenNormal) {
      if (normal_run_over) {
        return make_error("GGUF token {} ('{}') is normal but follows added tokens", id, tokens[id]);
      }
      parts.vocab.emplace_back(tokens[id]);
    } else if (type == kGgufTokenControl || type == kGgufTokenUserDefined) {
      normal_run_over = true;
      parts.added_tokens.push_back({std::string(tokens[id]), token_id, type == kGgufTokenControl});
    } else if (type == kGgufTokenUnused) {
      normal_run_over = true;
      parts.unused_ids.push_back(token_id);
    } else {
      return make_error("GGUF token {} ('{}') has type {}, unsupported in byte-level BPE", id,
                        tokens[id], type);
    }
  }
  for (std::string_view merge : merges) {
    const size_t space = merge.find(' ');
    if (space == std::string_view::npos || merge.find(' ', space + 1) != std::string_view::npos) {
      return make_error("GGUF merge '{}' is not two tokens separated by a space", merge);
    }
    parts.merges.emplace_back(std::string(merge.substr(0, space)), std::string(merge.substr(space + 1)));
  }
  return from_parts(std::move(parts));
}

}  // namespace qinfer::tokenizer
