// Incremental detokenization for streamed generation. A token may end in the middle of a UTF-8
// character (byte-level BPE splits emoji and CJK across tokens); those bytes wait until the
// character is complete, so every chunk emitted is valid UTF-8 on its own. Bytes that can
// never become valid are emitted as U+FFFD at once; an incomplete character left at the end of
// the stream becomes U+FFFD in finish(). The concatenation of all chunks equals
// Tokenizer::decode() of the same ids (same U+FFFD rule as HF's errors="replace").
#pragma once

#include <string>

#include "base/expected.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::tokenizer {

class StreamingDetokenizer {
 public:
  // `tokenizer` must outlive this object.
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_special = false)
      : tokenizer_(&tokenizer), skip_special_(skip_special) {}

  // Adds one token; appends the text it completes (possibly nothing) to `text`.
  // An unknown id is an error and leaves the state unchanged.
  Status push(TokenId id, std::string& text);

  // Ends the stream: appends what is still pending, an incomplete character as U+FFFD.
  void finish(std::string& text);

  // Bytes held back because they end in an incomplete character (at most 3).
  size_t pending_bytes() const { return pending_.size(); }

  void reset() { pending_.clear(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace qinfer::tokenizer
