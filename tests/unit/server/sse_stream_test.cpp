#include "server/sse_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace qinfer::server {
namespace {

using std::chrono::milliseconds;

TEST(SseStream, FramesEventsInOrderAndEndsWithDone) {
  SseStream stream;
  EXPECT_TRUE(stream.push({{"n", 1}}));
  EXPECT_TRUE(stream.push({{"text", "a\nb"}}));  // a newline inside a string stays escaped
  stream.finish();
  std::string frames;
  EXPECT_EQ(stream.take_frames(milliseconds(0), frames), SseStream::State::finished);
  EXPECT_EQ(frames, "data: {\"n\":1}\n\ndata: {\"text\":\"a\\nb\"}\n\ndata: [DONE]\n\n");
  EXPECT_FALSE(stream.push({{"n", 2}}));  // after finish: dropped
  EXPECT_FALSE(stream.cancelled());
}

TEST(SseStream, FinishWithoutDoneMarker) {
  SseStream stream;
  EXPECT_TRUE(stream.push({{"error", {{"message", "boom"}}}}));
  stream.finish(/*send_done_marker=*/false);
  std::string frames;
  EXPECT_EQ(stream.take_frames(milliseconds(0), frames), SseStream::State::finished);
  EXPECT_EQ(frames, "data: {\"error\":{\"message\":\"boom\"}}\n\n");
}

TEST(SseStream, TakeFramesTimesOutWhenIdle) {
  SseStream stream;
  std::string frames;
  EXPECT_EQ(stream.take_frames(milliseconds(10), frames), SseStream::State::open);
  EXPECT_TRUE(frames.empty());
}

TEST(SseStream, WakesAWaitingWriter) {
  SseStream stream;
  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    stream.push({{"n", 1}});
  });
  std::string frames;
  // Waits for the push, however late the producer thread runs.
  while (frames.empty()) {
    ASSERT_EQ(stream.take_frames(milliseconds(10000), frames), SseStream::State::open);
  }
  producer.join();
  EXPECT_EQ(frames, "data: {\"n\":1}\n\n");
}

TEST(SseStream, CancelDropsPushesAndRunsTheCallbackOnce) {
  SseStream stream;
  std::atomic<int> callbacks{0};
  stream.set_on_cancel([&] { callbacks++; });
  EXPECT_TRUE(stream.push({{"n", 1}}));
  stream.cancel();
  stream.cancel();
  EXPECT_TRUE(stream.cancelled());
  EXPECT_TRUE(stream.cancelled_flag().load());
  EXPECT_EQ(callbacks.load(), 1);
  EXPECT_FALSE(stream.push({{"n", 2}}));
  stream.finish();  // a producer that finishes after the client left: nothing happens
  std::string frames;
  EXPECT_EQ(stream.take_frames(milliseconds(0), frames), SseStream::State::cancelled);
  EXPECT_TRUE(frames.empty());
}

TEST(SseStream, CallbackSetAfterCancelRunsAtOnce) {
  SseStream stream;
  stream.cancel();
  bool called = false;
  stream.set_on_cancel([&] { called = true; });
  EXPECT_TRUE(called);
}

TEST(SseStream, CancelAfterTheLastFramesWereTakenIsIgnored) {
  SseStream stream;
  bool called = false;
  stream.set_on_cancel([&] { called = true; });
  stream.finish();
  std::string frames;
  EXPECT_EQ(stream.take_frames(milliseconds(0), frames), SseStream::State::finished);
  stream.cancel();  // the HTTP side always cancels when it lets go of a response
  EXPECT_FALSE(stream.cancelled());
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace qinfer::server
