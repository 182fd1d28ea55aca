// Streaming GGUF v3 writer with bounded memory. All metadata and every tensor's name, shape and
// type are known before any weight exists, so the header, key/values and tensor infos are written
// first (offsets computed up front), then tensor data is appended in order, in chunks of any size;
// the writer inserts the alignment padding after each tensor, as gguf-py's GGUFWriter does.
// Memory is the metadata (a few MB for a 152k-token vocabulary) plus the caller's chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "model/gguf_reader.h"
#include "tensor/dtype.h"

namespace qinfer {

class GgufWriter {
 public:
  static constexpr uint64_t kAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT; no general.alignment key

  GgufWriter() = default;
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;
  ~GgufWriter();

  // Metadata, in the order it will appear in the file. Keys must be unique.
  void add_uint32(std::string_view key, uint32_t value);
  void add_int32(std::string_view key, int32_t value);
  void add_uint64(std::string_view key, uint64_t value);
  void add_float32(std::string_view key, float value);
  void add_bool(std::string_view key, bool value);
  void add_string(std::string_view key, std::string_view value);
  void add_string_array(std::string_view key, const std::vector<std::string>& values);
  void add_int32_array(std::string_view key, const std::vector<int32_t>& values);
  // Copies a value as a GgufFile read it (any type; arrays of arrays do not occur there), for
  // tools that rewrite a GGUF's tensors and keep its metadata (qinfer quantize).
  void add_value(std::string_view key, const GgufValue& value);

  // Declares the next tensor; `shape` is outermost first (as TensorView), reversed on disk.
  void add_tensor_info(std::string_view name, const std::vector<int64_t>& shape, DType dtype);

  // Creates `path` and writes header, metadata and tensor infos. Fails on a duplicate key or
  // tensor name, or a row that is not a whole number of blocks.
  Status begin(const std::string& path);
  // Appends bytes of the current tensor (tensors in declaration order); a chunk may not cross
  // into the next tensor.
  Status write_tensor_data(const void* data, size_t bytes);
  // Checks that every tensor got all its bytes and closes the file.
  Status finish();

  uint64_t total_tensor_bytes() const { return data_bytes_; }
  size_t tensor_count() const { return tensors_.size(); }

 private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> shape;
    DType dtype;
    uint64_t nbytes;
    uint64_t offset;
  };
  void put_key(std::string_view key, GgufType type);
  Status write_raw(const void* data, size_t bytes);
  Status write_padding(uint64_t written);

  std::string kv_bytes_;           // serialized key/value pairs
  uint64_t kv_count_ = 0;
  std::vector<std::string> keys_;
  std::vector<PendingTensor> tensors_;
  uint64_t data_bytes_ = 0;        // data section size including padding
  std::string path_;
  std::FILE* out_ = nullptr;
  size_t current_ = 0;             // tensor being written
  uint64_t current_written_ = 0;   // bytes of it written so far
};

}  // namespace qinfer
