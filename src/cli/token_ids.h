// `--ids 9707,11,847`: token ids given on the command line (until text prompts arrive with the
// tokenizer), parsed and checked against the model before any compute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"

namespace qinfer::cli {

// Comma-separated decimal ids; spaces around commas are allowed. Empty lists, empty items,
// signs, non-digits and values beyond int32 are errors naming the offending item.
Expected<std::vector<int32_t>> parse_token_ids(const std::string& text);

// Every id must be < vocab_size, and the ids plus `extra_positions` more (tokens to generate)
// must fit in max_positions (the model's context).
Status check_token_ids(const std::vector<int32_t>& ids, int64_t vocab_size, int64_t max_positions,
                       int64_t extra_positions);

}  // namespace qinfer::cli
