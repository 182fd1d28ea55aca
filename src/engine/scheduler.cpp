#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace qinfer::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct Scheduler::Slot {
  explicit Slot(KvCache kv) : cache(std::move(kv)) {}

  KvCache cache;
  std::vector<int32_t> cached_ids;      // the ids at positions [0, cache.length())
  uint64_t last_admission = 0;          // 0: never used

  // The running request, if any.
  bool active = false;
  SequenceRequest request;
  std::optional<SequenceDecoder> decoder;
  size_t prefilled = 0;                 // prompt ids already in the cache
  bool decoding = false;                // prompt done; next_token is fed next step
  int32_t next_token = -1;
  GenerationResult result;
  Clock::time_point started, first_token, last_token;
};

Expected<std::unique_ptr<Scheduler>> Scheduler::create(const Model& model,
                                                       const tokenizer::Tokenizer& tokenizer,
                                                       ThreadPool& pool,
                                                       const SchedulerOptions& options) {
  if (options.slots < 1) return make_error("parallel slots must be at least 1, got {}", options.slots);
  if (options.context_tokens < 2) {
    return make_error("context of {} tokens is too small", options.context_tokens);
  }
  if (options.context_tokens > model.config.max_position_embeddings) {
    return make_error("context of {} tokens exceeds the model's max_position_embeddings ({})",
                      options.context_tokens, model.config.max_position_embeddings);
  }
  if (options.batch_tokens < options.slots) {
    return make_error("batch of {} tokens cannot hold one token of each of {} slots",
                      options.batch_tokens, options.slots);
  }
  if (options.max_queued < 0) return make_error("queue size must be >= 0");
  ForwardOptions forward_options;
  forward_options.max_chunk_tokens = options.batch_tokens;
  forward_options.max_positions = options.context_tokens;
  forward_options.max_sequences = options.slots;
  forward_options.kv_dtype = options.kv_dtype;
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Qwen3Forward> forward,
                          Qwen3Forward::create(model.config, model.weights, pool, forward_options));
  std::unique_ptr<Scheduler> scheduler(
      new Scheduler(model, tokenizer, std::move(forward), options));
  scheduler->thread_ = std::thread([s = scheduler.get()] { s->run(); });
  return scheduler;
}

Scheduler::Scheduler(const Model& model, const tokenizer::Tokenizer& tokenizer,
                     std::unique_ptr<Qwen3Forward> forward, const SchedulerOptions& options)
    : model_(model), tokenizer_(tokenizer), forward_(std::move(forward)), options_(options) {
  for (int64_t i = 0; i < options.slots; ++i) {
    slots_.push_back(std::make_unique<Slot>(forward_->make_cache()));
  }
  chunks_.reserve(static_cast<size_t>(options.slots));
  chunk_slots_.reserve(static_cast<size_t>(options.slots));
  prefilling_.reserve(static_cast<size_t>(options.slots));
}

Scheduler::~Scheduler() { stop(); }

int64_t Scheduler::kv_cache_bytes() const {
  return options_.slots * options_.context_tokens *
         KvCache::bytes_per_position(model_.config, kv_dtype());
}

const std::shared_ptr<const constrain::TokenIndex>& Scheduler::grammar_tokens() {
  // Built on the first constrained request (about 0.1 s and a few tens of MB for Qwen3's
  // vocabulary), on the caller's thread rather than the scheduler's, which would stall every
  // running sequence meanwhile.
  std::call_once(grammar_tokens_once_, [this] {
    auto built = constrain::TokenIndex::build(tokenizer_, model_.config.vocab_size);
    if (built.ok()) {
      grammar_tokens_ = std::move(built).value();
    } else {
      grammar_tokens_error_ = built.error().message;
    }
  });
  return grammar_tokens_;
}

