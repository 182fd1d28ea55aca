#include "engine/text_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/text_assets.h"
#include "tiny_model.h"
#include "sampling/stop_strings.h"

namespace qinfer::engine {
namespace {

using testing::kEndOfText;
using testing::kImEnd;

class TextSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::TinyModel& tiny = testing::tiny_model();
    ASSERT_TRUE(tiny.model && tiny.assets);
    model_ = tiny.model.get();
    assets_ = tiny.assets.get();
    pool_ = tiny.pool.get();
  }

  static std::unique_ptr<TextSession> new_session(int64_t context = 256, int64_t chunk = 16) {
    auto session = TextSession::create(*model_, assets_->tokenizer, *pool_,
                                       SessionOptions{context, chunk});
    EXPECT_TRUE(session.ok()) << session.error().message;
    return session.ok() ? std::move(session).value() : nullptr;
  }

  static std::vector<int32_t> encode(const std::string& text) {
    auto ids = assets_->tokenizer.encode(text);
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? *ids : std::vector<int32_t>{};
  }

  static GenerationRequest greedy(std::vector<int32_t> prompt, int64_t max_new_tokens) {
    GenerationRequest request;
    request.prompt = std::move(prompt);
    request.max_new_tokens = max_new_tokens;
    request.eos_token_ids = {kEndOfText, kImEnd};
    return request;
  }

  static GenerationResult run(TextSession& session, const GenerationRequest& request,
                              std::string* streamed = nullptr,
                              const std::atomic<bool>* cancel = nullptr) {
    auto result = session.generate(
        request, [&](std::string_view piece) { if (streamed) streamed->append(piece); }, cancel);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? std::move(result).value() : GenerationResult{};
  }

  static inline Model* model_ = nullptr;
  static inline TextAssets* assets_ = nullptr;
  static inline ThreadPool* pool_ = nullptr;
};

TEST_F(TextSessionTest, StreamedTextIsTheDecodeOfTheGeneratedIds) {
  auto session = new_session();
  std::string streamed;
  const GenerationResult result = run(*session, greedy(encode("Hello, how are you?"), 12), &streamed);
  ASSERT_FALSE(result.generated_ids.empty());
  std::vector<int32_t> ids = result.generated_ids;
  if (result.stop_reason == StopReason::kStop) ids.pop_back();  // the EOS id has no text
  auto decoded = assets_->tokenizer.decode(ids);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(streamed, *decoded);
  EXPECT_EQ(result.text, streamed);
  EXPECT_EQ(result.prompt_tokens, 6);
  EXPECT_EQ(result.prefill_tokens, 6);
}

TEST_F(TextSessionTest, IgnoringEosRunsToTheTokenBudget) {
  auto session = new_session();
  GenerationRequest request = greedy(encode("Count: one, two,"), 5);
  request.ignore_eos = true;
  const GenerationResult result = run(*session, request);
  EXPECT_EQ(result.stop_reason, StopReason::kLength);
  EXPECT_EQ(result.generated_ids.size(), 5u);
  EXPECT_EQ(result.decode_steps, 4);  // the last token is never fed back
}

