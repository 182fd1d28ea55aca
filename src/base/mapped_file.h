// A read-only memory map of a whole file. Model weights are used in place from the page cache:
// nothing is copied at load, and several processes serving the same file share its pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/expected.h"

namespace qinfer {

class MappedFile {
 public:
  static Expected<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops the pages of [begin, begin + bytes) from this process's resident set (the page cache
  // keeps them; a later read faults them back in). For one-pass readers of files larger than
  // memory, e.g. `qinfer quantize`. Ranges outside this mapping are ignored, so it is safe to
  // call with a pointer that may point into a heap copy instead.
  void release_pages(const std::byte* begin, size_t bytes) const;

  // True when [offset, offset + length) lies inside the file (overflow-safe).
  bool contains(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  // True when [begin, begin + bytes) lies inside this mapping.
  bool holds(const std::byte* begin, size_t bytes) const {
    return data_ != nullptr && begin >= data_ &&
           contains(static_cast<uint64_t>(begin - data_), bytes);
  }

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace qinfer
