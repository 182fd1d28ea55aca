#include "model/hf_model_writer.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/thread_pool.h"

namespace qinfer {
namespace {

namespace fs = std::filesystem;

// Elements generated per step: 4 MB of f32 plus its encoding, shared by the generator threads.
constexpr uint64_t kChunkElements = uint64_t{1} << 20;

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return make_error("{}: cannot write", path.string());
  return ok_status();
}

Status copy_tokenizer_files(const fs::path& tokenizer_dir, const fs::path& out_dir) {
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
    const fs::path source = tokenizer_dir / name;
    std::error_code error;
    if (!fs::is_regular_file(source, error)) {
      return make_error("{}: tokenizer file not found (give --tokenizer-dir or set "
                        "QINFER_TOKENIZER_DIR to a directory with tokenizer.json and "
                        "tokenizer_config.json; scripts/setup.sh installs them in "
                        ".deps/qwen3-tokenizer)",
                        source.string());
    }
    fs::copy_file(source, out_dir / name, fs::copy_options::overwrite_existing, error);
    if (error) {
      return make_error("{}: cannot copy to {}: {}", source.string(), out_dir.string(),
                        error.message());
    }
  }
  return ok_status();
}

void encode(const float* values, size_t count, DType dtype, std::byte* out) {
  if (dtype == DType::F32) {
    std::memcpy(out, values, count * sizeof(float));
    return;
  }
  auto* dst = reinterpret_cast<uint16_t*>(out);
  if (dtype == DType::BF16) {
    for (size_t i = 0; i < count; ++i) dst[i] = f32_to_bf16(values[i]);
  } else {
    for (size_t i = 0; i < count; ++i) dst[i] = f32_to_f16(values[i]);
  }
}

std::string shard_name(size_t index, size_t count) {
  return fmt::format("model-{:05d}-of-{:05d}.safetensors", index + 1, count);
}

// Streams every tensor of `shards` into its file. Threads split each chunk; the file is written
// by the calling thread, in order.
Status write_shards(const Qwen3Config& config, uint64_t seed,
                    const std::vector<std::vector<SafetensorsEntry>>& shards,
                    const fs::path& dir, const HfModelWriteOptions& options) {
  uint64_t total_bytes = 0;
  for (const auto& shard : shards) {
    for (const auto& entry : shard) total_bytes += safetensors_entry_bytes(entry);
  }
  ThreadPool pool(options.threads);
  std::vector<float> values(kChunkElements);
  std::vector<std::byte> encoded(kChunkElements * sizeof(float));
  uint64_t done_bytes = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    const std::string file = shards.size() == 1 ? "model.safetensors" : shard_name(s, shards.size());
    QINFER_ASSIGN_OR_RETURN(SafetensorsWriter writer,
                            SafetensorsWriter::create((dir / file).string(), shards[s],
                                                      {{"format", "pt"}}));
    for (const SafetensorsEntry& entry : shards[s]) {
      const TensorSpec spec{entry.name, entry.shape};
      const size_t element_bytes = dtype_info(entry.dtype).block_bytes;
      const uint64_t elements = safetensors_entry_bytes(entry) / element_bytes;
      for (uint64_t first = 0; first < elements; first += kChunkElements) {
        const size_t count = static_cast<size_t>(std::min(kChunkElements, elements - first));
        pool.parallel_for(count, [&](size_t begin, size_t end) {
          fill_random_tensor(config, seed, spec, first + begin, end - begin, values.data() + begin);
          encode(values.data() + begin, end - begin, entry.dtype, encoded.data() + begin * element_bytes);
        });
        QINFER_RETURN_IF_ERROR(writer.write(encoded.data(), count * element_bytes));
        done_bytes += count * element_bytes;
        if (options.progress) options.progress(done_bytes, total_bytes);
      }
    }
    QINFER_RETURN_IF_ERROR(writer.finish());
  }
  return ok_status();
}

