// The Qwen3 tokenizer: text <-> token ids, identical to HF `tokenizers` on Qwen3's
// tokenizer.json. Encoding runs the HF pipeline in order:
//   1. added tokens (special or not) are cut out of the raw text, leftmost-longest;
//   2. each remaining piece is NFC-normalized;
//   3. split by the pre-tokenizer regex (Split, Isolated);
//   4. each pre-token's bytes go through byte-level BPE (with a per-word cache).
// Decoding concatenates each token's bytes and turns the result into UTF-8 with U+FFFD for
// ill-formed sequences (HF's ByteLevel decoder + from_utf8_lossy).
//
// Invalid UTF-8 input to encode() is an error naming the byte offset, never a guess: the
// server rejects the request with that message. Callers that prefer to accept such input can
// pass it through to_utf8_lossy() (utf8.h) first, which replaces each ill-formed part by U+FFFD.
//
// A Tokenizer is immutable after construction; encode/decode may run on many threads at once.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"

namespace qinfer::tokenizer {

// GGUF tokenizer.ggml.token_type values (llama.cpp's llama_token_type) that from_gguf accepts.
inline constexpr int32_t kGgufTokenNormal = 1;
inline constexpr int32_t kGgufTokenControl = 3;      // special: skipped with skip_special
inline constexpr int32_t kGgufTokenUserDefined = 4;  // added, not special (<think>, <tool_call>)
inline constexpr int32_t kGgufTokenUnused = 5;       // padding ids ([PAD151669]): decode to ""

// Everything a tokenizer is made of, whatever file it came from.
struct TokenizerParts {
  std::vector<std::string> vocab;  // byte-level text of each BPE token, by id (dense from 0)
  std::vector<std::pair<std::string, std::string>> merges;  // by rank, best first
  std::vector<AddedToken> added_tokens;  // ids may extend past the vocabulary
  std::vector<TokenId> unused_ids;       // placeholders that decode to nothing (GGUF padding)
  bool nfc = true;                       // NFC normalizer, else none
  std::string split_pattern;             // the pre-tokenizer Split regex (or literal)
  bool split_pattern_is_literal = false;
};

class Tokenizer {
 public:
  static Expected<Tokenizer> from_parts(TokenizerParts parts);
  // `path` is a tokenizer.json file or a directory that contains one.
  static Expected<Tokenizer> from_file(const std::string& path);
  // The text of a tokenizer.json. Only what Qwen2/Qwen3 use is supported (BPE model, NFC or no
  // normalizer, Split+ByteLevel pre-tokenizer, ByteLevel decoder); anything else is an error
  // naming the field, rather than a tokenizer that silently differs from HF.
  static Expected<Tokenizer> from_json(std::string_view json_text);
  // From GGUF metadata. Control tokens become special added tokens, user-defined tokens
  // non-special added tokens, the same split HF makes. Note: llama.cpp's converter marks every
  // token that looks like <|...|> as control, so <|fim_prefix|> and friends are special here
  // while tokenizer.json calls them non-special; ids are unaffected, skip_special is.
  // `pre` is tokenizer.ggml.pre ("qwen2" selects the Qwen2/3 regex), `tokens` the byte-level
  // texts by id, `token_types` one type per token (empty: all normal), `merges` "left right" in
  // rank order. The views need only live during the call.
  static Expected<Tokenizer> from_gguf(std::string_view pre,
                                       std::span<const std::string_view> tokens,
                                       std::span<const int32_t> token_types,
                                       std::span<const std::string_view> merges);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids of `text` (no BOS/EOS are added: Qwen3's post-processor adds none).
  Expected<std::vector<TokenId>> encode(std::string_view text) const;
  // Appends the ids of `text` to `ids`.
  Status encode_into(std::string_view text, std::vector<TokenId>& ids) const;

  // Text of `ids`; with `skip_special`, tokens marked special are left out (HF
  // skip_special_tokens). An id outside the vocabulary is an error.
  Expected<std::string> decode(std::span<const TokenId> ids, bool skip_special = false) const;

  // Appends the raw bytes of one token (possibly part of a UTF-8 character) to `bytes`;
  // nothing for a special token when `skip_special`. The streaming detokenizer builds on it.
  Status append_token_bytes(TokenId id, bool skip_special, std::string& bytes) const;

  // One more than the largest id the tokenizer knows (vocabulary plus added tokens).
  size_t vocab_size() const;
  // Id of an added token's content or a vocabulary entry's byte-level text.
  std::optional<TokenId> token_to_id(std::string_view text) const;
  bool is_special(TokenId id) const;
  const std::vector<AddedToken>& added_tokens() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qinfer::tokenizer
