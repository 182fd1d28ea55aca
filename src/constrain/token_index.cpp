#include "constrain/token_index.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "constrain/string_lexeme.h"

namespace qinfer::constrain {

Expected<std::shared_ptr<const TokenIndex>> TokenIndex::build(
    const tokenizer::Tokenizer& tokenizer, int64_t model_vocab_size) {
  const auto tokenizer_ids = static_cast<int64_t>(tokenizer.vocab_size());
  if (model_vocab_size < tokenizer_ids) {
    return make_error("model vocabulary ({}) is smaller than the tokenizer's ({})",
                      model_vocab_size, tokenizer_ids);
  }
  std::shared_ptr<TokenIndex> index(new TokenIndex);
  index->model_vocab_size_ = model_vocab_size;
  std::vector<std::string> texts(static_cast<size_t>(tokenizer_ids));
  std::vector<int32_t> ids;
  ids.reserve(texts.size());
  for (int32_t id = 0; id < tokenizer_ids; ++id) {
    if (tokenizer.is_special(id)) continue;
    QINFER_RETURN_IF_ERROR(tokenizer.append_token_bytes(id, false, texts[static_cast<size_t>(id)]));
    const size_t length = texts[static_cast<size_t>(id)].size();
    if (length == 0) continue;  // unused placeholder ids
    // Scan entries store offsets in 16 bits; no real vocabulary comes near.
    if (length >= StringScan::kInside) return make_error("token {} is {} bytes long", id, length);
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    const std::string& ta = texts[static_cast<size_t>(a)];
    const std::string& tb = texts[static_cast<size_t>(b)];
    return ta < tb || (ta == tb && a < b);
  });
  index->sorted_ids_ = ids;
  index->sorted_of_id_.assign(static_cast<size_t>(model_vocab_size), -1);
  index->offsets_.reserve(ids.size() + 1);
  for (size_t s = 0; s < ids.size(); ++s) {
    const std::string& text = texts[static_cast<size_t>(ids[s])];
    index->offsets_.push_back(static_cast<uint32_t>(index->bytes_.size()));
    index->bytes_ += text;
    index->sorted_of_id_[static_cast<size_t>(ids[s])] = static_cast<int32_t>(s);
    index->max_token_bytes_ = std::max(index->max_token_bytes_, text.size());
  }
  index->offsets_.push_back(static_cast<uint32_t>(index->bytes_.size()));
  index->build_trie();
  index->build_scans();
  return std::shared_ptr<const TokenIndex>(std::move(index));
}

std::string_view TokenIndex::token_bytes(int32_t id) const {
  if (id < 0 || id >= model_vocab_size_) return {};
  const int32_t s = sorted_of_id_[static_cast<size_t>(id)];
  return s < 0 ? std::string_view() : sorted_bytes(static_cast<uint32_t>(s));
}

void TokenIndex::build_trie() {
  // Sorted byte strings: each token shares a prefix with the one before it, so its new nodes
  // are appended after closing the nodes deeper than that prefix, which is preorder.
  const auto count = static_cast<uint32_t>(sorted_ids_.size());
  trie_.push_back({});
  std::vector<uint32_t> path = {0};  // node index at each depth of the current prefix
  std::string_view previous;
  const auto close_deeper_than = [&](size_t depth, uint32_t next_token) {
    while (path.size() > depth + 1) {
      TrieNode& node = trie_[path.back()];
      node.subtree_end = static_cast<uint32_t>(trie_.size());
      node.tok_end = next_token;
      path.pop_back();
    }
  };
  for (uint32_t s = 0; s < count; ++s) {
    const std::string_view text = sorted_bytes(s);
    size_t common = 0;
    while (common < previous.size() && common < text.size() && previous[common] == text[common]) {
      ++common;
    }
    close_deeper_than(common, s);
    for (size_t depth = common + 1; depth <= text.size(); ++depth) {
      TrieNode node;
      node.depth = static_cast<uint16_t>(depth);
      node.byte = static_cast<uint8_t>(text[depth - 1]);
      node.tok_begin = s;
      node.ends_end = s;
      path.push_back(static_cast<uint32_t>(trie_.size()));
      trie_.push_back(node);
    }
    ++trie_[path.back()].ends_end;  // the token is exactly the deepest prefix
    previous = text;
  }
  close_deeper_than(0, count);
  trie_[0].subtree_end = static_cast<uint32_t>(trie_.size());
  trie_[0].tok_end = count;
}

void TokenIndex::build_scans() {
  for (const StringFlavor flavor : {StringFlavor::kJson, StringFlavor::kAsciiKey}) {
    std::vector<StringScan>& scans = scans_[static_cast<size_t>(flavor)];
    scans.resize(bytes_.size() + sorted_ids_.size());
    for (uint32_t s = 0; s < sorted_ids_.size(); ++s) {
      const std::string_view text = sorted_bytes(s);
      for (size_t offset = 0; offset <= text.size(); ++offset) {
        StringScan scan{StringScan::kInside, 0};
        uint8_t state = kAtBoundary;
        for (size_t i = offset; i < text.size(); ++i) {
          const ByteStep step = string_byte_step(flavor, state, static_cast<uint8_t>(text[i]));
          if (step.kind == ByteStep::kReject) {
            scan.end = StringScan::kInvalid;
            break;
          }
          if (step.kind == ByteStep::kClose) {
            scan.end = static_cast<uint16_t>(i + 1);
            break;
          }
          state = step.state;
          scan.characters = static_cast<uint16_t>(scan.characters + step.starts_character);
        }
        scans[offsets_[s] + s + offset] = scan;
      }
    }
    RootStringScans& root = root_scans_[static_cast<size_t>(flavor)];
    root.inside.assign(static_cast<size_t>((model_vocab_size_ + 63) / 64), 0);
    std::vector<uint32_t> inside;
    for (uint32_t s = 0; s < sorted_ids_.size(); ++s) {
      const StringScan scan = scans[offsets_[s] + s];
      const auto id = static_cast<uint64_t>(sorted_ids_[s]);
      if (scan.end == StringScan::kInside) {
        root.inside[id >> 6] |= uint64_t{1} << (id & 63);
        inside.push_back(s);
      } else if (scan.end != StringScan::kInvalid) {
        root.closing.push_back(s);
      }
    }
    const auto characters = [&](uint32_t s) { return scans[offsets_[s] + s].characters; };
    std::stable_sort(inside.begin(), inside.end(),
                     [&](uint32_t a, uint32_t b) { return characters(a) < characters(b); });
    for (const uint32_t s : inside) {
      root.inside_ids.push_back(sorted_ids_[s]);
      root.inside_characters.push_back(characters(s));
    }
  }
}

}  // namespace qinfer::constrain