// The heart of chat: a second turn that extends the first reuses the cache, and gives the same
// tokens as a session that computes the whole prompt from scratch.
TEST_F(TextSessionTest, KvPrefixReuseGivesTheSameTokensAsAFreshSession) {
  auto session = new_session();
  GenerationRequest first = greedy(encode("The quick brown fox"), 6);
  first.ignore_eos = true;
  const GenerationResult turn1 = run(*session, first);
  ASSERT_EQ(turn1.generated_ids.size(), 6u);

  std::vector<int32_t> prompt2 = first.prompt;
  prompt2.insert(prompt2.end(), turn1.generated_ids.begin(), turn1.generated_ids.end());
  for (int32_t id : encode(" jumps over the lazy dog")) prompt2.push_back(id);
  GenerationRequest second = greedy(prompt2, 8);
  second.ignore_eos = true;
  const GenerationResult reused = run(*session, second);
  // Prompt and the first 5 generated tokens were fed through the forward pass.
  EXPECT_EQ(reused.reused_prompt_tokens, static_cast<int64_t>(first.prompt.size()) + 5);
  EXPECT_EQ(reused.prefill_tokens,
            static_cast<int64_t>(prompt2.size()) - reused.reused_prompt_tokens);

  auto fresh_session = new_session();
  const GenerationResult fresh = run(*fresh_session, second);
  EXPECT_EQ(fresh.reused_prompt_tokens, 0);
  EXPECT_EQ(reused.generated_ids, fresh.generated_ids);

  // A prompt that diverges after 2 tokens cuts the cache back to them.
  std::vector<int32_t> prompt3(first.prompt.begin(), first.prompt.begin() + 2);
  for (int32_t id : encode(" cat sat on the mat")) prompt3.push_back(id);
  GenerationRequest third = greedy(prompt3, 6);
  third.ignore_eos = true;
  const GenerationResult diverged = run(*session, third);
  EXPECT_EQ(diverged.reused_prompt_tokens, 2);
  auto fresh3 = new_session();
  EXPECT_EQ(diverged.generated_ids, run(*fresh3, third).generated_ids);

  // The same prompt again recomputes only its last token.
  const GenerationResult again = run(*session, third);
  EXPECT_EQ(again.reused_prompt_tokens, static_cast<int64_t>(prompt3.size()) - 1);
  EXPECT_EQ(again.prefill_tokens, 1);
  EXPECT_EQ(again.generated_ids, diverged.generated_ids);

  session->reset();
  EXPECT_EQ(run(*session, third).reused_prompt_tokens, 0);
}

TEST_F(TextSessionTest, StopStringTruncatesTheOutput) {
  auto session = new_session();
  GenerationRequest request = greedy(encode("Once upon a time"), 16);
  request.ignore_eos = true;
  const GenerationResult full = run(*session, request);
  // A stop string taken from the text of a token in the middle of the output.
  std::string stop;
  for (size_t k = full.generated_ids.size() / 2; k < full.generated_ids.size() && stop.empty(); ++k) {
    auto piece = assets_->tokenizer.decode(std::vector<int32_t>{full.generated_ids[k]});
    if (piece.ok() && !piece->empty() && is_valid_utf8(*piece) &&
        piece->find("\xEF\xBF\xBD") == std::string::npos) {
      stop = *piece;
    }
  }
  ASSERT_FALSE(stop.empty()) << "no decodable token in: " << full.text;
  request.stop = {stop};
  std::string streamed;
  const GenerationResult stopped = run(*session, request, &streamed);
  EXPECT_EQ(stopped.stop_reason, StopReason::kStop);
  EXPECT_EQ(streamed, full.text.substr(0, full.text.find(stop)));
  EXPECT_EQ(stopped.text, streamed);
  EXPECT_LT(stopped.generated_ids.size(), full.generated_ids.size());
}

TEST_F(TextSessionTest, CancellationStopsWithinOneTokenAndKeepsTheSessionUsable) {
  auto session = new_session();
  GenerationRequest request = greedy(encode("Tell me a long story"), 40);
  request.ignore_eos = true;
  std::atomic<bool> cancel{false};
  int pieces = 0;
  auto result = session->generate(
      request, [&](std::string_view) { if (++pieces == 3) cancel.store(true); }, &cancel);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop_reason, StopReason::kCancelled);
  EXPECT_LT(result->generated_ids.size(), 40u);
  EXPECT_EQ(pieces, 3);

  // Cancelled before anything ran: no prefill, no tokens.
  auto before = session->generate(request, nullptr, &cancel);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->stop_reason, StopReason::kCancelled);
  EXPECT_TRUE(before->generated_ids.empty());

  cancel.store(false);
  const GenerationResult after = run(*session, request);
  auto fresh = new_session();
  EXPECT_EQ(after.generated_ids, run(*fresh, request).generated_ids);
}

TEST_F(TextSessionTest, ContextOverflowIsAClearError) {
  auto session = new_session(/*context=*/32);
  auto result = session->generate(greedy(encode("Hello there"), 31), nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("exceeds the context of 32 tokens"), std::string::npos)
      << result.error().message;
  auto empty = session->generate(greedy({}, 4), nullptr);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace qinfer::engine
