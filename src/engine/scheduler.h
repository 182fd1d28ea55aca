// Continuous batching: many requests share the model, one forward pass per step. Each step
// feeds every decoding sequence its last token and fills the rest of the step's token budget
// with prompt chunks of sequences still prefilling, so a new request starts at the next step
// instead of waiting for others to finish, and a long prompt is spread over several steps
// without stalling everyone's decoding.
//
//   submit() -> bounded queue -> slot (KV cache + decoder) -> steps: forward_batch, sample,
//   detokenize, stop strings -> on_token per token -> on_done once
//
// Slots keep their KV cache and ids after a request ends. A new request takes the free slot
// whose cache shares the longest prefix with its prompt (a multi-turn chat's history, a shared
// system prompt or document), and when another slot (busy or not) holds a longer one, those
// keys and values are copied instead of recomputed. A sequence's tokens never depend on what
// else runs: forward_batch gives bit-identical logits alone or batched, and each request has
// its own seeded sampler.
//
// One scheduler thread runs every step and calls on_token/on_done; callbacks must be quick
// (queue the event for the HTTP thread). A cancel flag is read before each step, so an
// abandoned request frees its slot within one step.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/expected.h"
#include "base/thread_pool.h"
#include "engine/sequence_decoder.h"
#include "engine/text_session.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/qwen3.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::engine {

// A sequence took a slot.
struct SequenceStarted {
  double queue_seconds = 0.0;         // from submit() to the slot
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;   // of those, found in a KV cache (not computed)
};

// A sequence ended (finished, cancelled or failed). Seconds; a sequence that ended before its
// first token has no TTFT, prefill or decode time.
struct SequenceFinished {
  StopReason reason = StopReason::kStop;
  bool failed = false;                // an engine error ended it (reason is then meaningless)
  bool has_first_token = false;
  double queue_seconds = 0.0;         // submit() to slot
  double prefill_seconds = 0.0;       // slot to first token
  double decode_seconds = 0.0;        // first token to last
  double time_to_first_token = 0.0;   // submit() to first token
  double e2e_seconds = 0.0;           // submit() to the end
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
};

// Timings for metrics, reported by the scheduler thread as they happen: implementations must be
// quick, must not block and must not call the scheduler (it may hold its lock).
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void sequence_started(const SequenceStarted& started) = 0;
  // Time since the same sequence's previous token: once per token after the first.
  virtual void inter_token_interval(double seconds) = 0;
  virtual void sequence_finished(const SequenceFinished& finished) = 0;
};

struct SchedulerOptions {
  int64_t slots = 1;              // sequences generated together (--parallel)
  int64_t context_tokens = 4096;  // positions each slot's KV cache holds (prompt + generated)
  int64_t batch_tokens = 512;     // tokens per forward pass: one per decoding sequence, the
                                  // rest prompt chunks
  int64_t max_queued = 64;        // requests waiting for a slot; more are refused (kQueueFull)
  // KV cache element type, F32 or F16; nullopt: default_kv_dtype (model/kv_cache.h).
  std::optional<DType> kv_dtype = std::nullopt;
  SchedulerObserver* observer = nullptr;  // may be null; must outlive the scheduler
};

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;
};

// One generated token as the scheduler reports it.
struct TokenOutput {
  int32_t token = -1;
  std::string_view text;             // output text this token made final (often all of it,
                                     // sometimes empty or more); valid during the callback
  float logprob = 0.0f;              // log p(token) under the model (when logprobs were asked)
  std::span<const TokenLogprob> top; // the most likely tokens, best first (top_logprobs of them)
};

struct SequenceRequest {
  GenerationRequest generation;
  int top_logprobs = -1;  // -1: no logprobs; 0..20: the token's logprob and that many alternatives
  std::shared_ptr<std::atomic<bool>> cancel;                 // may be null
  std::function<void(const TokenOutput&)> on_token;          // may be empty
  std::function<void(Expected<GenerationResult>)> on_done;   // exactly once for an accepted request
  std::chrono::steady_clock::time_point submitted{};         // set by submit()
  // Set by submit() from generation.time_limit; checked before each step.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

enum class SubmitError { kNone, kInvalid, kContextExceeded, kQueueFull, kStopped };

struct SubmitResult {
  SubmitError error = SubmitError::kNone;
  std::string message;
  bool ok() const { return error == SubmitError::kNone; }
};

// Counters for metrics and the readiness probe; a snapshot.
struct SchedulerStats {
  int64_t running = 0;                // sequences in slots
  int64_t queued = 0;                 // waiting for a slot
  int64_t requests_done = 0;
  int64_t prompt_tokens = 0;          // prompt tokens of finished requests
  int64_t reused_prompt_tokens = 0;   // of those, taken from a cache instead of computed
  int64_t generated_tokens = 0;
  int64_t steps = 0;                  // forward passes
  int64_t kv_tokens_in_use = 0;       // KV cache positions held by running sequences
};

class Scheduler {
 public:
  // The model, tokenizer and pool must outlive the scheduler. Starts the scheduler thread.
  static Expected<std::unique_ptr<Scheduler>> create(const Model& model,
                                                     const tokenizer::Tokenizer& tokenizer,
                                                     ThreadPool& pool,
                                                     const SchedulerOptions& options);
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Validates and queues a request; on error the callbacks are never called. Thread-safe. A
  // request with a grammar and no token index gets the scheduler's (built on first use).
  SubmitResult submit(SequenceRequest request);

  // Refuses new requests, cancels queued and running ones (each gets on_done with
  // StopReason::kCancelled) and joins the thread. Idempotent.
  void stop();

  SchedulerStats stats() const;
  const SchedulerOptions& options() const { return options_; }
  // The slots' KV element type (kv_dtype resolved) and the bytes their caches reserve in all:
  // slots * context_tokens * KvCache::bytes_per_position (committed as positions are written).
  DType kv_dtype() const { return forward_->kv_dtype(); }
  int64_t kv_cache_bytes() const;

 private:
  struct Slot;
  Scheduler(const Model& model, const tokenizer::Tokenizer& tokenizer,
            std::unique_ptr<Qwen3Forward> forward, const SchedulerOptions& options);
  void run();
  void admit(std::unique_lock<std::mutex>& lock);
  void start_in_slot(Slot& slot, SequenceRequest request);
  GenerationResult take_result(Slot& slot, StopReason reason);
  void finish(Slot& slot, Expected<GenerationResult> result);
  void step();
  void run_step();
  void emit_token(Slot& slot, int32_t token, std::span<const float> logits);
  const std::shared_ptr<const constrain::TokenIndex>& grammar_tokens();

  const Model& model_;
  const tokenizer::Tokenizer& tokenizer_;
  std::unique_ptr<Qwen3Forward> forward_;
  SchedulerOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  uint64_t admissions_ = 0;            // orders slots by last use and prefills by arrival

  mutable std::mutex mutex_;           // guards queue_, stopping_, stats_
  std::condition_variable wake_;
  std::deque<SequenceRequest> queue_;
  bool stopping_ = false;
  SchedulerStats stats_;
  std::thread thread_;

  std::once_flag grammar_tokens_once_;  // the token index for constrained requests, made once
  std::shared_ptr<const constrain::TokenIndex> grammar_tokens_;
  std::string grammar_tokens_error_;

  // Per-step buffers, reused.
  std::vector<SequenceChunk> chunks_;
  std::vector<Slot*> chunk_slots_;
  std::vector<Slot*> prefilling_;      // slots still prefilling, in arrival order
  std::vector<TokenLogprob> top_;
  std::vector<int32_t> order_;
  std::string step_text_;
};

}  // namespace qinfer::engine