SubmitResult Scheduler::submit(SequenceRequest request) {
  if (request.generation.grammar != nullptr && request.generation.grammar_tokens == nullptr) {
    request.generation.grammar_tokens = grammar_tokens();
    if (request.generation.grammar_tokens == nullptr) {
      return {SubmitError::kInvalid, "constrained decoding is unavailable: " + grammar_tokens_error_};
    }
  }
  const GenerationRequest& g = request.generation;
  Status valid = check_generation_request(g, model_.config.vocab_size);
  if (!valid.ok()) return {SubmitError::kInvalid, valid.error().message};
  if (request.top_logprobs > 20) {
    return {SubmitError::kInvalid, "top_logprobs must be at most 20"};
  }
  const int64_t prompt_tokens = static_cast<int64_t>(g.prompt.size());
  if (prompt_tokens + g.max_new_tokens > options_.context_tokens) {
    return {SubmitError::kContextExceeded,
            fmt::format("This model's context is {} tokens; the prompt has {} and {} more were "
                        "requested. Shorten the prompt or lower max_tokens.",
                        options_.context_tokens, prompt_tokens, g.max_new_tokens)};
  }
  if (g.time_limit > std::chrono::steady_clock::duration::zero()) {
    request.deadline = std::chrono::steady_clock::now() + g.time_limit;
  }
  std::lock_guard lock(mutex_);
  if (stopping_) return {SubmitError::kStopped, "the server is shutting down"};
  // Requests go to free slots through the queue, so it also holds those about to start.
  const int64_t free_slots = options_.slots - stats_.running;
  if (static_cast<int64_t>(queue_.size()) >= options_.max_queued + free_slots) {
    return {SubmitError::kQueueFull,
            fmt::format("all {} slots are busy and {} requests are queued; retry later",
                        options_.slots, queue_.size())};
  }
  request.submitted = Clock::now();
  queue_.push_back(std::move(request));
  ++stats_.queued;
  wake_.notify_one();
  return {};
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Scheduler::start_in_slot(Slot& slot, SequenceRequest request) {
  auto decoder = SequenceDecoder::create(request.generation, tokenizer_, model_.config.vocab_size);
  if (!decoder.ok()) {
    if (request.on_done) request.on_done(decoder.error());
    return;
  }
  const std::span<const int32_t> prompt = request.generation.prompt;
  // At least the last prompt token is recomputed: its logits choose the first new token.
  const size_t usable = prompt.size() - 1;
  size_t own = std::min(common_prefix(slot.cached_ids, prompt), usable);
  // Another slot may hold a longer prefix (a shared system prompt or document): copy it.
  Slot* donor = nullptr;
  size_t donor_prefix = own;
  for (const auto& other : slots_) {
    if (other.get() == &slot) continue;
    const size_t n = std::min(common_prefix(other->cached_ids, prompt), usable);
    if (n > donor_prefix) {
      donor = other.get();
      donor_prefix = n;
    }
  }
  if (donor != nullptr) {
    slot.cache.copy_prefix_from(donor->cache, static_cast<int64_t>(donor_prefix));
    slot.cached_ids.assign(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(donor_prefix));
    own = donor_prefix;
  } else {
    slot.cache.truncate(static_cast<int64_t>(own));
    slot.cached_ids.resize(own);
  }
  slot.active = true;
  slot.request = std::move(request);
  slot.decoder.emplace(std::move(decoder).value());
  slot.prefilled = own;
  slot.decoding = false;
  slot.next_token = -1;
  slot.result = GenerationResult{};
  slot.result.prompt_tokens = static_cast<int64_t>(prompt.size());
  slot.result.reused_prompt_tokens = static_cast<int64_t>(own);
  slot.started = Clock::now();
  slot.last_admission = ++admissions_;
  if (options_.observer != nullptr) {
    SequenceStarted started;
    started.queue_seconds = seconds_between(slot.request.submitted, slot.started);
    started.prompt_tokens = slot.result.prompt_tokens;
    started.cached_prompt_tokens = slot.result.reused_prompt_tokens;
    options_.observer->sequence_started(started);
  }
}

void Scheduler::admit(std::unique_lock<std::mutex>& lock) {
  while (!queue_.empty()) {
    // The free slot sharing the longest prefix with the prompt, else the least recently used
    // (keeping recently used caches for the follow-up turns that are likely to come).
    const std::span<const int32_t> prompt = queue_.front().generation.prompt;
    Slot* best = nullptr;
    size_t best_prefix = 0;
    for (const auto& slot : slots_) {
      if (slot->active) continue;
      const size_t n = common_prefix(slot->cached_ids, prompt);
      if (best == nullptr || n > best_prefix ||
          (n == best_prefix && slot->last_admission < best->last_admission)) {
        best = slot.get();
        best_prefix = n;
      }
    }
    if (best == nullptr) return;
    SequenceRequest request = std::move(queue_.front());
    queue_.pop_front();
    --stats_.queued;
    ++stats_.running;
    lock.unlock();
    start_in_slot(*best, std::move(request));
    lock.lock();
    if (!best->active) --stats_.running;  // rejected by the decoder: on_done was called
  }
}

GenerationResult Scheduler::take_result(Slot& slot, StopReason reason) {
  GenerationResult result = std::move(slot.result);
  result.stop_reason = reason;
  result.text = slot.decoder->text();
  result.generated_ids = slot.decoder->generated();
  if (slot.decoding) result.decode_seconds = seconds_between(slot.first_token, Clock::now());
  return result;
}

void Scheduler::finish(Slot& slot, Expected<GenerationResult> result) {
  if (options_.observer != nullptr) {
    const Clock::time_point now = Clock::now();
    SequenceFinished finished;
    finished.failed = !result.ok();
    if (result.ok()) finished.reason = result->stop_reason;
    finished.has_first_token = slot.decoding;
    finished.queue_seconds = seconds_between(slot.request.submitted, slot.started);
    if (slot.decoding) {
      finished.prefill_seconds = seconds_between(slot.started, slot.first_token);
      finished.decode_seconds = seconds_between(slot.first_token, slot.last_token);
      finished.time_to_first_token = seconds_between(slot.request.submitted, slot.first_token);
    }
    finished.e2e_seconds = seconds_between(slot.request.submitted, now);
    finished.prompt_tokens = static_cast<int64_t>(slot.request.generation.prompt.size());
    finished.generated_tokens = static_cast<int64_t>(slot.decoder->generated().size());
    options_.observer->sequence_finished(finished);
  }
  slot.active = false;
  slot.decoder.reset();
  auto on_done = std::move(slot.request.on_done);
  slot.request = SequenceRequest{};
  {
    std::lock_guard lock(mutex_);
    --stats_.running;
    ++stats_.requests_done;
    if (result.ok()) {
      stats_.prompt_tokens += result->prompt_tokens;
      stats_.reused_prompt_tokens += result->reused_prompt_tokens;
      stats_.generated_tokens += static_cast<int64_t>(result->generated_ids.size());
    }
  }
  if (!result.ok()) {  // the cache may hold a partial step: forget it
    slot.cache.truncate(0);
    slot.cached_ids.clear();
  }
  if (on_done) on_done(std::move(result));
}

void Scheduler::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_) break;
      admit(lock);
      const bool any_active =
          std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->active; });
      if (!any_active) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        continue;
      }
    }
    step();
  }
  // Stopping: everything still waiting or running ends as cancelled.
  std::deque<SequenceRequest> queued;
  {
    std::lock_guard lock(mutex_);
    queued.swap(queue_);
    stats_.queued = 0;
  }
  for (SequenceRequest& request : queued) {
    GenerationResult result;
    result.prompt_tokens = static_cast<int64_t>(request.generation.prompt.size());
    result.stop_reason = StopReason::kCancelled;
    if (request.on_done) request.on_done(std::move(result));
  }
  for (const auto& slot : slots_) {
    if (!slot->active) continue;
    slot->decoder->finish(nullptr);
    finish(*slot, take_result(*slot, StopReason::kCancelled));
  }
}

