// Tokenizer::from_file / from_json: reads HF's tokenizer.json. Supports exactly the shape
// Qwen2/Qwen3 (and GPT-2-style byte-level BPE) tokenizers use and names any other field value
// it meets, so an unsupported tokenizer fails loudly instead of encoding differently from HF.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokenizer/tokenizer.h"

namespace qinfer::tokenizer {
namespace {

using nlohmann::json;

std::string type_of(const json& node) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) return "";
  return node["type"].get<std::string>();
}

Status read_normalizer(const json& root, TokenizerParts& parts) {
  const json& node = root.value("normalizer", json());
  if (node.is_null()) {
    parts.nfc = false;
    return ok_status();
  }
  if (type_of(node) == "NFC") {
    parts.nfc = true;
    return ok_status();
  }
  return make_error("tokenizer.json: unsupported normalizer '{}' (only NFC or null)", node.dump());
}

Status read_byte_level(const json& node, const char* where) {
  if (node.value("add_prefix_space", false)) {
    return make_error("tokenizer.json: {} ByteLevel with add_prefix_space=true is unsupported", where);
  }
  if (node.value("use_regex", true)) {
    return make_error("tokenizer.json: {} ByteLevel with use_regex=true is unsupported", where);
  }
  return ok_status();
}

Status read_pre_tokenizer(const json& root, TokenizerParts& parts) {
  const json& node = root.value("pre_tokenizer", json());
  std::vector<json> steps;
  if (type_of(node) == "Sequence") {
    for (const json& step : node.at("pretokenizers")) steps.push_back(step);
  } else {
    steps.push_back(node);
  }
  if (steps.size() != 2 || type_of(steps[0]) != "Split" || type_of(steps[1]) != "ByteLevel") {
    return make_error(
        "tokenizer.json: unsupported pre_tokenizer {} (expected Sequence[Split, ByteLevel])",
        node.dump().substr(0, 200));
  }
  const json& split = steps[0];
  if (split.value("behavior", "") != "Isolated" || split.value("invert", false)) {
    return make_error("tokenizer.json: Split pre-tokenizer must be behavior=Isolated, invert=false");
  }
  const json& pattern = split.at("pattern");
  if (pattern.contains("Regex")) {
    parts.split_pattern = pattern["Regex"].get<std::string>();
  } else if (pattern.contains("String")) {
    parts.split_pattern = pattern["String"].get<std::string>();
    parts.split_pattern_is_literal = true;
  } else {
    return make_error("tokenizer.json: Split pattern must be {{\"Regex\": ...}} or {{\"String\": ...}}");
  }
  return read_byte_level(steps[1], "pre_tokenizer");
}

Status read_model(const json& root, TokenizerParts& parts) {
  const json& model = root.at("model");
  if (type_of(model) != "BPE") return make_error("tokenizer.json: model.type must be BPE");
  if (!model.value("dropout", json()).is_null() || !model.value("unk_token", json()).is_null() ||
      !model.value("continuing_subword_prefix", json("")).get<std::string>().empty() ||
      !model.value("end_of_word_suffix", json("")).get<std::string>().empty() ||
      model.value("byte_fallback", false) || model.value("ignore_merges", false)) {
    return make_error(
        "tokenizer.json: unsupported BPE options (dropout, unk_token, continuing_subword_prefix, "
        "end_of_word_suffix, byte_fallback and ignore_merges must be unset)");
  }
  const json& vocab = model.at("vocab");
  parts.vocab.assign(vocab.size(), std::string());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [text, id_node] : vocab.items()) {
    const auto id = id_node.get<int64_t>();
    if (id < 0 || static_cast<size_t>(id) >= vocab.size() || seen[id]) {
      return make_error("tokenizer.json: vocab ids must be 0..{} without gaps; '{}' has id {}",
                        vocab.size() - 1, text, id);
    }
    seen[id] = true;
    parts.vocab[id] = text;
  }
  for (const json& merge : model.at("merges")) {
    if (merge.is_string()) {  // "left right" (older files)
      const auto text = merge.get<std::string>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
        return make_error("tokenizer.json: merge '{}' is not two tokens separated by a space", text);
      }
      parts.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2) {  // ["left", "right"] (tokenizers >= 0.20)
      parts.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      return make_error("tokenizer.json: merge {} is neither \"a b\" nor [a, b]", merge.dump());
    }
  }
  return ok_status();
}

Status read_added_tokens(const json& root, TokenizerParts& parts) {
  for (const json& token : root.value("added_tokens", json::array())) {
    AddedToken added;
    added.content = token.at("content").get<std::string>();
    added.id = token.at("id").get<TokenId>();
    added.special = token.value("special", false);
    for (const char* flag : {"single_word", "lstrip", "rstrip", "normalized"}) {
      if (token.value(flag, false)) {
        return make_error("tokenizer.json: added token '{}' sets {}=true, which is unsupported",
                          added.content, flag);
      }
    }
    parts.added_tokens.push_back(std::move(added));
  }
  return ok_status();
}

Status read_decoder(const json& root) {
  const json& decoder = root.value("decoder", json());
  if (type_of(decoder) != "ByteLevel") {
    return make_error("tokenizer.json: decoder must be ByteLevel, got {}", decoder.dump());
  }
  return ok_status();
}

Expected<TokenizerParts> parse_parts(const json& root) {
  TokenizerParts parts;
  QINFER_RETURN_IF_ERROR(read_normalizer(root, parts));
  QINFER_RETURN_IF_ERROR(read_pre_tokenizer(root, parts));
  QINFER_RETURN_IF_ERROR(read_model(root, parts));
  QINFER_RETURN_IF_ERROR(read_added_tokens(root, parts));
  QINFER_RETURN_IF_ERROR(read_decoder(root));
  return parts;
}

}  // namespace

Expected<Tokenizer> Tokenizer::from_json(std::string_view json_text) {
  Expected<TokenizerParts> parts = make_error("unreachable");
  try {
    const json root = json::parse(json_text);
    if (!root.is_object()) return make_error("tokenizer.json: top level is not an object");
    parts = parse_parts(root);
  } catch (const json::exception& e) {
    // Wrong types or missing keys inside an otherwise well-formed file land here too.
    return make_error("tokenizer.json: {}", e.what());
  }
  if (!parts.ok()) return parts.error();
  return from_parts(std::move(parts).value());
}

Expected<Tokenizer> Tokenizer::from_file(const std::string& path) {
  std::filesystem::path file = path;
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) file /= "tokenizer.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("cannot open tokenizer file {}", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto tokenizer = from_json(text.str());
  if (!tokenizer.ok()) return make_error("{}: {}", file.string(), tokenizer.error().message);
  return tokenizer;
}

}  // namespace qinfer::tokenizer
