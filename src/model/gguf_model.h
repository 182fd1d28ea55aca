// A Qwen3 model from a GGUF file (as llama.cpp's convert_hf_to_gguf.py writes one, or
// `qinfer mkmodel --format gguf`): qwen3.* metadata -> Qwen3Config, blk.N.* tensors -> Hugging
// Face names -> bind_weights, tokenizer.ggml.* -> Model::gguf_vocab, tokenizer.chat_template ->
// Model::chat_template. Weights stay in the mapped file.
#pragma once

#include <memory>
#include <string>

#include "base/expected.h"
#include "model/config.h"
#include "model/gguf_reader.h"
#include "model/gguf_vocab.h"
#include "model/model.h"

namespace qinfer {

Expected<std::unique_ptr<Model>> load_gguf_model(const std::string& path);

// The pieces of load_gguf_model, for tools and tests that only need the metadata.
Expected<Qwen3Config> qwen3_config_from_gguf(const GgufFile& file);
Expected<GgufVocab> gguf_vocab_from_file(const GgufFile& file);

}  // namespace qinfer
