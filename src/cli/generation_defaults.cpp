#include "cli/generation_defaults.h"

namespace qinfer::cli {

SamplerParams sampler_params_from_generation_config(const GenerationConfig& generation) {
  SamplerParams params;
  params.temperature = generation.do_sample ? generation.temperature : 0.0;
  params.top_k = generation.top_k;
  params.top_p = generation.top_p;
  params.min_p = generation.min_p;
  params.repetition_penalty = generation.repetition_penalty;
  return params;
}

std::vector<int64_t> end_of_sequence_ids(const GenerationConfig& generation,
                                         const Qwen3Config& config) {
  std::vector<int64_t> ids = generation.eos_token_ids;
  ids.insert(ids.end(), config.eos_token_ids.begin(), config.eos_token_ids.end());
  return ids;
}

}  // namespace qinfer::cli
