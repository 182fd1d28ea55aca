// The batching scheduler against the single-sequence TextSession on the same tiny model: a
// request's tokens are the same alone or among others, with prompts chunked across steps,
// prefixes reused from its own slot or copied from another, and cancellation freeing slots.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tiny_model.h"

namespace qinfer::engine {
namespace {

using testing::tiny_model;

struct Outcome {
  std::string streamed;
  std::vector<int32_t> tokens;
  std::vector<TokenOutput> outputs;  // text views are not kept
  std::vector<std::vector<TokenLogprob>> tops;
  GenerationResult result;
  std::string error;
};

// Submits a request and returns a future of its outcome.
std::future<Outcome> submit(Scheduler& scheduler, GenerationRequest request, int top_logprobs = -1,
                            std::shared_ptr<std::atomic<bool>> cancel = nullptr,
                            std::promise<void>* first_token = nullptr) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  auto outcome = std::make_shared<Outcome>();
  SequenceRequest sequence;
  sequence.generation = std::move(request);
  sequence.top_logprobs = top_logprobs;
  sequence.cancel = std::move(cancel);
  sequence.on_token = [outcome, first_token](const TokenOutput& out) {
    outcome->streamed.append(out.text);
    outcome->tokens.push_back(out.token);
    TokenOutput kept = out;
    kept.text = {};
    kept.top = {};
    outcome->outputs.push_back(kept);
    outcome->tops.emplace_back(out.top.begin(), out.top.end());
    if (first_token != nullptr && outcome->tokens.size() == 1) first_token->set_value();
  };
  sequence.on_done = [outcome, promise](Expected<GenerationResult> result) {
    if (result.ok()) {
      outcome->result = std::move(result).value();
    } else {
      outcome->error = result.error().message;
    }
    promise->set_value(std::move(*outcome));
  };
  const SubmitResult submitted = scheduler.submit(std::move(sequence));
  EXPECT_TRUE(submitted.ok()) << submitted.message;
  return promise->get_future();
}

GenerationRequest sampled(std::vector<int32_t> prompt, int64_t max_new_tokens, uint64_t seed) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.max_new_tokens = max_new_tokens;
  request.eos_token_ids = {testing::kEndOfText, testing::kImEnd};
  request.sampler.temperature = 0.8;
  request.sampler.top_k = 40;
  request.sampler.seed = seed;
  return request;
}

std::unique_ptr<Scheduler> make_scheduler(int64_t slots, int64_t batch_tokens,
                                          int64_t max_queued = 16, int64_t context = 256,
                                          std::optional<DType> kv_dtype = std::nullopt) {
  testing::TinyModel& tiny = tiny_model();
  auto scheduler = Scheduler::create(*tiny.model, tiny.assets->tokenizer, *tiny.pool,
                                     {.slots = slots, .context_tokens = context,
                                      .batch_tokens = batch_tokens, .max_queued = max_queued,
                                      .kv_dtype = kv_dtype});
  EXPECT_TRUE(scheduler.ok()) << scheduler.error().message;
  return scheduler.ok() ? std::move(scheduler).value() : nullptr;
}

// The same request through a fresh single-conversation session, on its own threads (a pool
// runs one caller's work at a time, and the scheduler may still be using the shared one).
GenerationResult alone(const GenerationRequest& request,
                       std::optional<DType> kv_dtype = std::nullopt) {
  testing::TinyModel& tiny = tiny_model();
  ThreadPool pool(2);
  auto session = TextSession::create(*tiny.model, tiny.assets->tokenizer, pool,
                                     {.context_tokens = 256, .prefill_chunk_tokens = 512,
                                      .kv_dtype = kv_dtype});
  EXPECT_TRUE(session.ok());
  auto result = (*session)->generate(request, nullptr);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? std::move(result).value() : GenerationResult{};
}

std::vector<GenerationRequest> six_requests() {
  testing::TinyModel& tiny = tiny_model();
  const char* prompts[] = {"Hello there, how are you today?", "Tell me about banks.",
                           "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
                           "短い日本語の文です。", "Order A-1234 status?", "x"};
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 6; ++i) {
    requests.push_back(sampled(tiny.encode(prompts[i]), 6 + 3 * i, 100 + static_cast<uint64_t>(i)));
    requests.back().ignore_eos = i % 2 == 0;
  }
  return requests;
}

void expect_requests_run_together_give_the_tokens_each_gives_alone(DType kv_dtype) {
  ASSERT_TRUE(tiny_model().model);
  const std::vector<GenerationRequest> requests = six_requests();
  // 4 slots for 6 requests (two wait in the queue); an 8-token budget forces prompts to be
  // chunked across steps and interleaved with other sequences' decoding.
  auto scheduler = make_scheduler(4, 8, 16, 256, kv_dtype);
  ASSERT_TRUE(scheduler);
  std::vector<std::future<Outcome>> futures;
  for (const GenerationRequest& request : requests) futures.push_back(submit(*scheduler, request));
  for (size_t i = 0; i < requests.size(); ++i) {
    const Outcome outcome = futures[i].get();
    ASSERT_TRUE(outcome.error.empty()) << outcome.error;
    const GenerationResult expected = alone(requests[i], kv_dtype);
    EXPECT_EQ(outcome.result.generated_ids, expected.generated_ids) << "request " << i;
    EXPECT_EQ(outcome.tokens, expected.generated_ids) << "request " << i;
    EXPECT_EQ(outcome.result.text, expected.text);
    EXPECT_EQ(outcome.streamed, expected.text);
    EXPECT_EQ(outcome.result.stop_reason, expected.stop_reason);
    EXPECT_EQ(outcome.result.prefill_tokens, static_cast<int64_t>(requests[i].prompt.size()));
  }
  const SchedulerStats stats = scheduler->stats();
  EXPECT_EQ(stats.requests_done, 6);
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.queued, 0);
}

