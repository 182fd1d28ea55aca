// Tokenizer::from_gguf on the real Qwen3 vocabulary laid out as llama.cpp's converter writes it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::tokenizer {
namespace {

struct GgufArrays {
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
};

// tokenizer.json -> the arrays convert_hf_to_gguf.py writes for Qwen3 (vocab padded to 151936).
GgufArrays gguf_from_tokenizer_json() {
  std::ifstream in(testing::qwen3_tokenizer_path());
  const auto root = nlohmann::json::parse(in);
  GgufArrays out;
  out.tokens.resize(151936);
  out.types.assign(151936, kGgufTokenUnused);
  for (const auto& [text, id] : root["model"]["vocab"].items()) {
    out.tokens[id.get<size_t>()] = text;
    out.types[id.get<size_t>()] = kGgufTokenNormal;
  }
  for (const auto& token : root["added_tokens"]) {
    const auto id = token["id"].get<size_t>();
    const auto content = token["content"].get<std::string>();
    out.tokens[id] = content;
    const bool looks_special = content.rfind("<|", 0) == 0 && content.size() >= 4 &&
                               content.substr(content.size() - 2) == "|>";
    out.types[id] = token["special"].get<bool>() || looks_special ? kGgufTokenControl
                                                                  : kGgufTokenUserDefined;
  }
  for (size_t id = 0; id < out.tokens.size(); ++id) {
    if (out.types[id] == kGgufTokenUnused) out.tokens[id] = "[PAD" + std::to_string(id) + "]";
  }
  for (const auto& merge : root["model"]["merges"]) {
    out.merges.push_back(merge.is_string() ? merge.get<std::string>()
                                           : merge[0].get<std::string>() + " " +
                                                 merge[1].get<std::string>());
  }
  return out;
}

TEST(GgufVocab, BuildsTheSameTokenizer) {
  const GgufArrays arrays = gguf_from_tokenizer_json();
  std::vector<std::string_view> tokens(arrays.tokens.begin(), arrays.tokens.end());
  std::vector<std::string_view> merges(arrays.merges.begin(), arrays.merges.end());
  auto tok = Tokenizer::from_gguf("qwen2", tokens, arrays.types, merges);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->vocab_size(), 151936u);
  for (const char* text : {"<|im_start|>system\nYou are 助手.<|im_end|>", "<think>\n\n</think>\n\n",
                           "e\xCC\x81 123 [PAD151700] don't\r\n\t  x 🙂"}) {
    EXPECT_EQ(*tok->encode(text), *testing::qwen3().encode(text)) << text;
  }
  const std::vector<TokenId> pad{151700};
  EXPECT_EQ(*tok->decode(pad), "");  // unused padding ids decode to nothing
}

TEST(GgufVocab, RejectsUnknownPreAndBadTypes) {
  std::vector<std::string_view> tokens{"a"};
  std::vector<int32_t> types{6};
  EXPECT_FALSE(Tokenizer::from_gguf("llama-bpe", tokens, {}, {}).ok());
  auto bad = Tokenizer::from_gguf("qwen2", tokens, types, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("type 6"), std::string::npos);
}

}  // namespace
}  // namespace qinfer::tokenizer
