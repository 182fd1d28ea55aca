#include "engine/text_assets.h"

#include <string>
#include <utility>
#include <vector>

namespace qinfer::engine {
namespace {

Expected<tokenizer::Tokenizer> load_tokenizer(const Model& model) {
  if (!model.gguf_vocab.empty()) {
    const GgufVocab& vocab = model.gguf_vocab;
    auto tok = tokenizer::Tokenizer::from_gguf(vocab.pre, vocab.tokens, vocab.token_types,
                                               vocab.merges);
    if (!tok.ok()) return make_error("{}: tokenizer: {}", model.path, tok.error().message);
    return tok;
  }
  if (model.tokenizer_json_path.empty()) {
    return make_error("{}: no tokenizer.json and no GGUF tokenizer metadata", model.path);
  }
  return tokenizer::Tokenizer::from_file(model.tokenizer_json_path);
}

// GGUF keeps special tokens as ids; the template sees their texts, as transformers passes them.
std::vector<std::pair<std::string, std::string>> gguf_special_tokens(const GgufVocab& vocab) {
  std::vector<std::pair<std::string, std::string>> tokens;
  auto add = [&](const char* name, const std::optional<int64_t>& id) {
    if (id && *id >= 0 && *id < static_cast<int64_t>(vocab.tokens.size())) {
      tokens.emplace_back(name, std::string(vocab.tokens[static_cast<size_t>(*id)]));
    }
  };
  add("bos_token", vocab.bos_token_id);
  add("eos_token", vocab.eos_token_id);
  add("pad_token", vocab.padding_token_id);
  add("unk_token", vocab.unknown_token_id);
  return tokens;
}

Expected<std::optional<chat::ChatTemplate>> load_chat_template(const Model& model) {
  if (model.chat_template.empty()) return std::optional<chat::ChatTemplate>();
  if (model.format == ModelFormat::kHuggingFace) {
    // from_model_dir also reads tokenizer_config.json's special tokens, as transformers does.
    auto tmpl = chat::ChatTemplate::from_model_dir(model.path);
    if (!tmpl.ok()) return make_error("{}: chat template: {}", model.path, tmpl.error().message);
    return std::optional<chat::ChatTemplate>(std::move(tmpl).value());
  }
  auto tmpl = chat::ChatTemplate::from_source(model.chat_template,
                                              gguf_special_tokens(model.gguf_vocab));
  if (!tmpl.ok()) return make_error("{}: chat template: {}", model.path, tmpl.error().message);
  return std::optional<chat::ChatTemplate>(std::move(tmpl).value());
}

}  // namespace

Expected<TextAssets> load_text_assets(const Model& model) {
  QINFER_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, load_tokenizer(model));
  QINFER_ASSIGN_OR_RETURN(std::optional<chat::ChatTemplate> tmpl, load_chat_template(model));
  return TextAssets{std::move(tok), std::move(tmpl)};
}

Expected<const chat::ChatTemplate*> require_chat_template(const TextAssets& assets,
                                                          const Model& model) {
  if (!assets.chat_template) {
    return make_error("{} has no chat template; use --raw for plain completion", model.path);
  }
  return &*assets.chat_template;
}

}  // namespace qinfer::engine
