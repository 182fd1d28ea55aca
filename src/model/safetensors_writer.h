// Writes a .safetensors file as a stream: the header first (all shapes are known up front), then
// each tensor's bytes in header order, in as many pieces as the caller likes. Memory use is the
// caller's chunk, whatever the file size, which is what lets mkmodel write a 30 GB model.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/expected.h"
#include "tensor/dtype.h"

namespace qinfer {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

// Bytes of one entry's data.
uint64_t safetensors_entry_bytes(const SafetensorsEntry& entry);

// The complete header block (8-byte length + JSON, padded with spaces so the data area starts
// 8-byte aligned, as the reference writer does). Tensors are laid out in the order given.
std::string safetensors_header(const std::vector<SafetensorsEntry>& entries,
                               const std::map<std::string, std::string>& metadata);

class SafetensorsWriter {
 public:
  // Creates `path` (truncating it) and writes the header.
  static Expected<SafetensorsWriter> create(const std::string& path,
                                            std::vector<SafetensorsEntry> entries,
                                            const std::map<std::string, std::string>& metadata);

  SafetensorsWriter() = default;
  SafetensorsWriter(SafetensorsWriter&& other) noexcept;
  SafetensorsWriter& operator=(SafetensorsWriter&& other) noexcept;
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;
  ~SafetensorsWriter();

  // Appends data of the current tensor (tensors are filled in entry order). Errors when more
  // bytes are given than the header declared.
  Status write(const void* data, size_t bytes);
  // Checks that every declared byte was written, flushes and closes the file.
  Status finish();

  uint64_t total_bytes() const { return total_bytes_; }  // header + data

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t data_bytes_expected_ = 0;
  uint64_t data_bytes_written_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace qinfer
