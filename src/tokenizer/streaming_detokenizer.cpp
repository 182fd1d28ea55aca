#include "tokenizer/streaming_detokenizer.h"

#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {

Status StreamingDetokenizer::push(TokenId id, std::string& text) {
  const size_t held = pending_.size();
  Status status = tokenizer_->append_token_bytes(id, skip_special_, pending_);
  if (!status.ok()) {
    pending_.resize(held);
    return status;
  }
  const size_t consumed = append_utf8_lossy(pending_, /*end_of_input=*/false, text);
  pending_.erase(0, consumed);
  return ok_status();
}

void StreamingDetokenizer::finish(std::string& text) {
  append_utf8_lossy(pending_, /*end_of_input=*/true, text);
  pending_.clear();
}

}  // namespace qinfer::tokenizer
