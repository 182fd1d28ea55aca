// The per-token half of generation, shared by the single-conversation TextSession and the
// batching Scheduler: from one row of logits to the next token and the text it makes final.
//
//   logits -> sampler -> end-of-sequence / budget check -> streaming detokenizer -> stop strings
//
// Text handed to `emit` is valid UTF-8 and never part of a stop string (a possible stop-string
// start waits for the next token). The decoder owns everything a sequence needs between tokens
// (sampler state, detokenizer bytes, held-back text), so sequences can be interleaved freely.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "constrain/matcher.h"
#include "constrain/token_index.h"
#include "constrain/token_mask.h"
#include "sampling/generation_limits.h"
#include "sampling/sampler.h"
#include "sampling/stop_strings.h"
#include "tokenizer/streaming_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::engine {

struct GenerationRequest {
  std::vector<int32_t> prompt;          // token ids, non-empty
  SamplerParams sampler;
  int64_t max_new_tokens = 256;         // >= 1; prompt + max_new_tokens must fit the context
  std::vector<int64_t> eos_token_ids;   // generation_config.json's (and config.json's) EOS ids
  std::vector<std::string> stop;        // stop strings (OpenAI `stop`), not part of the output
  bool skip_special_tokens = false;     // leave special tokens out of the text (HF decode flag)
  bool ignore_eos = false;              // benchmarks: always generate max_new_tokens
  // Constrained decoding (response_format, forced tool calls): every token keeps the output a
  // prefix of a document of `grammar`, and generation stops with kStop once the document is
  // complete and nothing can extend it (EOS is allowed only when it is complete). The token
  // index is the tokenizer's, built once and shared (Scheduler::submit supplies it when null).
  std::shared_ptr<const constrain::Grammar> grammar;
  std::shared_ptr<const constrain::TokenIndex> grammar_tokens;
  // > 0: the scheduler ends the generation with kLength (what was generated is kept) once this
  // much time has passed since it was submitted, queue wait included (serve --request-timeout).
  std::chrono::steady_clock::duration time_limit{};
};

enum class StopReason { kStop, kLength, kCancelled };

// "stop", "length", "cancelled".
std::string_view stop_reason_name(StopReason reason);

// Receives each new piece of output text as soon as it is known to be final.
using TextCallback = std::function<void(std::string_view piece)>;

// Checks what does not depend on a context size: a non-empty prompt of ids inside the
// vocabulary, max_new_tokens >= 1, and a grammar's token index for this vocabulary.
Status check_generation_request(const GenerationRequest& request, int64_t vocab_size);

class SequenceDecoder {
 public:
  // `tokenizer` must outlive the decoder. Ids the model has but the tokenizer lacks (Qwen3's
  // padding rows) are banned from sampling: they have no text.
  static Expected<SequenceDecoder> create(const GenerationRequest& request,
                                          const tokenizer::Tokenizer& tokenizer,
                                          int64_t vocab_size);

  struct Step {
    int32_t token = -1;
    bool finished = false;
    StopReason reason = StopReason::kStop;  // when finished
  };

  // Samples the next token from `logits` [vocab_size], records it and emits its final text.
  // After a finished step the decoder must not be used again (except text()/generated()).
  Expected<Step> next(std::span<const float> logits, const TextCallback& emit);

  // Generation stops from outside (cancelled, or the caller's error): emits what was held back.
  void finish(const TextCallback& emit);

  const std::string& text() const { return text_; }
  const std::vector<int32_t>& generated() const { return generated_; }

 private:
  SequenceDecoder(Sampler sampler, GenerationLimits limits, StopMatcher matcher,
                  tokenizer::StreamingDetokenizer detokenizer)
      : sampler_(std::move(sampler)),
        limits_(std::move(limits)),
        matcher_(std::move(matcher)),
        detokenizer_(std::move(detokenizer)) {}
  void emit_text(std::string_view text, const TextCallback& emit);
  Expected<int32_t> sample_constrained(std::span<const float> logits);

  // Per-sequence grammar state, present with a grammar: the matcher, the masker's buffers and
  // the mask itself are made once here, so a step allocates nothing.
  struct Constraint {
    constrain::Matcher matcher;
    constrain::TokenMasker masker;
    std::vector<uint64_t> mask;        // [mask_words(vocab)] allowed ids of this step
    std::vector<int32_t> eos_ids;      // allowed once the document is complete
  };

  Sampler sampler_;
  GenerationLimits limits_;
  StopMatcher matcher_;
  tokenizer::StreamingDetokenizer detokenizer_;
  std::string piece_;                 // the current token's decoded bytes (reused buffer)
  std::string text_;                  // everything emitted
  std::vector<int32_t> generated_;    // every sampled id, an ending EOS id included
  std::optional<Constraint> constraint_;
};

}  // namespace qinfer::engine
