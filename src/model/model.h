// A loaded model: config, generation defaults, weights (views into mmap'd files), and where its
// tokenizer and chat template come from. Accepts a Hugging Face directory (config.json +
// model.safetensors or sharded model-0000K-of-0000N.safetensors with model.safetensors.index.json)
// or a GGUF file.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/mapped_file.h"
#include "model/config.h"
#include "base/zeroed_pages.h"
#include "model/gguf_vocab.h"
#include "model/weights.h"

namespace qinfer {

enum class ModelFormat { kHuggingFace, kGguf };

struct Model {
  ModelFormat format = ModelFormat::kHuggingFace;
  std::string path;                       // the directory or .gguf file given by the user
  Qwen3Config config;
  GenerationConfig generation;
  ModelWeights weights;
  std::string tokenizer_json_path;        // HF: <dir>/tokenizer.json when present, else ""
  std::string chat_template;              // from tokenizer_config.json or GGUF metadata, may be ""
  GgufVocab gguf_vocab;                   // GGUF: tokenizer.ggml.* (views into files); HF: empty

  // Storage the views point into. Never touched after load; deques keep addresses stable.
  std::vector<MappedFile> files;
  std::deque<std::vector<float>> converted;  // e.g. BF16 norm weights widened to F32
  ZeroedPages arena;  // matrices copied or repacked at load (model/resident_weights.h)
};

// Loads and validates everything before returning; the error names the file and the tensor.
Expected<std::unique_ptr<Model>> load_model(const std::string& path);

}  // namespace qinfer
