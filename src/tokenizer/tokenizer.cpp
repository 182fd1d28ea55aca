#include "tokenizer/tokenizer.h"

#include <mutex>
#include <unordered_map>

#include "tokenizer/byte_level.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Pre-token -> ids. Real text repeats a small set of words, so most BPE runs are lookups.
// Bounded: when full it is simply cleared (cheap, and recent words refill it at once).
class WordCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 16;
  static constexpr size_t kMaxWordBytes = 256;  // longer words are rare and would bloat it

  bool lookup(std::string_view word, std::vector<TokenId>& out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = map_.find(word);
    if (it == map_.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  void insert(std::string_view word, const TokenId* ids, size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(std::string(word), std::vector<TokenId>(ids, ids + count));
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<TokenId>, StringHash, std::equal_to<>> map_;
};

constexpr uint8_t kKnown = 1;
constexpr uint8_t kSpecial = 2;

}  // namespace

struct Tokenizer::Impl {
  BpeModel bpe;
  RegexSplitter splitter;
  AddedTokenMatcher matcher;
  std::vector<AddedToken> added_tokens;
  bool nfc = true;
  // Bytes of token id are token_bytes[token_offsets[id] .. token_offsets[id + 1]).
  std::string token_bytes;
  std::vector<uint32_t> token_offsets;
  std::vector<uint8_t> token_flags;
  std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>> text_to_id;
  mutable WordCache cache;

  Impl(BpeModel bpe_model, RegexSplitter regex) : bpe(std::move(bpe_model)), splitter(std::move(regex)) {}

  void encode_piece(std::string_view word, std::vector<TokenId>& ids) const {
    if (word.size() == 1) {  // spaces, punctuation, digits (Qwen splits digits one by one)
      ids.push_back(bpe.byte_token(static_cast<unsigned char>(word[0])));
      return;
    }
    if (word.size() > WordCache::kMaxWordBytes) {
      bpe.encode_word(word, ids);
      return;
    }
    if (cache.lookup(word, ids)) return;
    const size_t start = ids.size();
    bpe.encode_word(word, ids);
    cache.insert(word, ids.data() + start, ids.size() - start);
  }

  // NFC, regex split and BPE of a piece of text that holds no added token.
  Status encode_plain(std::string_view text, std::vector<TokenId>& ids) const {
    if (text.empty()) return ok_status();
    thread_local std::string normalized;
    thread_local std::vector<std::string_view> pieces;
    std::string_view source = text;
    if (nfc && !is_nfc_inert(text)) {
      normalized.clear();
      QINFER_RETURN_IF_ERROR(append_nfc(text, normalized));
      source = normalized;
    }
    pieces.clear();
    QINFER_RETURN_IF_ERROR(splitter.split(source, pieces));
    for (std::string_view piece : pieces) encode_piece(piece, ids);
    return ok_status();
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Expected<Tokenizer> Tokenizer::from_parts(TokenizerParts parts) {
  if (parts.split_pattern.empty()) return make_error("tokenizer has no pre-tokenizer pattern");
  QINFER_ASSIGN_OR_RETURN(BpeModel bpe, BpeModel::create(parts.vocab, parts.merges));
  QINFER_ASSIGN_OR_RETURN(RegexSplitter splitter,
                          RegexSplitter::create(parts.split_pattern, parts.split_pattern_is_literal));
  auto impl = std::make_unique<Impl>(std::move(bpe), std::move(splitter));
  impl->nfc = parts.nfc;

  size_t size = parts.vocab.size();
  for (const AddedToken& token : parts.added_tokens) {
    if (token.id < 0) return make_error("added token '{}' has negative id {}", token.content, token.id);
    if (token.content.empty()) return make_error("added token {} has empty content", token.id);
    if (!is_valid_utf8(token.content)) {
      return make_error("added token {} is not valid UTF-8", token.id);
    }
    size = std::max(size, static_cast<size_t>(token.id) + 1);
  }
  for (TokenId id : parts.unused_ids) size = std::max(size, static_cast<size_t>(id) + 1);

  // Per-id bytes. Added tokens override vocabulary entries with the same id, as HF's decode
  // looks in the added vocabulary first; both go through the ByteLevel decoder's rule.
  std::vector<std::string> texts(size);
  impl->token_flags.assign(size, 0);
  for (size_t id = 0; id < parts.vocab.size(); ++id) {
    texts[id] = token_text_to_bytes(parts.vocab[id]);
    impl->token_flags[id] = kKnown;
    impl->text_to_id.emplace(parts.vocab[id], static_cast<TokenId>(id));
  }
  for (const AddedToken& token : parts.added_tokens) {
    texts[token.id] = token_text_to_bytes(token.content);
    impl->token_flags[token.id] = kKnown | (token.special ? kSpecial : 0);
    impl->text_to_id.insert_or_assign(token.content, token.id);
  }
  for (TokenId id : parts.unused_ids) {
    if (impl->token_flags[id] == 0) {
      texts[id].clear();
      impl->token_flags[id] = kKnown;
    }
  }
  impl->token_offsets.reserve(size + 1);
  for (const std::string& bytes : texts) {
    impl->token_offsets.push_back(static_cast<uint32_t>(impl->token_bytes.size()));
    impl->token_bytes += bytes;
  }
  impl->token_offsets.push_back(static_cast<uint32_t>(impl->token_bytes.size()));

  impl->matcher = AddedTokenMatcher(parts.added_tokens);
  impl->added_tokens = std::move(parts.added_tokens);
  return Tokenizer(std::move(impl));
}

Status Tokenizer::encode_into(std::string_view text, std::vector<TokenId>& ids) const {
  const size_t invalid_at = find_invalid_utf8(text);
  if (invalid_at != text.size()) {
    return make_error("input is not valid UTF-8 (ill-formed byte 0x{:02X} at offset {})",
                      static_cast<unsigned char>(text[invalid_at]), invalid_at);
  }
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedTokenMatcher::Match match = impl_->matcher.find(text, pos);
    const size_t plain_end = match.length > 0 ? match.begin : text.size();
    QINFER_RETURN_IF_ERROR(impl_->encode_plain(text.substr(pos, plain_end - pos), ids));
    if (match.length == 0) break;
    ids.push_back(match.id);
    pos = match.begin + match.length;
  }
  return ok_status();
}

Expected<std::vector<TokenId>> Tokenizer::encode(std::string_view text) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 1);
  QINFER_RETURN_IF_ERROR(encode_into(text, ids));
  return ids;
}

