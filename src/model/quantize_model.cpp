#include "model/quantize_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/mapped_file.h"
#include "base/thread_pool.h"
#include "model/gguf_model_writer.h"
#include "model/gguf_qwen3_names.h"
#include "model/gguf_reader.h"
#include "model/gguf_writer.h"
#include "model/hf_checkpoint.h"
#include "model/json_fields.h"
#include "model/random_init.h"
#include "tensor/quantize.h"

namespace qinfer {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kGgmlQuantVersion = 2;              // GGML_QNT_VERSION
constexpr int64_t kChunkElements = int64_t{1} << 22;   // 16 MB of f32 per converted chunk

struct SourceTensor {
  std::string gguf_name;
  TensorView view;
};

// What the input gives: its tensors (views into mapped files), the mappings (to drop pages
// behind the reader) and a way to write its metadata with a new file type. Filled in place and
// never moved: the pointers and the metadata callback refer to its members.
struct Source {
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  std::vector<SourceTensor> tensors;
  int n_layers = 0;
  std::vector<const MappedFile*> mappings;
  std::function<Status(GgufWriter&, uint32_t file_type)> write_metadata;
  // Owners of the mappings.
  std::unique_ptr<Model> hf_model;
  std::optional<GgufFile> gguf;
};

// Every tensor of a loaded Hugging Face Qwen3 by checkpoint name (lm_head only when untied:
// transformers ignores a stored one otherwise, and so does the converter's output).
TensorMap tensors_by_hf_name(const Qwen3Config& config, const ModelWeights& w) {
  TensorMap map;
  map["model.embed_tokens.weight"] = w.embed_tokens;
  map["model.norm.weight"] = w.norm;
  if (!config.tie_word_embeddings) map["lm_head.weight"] = w.lm_head;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    map[p + "input_layernorm.weight"] = l.input_layernorm;
    map[p + "self_attn.q_proj.weight"] = l.q_proj;
    map[p + "self_attn.k_proj.weight"] = l.k_proj;
    map[p + "self_attn.v_proj.weight"] = l.v_proj;
    map[p + "self_attn.q_norm.weight"] = l.q_norm;
    map[p + "self_attn.k_norm.weight"] = l.k_norm;
    map[p + "self_attn.o_proj.weight"] = l.o_proj;
    map[p + "post_attention_layernorm.weight"] = l.post_attention_layernorm;
    map[p + "mlp.gate_proj.weight"] = l.gate_proj;
    map[p + "mlp.up_proj.weight"] = l.up_proj;
    map[p + "mlp.down_proj.weight"] = l.down_proj;
  }
  return map;
}

// A Hugging Face directory: tensors in the converter's order and names; metadata as mkmodel
// --format gguf writes it (the same function), from the directory's own config, generation
// config and tokenizer files. The loader has already widened 1-D norms to F32, which is what
// the converter stores for them.
Status open_hf(const std::string& directory, const std::string& out_path, Source& source) {
  QINFER_ASSIGN_OR_RETURN(source.hf_model, load_hf_model(directory));
  const Model& model = *source.hf_model;
  const Qwen3Config& config = model.config;
  source.n_layers = static_cast<int>(config.num_hidden_layers);
  for (const MappedFile& file : model.files) source.mappings.push_back(&file);

  const TensorMap by_name = tensors_by_hf_name(config, model.weights);
  auto metadata = std::make_shared<Qwen3GgufMetadata>();
  for (const TensorSpec& spec : qwen3_tensor_specs(config)) {
    auto it = by_name.find(spec.name);
    auto gguf_name = gguf_name_from_hf(spec.name);
    if (it == by_name.end() || !gguf_name) {
      return make_error("{}: no tensor '{}' to convert", directory, spec.name);
    }
    source.tensors.push_back({*gguf_name, it->second});
    metadata->parameters += static_cast<uint64_t>(it->second.elements());
  }

  const fs::path dir(directory);
  QINFER_ASSIGN_OR_RETURN(metadata->config_json,
                          json_fields::read_text_file((dir / "config.json").string()));
  std::error_code error;
  if (fs::is_regular_file(dir / "generation_config.json", error)) {
    QINFER_ASSIGN_OR_RETURN(metadata->generation_config_json,
                            json_fields::read_text_file((dir / "generation_config.json").string()));
  }
  metadata->tokenizer_dir = directory;
  metadata->name = fs::path(out_path).stem().string();  // as mkmodel names its output
  source.write_metadata = [metadata, config](GgufWriter& writer, uint32_t file_type) {
    Qwen3GgufMetadata with_type = *metadata;
    with_type.file_type = file_type;
    return add_qwen3_gguf_metadata(writer, config, with_type);
  };
  return ok_status();
}

