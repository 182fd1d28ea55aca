// Loads a Hugging Face model directory: config.json, generation_config.json (optional),
// model.safetensors or model.safetensors.index.json + its shards, tokenizer.json and the chat
// template of tokenizer_config.json (or chat_template.jinja, where newer transformers put it).
#pragma once

#include <memory>
#include <string>

#include "base/expected.h"
#include "model/model.h"

namespace qinfer {

Expected<std::unique_ptr<Model>> load_hf_model(const std::string& directory);

// The chat template of a tokenizer_config.json text: its "chat_template" string, or the "default"
// entry when it holds a list of named templates. Empty when there is none.
Expected<std::string> chat_template_from_tokenizer_config(const std::string& json_text,
                                                          const std::string& source);

}  // namespace qinfer