Status Tokenizer::append_token_bytes(TokenId id, bool skip_special, std::string& bytes) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->token_flags.size() ||
      impl_->token_flags[id] == 0) {
    return make_error("token id {} is not in the vocabulary (size {})", id, vocab_size());
  }
  if (skip_special && (impl_->token_flags[id] & kSpecial)) return ok_status();
  const uint32_t begin = impl_->token_offsets[id], end = impl_->token_offsets[id + 1];
  bytes.append(impl_->token_bytes, begin, end - begin);
  return ok_status();
}

Expected<std::string> Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::string bytes;
  bytes.reserve(ids.size() * 4);
  for (TokenId id : ids) QINFER_RETURN_IF_ERROR(append_token_bytes(id, skip_special, bytes));
  if (is_valid_utf8(bytes)) return bytes;
  return to_utf8_lossy(bytes);
}

size_t Tokenizer::vocab_size() const { return impl_->token_flags.size(); }

std::optional<TokenId> Tokenizer::token_to_id(std::string_view text) const {
  const auto it = impl_->text_to_id.find(text);
  if (it == impl_->text_to_id.end()) return std::nullopt;
  return it->second;
}

bool Tokenizer::is_special(TokenId id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->token_flags.size() &&
         (impl_->token_flags[id] & kSpecial) != 0;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added_tokens; }

}  // namespace qinfer::tokenizer
