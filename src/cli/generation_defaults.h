// generation_config.json (and config.json) -> the sampling stage's plain parameters. Lives in
// the CLI layer because sampling must not depend on the model stage that parses those files.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"
#include "sampling/sampler.h"

namespace qinfer::cli {

// The checkpoint's default sampling, with transformers' meaning: do_sample false is greedy
// (temperature 0) whatever temperature says; otherwise temperature, top_k, top_p, min_p and
// repetition_penalty as published. Request or command-line options override fields afterwards.
SamplerParams sampler_params_from_generation_config(const GenerationConfig& generation);

// End-of-sequence ids for GenerationLimits::create: generation_config.json's list (Qwen3:
// <|im_end|> 151645 and <|endoftext|> 151643) and config.json's eos_token_id, duplicates
// removed by GenerationLimits.
std::vector<int64_t> end_of_sequence_ids(const GenerationConfig& generation,
                                         const Qwen3Config& config);

}  // namespace qinfer::cli
