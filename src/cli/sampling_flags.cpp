#include "cli/sampling_flags.h"

#include <random>

namespace qinfer::cli {

void add_sampling_flags(CLI::App& cmd, SamplingFlags& flags) {
  const char* group = "Sampling (defaults: the model's generation_config.json)";
  cmd.add_option("--temperature", flags.temperature, "0 = greedy")->group(group);
  cmd.add_option("--top-k", flags.top_k, "Keep the k most likely tokens (0 = all)")->group(group);
  cmd.add_option("--top-p", flags.top_p, "Nucleus sampling threshold in (0, 1]")->group(group);
  cmd.add_option("--min-p", flags.min_p, "Keep tokens with p >= min_p * p_max")->group(group);
  cmd.add_option("--repetition-penalty", flags.repetition_penalty, "HF semantics; 1 = off")
      ->group(group);
  cmd.add_option("--presence-penalty", flags.presence_penalty, "OpenAI semantics, [-2, 2]")
      ->group(group);
  cmd.add_option("--frequency-penalty", flags.frequency_penalty, "OpenAI semantics, [-2, 2]")
      ->group(group);
  cmd.add_option("--seed", flags.seed, "Sampling seed (default: random)")->group(group);
  cmd.add_option("--stop", flags.stop, "Stop string (repeatable); not part of the output")
      ->group(group)
      ->allow_extra_args(false);
}

SamplerParams resolve_sampling_flags(const SamplingFlags& flags, SamplerParams params) {
  if (flags.temperature) params.temperature = *flags.temperature;
  if (flags.top_k) params.top_k = *flags.top_k;
  if (flags.top_p) params.top_p = *flags.top_p;
  if (flags.min_p) params.min_p = *flags.min_p;
  if (flags.repetition_penalty) params.repetition_penalty = *flags.repetition_penalty;
  if (flags.presence_penalty) params.presence_penalty = *flags.presence_penalty;
  if (flags.frequency_penalty) params.frequency_penalty = *flags.frequency_penalty;
  params.seed = flags.seed ? *flags.seed : std::random_device{}();
  return params;
}

}  // namespace qinfer::cli