// A GGUF: its tensors in file order and all its metadata, with general.file_type and
// general.quantization_version set as llama-quantize sets them. Alignment and split keys are not
// copied: the output is one file with the default alignment.
Status open_gguf(const std::string& path, Source& source) {
  QINFER_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  source.gguf.emplace(std::move(file));
  const GgufFile& gguf = *source.gguf;
  source.mappings.push_back(&gguf.mapping());
  QINFER_ASSIGN_OR_RETURN(std::string_view arch, gguf.get_string("general.architecture"));
  if (arch != "qwen3") {
    return make_error("{}: architecture '{}': qinfer quantize handles qwen3 models", path, arch);
  }
  if (gguf.find("split.count") != nullptr) {
    QINFER_ASSIGN_OR_RETURN(uint64_t splits, gguf.get_uint("split.count"));
    if (splits > 1) {
      return make_error("{}: is one of {} split files; merge them first (llama-gguf-split "
                        "--merge)",
                        path, splits);
    }
  }
  QINFER_ASSIGN_OR_RETURN(uint64_t layers, gguf.get_uint("qwen3.block_count"));
  if (layers == 0 || layers > 100000) return make_error("{}: qwen3.block_count {}", path, layers);
  source.n_layers = static_cast<int>(layers);
  for (const GgufTensorInfo& info : gguf.tensors()) {
    source.tensors.push_back({info.name, gguf.view(info)});
  }
  source.write_metadata = [&gguf](GgufWriter& writer, uint32_t file_type) {
    bool wrote_type = false, wrote_version = false;
    for (std::string_view key : gguf.keys()) {
      if (key == "general.alignment" || key.starts_with("split.")) continue;
      if (key == "general.file_type") {
        writer.add_uint32(key, file_type);
        wrote_type = true;
      } else if (key == "general.quantization_version") {
        writer.add_uint32(key, kGgmlQuantVersion);
        wrote_version = true;
      } else {
        writer.add_value(key, *gguf.find(key));
      }
    }
    if (!wrote_version) writer.add_uint32("general.quantization_version", kGgmlQuantVersion);
    if (!wrote_type) writer.add_uint32("general.file_type", file_type);
    return ok_status();
  };
  return ok_status();
}

// Drops the pages of a processed input range from the resident set (no-op outside mappings,
// e.g. for norms the loader copied to the heap).
void release_input(const Source& source, const std::byte* begin, size_t bytes) {
  for (const MappedFile* file : source.mappings) file->release_pages(begin, bytes);
}

// Streams one tensor to `writer` as `to`, a chunk of rows at a time; on_bytes gets each chunk's
// output size.
Status convert_tensor(const Source& source, const SourceTensor& tensor, DType to,
                      ThreadPool& pool, GgufWriter& writer,
                      const std::function<void(uint64_t)>& on_bytes) {
  const TensorView& view = tensor.view;
  const int64_t cols = view.cols();
  const int64_t rows = view.rows();
  const auto src_row = row_bytes(view.dtype, static_cast<uint64_t>(cols));
  const auto dst_row = row_bytes(to, static_cast<uint64_t>(cols));
  if (!src_row || !dst_row || *src_row * static_cast<uint64_t>(rows) != view.nbytes) {
    return make_error("tensor '{}': {} {} cannot be converted to {}", tensor.gguf_name,
                      dtype_name(view.dtype), shape_string(view.shape), dtype_name(to));
  }
  const int64_t rows_per_chunk = std::max<int64_t>(1, kChunkElements / cols);

  if (view.dtype == to) {  // kept as it is: copy the bytes
    for (int64_t first = 0; first < rows; first += rows_per_chunk) {
      const int64_t count = std::min(rows_per_chunk, rows - first);
      const std::byte* begin = view.data + static_cast<uint64_t>(first) * *src_row;
      const size_t bytes = static_cast<size_t>(count) * *src_row;
      QINFER_RETURN_IF_ERROR(writer.write_tensor_data(begin, bytes));
      release_input(source, begin, bytes);
      on_bytes(bytes);
    }
    return ok_status();
  }

  std::vector<std::byte> out(static_cast<size_t>(rows_per_chunk) * *dst_row);
  std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()),
                                          std::vector<float>(static_cast<size_t>(cols)));
  for (int64_t first = 0; first < rows; first += rows_per_chunk) {
    const int64_t count = std::min(rows_per_chunk, rows - first);
    const std::byte* chunk = view.data + static_cast<uint64_t>(first) * *src_row;
    // Rows are independent (blocks never span rows), so each thread takes a contiguous slice.
    // NaN or Inf would make garbage blocks (and undefined float-to-int conversions); llama-quantize
    // rejects them too (ggml_validate_row_data), so the tensor is refused.
    std::atomic<int64_t> bad_row{-1};
    pool.run([&](int index, int n_threads) {
      const int64_t begin = count * index / n_threads;
      const int64_t end = count * (index + 1) / n_threads;
      float* row = scratch[static_cast<size_t>(index)].data();
      for (int64_t r = begin; r < end; ++r) {
        dequantize_row(view.dtype, chunk + static_cast<uint64_t>(r) * *src_row, cols, row);
        if (!std::all_of(row, row + cols, [](float v) { return std::isfinite(v); })) {
          bad_row.store(first + r);
          return;
        }
        quantize_row(to, row, cols, out.data() + static_cast<uint64_t>(r) * *dst_row);
      }
    });
    if (bad_row.load() >= 0) {
      return make_error("tensor '{}': row {} holds NaN or Inf", tensor.gguf_name, bad_row.load());
    }
    const size_t bytes = static_cast<size_t>(count) * *dst_row;
    QINFER_RETURN_IF_ERROR(writer.write_tensor_data(out.data(), bytes));
    release_input(source, chunk, static_cast<size_t>(count) * *src_row);
    on_bytes(bytes);
  }
  return ok_status();
}

