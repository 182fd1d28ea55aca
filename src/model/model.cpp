#include "model/model.h"

#include <cstring>
#include <filesystem>

#include "model/hf_checkpoint.h"

// The GGUF reader lives in its own files (model/gguf_model.h); until they are in the tree, a GGUF
// path gets a clear error instead of a link failure.
#if __has_include("model/gguf_model.h")
#include "model/gguf_model.h"
#define QINFER_HAVE_GGUF 1
#else
#define QINFER_HAVE_GGUF 0
#endif

namespace qinfer {

Expected<std::unique_ptr<Model>> load_model(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) return make_error("{}: no such file or directory", path);
  if (fs::is_directory(status)) return load_hf_model(path);
  if (!fs::is_regular_file(status)) {
    return make_error("{}: expected a Hugging Face model directory or a .gguf file", path);
  }
  if (fs::path(path).extension() != ".gguf") {
    return make_error("{}: expected a Hugging Face model directory or a .gguf file (for a "
                      "Hugging Face model, give the directory that holds config.json)",
                      path);
  }
#if QINFER_HAVE_GGUF
  return load_gguf_model(path);
#else
  return make_error("{}: GGUF support is not built yet", path);
#endif
}

}  // namespace qinfer
