// `qinfer run -p TEXT`: one prompt in, the generated text streamed to stdout.
//
//   qinfer run -m MODEL -p TEXT [--raw] [--system TEXT] [--think|--no-think] [-n N]
//              [--temperature T --top-k K --top-p P --min-p M --repetition-penalty R
//               --presence-penalty P --frequency-penalty F --seed S --stop STR...]
//              [-t THREADS] [--chunk N] [--kv-type auto|f32|f16] [--verbose]
//              [--print-prompt-ids] [--print-generated-ids]
//
// By default the prompt is one user message (after --system's, if given) rendered with the
// model's chat template and add_generation_prompt, as transformers' apply_chat_template does;
// --raw sends the text as it is (plain completion). Sampling defaults come from
// generation_config.json. stdout gets the output text exactly as generated (reasoning tags
// included); --verbose prints token counts and prefill/decode tokens/s on stderr, and the two
// --print-* flags print JSON id arrays on stderr (for the oracle tests). Ctrl-C stops the
// generation and still prints the statistics.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "cli/model_load_flags.h"
#include "cli/sampling_flags.h"

namespace qinfer::cli {

struct TextRunOptions {
  std::string prompt;
  bool raw = false;
  std::string system;
  std::optional<bool> enable_thinking;  // absent: the template's default (Qwen3: thinking on)
  bool print_prompt_ids = false;
  bool print_generated_ids = false;
};

// Options `qinfer run` shares between its --ids and -p modes.
struct TextRunCommon {
  std::string model;
  std::optional<int64_t> max_new_tokens;  // absent: 512
  SamplingFlags sampling;
  int threads = 0;
  int64_t chunk = 512;
  bool verbose = false;
  ModelLoadFlags load;  // --dtype, --mmap
};

// Adds -p and the text-only flags to `run`; returns the -p option (for excludes()).
CLI::Option* add_text_run_options(CLI::App& cmd, TextRunOptions& options);

Status run_text(const TextRunOptions& options, const TextRunCommon& common);

}  // namespace qinfer::cli