void Scheduler::emit_token(Slot& slot, int32_t token, std::span<const float> logits) {
  TokenOutput out;
  out.token = token;
  out.text = step_text_;
  if (slot.request.top_logprobs >= 0) {
    // log_softmax of the model's logits (before penalties and temperature), in double.
    float max_logit = logits[0];
    for (float v : logits) max_logit = std::max(max_logit, v);
    double sum = 0.0;
    for (float v : logits) sum += std::exp(static_cast<double>(v) - max_logit);
    const double log_sum = std::log(sum) + max_logit;
    out.logprob = static_cast<float>(logits[static_cast<size_t>(token)] - log_sum);
    const size_t k = static_cast<size_t>(slot.request.top_logprobs);
    top_.clear();
    if (k > 0) {
      order_.resize(logits.size());
      for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int32_t>(i);
      auto more_likely = [&](int32_t a, int32_t b) {
        const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
        return la > lb || (la == lb && a < b);
      };
      const size_t n = std::min(k, order_.size());
      std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(n),
                        order_.end(), more_likely);
      for (size_t i = 0; i < n; ++i) {
        top_.push_back({order_[i], static_cast<float>(logits[static_cast<size_t>(order_[i])] - log_sum)});
      }
    }
    out.top = top_;
  }
  if (options_.observer != nullptr) {
    const Clock::time_point now = Clock::now();
    if (slot.result.decode_steps > 0) {
      options_.observer->inter_token_interval(seconds_between(slot.last_token, now));
    }
    slot.last_token = now;
  }
  if (slot.request.on_token) slot.request.on_token(out);
}

