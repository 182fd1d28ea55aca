// A large zero-filled buffer whose pages cost memory only once written: anonymous mmap, so a
// KV cache sized for a 32K context uses RSS for the positions a conversation actually reached
// (a std::vector would zero, and so commit, every page up front). Also gives the pages back
// (MADV_DONTNEED) when a long conversation is forgotten.
//
// kHuge asks for transparent huge pages (2 MiB-aligned, MADV_HUGEPAGE): for buffers streamed
// end to end every token (weights repacked at load), one TLB entry then covers 2 MiB instead of
// 4 KiB. Where THP is disabled the hint is ignored and the buffer behaves like kSmall.
// kSmall opts out of THP (MADV_NOHUGEPAGE) even where the system enables it "always", so that
// memory is committed 4 KiB at a time as written, as a KV cache's accounting assumes.
#pragma once

#include <cstddef>

namespace qinfer {

enum class PageHint { kSmall, kHuge };

class ZeroedPages {
 public:
  ZeroedPages() = default;
  // Aborts on mmap failure with a clear message (out of address space is not recoverable here).
  explicit ZeroedPages(size_t bytes, PageHint hint = PageHint::kSmall);
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
  std::byte* mapping_ = nullptr;  // what mmap returned (before aligning data_ for kHuge)
  size_t mapping_bytes_ = 0;
};

}  // namespace qinfer
