// `qinfer mkmodel --format gguf`: a random-weight Qwen3 as one GGUF v3 file holding what llama.cpp's
// convert_hf_to_gguf.py would write for the Hugging Face directory `mkmodel --format hf` makes
// with the same seed (same keys, types and values; same weights: the HF directory's numbers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/expected.h"
#include "model/config.h"
#include "tensor/dtype.h"

namespace qinfer {

struct GgufModelWriteOptions {
  std::string name;                       // general.name; empty: the output file's stem
  // Text of the HF directory's config.json and generation_config.json, which the converter reads
  // (special token ids; general.sampling.*). Empty: what mkmodel --format hf writes for `config`.
  std::string config_json;
  std::string generation_config_json;
  int threads = 0;                        // generator threads; 0 = one per hardware thread
  // Called after each chunk with bytes of tensor data written so far and the total.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
};

// llama.cpp's LLAMA_FTYPE for a file whose matrices are `dtype` (1-D tensors are always F32):
// ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32.
Expected<uint32_t> gguf_file_type(DType dtype);

// The converter's general.size_label ("596M", "14B") for a parameter count.
std::string gguf_size_label(uint64_t parameters);

class GgufWriter;

// What the metadata of a Qwen3 GGUF is made of, besides the config.
struct Qwen3GgufMetadata {
  std::string name;                    // general.name
  std::string config_json;             // config.json's text (special token ids for the vocab)
  std::string generation_config_json;  // empty: no general.sampling.* keys
  std::string tokenizer_dir;           // holds tokenizer.json and tokenizer_config.json
  uint64_t parameters = 0;             // element count of all tensors, for general.size_label
  uint32_t file_type = 0;              // general.file_type (llama.cpp's LLAMA_FTYPE)
};

// Adds the key/values convert_hf_to_gguf.py writes for a Qwen3 checkpoint, in its order
// (general.*, qwen3.*, file type, quantization version, tokenizer.*). Shared by mkmodel and
// `qinfer quantize` of a Hugging Face directory.
Status add_qwen3_gguf_metadata(GgufWriter& writer, const Qwen3Config& config,
                               const Qwen3GgufMetadata& metadata);

// Writes `out_path`. `dtype` is F32, F16 or BF16; tokenizer files come from `tokenizer_dir`.
Status write_gguf_model(const Qwen3Config& config, uint64_t seed, DType dtype,
                        const std::string& tokenizer_dir, const std::string& out_path,
                        const GgufModelWriteOptions& options = {});

}  // namespace qinfer
