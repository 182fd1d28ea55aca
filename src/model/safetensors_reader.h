// Reads the header of a .safetensors file and exposes its tensors as views into the mapped bytes.
// Format: 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {str: str}, "<name>": {"dtype": "BF16", "shape": [..], "data_offsets": [b, e]}}
// then the data area; offsets are relative to its start (byte 8 + N).
// Every claim of the header is checked against the file before a view is handed out, so a hostile
// or truncated file gives an error naming the file and the tensor, never an out-of-bounds read.
#pragma once

#include <map>
#include <string>

#include "base/expected.h"
#include "base/mapped_file.h"
#include "model/weights.h"

namespace qinfer {

struct SafetensorsContents {
  TensorMap tensors;                             // views into the MappedFile given to the parser
  std::map<std::string, std::string> metadata;   // "__metadata__" (e.g. {"format": "pt"})
};

// Parses and validates `file`'s header. The views stay valid as long as `file` stays mapped.
// Supported dtypes: F32, F16, BF16; any other dtype is an error naming the tensor.
Expected<SafetensorsContents> read_safetensors(const MappedFile& file);

// safetensors' header size limit (the Python/Rust reader's MAX_HEADER_SIZE).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// The safetensors dtype string of a DType ("F32", "F16", "BF16"), for writers.
std::string safetensors_dtype_name(DType dtype);

}  // namespace qinfer
