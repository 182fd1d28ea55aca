// The Split pre-tokenizer of tokenizer.json with behavior "Isolated": the regex's matches and
// the gaps between them become separate pieces, in order. The pattern runs under PCRE2 (UTF +
// UCP, JIT-compiled) as written, with one translation so that PCRE2 means what Oniguruma (HF's
// engine) means: see oniguruma_to_pcre2(). The oracle test checks every code point.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace qinfer::tokenizer {

// The Qwen2/Qwen3 pre-tokenizer pattern (tokenizer.json; GGUF `tokenizer.ggml.pre == "qwen2"`).
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// PCRE2's \s in UCP mode also matches U+180E MONGOLIAN VOWEL SEPARATOR (its \h list predates
// Unicode 6.3, which removed U+180E from White_Space); Oniguruma's \s is exactly the Unicode
// White_Space property. So \s and \S become \p{White_Space} and \P{White_Space} (also inside
// character classes); every other escape is copied unchanged.
std::string oniguruma_to_pcre2(std::string_view pattern);

class RegexSplitter {
 public:
  // `pattern` is a regex, or a literal string when `is_literal` (tokenizer.json's
  // {"String": ...} form).
  static Expected<RegexSplitter> create(std::string_view pattern, bool is_literal = false);

  RegexSplitter(RegexSplitter&&) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) noexcept;
  ~RegexSplitter();

  // Appends the pieces of `text` (valid UTF-8) to `pieces`, in order; they concatenate to
  // `text` and point into it. Thread-safe: match scratch (match data, JIT stack) is per thread.
  Status split(std::string_view text, std::vector<std::string_view>& pieces) const;

  // Convenience for tests: the pieces as strings.
  Expected<std::vector<std::string>> split_to_vector(std::string_view text) const;

 private:
  struct Compiled;
  explicit RegexSplitter(std::unique_ptr<Compiled> compiled);

  std::unique_ptr<Compiled> compiled_;
};

}  // namespace qinfer::tokenizer
