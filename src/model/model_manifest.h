// The integrity of a model on disk: which files a model loads, and their SHA256SUMS
// (base/sha256_manifest.h) — written by `qinfer verify --write`, mkmodel and quantize, checked by
// `qinfer verify` and `serve --verify`.
//
// A Hugging Face directory's files are the ones the loaders read: config.json,
// generation_config.json, the tokenizer files, *.safetensors and the index; its manifest is
// <dir>/SHA256SUMS. A GGUF file's manifest is the SHA256SUMS next to it, listing that file; other
// entries there (other models in the same directory, a README) are left alone by both verify and
// write, so one SHA256SUMS can serve a directory of GGUFs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/file_hash.h"

namespace qinfer {

inline constexpr const char* kManifestName = "SHA256SUMS";

struct ModelFileSet {
  std::string directory;      // where the manifest and the files are
  std::string manifest_path;  // <directory>/SHA256SUMS
  // The model's files present on disk, relative to `directory`, sorted.
  std::vector<std::string> present;
  // Whether `name` (relative) is one of this model's files, present or not: a listed shard
  // that has gone missing is still the model's.
  bool is_model_file(const std::string& name) const;
  bool single_file = false;  // GGUF
  std::string file_name;     // the GGUF's name when single_file
};

// The file set of a model path (a Hugging Face directory or a .gguf file).
Expected<ModelFileSet> model_file_set(const std::string& model_path);

struct VerifyReport {
  size_t files = 0;    // files hashed
  uint64_t bytes = 0;  // bytes hashed
  double seconds = 0;
  // One line per problem, each starting with the file's name: a checksum mismatch, a listed file
  // that is missing, a model file the manifest does not list, a file that cannot be read.
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Hashes the model's files and compares them with its SHA256SUMS. An error (rather than
// problems) when there is no SHA256SUMS or it cannot be parsed.
Expected<VerifyReport> verify_model(const std::string& model_path, int threads,
                                    const HashProgress& progress = nullptr);

// Hashes the model's files and writes (or updates) its SHA256SUMS atomically; entries of other
// files are kept, entries of the model's files that are gone are dropped.
Expected<VerifyReport> write_model_manifest(const std::string& model_path, int threads,
                                            const HashProgress& progress = nullptr);

// verify_model folded into one Status for loaders: the first error or every problem, naming the
// files, and how to re-check by hand.
Status verify_model_or_error(const std::string& model_path, int threads);

}  // namespace qinfer
