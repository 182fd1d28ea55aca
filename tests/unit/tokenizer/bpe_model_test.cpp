#include "tokenizer/bpe_model.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tokenizer/byte_level.h"

namespace qinfer::tokenizer {
namespace {

// Vocabulary: the 256 byte symbols plus every merge result, merges given in rank order.
BpeModel make_model(const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> vocab;
  for (unsigned b = 0; b < 256; ++b) vocab.push_back(bytes_to_byte_level(std::string(1, char(b))));
  for (const auto& [left, right] : merges) vocab.push_back(left + right);
  auto model = BpeModel::create(vocab, merges);
  EXPECT_TRUE(model.ok());
  return std::move(model).value();
}

TEST(BpeModel, LowestRankFirstLeftmostOnTies) {
  // "aaa" with a single merge (a,a): the leftmost pair merges -> [aa, a].
  const BpeModel model = make_model({{"a", "a"}});
  std::vector<TokenId> ids;
  model.encode_word("aaa", ids);
  EXPECT_EQ(ids, (std::vector<TokenId>{256, 'a'}));
  // Rank decides over position: (b,c) has a better rank than (a,b).
  const BpeModel ranked = make_model({{"b", "c"}, {"a", "b"}});
  ids.clear();
  ranked.encode_word("abc", ids);
  EXPECT_EQ(ids, (std::vector<TokenId>{'a', 256}));
}

TEST(BpeModel, MissingByteSymbolIsAnError) {
  auto model = BpeModel::create({"a", "b"}, {});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("byte 0x00"), std::string::npos);
}

// The two merge loops must agree on every word; random words over a small alphabet with many
// overlapping merges exercise ties and stale heap entries.
TEST(BpeModel, FlatAndHeapMergesAgree) {
  std::mt19937 rng(1234);
  const std::string alphabet = "abcd";
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<std::string> known(alphabet.size());
  for (size_t i = 0; i < alphabet.size(); ++i) known[i] = std::string(1, alphabet[i]);
  for (int i = 0; i < 120; ++i) {
    const std::string& left = known[rng() % known.size()];
    const std::string& right = known[rng() % known.size()];
    if (left.size() + right.size() > 8) continue;
    merges.emplace_back(left, right);
    known.push_back(left + right);
  }
  // Duplicate texts in the vocabulary would make ids ambiguous: keep the first of each.
  std::vector<std::pair<std::string, std::string>> unique_merges;
  std::set<std::string> seen(known.begin(), known.begin() + alphabet.size());
  for (const auto& merge : merges) {
    if (seen.insert(merge.first + merge.second).second) unique_merges.push_back(merge);
  }
  const BpeModel model = make_model(unique_merges);
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t length = 1 + rng() % BpeModel::kFlatMergeMaxBytes;
    std::string word;
    for (size_t i = 0; i < length; ++i) word.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<TokenId> flat, heap;
    model.encode_word_flat(word, flat);
    model.encode_word_heap(word, heap);
    ASSERT_EQ(flat, heap) << word;
  }
}

}  // namespace
}  // namespace qinfer::tokenizer
