#include "base/zeroed_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace qinfer {

namespace {
constexpr size_t kHugePageBytes = size_t{2} << 20;
}  // namespace

ZeroedPages::ZeroedPages(size_t bytes, PageHint hint) : bytes_(bytes) {
  if (bytes == 0) return;
  // Over-reserve by one huge page so that an aligned start exists inside the mapping; the
  // unused address space costs no memory.
  const size_t reserve = hint == PageHint::kHuge ? bytes + kHugePageBytes : bytes;
  void* p = mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "qinfer: cannot reserve %zu bytes of memory: %s\n", bytes,
                 std::strerror(errno));
    std::abort();
  }
  mapping_ = static_cast<std::byte*>(p);
  mapping_bytes_ = reserve;
  data_ = mapping_;
  if (hint == PageHint::kHuge) {
    const auto address = reinterpret_cast<uintptr_t>(mapping_);
    const uintptr_t aligned = (address + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    data_ = mapping_ + (aligned - address);
    madvise(data_, bytes_, MADV_HUGEPAGE);  // advisory: EINVAL without THP support is fine
  } else {
    // Where THP is "always", the kernel would otherwise back the first write to any 2 MiB
    // range with a whole huge page (a KV cache's 640 head regions of 14B: 1.25 GiB at once).
    madvise(data_, bytes_, MADV_NOHUGEPAGE);
  }
}

ZeroedPages::~ZeroedPages() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
}

ZeroedPages::ZeroedPages(ZeroedPages&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_bytes_(std::exchange(other.mapping_bytes_, 0)) {}

ZeroedPages& ZeroedPages::operator=(ZeroedPages&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
  }
  return *this;
}

void ZeroedPages::release_from(size_t offset) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t begin = (offset + page - 1) / page * page;
  if (data_ == nullptr || begin >= bytes_) return;
  madvise(data_ + begin, bytes_ - begin, MADV_DONTNEED);
}

}  // namespace qinfer
