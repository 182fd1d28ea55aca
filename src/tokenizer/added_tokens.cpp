#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace qinfer::tokenizer {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) {
  for (const AddedToken& token : tokens) {
    if (!token.content.empty()) candidates_.push_back({token.content, token.id});
  }
  std::stable_sort(candidates_.begin(), candidates_.end(),
                   [](const Candidate& a, const Candidate& b) {
                     const auto a0 = static_cast<unsigned char>(a.content[0]);
                     const auto b0 = static_cast<unsigned char>(b.content[0]);
                     if (a0 != b0) return a0 < b0;
                     return a.content.size() > b.content.size();
                   });
  size_t index = 0;
  for (unsigned b = 0; b <= 256; ++b) {
    while (index < candidates_.size() &&
           static_cast<unsigned char>(candidates_[index].content[0]) < b) {
      ++index;
    }
    first_[b] = static_cast<uint32_t>(index);
  }
}

AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view text, size_t from) const {
  if (candidates_.empty()) return {};
  for (size_t pos = from; pos < text.size(); ++pos) {
    const auto b = static_cast<unsigned char>(text[pos]);
    const uint32_t begin = first_[b], end = first_[b + 1];
    // Longest first, so the first hit at this position is the leftmost-longest match.
    for (uint32_t i = begin; i < end; ++i) {
      const std::string& content = candidates_[i].content;
      if (text.compare(pos, content.size(), content) == 0) {
        return {pos, content.size(), candidates_[i].id};
      }
    }
  }
  return {};
}

}  // namespace qinfer::tokenizer
