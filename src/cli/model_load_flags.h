// The flags every command that loads a model for inference shares (run, chat, serve, bench,
// logits): how its weights are converted and where they live while it runs.
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

  WeightMemory weight_memory() const { return mmap ? WeightMemory::kMapped : WeightMemory::kAuto; }
};

// Adds --dtype and --mmap; with `env`, also as QINFER_DTYPE and QINFER_MMAP.
void add_model_load_flags(CLI::App& cmd, ModelLoadFlags& flags, bool env = false);

// load_model_as with the flags (an unknown --dtype is an error naming the accepted types).
Expected<std::unique_ptr<Model>> load_model_with(const std::string& path,
                                                 const ModelLoadFlags& flags, int threads);

}  // namespace qinfer::cli
