#include "model/gguf_model_writer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "base/thread_pool.h"
#include "model/gguf_qwen3_names.h"
#include "model/gguf_tokenizer_metadata.h"
#include "model/gguf_writer.h"
#include "model/json_fields.h"
#include "model/random_init.h"

namespace qinfer {
namespace {

constexpr uint32_t kGgmlQuantVersion = 2;          // GGML_QNT_VERSION
constexpr uint64_t kChunkElements = uint64_t{1} << 20;  // 4 MB of f32 per generated chunk

const char* torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: return "float32";
  }
}

// Metadata.load copies these generation_config.json fields when present (not null).
Status add_sampling_metadata(GgufWriter& writer, const std::string& generation_json) {
  if (generation_json.empty()) return ok_status();
  QINFER_ASSIGN_OR_RETURN(nlohmann::json gen,
                          json_fields::parse(generation_json, "generation_config.json"));
  if (!gen.is_object()) return make_error("generation_config.json: expected an object");
  // Order of Metadata.set_gguf_meta_model: top_k, top_p, min_p, temp.
  if (auto it = gen.find("top_k"); it != gen.end() && it->is_number_integer()) {
    writer.add_int32("general.sampling.top_k", it->get<int32_t>());
  }
  for (auto [field, key] : {std::pair{"top_p", "general.sampling.top_p"},
                            std::pair{"min_p", "general.sampling.min_p"},
                            std::pair{"temperature", "general.sampling.temp"}}) {
    if (auto it = gen.find(field); it != gen.end() && it->is_number()) {
      writer.add_float32(key, it->get<float>());
    }
  }
  return ok_status();
}

// Rounds `values` through `stored` and writes them as `stored`, or (for 1-D tensors kept in F32
// while the checkpoint holds `source`) rounds through `source` and widens back: the converter
// reads the HF checkpoint's bf16/f16 norm and casts it to f32, so the GGUF holds the rounded value.
void encode_chunk(const float* values, size_t count, DType source, DType stored,
                  std::byte* out) {
  if (stored == DType::F32) {
    float* dst = reinterpret_cast<float*>(out);
    for (size_t i = 0; i < count; ++i) {
      float v = values[i];
      if (source == DType::BF16) v = bf16_to_f32(f32_to_bf16(v));
      if (source == DType::F16) v = f16_to_f32(f32_to_f16(v));
      dst[i] = v;
    }
  } else if (stored == DType::BF16) {
    uint16_t* dst = reinterpret_cast<uint16_t*>(out);
    for (size_t i = 0; i < count; ++i) dst[i] = f32_to_bf16(values[i]);
  } else {
    uint16_t* dst = reinterpret_cast<uint16_t*>(out);
    for (size_t i = 0; i < count; ++i) dst[i] = f32_to_f16(values[i]);
  }
}

}  // namespace

Expected<uint32_t> gguf_file_type(DType dtype) {
  switch (dtype) {
    case DType::F32: return 0u;
    case DType::F16: return 1u;
    case DType::BF16: return 32u;
    default: return make_error("mkmodel writes f32, f16 or bf16 GGUF files, not {}", dtype_name(dtype));
  }
}

std::string gguf_size_label(uint64_t parameters) {
  // gguf.utility.model_weight_count_rounded_notation(min_digits=2).
  double count = static_cast<double>(parameters);
  double scaled;
  const char* suffix;
  if (count > 1e12) {
    scaled = count * 1e-12, suffix = "T";
  } else if (count > 1e9) {
    scaled = count * 1e-9, suffix = "B";
  } else if (count > 1e6) {
    scaled = count * 1e-6, suffix = "M";
  } else {
    scaled = count * 1e-3, suffix = "K";
  }
  // Python's round() is half-to-even, as nearbyint in the default rounding mode.
  std::string integer = fmt::format("{}", static_cast<int64_t>(std::nearbyint(scaled)));
  integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size()));
  int fix = std::max(2 - static_cast<int>(integer.size()), 0);
  return fmt::format("{:.{}f}{}", scaled, fix, suffix);
}

