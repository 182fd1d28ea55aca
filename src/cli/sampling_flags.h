// Sampling options shared by `qinfer run` and `qinfer chat`. A flag the user did not give keeps
// the model's default (generation_config.json), so every field is optional until resolved.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sampling/sampler.h"

namespace qinfer::cli {

struct SamplingFlags {
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
};

void add_sampling_flags(CLI::App& cmd, SamplingFlags& flags);

// `defaults` with every given flag applied. Without --seed the seed is drawn at random, as
// llama.cpp does (a seeded run repeats; an unseeded one should not look repeatable).
SamplerParams resolve_sampling_flags(const SamplingFlags& flags, SamplerParams defaults);

}  // namespace qinfer::cli
