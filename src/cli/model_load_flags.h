// The flags every command that loads a model for inference shares (run, chat, serve, bench,
// logits): how its weights are converted, where they live while it runs, and the element type
// of its KV cache.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "base/expected.h"
#include "model/model.h"
#include "model/resident_weights.h"
#include "tensor/dtype.h"

namespace qinfer::cli {

struct ModelLoadFlags {
  std::string dtype;  // --dtype: convert a Hugging Face model's matrices at load ("": as stored)
  bool mmap = false;  // --mmap: read the matrices from the file mapping, no huge-page copy
  std::string kv_type;  // --kv-type: auto ("" too), f32 or f16

  WeightMemory weight_memory() const { return mmap ? WeightMemory::kMapped : WeightMemory::kAuto; }
  // nullopt for auto (model/kv_cache.h's default_kv_dtype decides), else F32 or F16.
  Expected<std::optional<DType>> kv_dtype() const;
};

// Adds --dtype, --mmap and --kv-type (checked at parse time); with `env`, also as QINFER_DTYPE,
// QINFER_MMAP and QINFER_KV_TYPE.
void add_model_load_flags(CLI::App& cmd, ModelLoadFlags& flags, bool env = false);

// load_model_as with the flags (an unknown --dtype is an error naming the accepted types).
Expected<std::unique_ptr<Model>> load_model_with(const std::string& path,
                                                 const ModelLoadFlags& flags, int threads);

}  // namespace qinfer::cli
