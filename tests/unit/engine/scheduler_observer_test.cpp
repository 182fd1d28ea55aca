// What the scheduler reports to a SchedulerObserver (the feed of the server's metrics), on the
// tiny model: one start and one end per sequence, one interval per token after the first.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/scheduler.h"
#include "tiny_model.h"

namespace qinfer::engine {
namespace {

using testing::tiny_model;

class RecordingObserver : public SchedulerObserver {
 public:
  void sequence_started(const SequenceStarted& started) override {
    std::lock_guard lock(mutex);
    starts.push_back(started);
  }
  void inter_token_interval(double seconds) override {
    std::lock_guard lock(mutex);
    intervals.push_back(seconds);
  }
  void sequence_finished(const SequenceFinished& finished) override {
    std::lock_guard lock(mutex);
    ends.push_back(finished);
  }
  std::mutex mutex;
  std::vector<SequenceStarted> starts;
  std::vector<double> intervals;
  std::vector<SequenceFinished> ends;
};

std::future<void> run(Scheduler& scheduler, std::vector<int32_t> prompt, int64_t tokens,
                      std::shared_ptr<std::atomic<bool>> cancel = nullptr) {
  auto done = std::make_shared<std::promise<void>>();
  SequenceRequest request;
  request.generation.prompt = std::move(prompt);
  request.generation.max_new_tokens = tokens;
  request.generation.ignore_eos = true;
  request.cancel = std::move(cancel);
  request.on_done = [done](Expected<GenerationResult>) { done->set_value(); };
  EXPECT_TRUE(scheduler.submit(std::move(request)).ok());
  return done->get_future();
}

TEST(SchedulerObserver, ReportsStartsTokenIntervalsAndEnds) {
  testing::TinyModel& tiny = tiny_model();
  ASSERT_TRUE(tiny.model);
  RecordingObserver observer;
  SchedulerOptions options{2, 256, 64, 16};
  options.observer = &observer;
  auto scheduler = Scheduler::create(*tiny.model, tiny.assets->tokenizer, *tiny.pool, options);
  ASSERT_TRUE(scheduler.ok()) << scheduler.error().message;
  const std::vector<int32_t> prompt = tiny.encode("The bank opens at nine. When does it open?");
  auto first = run(**scheduler, prompt, 5);
  auto second = run(**scheduler, tiny.encode("Hello"), 3);
  first.get();
  second.get();
  // The same prompt again: all but its last token come from the cache.
  run(**scheduler, prompt, 2).get();

  std::lock_guard lock(observer.mutex);
  ASSERT_EQ(observer.starts.size(), 3u);
  ASSERT_EQ(observer.ends.size(), 3u);
  EXPECT_EQ(observer.intervals.size(), 4u + 2u + 1u);
  for (double seconds : observer.intervals) EXPECT_GT(seconds, 0.0);
  EXPECT_EQ(observer.starts[2].prompt_tokens, static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(observer.starts[2].cached_prompt_tokens, static_cast<int64_t>(prompt.size()) - 1);
  int64_t generated = 0;
  for (const SequenceFinished& end : observer.ends) {
    EXPECT_FALSE(end.failed);
    EXPECT_EQ(end.reason, StopReason::kLength);
    EXPECT_TRUE(end.has_first_token);
    EXPECT_GE(end.queue_seconds, 0.0);
    EXPECT_GT(end.prefill_seconds, 0.0);
    EXPECT_GT(end.decode_seconds, 0.0);
    EXPECT_NEAR(end.time_to_first_token, end.queue_seconds + end.prefill_seconds, 1e-6);
    EXPECT_GE(end.e2e_seconds, end.time_to_first_token + end.decode_seconds - 1e-6);
    generated += end.generated_tokens;
  }
  EXPECT_EQ(generated, 5 + 3 + 2);
  // Nothing runs any more; the step that ended the last sequence updates the count after that
  // sequence's on_done, so it may take a moment.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((*scheduler)->stats().kv_tokens_in_use != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ((*scheduler)->stats().kv_tokens_in_use, 0);
}

TEST(SchedulerObserver, CancelledSequenceEndsOnceAsCancelled) {
  testing::TinyModel& tiny = tiny_model();
  ASSERT_TRUE(tiny.model);
  RecordingObserver observer;
  SchedulerOptions options{1, 256, 64, 16};
  options.observer = &observer;
  auto scheduler = Scheduler::create(*tiny.model, tiny.assets->tokenizer, *tiny.pool, options);
  ASSERT_TRUE(scheduler.ok());
  auto cancel = std::make_shared<std::atomic<bool>>(true);  // cancelled before its first step
  run(**scheduler, tiny.encode("Hello"), 50, cancel).get();
  std::lock_guard lock(observer.mutex);
  ASSERT_EQ(observer.ends.size(), 1u);
  EXPECT_EQ(observer.ends[0].reason, StopReason::kCancelled);
  EXPECT_FALSE(observer.ends[0].has_first_token);
  EXPECT_EQ(observer.ends[0].generated_tokens, 0);
  EXPECT_TRUE(observer.intervals.empty());
}

}  // namespace
}  // namespace qinfer::engine
