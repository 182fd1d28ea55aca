// Added tokens (<|im_start|>, <think>, <tool_call>, ...) are cut out of the input before
// normalization and BPE, special or not. HF finds them with an Aho-Corasick automaton in
// leftmost-longest mode: at the leftmost position where any added token occurs, the longest
// one wins. Each piece between matches then goes through NFC, the regex split and BPE.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/bpe_model.h"

namespace qinfer::tokenizer {

struct AddedToken {
  std::string content;
  TokenId id = 0;
  bool special = false;  // skipped by decode(skip_special_tokens=true)
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  struct Match {
    size_t begin = 0;
    size_t length = 0;  // 0: no match
    TokenId id = 0;
  };
  // The leftmost-longest added token in text[from...], or a Match with length 0.
  Match find(std::string_view text, size_t from) const;

  bool empty() const { return candidates_.empty(); }

 private:
  struct Candidate {
    std::string content;
    TokenId id;
  };
  // Candidates sorted by first byte, then by decreasing length; first_[b]..first_[b+1] is the
  // range starting with byte b. A scan only stops at bytes that begin some token, so text
  // without '<' costs one table lookup per byte for Qwen's tokens.
  std::vector<Candidate> candidates_;
  std::array<uint32_t, 257> first_{};
};

}  // namespace qinfer::tokenizer
