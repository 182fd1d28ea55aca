#include "model/hf_checkpoint.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>

#include "model/json_fields.h"
#include "model/safetensors_reader.h"

namespace qinfer {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
  std::error_code ignored;
  return fs::is_regular_file(path, ignored);
}

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor name: shard file}}.
// Returns shard file -> names of the tensors the index places in it.
Expected<std::map<std::string, std::vector<std::string>>> read_shard_index(const fs::path& path) {
  const std::string source = path.string();
  QINFER_ASSIGN_OR_RETURN(std::string text, json_fields::read_text_file(source));
  QINFER_ASSIGN_OR_RETURN(nlohmann::json root, json_fields::parse(text, source));
  if (!root.is_object()) return make_error("{}: expected a JSON object", source);
  auto map_it = root.find("weight_map");
  if (map_it == root.end() || !map_it->is_object() || map_it->empty()) {
    return make_error("{}: missing or empty 'weight_map'", source);
  }
  std::map<std::string, std::vector<std::string>> shards;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      return make_error("{}: weight_map entry of tensor '{}' is not a file name", source, tensor);
    }
    const std::string file = shard.get<std::string>();
    // Shards live next to the index: a path with separators could point anywhere on the disk.
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return make_error("{}: weight_map places tensor '{}' in '{}', which is not a plain file "
                        "name in the model directory",
                        source, tensor, file);
    }
    shards[file].push_back(tensor);
  }
  return shards;
}

// The forward pass reads weights as float/uint16 arrays; safetensors only promises byte offsets.
// Published files are aligned, but a tensor that is not gets copied into aligned storage rather
// than read through a misaligned pointer.
void align_tensor(TensorView& view, std::deque<std::vector<float>>& storage) {
  const size_t element_bytes = dtype_info(view.dtype).block_bytes;
  if (reinterpret_cast<uintptr_t>(view.data) % element_bytes == 0) return;
  std::vector<float>& copy = storage.emplace_back((view.nbytes + sizeof(float) - 1) / sizeof(float));
  std::memcpy(copy.data(), view.data, view.nbytes);
  view.data = reinterpret_cast<const std::byte*>(copy.data());
}

// Maps each weight file and collects the tensors the model uses into one map.
Status load_tensors(const fs::path& directory, Model& model, TensorMap& tensors) {
  const fs::path index_path = directory / "model.safetensors.index.json";
  const fs::path single_path = directory / "model.safetensors";
  if (is_file(index_path)) {
    QINFER_ASSIGN_OR_RETURN(auto shards, read_shard_index(index_path));
    for (const auto& [file, names] : shards) {
      const fs::path shard_path = directory / file;
      if (!is_file(shard_path)) {
        return make_error("{}: shard '{}' listed in model.safetensors.index.json (for tensor "
                          "'{}') does not exist",
                          shard_path.string(), file, names.front());
      }
      QINFER_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(shard_path.string()));
      QINFER_ASSIGN_OR_RETURN(SafetensorsContents contents, read_safetensors(mapped));
      for (const std::string& name : names) {
        auto it = contents.tensors.find(name);
        if (it == contents.tensors.end()) {
          return make_error("{}: tensor '{}' is listed in model.safetensors.index.json for this "
                            "shard but is not in it",
                            shard_path.string(), name);
        }
        tensors[name] = it->second;
      }
      model.files.push_back(std::move(mapped));  // the mapping's address survives the move
    }
  } else if (is_file(single_path)) {
    QINFER_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(single_path.string()));
    QINFER_ASSIGN_OR_RETURN(SafetensorsContents contents, read_safetensors(mapped));
    tensors = std::move(contents.tensors);
    model.files.push_back(std::move(mapped));
  } else {
    return make_error("{}: no model.safetensors or model.safetensors.index.json",
                      directory.string());
  }
  for (auto& [name, view] : tensors) align_tensor(view, model.converted);
  return ok_status();
}

Status load_chat_template(const fs::path& directory, Model& model) {
  const fs::path tokenizer_config = directory / "tokenizer_config.json";
  if (is_file(tokenizer_config)) {
    QINFER_ASSIGN_OR_RETURN(std::string text, json_fields::read_text_file(tokenizer_config.string()));
    QINFER_ASSIGN_OR_RETURN(model.chat_template,
                            chat_template_from_tokenizer_config(text, tokenizer_config.string()));
  }
  const fs::path jinja = directory / "chat_template.jinja";
  if (model.chat_template.empty() && is_file(jinja)) {
    QINFER_ASSIGN_OR_RETURN(model.chat_template, json_fields::read_text_file(jinja.string()));
  }
  return ok_status();
}

}  // namespace

Expected<std::string> chat_template_from_tokenizer_config(const std::string& json_text,
                                                          const std::string& source) {
  QINFER_ASSIGN_OR_RETURN(nlohmann::json root, json_fields::parse(json_text, source));
  if (!root.is_object()) return make_error("{}: expected a JSON object", source);
  auto it = root.find("chat_template");
  if (it == root.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const auto& entry : *it) {
      if (entry.is_object() && entry.value("name", nlohmann::json()) == "default" &&
          entry.contains("template") && entry["template"].is_string()) {
        return entry["template"].get<std::string>();
      }
    }
  }
  return make_error("{}: 'chat_template' is neither a string nor a list with a 'default' entry",
                    source);
}

Expected<std::unique_ptr<Model>> load_hf_model(const std::string& directory_name) {
  const fs::path directory(directory_name);
  auto model = std::make_unique<Model>();
  model->format = ModelFormat::kHuggingFace;
  model->path = directory_name;

  const fs::path config_path = directory / "config.json";
  if (!is_file(config_path)) {
    return make_error("{}: not a Hugging Face model directory (config.json is missing)",
                      directory_name);
  }
  QINFER_ASSIGN_OR_RETURN(std::string config_text, json_fields::read_text_file(config_path.string()));
  QINFER_ASSIGN_OR_RETURN(model->config, parse_hf_config(config_text, config_path.string()));

  const fs::path generation_path = directory / "generation_config.json";
  if (is_file(generation_path)) {
    QINFER_ASSIGN_OR_RETURN(std::string text, json_fields::read_text_file(generation_path.string()));
    QINFER_ASSIGN_OR_RETURN(model->generation,
                            parse_generation_config(text, generation_path.string()));
  } else {
    // transformers derives the defaults from config.json when the file is absent.
    model->generation.do_sample = false;
    model->generation.bos_token_id = model->config.bos_token_id;
  }
  if (model->generation.eos_token_ids.empty()) {
    model->generation.eos_token_ids = model->config.eos_token_ids;
  }

  const fs::path tokenizer_json = directory / "tokenizer.json";
  if (is_file(tokenizer_json)) model->tokenizer_json_path = tokenizer_json.string();
  QINFER_RETURN_IF_ERROR(load_chat_template(directory, *model));

  TensorMap tensors;
  QINFER_RETURN_IF_ERROR(load_tensors(directory, *model, tensors));
  widen_vectors_to_f32(tensors, model->converted);
  QINFER_ASSIGN_OR_RETURN(model->weights, bind_weights(model->config, tensors, directory_name));
  return model;
}

}  // namespace qinfer