void Scheduler::step() {
  run_step();
  // What running sequences hold now (finished ones left during the step).
  int64_t kv_tokens = 0;
  for (const auto& slot : slots_) {
    if (slot->active) kv_tokens += slot->cache.length();
  }
  std::lock_guard lock(mutex_);
  stats_.kv_tokens_in_use = kv_tokens;
}

void Scheduler::run_step() {
  // Cancelled requests leave before the step; so do those past their time limit, as if they
  // had reached max_tokens.
  const auto now = std::chrono::steady_clock::now();
  for (const auto& slot : slots_) {
    if (slot->active && slot->request.cancel && slot->request.cancel->load()) {
      slot->decoder->finish(nullptr);
      finish(*slot, take_result(*slot, StopReason::kCancelled));
    } else if (slot->active && now >= slot->request.deadline) {
      slot->decoder->finish(nullptr);
      finish(*slot, take_result(*slot, StopReason::kLength));
    }
  }

  chunks_.clear();
  chunk_slots_.clear();
  int64_t budget = options_.batch_tokens;
  for (const auto& slot : slots_) {
    if (!slot->active || !slot->decoding) continue;
    chunks_.push_back({std::span<const int32_t>(&slot->next_token, 1), &slot->cache,
                       LogitsFor::kLastPosition});
    chunk_slots_.push_back(slot.get());
    --budget;
  }
  // Prompts in arrival order, each as much as the budget leaves.
  prefilling_.clear();
  for (const auto& slot : slots_) {
    if (slot->active && !slot->decoding) prefilling_.push_back(slot.get());
  }
  std::sort(prefilling_.begin(), prefilling_.end(),
            [](const Slot* a, const Slot* b) { return a->last_admission < b->last_admission; });
  for (Slot* slot : prefilling_) {
    if (budget <= 0) break;
    const std::span<const int32_t> prompt = slot->request.generation.prompt;
    const size_t n = std::min(prompt.size() - slot->prefilled, static_cast<size_t>(budget));
    const bool last = slot->prefilled + n == prompt.size();
    chunks_.push_back({prompt.subspan(slot->prefilled, n), &slot->cache,
                       last ? LogitsFor::kLastPosition : LogitsFor::kNone});
    chunk_slots_.push_back(slot);
    budget -= static_cast<int64_t>(n);
  }
  if (chunks_.empty()) return;

  auto logits = forward_->forward_batch(chunks_);
  {
    std::lock_guard lock(mutex_);
    ++stats_.steps;
  }
  if (!logits.ok()) {
    for (Slot* slot : chunk_slots_) finish(*slot, make_error("forward pass: {}", logits.error().message));
    return;
  }

  const int64_t V = model_.config.vocab_size;
  size_t row = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    Slot& slot = *chunk_slots_[c];
    const SequenceChunk& chunk = chunks_[c];
    slot.cached_ids.insert(slot.cached_ids.end(), chunk.tokens.begin(), chunk.tokens.end());
    if (!slot.decoding) {
      slot.prefilled += chunk.tokens.size();
      slot.result.prefill_tokens += static_cast<int64_t>(chunk.tokens.size());
    } else {
      ++slot.result.decode_steps;
    }
    if (chunk.logits == LogitsFor::kNone) continue;
    const std::span<const float> row_logits =
        logits->subspan(row * static_cast<size_t>(V), static_cast<size_t>(V));
    ++row;
    if (!slot.decoding) {
      slot.decoding = true;
      slot.first_token = Clock::now();
      slot.result.prefill_seconds = seconds_between(slot.started, slot.first_token);
    }
    step_text_.clear();
    auto next = slot.decoder->next(row_logits, [&](std::string_view piece) { step_text_.append(piece); });
    if (!next.ok()) {
      finish(slot, next.error());
      continue;
    }
    emit_token(slot, next->token, row_logits);
    if (next->finished) {
      finish(slot, take_result(slot, next->reason));
    } else {
      slot.next_token = next->token;
    }
  }
}

}  // namespace qinfer::engine
