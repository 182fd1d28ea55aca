// The tokenizer as a GGUF file carries it (tokenizer.ggml.*), for the tokenizer stage to build its
// vocabulary from when a model has no tokenizer.json. Strings are views into the mapped file,
// which Model::files keeps alive; nothing of the 152k-entry vocabulary is copied at load.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qinfer {

// llama.cpp's llama_token_type (gguf-py TokenType), the values of tokenizer.ggml.token_type.
enum class GgufTokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,       // special tokens: never produced by splitting text, only by name
  kUserDefined = 4,   // added tokens matched verbatim in text (Qwen3: <think>, <tool_call>)
  kUnused = 5,        // ids with no token ([PAD151669] ...), present so that ids match rows
  kByte = 6,
};

struct GgufVocab {
  std::string model;                      // tokenizer.ggml.model: "gpt2" for Qwen's byte-level BPE
  std::string pre;                        // tokenizer.ggml.pre: "qwen2" names the pre-split regex
  std::vector<std::string_view> tokens;   // id -> token text (byte-level BPE alphabet)
  std::vector<int32_t> token_types;       // id -> GgufTokenType, same length as tokens
  std::vector<std::string_view> merges;   // "left right", in rank order
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
  std::optional<int64_t> eot_token_id;
  std::optional<int64_t> eom_token_id;
  std::optional<int64_t> padding_token_id;
  std::optional<int64_t> unknown_token_id;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;

  bool empty() const { return tokens.empty(); }
};

}  // namespace qinfer
