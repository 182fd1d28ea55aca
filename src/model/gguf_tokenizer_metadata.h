// The tokenizer.* metadata llama.cpp's convert_hf_to_gguf.py writes for a Qwen3 checkpoint, built
// from the Hugging Face files: TextModel.get_vocab_base (token list and types) followed by
// gguf-py's SpecialVocab (merges, special token ids, add_*_token flags, chat template).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "model/gguf_writer.h"

namespace qinfer {

struct GgufTokenizerMetadata {
  std::string model = "gpt2";             // byte-level BPE (_set_vocab_gpt2)
  std::string pre = "qwen2";              // the pre-tokenizer Qwen2 and Qwen3 share
  std::vector<std::string> tokens;        // vocab_size entries; "[PAD<id>]" where no token exists
  std::vector<int32_t> token_types;       // GgufTokenType values
  std::vector<std::string> merges;        // "left right"
  // (GGUF key, id) in the order SpecialVocab records them: tokenizer_config.json first, then the
  // ids config.json adds for types still unset.
  std::vector<std::pair<std::string, uint32_t>> special_token_ids;
  std::vector<std::pair<std::string, bool>> add_special_token;  // (GGUF key, flag)
  std::optional<std::string> chat_template;
};

// Reads <tokenizer_dir>/tokenizer.json and tokenizer_config.json; `config_json` is the text of the
// model's config.json (its *_token_id fields fill ids tokenizer_config.json leaves unset).
// `vocab_size` is config.json's (151936 for Qwen3: larger than the tokenizer's 151669 tokens).
Expected<GgufTokenizerMetadata> build_gguf_tokenizer_metadata(const std::string& tokenizer_dir,
                                                              const std::string& config_json,
                                                              int64_t vocab_size);

// Appends the metadata in the converter's order: model, pre, tokens, token_type, merges,
// special ids, add_* flags, chat_template.
void add_gguf_tokenizer_metadata(GgufWriter& writer, const GgufTokenizerMetadata& metadata);

}  // namespace qinfer
