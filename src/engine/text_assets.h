// The text side of a loaded model: its tokenizer and chat template, from whichever file the
// model came from (tokenizer.json + tokenizer_config.json for a Hugging Face directory,
// tokenizer.ggml.* + tokenizer.chat_template for a GGUF file).
#pragma once

#include <optional>

#include "base/expected.h"
#include "chat/chat_template.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::engine {

struct TextAssets {
  tokenizer::Tokenizer tokenizer;
  std::optional<chat::ChatTemplate> chat_template;  // absent when the model ships none
};

// Errors name the file at fault. A model without a chat template is not an error here: only
// chat-formatted prompts need one (see require_chat_template).
Expected<TextAssets> load_text_assets(const Model& model);

// The template, or an error telling the user to pass --raw.
Expected<const chat::ChatTemplate*> require_chat_template(const TextAssets& assets,
                                                          const Model& model);

}  // namespace qinfer::engine