// With either KV cache type (auto is F32 for the tiny model's F32 weights).
TEST(Scheduler, RequestsRunTogetherGiveTheTokensEachGivesAlone) {
  for (DType kv_dtype : {DType::F32, DType::F16}) {
    SCOPED_TRACE(dtype_name(kv_dtype));
    expect_requests_run_together_give_the_tokens_each_gives_alone(kv_dtype);
  }
}

TEST(Scheduler, KvTypeAndCacheBytes) {
  const Qwen3Config& config = tiny_model().model->config;
  auto automatic = make_scheduler(3, 8, 16, 128);
  ASSERT_TRUE(automatic);
  EXPECT_EQ(automatic->kv_dtype(), DType::F32);
  EXPECT_EQ(automatic->kv_cache_bytes(), 3 * 128 * KvCache::bytes_per_position(config, DType::F32));
  auto f16 = make_scheduler(3, 8, 16, 128, DType::F16);
  ASSERT_TRUE(f16);
  EXPECT_EQ(f16->kv_dtype(), DType::F16);
  EXPECT_EQ(2 * f16->kv_cache_bytes(), automatic->kv_cache_bytes());
}

void expect_shared_prefix_reused_or_copied(DType kv_dtype) {
  ASSERT_TRUE(tiny_model().model);
  testing::TinyModel& tiny = tiny_model();
  const std::vector<int32_t> system =
      tiny.encode("You are the assistant of a bank. Answer briefly and never share data.");
  auto with_question = [&](const std::string& question) {
    std::vector<int32_t> prompt = system;
    const std::vector<int32_t> q = tiny.encode(question);
    prompt.insert(prompt.end(), q.begin(), q.end());
    return prompt;
  };
  auto scheduler = make_scheduler(2, 64, 16, 256, kv_dtype);
  ASSERT_TRUE(scheduler);
  const GenerationRequest first = sampled(with_question(" What is my balance?"), 5, 1);
  const Outcome a = submit(*scheduler, first).get();
  EXPECT_EQ(a.result.reused_prompt_tokens, 0);
  // Two at once: one lands in the slot holding the prefix, the other copies it.
  const GenerationRequest second = sampled(with_question(" Open an account."), 5, 2);
  const GenerationRequest third = sampled(with_question(" Close my card."), 5, 3);
  auto b = submit(*scheduler, second);
  auto c = submit(*scheduler, third);
  const Outcome rb = b.get(), rc = c.get();
  EXPECT_GE(rb.result.reused_prompt_tokens, static_cast<int64_t>(system.size()) - 1);
  EXPECT_GE(rc.result.reused_prompt_tokens, static_cast<int64_t>(system.size()) - 1);
  EXPECT_EQ(rb.result.generated_ids, alone(second, kv_dtype).generated_ids);
  EXPECT_EQ(rc.result.generated_ids, alone(third, kv_dtype).generated_ids);
  // A prompt a slot still holds: everything but its last token comes from the cache.
  const Outcome again = submit(*scheduler, second).get();
  EXPECT_EQ(again.result.reused_prompt_tokens, static_cast<int64_t>(second.prompt.size()) - 1);
  EXPECT_EQ(again.result.generated_ids, rb.result.generated_ids);
  EXPECT_GT(scheduler->stats().reused_prompt_tokens, 0);
}

// A copied prefix is the source slot's keys and values as stored, in either type.
TEST(Scheduler, SharedPrefixIsReusedFromItsSlotOrCopiedFromAnother) {
  for (DType kv_dtype : {DType::F32, DType::F16}) {
    SCOPED_TRACE(dtype_name(kv_dtype));
    expect_shared_prefix_reused_or_copied(kv_dtype);
  }
}

TEST(Scheduler, CancelledRequestFreesItsSlotAndOthersContinue) {
  ASSERT_TRUE(tiny_model().model);
  auto scheduler = make_scheduler(1, 32);
  ASSERT_TRUE(scheduler);
  GenerationRequest endless = sampled(tiny_model().encode("Write forever."), 200, 5);
  endless.ignore_eos = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::promise<void> first_token;
  auto running = submit(*scheduler, endless, -1, cancel, &first_token);
  first_token.get_future().wait();
  cancel->store(true);
  const Outcome cancelled = running.get();
  EXPECT_EQ(cancelled.result.stop_reason, StopReason::kCancelled);
  EXPECT_LT(cancelled.tokens.size(), 200u);
  // The single slot is free again.
  const GenerationRequest next = sampled(tiny_model().encode("Next customer."), 4, 6);
  const Outcome after = submit(*scheduler, next).get();
  EXPECT_EQ(after.result.generated_ids, alone(next).generated_ids);
}

