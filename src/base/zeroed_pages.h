// A large zero-filled buffer whose pages cost memory only once written: anonymous mmap, so a
// KV cache sized for a 32K context uses RSS for the positions a conversation actually reached
// (a std::vector would zero, and so commit, every page up front). Also gives the pages back
// (MADV_DONTNEED) when a long conversation is forgotten.
#pragma once

#include <cstddef>

namespace qinfer {

class ZeroedPages {
 public:
  ZeroedPages() = default;
  // Aborts on mmap failure with a clear message (out of address space is not recoverable here).
  explicit ZeroedPages(size_t bytes);
  ~ZeroedPages();
  ZeroedPages(ZeroedPages&& other) noexcept;
  ZeroedPages& operator=(ZeroedPages&& other) noexcept;
  ZeroedPages(const ZeroedPages&) = delete;
  ZeroedPages& operator=(const ZeroedPages&) = delete;

  std::byte* data() const { return data_; }
  size_t size() const { return bytes_; }
  // Returns the pages of [offset, size()) to the system; they read as zero again.
  void release_from(size_t offset);

 private:
  std::byte* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace qinfer
