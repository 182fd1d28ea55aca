// Stop strings over streamed, decoded text (OpenAI's `stop`). A stop string may arrive split
// across any number of tokens, so text that could still be the start of one is held back until
// the next piece shows whether it is: the caller shows `emit` at once and nothing else, and when
// a stop string completes the output ends right before it (the stop string itself is not part of
// the output, as in OpenAI's API and vLLM's default).
//
// Matching is on bytes of UTF-8 text. Stop strings are valid UTF-8, so any held-back suffix starts
// at a character boundary: emitted text never splits a character the caller handed in whole.
// Several stop strings completing in one piece: the earliest in the text wins (the output is the
// same whichever one is reported when they start at the same byte; the shorter one is reported).
//
// Cost per piece is O(pending bytes * total stop-string bytes), pending being the held-back text
// (shorter than the longest stop string) plus the new piece; buffers are reserved once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace qinfer {

class StopMatcher {
 public:
  // Each stop string non-empty, valid UTF-8. No stop strings: every piece is emitted as it comes.
  static Expected<StopMatcher> create(std::vector<std::string> stop_strings);

  struct Step {
    std::string_view emit;  // text safe to show now; valid until the next push() or flush()
    bool stopped = false;   // a stop string completed: `emit` ends right before it
    int stop_index = -1;    // which stop string completed, or -1
  };

  // Feeds the next decoded piece. After a stop, every push returns {"", true, index}.
  Step push(std::string_view piece);

  // Generation ended for another reason (end-of-sequence token, length): the held-back text
  // belongs to the output after all. Empty after a stop.
  std::string_view flush();

  bool stopped() const { return stop_index_ >= 0; }

 private:
  explicit StopMatcher(std::vector<std::string> stop_strings);
  size_t held_back_length() const;

  std::vector<std::string> stops_;
  std::string pending_;   // text not yet handed out: [0, emitted_) was returned by the last call
  size_t emitted_ = 0;    // erased from pending_ at the start of the next call, keeping views valid
  int stop_index_ = -1;
};

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values > U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace qinfer