Status add_qwen3_gguf_metadata(GgufWriter& writer, const Qwen3Config& config,
                               const Qwen3GgufMetadata& metadata) {
  QINFER_ASSIGN_OR_RETURN(
      GgufTokenizerMetadata tokenizer,
      build_gguf_tokenizer_metadata(metadata.tokenizer_dir, metadata.config_json,
                                    config.vocab_size));
  // Key order of convert_hf_to_gguf.py: architecture (GGUFWriter's constructor), general.* from
  // prepare_metadata, qwen3.* from set_gguf_parameters, quantization version, then the vocab.
  writer.add_string("general.architecture", "qwen3");
  writer.add_string("general.type", "model");
  QINFER_RETURN_IF_ERROR(add_sampling_metadata(writer, metadata.generation_config_json));
  writer.add_string("general.name", metadata.name);
  writer.add_string("general.size_label", gguf_size_label(metadata.parameters));
  writer.add_uint32("qwen3.block_count", static_cast<uint32_t>(config.num_hidden_layers));
  writer.add_uint32("qwen3.context_length", static_cast<uint32_t>(config.max_position_embeddings));
  writer.add_uint32("qwen3.embedding_length", static_cast<uint32_t>(config.hidden_size));
  writer.add_uint32("qwen3.feed_forward_length", static_cast<uint32_t>(config.intermediate_size));
  writer.add_uint32("qwen3.attention.head_count", static_cast<uint32_t>(config.num_attention_heads));
  writer.add_uint32("qwen3.attention.head_count_kv",
                    static_cast<uint32_t>(config.num_key_value_heads));
  if (config.rope_scaling.rope_type == "yarn") {
    writer.add_string("qwen3.rope.scaling.type", "yarn");
    writer.add_float32("qwen3.rope.scaling.factor", static_cast<float>(config.rope_scaling.factor));
    writer.add_uint32("qwen3.rope.scaling.original_context_length",
                      static_cast<uint32_t>(config.rope_scaling.original_max_position_embeddings));
  }
  writer.add_float32("qwen3.rope.freq_base", static_cast<float>(config.rope_theta));
  writer.add_float32("qwen3.attention.layer_norm_rms_epsilon",
                     static_cast<float>(config.rms_norm_eps));
  writer.add_uint32("qwen3.attention.key_length", static_cast<uint32_t>(config.head_dim));
  writer.add_uint32("qwen3.attention.value_length", static_cast<uint32_t>(config.head_dim));
  writer.add_uint32("general.file_type", metadata.file_type);
  writer.add_uint32("general.quantization_version", kGgmlQuantVersion);
  add_gguf_tokenizer_metadata(writer, tokenizer);
  return ok_status();
}

Status write_gguf_model(const Qwen3Config& config, uint64_t seed, DType dtype,
                        const std::string& tokenizer_dir, const std::string& out_path,
                        const GgufModelWriteOptions& options) {
  Qwen3GgufMetadata metadata;
  QINFER_ASSIGN_OR_RETURN(metadata.file_type, gguf_file_type(dtype));
  metadata.config_json = options.config_json.empty()
                             ? hf_config_json(config, torch_dtype_name(dtype))
                             : options.config_json;
  metadata.generation_config_json =
      options.generation_config_json.empty()
          ? generation_config_json(qwen3_default_generation_config())
          : options.generation_config_json;
  metadata.tokenizer_dir = tokenizer_dir;
  metadata.name = options.name.empty() ? std::filesystem::path(out_path).stem().string()
                                       : options.name;

  // Tensors: the checkpoint's, renamed; 1-D ones F32 as the converter keeps them.
  struct Planned {
    TensorSpec spec;
    DType stored;
  };
  std::vector<Planned> planned;
  for (auto& spec : qwen3_tensor_specs(config)) {
    DType stored = spec.shape.size() <= 1 ? DType::F32 : dtype;
    uint64_t elements = 1;
    for (int64_t d : spec.shape) elements *= static_cast<uint64_t>(d);
    metadata.parameters += elements;
    planned.push_back({std::move(spec), stored});
  }

  GgufWriter writer;
  QINFER_RETURN_IF_ERROR(add_qwen3_gguf_metadata(writer, config, metadata));

  for (const auto& p : planned) {
    auto gguf_name = gguf_name_from_hf(p.spec.name);
    if (!gguf_name) return make_error("no GGUF name for tensor '{}'", p.spec.name);
    writer.add_tensor_info(*gguf_name, p.spec.shape, p.stored);
  }
  QINFER_RETURN_IF_ERROR(writer.begin(out_path));

  ThreadPool pool(options.threads);
  std::vector<float> values(kChunkElements);
  std::vector<std::byte> encoded(kChunkElements * sizeof(float));
  uint64_t done_bytes = 0;
  const uint64_t total_bytes = writer.total_tensor_bytes();
  for (const auto& p : planned) {
    const uint64_t elements = [&] {
      uint64_t n = 1;
      for (int64_t d : p.spec.shape) n *= static_cast<uint64_t>(d);
      return n;
    }();
    const size_t elem_bytes = dtype_info(p.stored).block_bytes;
    for (uint64_t first = 0; first < elements; first += kChunkElements) {
      const size_t count = static_cast<size_t>(std::min(kChunkElements, elements - first));
      // Each thread generates and encodes its own contiguous slice of the chunk.
      pool.parallel_for(count, [&](size_t begin, size_t end) {
        fill_random_tensor(config, seed, p.spec, first + begin, end - begin, values.data() + begin);
        encode_chunk(values.data() + begin, end - begin, dtype, p.stored,
                     encoded.data() + begin * elem_bytes);
      });
      QINFER_RETURN_IF_ERROR(writer.write_tensor_data(encoded.data(), count * elem_bytes));
      done_bytes += count * elem_bytes;
      if (options.progress) options.progress(done_bytes, total_bytes);
    }
  }
  return writer.finish();
}

}  // namespace qinfer
