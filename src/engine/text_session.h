// One conversation's generation state: the forward pass, its KV cache and the ids the cache
// holds, so that each turn of a chat only computes what is new. A request runs
//
//   prompt ids -> reuse the cached prefix -> prefill the rest in chunks -> decode loop:
//   sample -> end-of-sequence / budget check -> streaming detokenizer -> stop strings -> callback
//
// The callback receives text that is valid UTF-8 and never part of a stop string (a possible
// stop-string start is held back until the next token decides). A cancellation flag is read
// before every forward call, so a Ctrl-C or a disconnected client stops within one token.
//
// KV reuse: when the new prompt starts with ids already in the cache, only the suffix is
// prefilled; otherwise the cache is cut back to the longest common prefix. At least the last
// prompt token is always recomputed, because its logits choose the first new token. Ids the
// cache holds are the prompt plus every generated token that was fed back (all but the last).
//
// A session is used by one thread at a time; the model, tokenizer and pool are shared and must
// outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/thread_pool.h"
#include "engine/sequence_decoder.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/qwen3.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::engine {

struct SessionOptions {
  int64_t context_tokens = 4096;        // positions the KV cache holds (prompt + generated)
  int64_t prefill_chunk_tokens = 512;   // prompt tokens per forward call
  // KV cache element type, F32 or F16; nullopt: default_kv_dtype (model/kv_cache.h).
  std::optional<DType> kv_dtype = std::nullopt;
};

struct GenerationResult {
  StopReason stop_reason = StopReason::kStop;
  std::string text;                     // everything the callback received, concatenated
  std::vector<int32_t> generated_ids;   // every sampled id, an ending EOS id included
  int64_t prompt_tokens = 0;
  int64_t reused_prompt_tokens = 0;     // prompt prefix found in the KV cache (not recomputed)
  int64_t prefill_tokens = 0;           // prompt tokens run through the forward pass
  int64_t decode_steps = 0;             // one-token forward passes after the prefill
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;          // from the end of the prefill to the last token

  double prefill_tokens_per_second() const;
  double decode_tokens_per_second() const;
};

class TextSession {
 public:
  static Expected<std::unique_ptr<TextSession>> create(const Model& model,
                                                       const tokenizer::Tokenizer& tokenizer,
                                                       ThreadPool& pool,
                                                       const SessionOptions& options);

  // Runs one request. `cancel` (may be null) is polled before every forward call; a cancelled
  // request still returns its partial result. Errors: an invalid request (empty prompt, ids
  // outside the vocabulary, prompt + max_new_tokens over the context, bad sampler params) or a
  // failing forward pass; the cache then holds only what was computed before the error.
  Expected<GenerationResult> generate(const GenerationRequest& request,
                                      const TextCallback& on_text,
                                      const std::atomic<bool>* cancel = nullptr);

  // Forgets the conversation: the next request prefills from position 0.
  void reset();

  int64_t context_tokens() const { return options_.context_tokens; }
  DType kv_dtype() const { return cache_.dtype(); }
  std::span<const int32_t> cached_ids() const { return cached_ids_; }

 private:
  TextSession(const Model& model, const tokenizer::Tokenizer& tokenizer,
              std::unique_ptr<Qwen3Forward> forward, const SessionOptions& options);
  Status check_request(const GenerationRequest& request) const;
  // Feeds ids through the forward pass in chunks, appending them to cached_ids_; leaves the
  // last position's logits in *logits. Returns false in *cancelled when stopped early.
  Status prefill(std::span<const int32_t> ids, const std::atomic<bool>* cancel,
                 std::span<const float>* logits, bool* cancelled);

  const Model& model_;
  const tokenizer::Tokenizer& tokenizer_;
  std::unique_ptr<Qwen3Forward> forward_;
  SessionOptions options_;
  KvCache cache_;
  std::vector<int32_t> cached_ids_;     // the ids at positions [0, cache_.length())
};

}  // namespace qinfer::engine
