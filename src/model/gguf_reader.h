// GGUF (v3, and v2 which has the same layout) read in place from a memory map: metadata values,
// strings and tensor data are views into the file, nothing is copied. Every count, length and
// offset in the file is checked against the file size before it is used, so a hostile file gives
// one error naming the file and the key or tensor at fault, never a crash or a huge allocation.
// Layout (all little-endian): "GGUF", u32 version, u64 tensor_count, u64 kv_count, the key/value
// pairs, the tensor infos, padding to general.alignment (default 32), then the data section.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/mapped_file.h"
#include "tensor/tensor_view.h"

namespace qinfer {

// Value type ids as the GGUF spec numbers them.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view gguf_type_name(GgufType type);
// Bytes of one scalar of `type`; 0 for string and array (variable length).
size_t gguf_scalar_size(GgufType type);

struct GgufValue {
  GgufType type = GgufType::kUint8;
  // Scalars: the raw little-endian bytes (at most 8) are kept as they were read.
  uint64_t raw = 0;
  std::string_view string;                  // kString
  // kArray: element type and count; numeric elements are `array_count` packed scalars at
  // `array_data`; string elements are views in `array_strings`.
  GgufType array_type = GgufType::kUint8;
  uint64_t array_count = 0;
  const std::byte* array_data = nullptr;
  std::vector<std::string_view> array_strings;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> shape;   // outermost first (GGUF stores innermost first; reversed here)
  uint32_t ggml_type = 0;
  DType dtype = DType::F32;
  uint64_t offset = 0;          // relative to the data section
  uint64_t nbytes = 0;
};

class GgufFile {
 public:
  // Maps and parses `path`. Fails on anything malformed (see the file comment).
  static Expected<GgufFile> open(const std::string& path);
  // Parses an already mapped file (takes ownership).
  static Expected<GgufFile> parse(MappedFile file);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  // Keys in file order, and lookup by key.
  const std::vector<std::string_view>& keys() const { return key_order_; }
  const GgufValue* find(std::string_view key) const;

  // Typed getters; the error names the file and key (missing key, or wrong type).
  // Integers accept any integer type whose value fits; floats accept f32 and f64.
  Expected<uint64_t> get_uint(std::string_view key) const;
  Expected<int64_t> get_int(std::string_view key) const;
  Expected<double> get_float(std::string_view key) const;
  Expected<bool> get_bool(std::string_view key) const;
  Expected<std::string_view> get_string(std::string_view key) const;
  Expected<const std::vector<std::string_view>*> get_string_array(std::string_view key) const;
  Expected<std::vector<int64_t>> get_int_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  TensorView view(const GgufTensorInfo& info) const;

  // The mapping the views point into (empty after release_file()).
  const MappedFile& mapping() const { return file_; }

  // Gives the mapping to a longer-lived owner (e.g. Model::files); views stay valid because the
  // mapping's address does not change when the MappedFile object moves.
  MappedFile release_file() { return std::move(file_); }

 private:
  MappedFile file_;
  std::string path_;
  const std::byte* base_ = nullptr;  // start of the mapping; survives release_file()
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::string_view> key_order_;
  std::map<std::string, GgufValue, std::less<>> values_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Scalar decoding of a GgufValue (raw bytes to the C++ type), shared by the reader and tests.
int64_t gguf_value_as_int(const GgufValue& value);      // integer types only
double gguf_value_as_double(const GgufValue& value);    // float types only

}  // namespace qinfer
