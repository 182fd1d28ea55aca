#include "model/gguf_tokenizer_metadata.h"

#include <nlohmann/json.hpp>

#include "model/gguf_vocab.h"
#include "model/json_fields.h"

namespace qinfer {
namespace {

// TextModel.does_token_look_special: added tokens some models forget to mark special.
bool does_token_look_special(const std::string& text) {
  auto starts = [&](std::string_view p) { return text.rfind(p, 0) == 0; };
  auto ends = [&](std::string_view s) {
    return text.size() >= s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0;
  };
  if (text == "<pad>" || text == "<mask>" || text == "<2mass>" || text == "[@BOS@]") return true;
  if (starts("<|") && ends("|>")) return true;
  if (starts("<\xef\xbd\x9c") && ends("\xef\xbd\x9c>")) return true;  // fullwidth "<｜...｜>"
  return starts("<unused") && ends(">");
}

// In user-defined tokens the converter turns SentencePiece's "▁" (U+2581) into a space.
std::string replace_sentencepiece_space(const std::string& text) {
  static constexpr std::string_view kSpace = "\xe2\x96\x81";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (std::string_view(text).substr(i, kSpace.size()) == kSpace) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Merges in tokenizer.json are "a b" strings (older files) or ["a", "b"] pairs (transformers
// >= 4.45). SpecialVocab joins pairs with a space, first encoding spaces inside a part as U+0120.
Expected<std::vector<std::string>> read_merges(const nlohmann::json& merges,
                                               const std::string& source) {
  std::vector<std::string> out;
  if (!merges.is_array()) return make_error("{}: model.merges is not a list", source);
  out.reserve(merges.size());
  for (const auto& merge : merges) {
    if (merge.is_string()) {
      out.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      std::string joined;
      for (int part = 0; part < 2; ++part) {
        if (part == 1) joined += ' ';
        for (char c : merge[part].get_ref<const std::string&>()) {
          if (c == ' ') {
            joined += "\xc4\xa0";  // chr(ord(' ') + 256) = U+0120 in UTF-8
          } else {
            joined += c;
          }
        }
      }
      out.push_back(std::move(joined));
    } else {
      return make_error("{}: unknown merges format: {}", source, merge.dump());
    }
  }
  return out;
}

struct AddedToken {
  int64_t id;
  std::string content;
  bool special;
};

// tokenizer_config.json's "<type>_token" may be a string or {"content": ...}.
std::optional<std::string> token_content(const nlohmann::json& config, const std::string& field) {
  auto it = config.find(field);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

Expected<GgufTokenizerMetadata> build_gguf_tokenizer_metadata(const std::string& tokenizer_dir,
                                                              const std::string& config_json,
                                                              int64_t vocab_size) {
  const std::string tokenizer_path = tokenizer_dir + "/tokenizer.json";
  const std::string tokenizer_config_path = tokenizer_dir + "/tokenizer_config.json";
  QINFER_ASSIGN_OR_RETURN(std::string tokenizer_text, json_fields::read_text_file(tokenizer_path));
  QINFER_ASSIGN_OR_RETURN(nlohmann::json tokenizer, json_fields::parse(tokenizer_text, tokenizer_path));
  std::string().swap(tokenizer_text);
  QINFER_ASSIGN_OR_RETURN(std::string tc_text, json_fields::read_text_file(tokenizer_config_path));
  QINFER_ASSIGN_OR_RETURN(nlohmann::json tokenizer_config,
                          json_fields::parse(tc_text, tokenizer_config_path));
  QINFER_ASSIGN_OR_RETURN(nlohmann::json config, json_fields::parse(config_json, "config.json"));
  if (!tokenizer.is_object() || !tokenizer_config.is_object() || !config.is_object()) {
    return make_error("{}: tokenizer.json, tokenizer_config.json and config.json must be objects",
                      tokenizer_dir);
  }
  if (vocab_size <= 0 || vocab_size > (int64_t{1} << 24)) {
    return make_error("vocab_size {} is out of range", vocab_size);
  }

  const nlohmann::json* model = tokenizer.contains("model") ? &tokenizer["model"] : nullptr;
  if (model == nullptr || !model->is_object() || model->value("type", "") != "BPE" ||
      !model->contains("vocab") || !(*model)["vocab"].is_object()) {
    return make_error("{}: expected a BPE model with a vocab (Qwen's byte-level BPE)",
                      tokenizer_path);
  }
  // The converter's crude TemplateProcessing parsing is not reproduced; Qwen's post-processor is
  // ByteLevel, which adds no tokens. Refuse rather than write different add_*_token flags.
  if (auto pp = tokenizer.find("post_processor"); pp != tokenizer.end() && pp->is_object()) {
    std::string type = pp->value("type", "");
    if (type != "ByteLevel") {
      return make_error("{}: post_processor '{}' is not supported (expected ByteLevel)",
                        tokenizer_path, type);
    }
  }

  GgufTokenizerMetadata out;
  std::vector<std::string> by_id(static_cast<size_t>(vocab_size));
  std::vector<bool> present(static_cast<size_t>(vocab_size), false);
  auto place = [&](int64_t id, const std::string& text) -> Status {
    if (id < 0 || id >= vocab_size) {
      return make_error("{}: token id {} ('{}') is not below vocab_size {}", tokenizer_path, id,
                        text, vocab_size);
    }
    by_id[id] = text;
    present[id] = true;
    return ok_status();
  };
  for (const auto& [text, id] : (*model)["vocab"].items()) {
    auto value = json_fields::as_int(id);
    if (!value) return make_error("{}: vocab entry '{}' has a non-integer id", tokenizer_path, text);
    QINFER_RETURN_IF_ERROR(place(*value, text));
  }
  std::vector<AddedToken> added;
  if (auto it = tokenizer.find("added_tokens"); it != tokenizer.end() && it->is_array()) {
    for (const auto& entry : *it) {
      auto id = entry.contains("id") ? json_fields::as_int(entry["id"]) : std::nullopt;
      if (!id || !entry.contains("content") || !entry["content"].is_string()) {
        return make_error("{}: malformed added_tokens entry {}", tokenizer_path, entry.dump());
      }
      added.push_back({*id, entry["content"].get<std::string>(), entry.value("special", false)});
      QINFER_RETURN_IF_ERROR(place(*id, added.back().content));
    }
  }

  out.tokens.reserve(vocab_size);
  out.token_types.reserve(vocab_size);
  std::vector<const AddedToken*> added_by_id(static_cast<size_t>(vocab_size), nullptr);
  for (const auto& token : added) added_by_id[token.id] = &token;
  for (int64_t id = 0; id < vocab_size; ++id) {
    if (!present[id]) {
      out.tokens.push_back(fmt::format("[PAD{}]", id));
      out.token_types.push_back(static_cast<int32_t>(GgufTokenType::kUnused));
      continue;
    }
    // get_vocab_base re-encodes non-normalized added tokens (decode(encode(t))); for byte-level
    // BPE that is the identity on an added token's own text, so the text is kept as is.
    if (const AddedToken* token = added_by_id[id]) {
      if (token->special || does_token_look_special(token->content)) {
        out.tokens.push_back(token->content);
        out.token_types.push_back(static_cast<int32_t>(GgufTokenType::kControl));
      } else {
        out.tokens.push_back(replace_sentencepiece_space(token->content));
        out.token_types.push_back(static_cast<int32_t>(GgufTokenType::kUserDefined));
      }
    } else {
      out.tokens.push_back(std::move(by_id[id]));
      out.token_types.push_back(static_cast<int32_t>(GgufTokenType::kNormal));
    }
  }

  if (model->contains("merges")) {
    QINFER_ASSIGN_OR_RETURN(out.merges, read_merges((*model)["merges"], tokenizer_path));
  }

  // SpecialVocab: for each type, tokenizer_config.json's add_<type>_token flag and <type>_token
  // (looked up by content among the added tokens, first match), then config.json's
  // <type>_token_id for types still unset. Only types the GGUF writer has a key for are kept.
  struct SpecialType {
    const char* name;
    const char* id_key;    // nullptr: GGUFWriter has no handler (SpecialVocab skips it)
    const char* add_key;   // nullptr: no add_<type>_token handler
  };
  static constexpr SpecialType kTypes[] = {
      {"bos", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token"},
      {"eos", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_eos_token"},
      {"unk", "tokenizer.ggml.unknown_token_id", nullptr},
      {"sep", "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.add_sep_token"},  // sic
      {"pad", "tokenizer.ggml.padding_token_id", nullptr},
      {"cls", nullptr, nullptr},
      {"mask", "tokenizer.ggml.mask_token_id", nullptr},
  };
  std::vector<std::pair<std::string, int64_t>> ids;  // (type, id), insertion order
  auto set_id = [&](const std::string& type, int64_t id) {
    if (id < 0 || id >= vocab_size) return;
    for (const auto& [t, existing] : ids) {
      if (t == type) return;
    }
    ids.emplace_back(type, id);
  };
  for (const auto& type : kTypes) {
    std::string name = type.name;
    auto flag = tokenizer_config.find("add_" + name + "_token");
    if (flag != tokenizer_config.end() && flag->is_boolean() && type.add_key != nullptr) {
      out.add_special_token.emplace_back(type.add_key, flag->get<bool>());
    }
    auto content = token_content(tokenizer_config, name + "_token");
    if (!content) continue;
    for (const auto& token : added) {
      if (token.content == *content) {
        set_id(name, token.id);
        break;
      }
    }
  }
  for (const auto& type : kTypes) {
    std::string name = type.name;
    auto it = config.find(name + "_token_id");
    // Python's isinstance(x, int): a list (eos_token_id: [a, b]) is skipped.
    if (it != config.end() && it->is_number_integer()) set_id(name, it->get<int64_t>());
  }
  for (const auto& [type, id] : ids) {
    for (const auto& t : kTypes) {
      if (type == t.name && t.id_key != nullptr) {
        out.special_token_ids.emplace_back(t.id_key, static_cast<uint32_t>(id));
      }
    }
  }

  if (auto tmpl = tokenizer_config.find("chat_template"); tmpl != tokenizer_config.end()) {
    if (tmpl->is_string()) {
      out.chat_template = tmpl->get<std::string>();
    } else if (!tmpl->is_null()) {
      return make_error("{}: chat_template lists are not supported", tokenizer_config_path);
    }
  }
  return out;
}

void add_gguf_tokenizer_metadata(GgufWriter& writer, const GgufTokenizerMetadata& metadata) {
  writer.add_string("tokenizer.ggml.model", metadata.model);
  writer.add_string("tokenizer.ggml.pre", metadata.pre);
  writer.add_string_array("tokenizer.ggml.tokens", metadata.tokens);
  writer.add_int32_array("tokenizer.ggml.token_type", metadata.token_types);
  if (!metadata.merges.empty()) writer.add_string_array("tokenizer.ggml.merges", metadata.merges);
  for (const auto& [key, id] : metadata.special_token_ids) writer.add_uint32(key, id);
  for (const auto& [key, flag] : metadata.add_special_token) writer.add_bool(key, flag);
  if (metadata.chat_template) writer.add_string("tokenizer.chat_template", *metadata.chat_template);
}

}  // namespace qinfer