Expected<QuantizeModelReport> write_quantized(const Source& source, const std::string& out_path,
                                              const QuantTarget& target,
                                              const QuantizeModelOptions& options) {
  QuantModelFacts facts;
  facts.n_layers = source.n_layers;
  for (const SourceTensor& t : source.tensors) {
    if (t.gguf_name == "output.weight") facts.has_output = true;
    if (t.gguf_name.find("attn_v.weight") != std::string::npos ||
        t.gguf_name.find("attn_qkv.weight") != std::string::npos) {
      ++facts.n_attention_v;
    }
  }

  QuantizeModelReport report;
  GgufWriter writer;
  QINFER_RETURN_IF_ERROR(source.write_metadata(writer, target.file_type));
  for (const SourceTensor& t : source.tensors) {
    QuantTensor tensor{t.gguf_name, &t.view.shape, t.view.dtype};
    QINFER_ASSIGN_OR_RETURN(DType to, choose_tensor_type(target, tensor, facts));
    writer.add_tensor_info(t.gguf_name, t.view.shape, to);
    report.tensors.push_back({t.gguf_name, t.view.shape, t.view.dtype, to});
    report.input_bytes += t.view.nbytes;
  }
  QINFER_RETURN_IF_ERROR(writer.begin(out_path));

  ThreadPool pool(options.threads);
  const uint64_t total = writer.total_tensor_bytes();
  uint64_t done = 0;
  auto on_bytes = [&](uint64_t bytes) {
    done += bytes;
    report.output_bytes += bytes;
    if (options.progress) options.progress(done, total);
  };
  for (size_t i = 0; i < source.tensors.size(); ++i) {
    QINFER_RETURN_IF_ERROR(
        convert_tensor(source, source.tensors[i], report.tensors[i].to, pool, writer, on_bytes));
  }
  QINFER_RETURN_IF_ERROR(writer.finish());
  return report;
}

}  // namespace

Expected<QuantizeModelReport> quantize_model(const std::string& in_path,
                                             const std::string& out_path,
                                             const QuantTarget& target,
                                             const QuantizeModelOptions& options) {
  std::error_code error;
  const fs::file_status status = fs::status(in_path, error);
  if (error || !fs::exists(status)) return make_error("{}: no such file or directory", in_path);
  if (fs::exists(out_path, error) && fs::equivalent(in_path, out_path, error)) {
    return make_error("{}: output and input are the same file", out_path);
  }
  Source source;
  QINFER_RETURN_IF_ERROR(fs::is_directory(status) ? open_hf(in_path, out_path, source)
                                                  : open_gguf(in_path, source));
  Expected<QuantizeModelReport> report = write_quantized(source, out_path, target, options);
  if (!report.ok()) fs::remove(out_path, error);  // no half-written model left behind
  return report;
}

}  // namespace qinfer