std::string shard_index_json(const std::vector<std::vector<SafetensorsEntry>>& shards) {
  uint64_t total_size = 0;
  std::map<std::string, std::string> weight_map;  // sorted by name, as transformers writes it
  for (size_t s = 0; s < shards.size(); ++s) {
    for (const auto& entry : shards[s]) {
      total_size += safetensors_entry_bytes(entry);
      weight_map[entry.name] = shard_name(s, shards.size());
    }
  }
  nlohmann::ordered_json index;
  index["metadata"] = {{"total_size", total_size}};
  index["weight_map"] = weight_map;
  return index.dump(2) + "\n";
}

Status write_into(const Qwen3Config& config, uint64_t seed, DType dtype,
                  const std::string& tokenizer_dir, const fs::path& dir,
                  const HfModelWriteOptions& options) {
  QINFER_ASSIGN_OR_RETURN(std::string torch_dtype, torch_dtype_for(dtype));
  QINFER_RETURN_IF_ERROR(copy_tokenizer_files(tokenizer_dir, dir));
  QINFER_RETURN_IF_ERROR(write_text(dir / "config.json", hf_config_json(config, torch_dtype)));
  QINFER_RETURN_IF_ERROR(write_text(dir / "generation_config.json",
                                    generation_config_json(qwen3_default_generation_config())));
  std::vector<SafetensorsEntry> entries;
  for (const TensorSpec& spec : qwen3_tensor_specs(config)) {
    entries.push_back({spec.name, dtype, spec.shape});
  }
  const auto shards = plan_shards(entries, options.max_shard_bytes);
  QINFER_RETURN_IF_ERROR(write_shards(config, seed, shards, dir, options));
  if (shards.size() > 1) {
    QINFER_RETURN_IF_ERROR(write_text(dir / "model.safetensors.index.json", shard_index_json(shards)));
  }
  return ok_status();
}

}  // namespace

Expected<std::string> torch_dtype_for(DType dtype) {
  switch (dtype) {
    case DType::F32: return std::string("float32");
    case DType::F16: return std::string("float16");
    case DType::BF16: return std::string("bfloat16");
    default: return make_error("dtype {} is not a Hugging Face checkpoint dtype (f32, f16, bf16)",
                               dtype_name(dtype));
  }
}

std::vector<std::vector<SafetensorsEntry>> plan_shards(const std::vector<SafetensorsEntry>& entries,
                                                       uint64_t max_shard_bytes) {
  std::vector<std::vector<SafetensorsEntry>> shards(1);
  uint64_t shard_bytes = 0;
  for (const auto& entry : entries) {
    const uint64_t bytes = safetensors_entry_bytes(entry);
    if (max_shard_bytes > 0 && !shards.back().empty() && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(entry);
    shard_bytes += bytes;
  }
  return shards;
}

Status write_hf_model(const Qwen3Config& config, uint64_t seed, DType dtype,
                      const std::string& tokenizer_dir, const std::string& out_dir,
                      const HfModelWriteOptions& options) {
  fs::path out = fs::path(out_dir).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "dir/" names the directory "dir"
  if (out.empty() || out.filename().empty() || out.filename() == "..") {
    return make_error("'{}': give the output directory as a path ending in its name", out_dir);
  }
  std::error_code error;
  if (fs::exists(out, error) && !options.overwrite) {
    const bool empty_dir = fs::is_directory(out, error) && fs::is_empty(out, error);
    if (!empty_dir) return make_error("{}: already exists (use --force to replace it)", out_dir);
  }
  // Same parent directory, so the final rename is atomic and never crosses file systems.
  const fs::path temp = out.parent_path() /
                        fmt::format(".{}.partial-{}", out.filename().string(), ::getpid());
  fs::remove_all(temp, error);
  fs::create_directories(temp, error);
  if (error) return make_error("{}: cannot create: {}", temp.string(), error.message());

  Status written = write_into(config, seed, dtype, tokenizer_dir, temp, options);
  if (!written.ok()) {
    fs::remove_all(temp, error);
    return written;
  }
  if (fs::exists(out, error)) fs::remove_all(out, error);
  if (error) return make_error("{}: cannot replace: {}", out_dir, error.message());
  fs::rename(temp, out, error);
  if (error) {
    return make_error("cannot rename {} to {}: {}", temp.string(), out_dir, error.message());
  }
  return ok_status();
}

}  // namespace qinfer
