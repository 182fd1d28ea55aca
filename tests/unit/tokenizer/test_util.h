// Shared by the tokenizer tests: the real Qwen3 tokenizer installed by scripts/setup.sh.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tokenizer/tokenizer.h"

namespace qinfer::tokenizer::testing {

inline std::string qwen3_tokenizer_path() {
  return std::string(QINFER_SOURCE_DIR) + "/.deps/qwen3-tokenizer/tokenizer.json";
}

// Loaded once per test binary (about 0.3 s).
inline const Tokenizer& qwen3() {
  static const Tokenizer* instance = [] {
    auto loaded = Tokenizer::from_file(qwen3_tokenizer_path());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.error().message << " (run scripts/setup.sh)";
      std::abort();
    }
    return new Tokenizer(std::move(loaded).value());
  }();
  return *instance;
}

}  // namespace qinfer::tokenizer::testing