TEST(Scheduler, TimeLimitEndsAGenerationAsLengthKeepingItsTokens) {
  ASSERT_TRUE(tiny_model().model);
  auto scheduler = make_scheduler(1, 32);
  ASSERT_TRUE(scheduler);
  GenerationRequest endless = sampled(tiny_model().encode("Write forever."), 200, 5);
  endless.ignore_eos = true;
  endless.time_limit = std::chrono::milliseconds(1);
  const Outcome limited = submit(*scheduler, endless).get();
  EXPECT_EQ(limited.result.stop_reason, StopReason::kLength);
  EXPECT_LT(limited.tokens.size(), 200u);
  EXPECT_EQ(limited.result.generated_ids.size(), limited.tokens.size());
  // Without a limit the same request runs to max_new_tokens: the limit is what stopped it.
  endless.time_limit = {};
  EXPECT_EQ(submit(*scheduler, endless).get().tokens.size(), 200u);
}

TEST(Scheduler, FullQueueAndContextOverflowAreRefusedUpFront) {
  ASSERT_TRUE(tiny_model().model);
  auto scheduler = make_scheduler(1, 32, /*max_queued=*/1, /*context=*/64);
  ASSERT_TRUE(scheduler);
  GenerationRequest too_long = sampled(std::vector<int32_t>(60, 100), 5, 1);
  SequenceRequest overflow;
  overflow.generation = too_long;
  const SubmitResult refused = scheduler->submit(std::move(overflow));
  EXPECT_EQ(refused.error, SubmitError::kContextExceeded);
  EXPECT_NE(refused.message.find("64"), std::string::npos) << refused.message;

  SequenceRequest empty;
  EXPECT_EQ(scheduler->submit(std::move(empty)).error, SubmitError::kInvalid);

  GenerationRequest endless = sampled(std::vector<int32_t>{100, 200}, 60, 1);
  endless.ignore_eos = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto one = submit(*scheduler, endless, -1, cancel);
  auto two = submit(*scheduler, endless, -1, cancel);
  SequenceRequest third;
  third.generation = endless;
  const SubmitResult full = scheduler->submit(std::move(third));
  EXPECT_EQ(full.error, SubmitError::kQueueFull) << full.message;
  cancel->store(true);
  EXPECT_EQ(one.get().result.stop_reason, StopReason::kCancelled);
  EXPECT_EQ(two.get().result.stop_reason, StopReason::kCancelled);
}

TEST(Scheduler, LogprobsAreTheModelsLogSoftmax) {
  ASSERT_TRUE(tiny_model().model);
  auto scheduler = make_scheduler(2, 32);
  ASSERT_TRUE(scheduler);
  GenerationRequest greedy = sampled(tiny_model().encode("Probabilities, please."), 5, 1);
  greedy.sampler.temperature = 0.0;
  const Outcome outcome = submit(*scheduler, greedy, 5).get();
  ASSERT_EQ(outcome.tops.size(), outcome.tokens.size());
  ASSERT_FALSE(outcome.tokens.empty());
  for (size_t i = 0; i < outcome.tokens.size(); ++i) {
    const auto& top = outcome.tops[i];
    ASSERT_EQ(top.size(), 5u);
    // Greedy picks the most likely token; alternatives are sorted and are probabilities.
    EXPECT_EQ(top[0].token, outcome.tokens[i]);
    EXPECT_FLOAT_EQ(top[0].logprob, outcome.outputs[i].logprob);
    double mass = 0.0;
    for (size_t j = 0; j < top.size(); ++j) {
      EXPECT_LE(top[j].logprob, 0.0f);
      if (j > 0) {
        EXPECT_LE(top[j].logprob, top[j - 1].logprob);
      }
      mass += std::exp(static_cast<double>(top[j].logprob));
    }
    EXPECT_LE(mass, 1.0 + 1e-6);
  }
}

TEST(Scheduler, StopCancelsQueuedAndRunningRequests) {
  ASSERT_TRUE(tiny_model().model);
  auto scheduler = make_scheduler(1, 32);
  ASSERT_TRUE(scheduler);
  GenerationRequest endless = sampled(std::vector<int32_t>{100, 200, 300}, 200, 1);
  endless.ignore_eos = true;
  std::promise<void> first_token;
  auto running = submit(*scheduler, endless, -1, nullptr, &first_token);
  auto waiting = submit(*scheduler, endless);
  first_token.get_future().wait();
  scheduler->stop();
  EXPECT_EQ(running.get().result.stop_reason, StopReason::kCancelled);
  EXPECT_EQ(waiting.get().result.stop_reason, StopReason::kCancelled);
  SequenceRequest late;
  late.generation = endless;
  EXPECT_EQ(scheduler->submit(std::move(late)).error, SubmitError::kStopped);
}

}  // namespace
}  // namespace qinfer::engine
