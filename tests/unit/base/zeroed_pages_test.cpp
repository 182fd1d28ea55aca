// ZeroedPages: zero-filled, writable, movable, pages given back on request; kHuge buffers start
// on a 2 MiB boundary (the condition for the kernel to back them with huge pages) and ask for
// huge pages, kSmall ones refuse them.
#include "base/zeroed_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

namespace qinfer {
namespace {

void expect_zero_then_writable(ZeroedPages& pages) {
  ASSERT_NE(pages.data(), nullptr);
  for (size_t i = 0; i < pages.size(); i += 4093) EXPECT_EQ(pages.data()[i], std::byte{0});
  EXPECT_EQ(pages.data()[pages.size() - 1], std::byte{0});
  pages.data()[0] = std::byte{7};
  pages.data()[pages.size() - 1] = std::byte{9};
  EXPECT_EQ(pages.data()[pages.size() - 1], std::byte{9});
}

TEST(ZeroedPages, SmallAndHugeAreZeroedAndWritable) {
  for (PageHint hint : {PageHint::kSmall, PageHint::kHuge}) {
    ZeroedPages pages((size_t{5} << 20) + 123, hint);
    EXPECT_EQ(pages.size(), (size_t{5} << 20) + 123);
    expect_zero_then_writable(pages);
  }
}

TEST(ZeroedPages, HugeStartsOnA2MiBBoundary) {
  for (size_t bytes : {size_t{1}, size_t{4096}, size_t{3} << 20}) {
    ZeroedPages pages(bytes, PageHint::kHuge);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pages.data()) % (uintptr_t{2} << 20), 0u) << bytes;
  }
}

// VmFlags of the mapping holding `address` in /proc/self/smaps ("" when not found).
std::string vm_flags(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
      inside = at >= begin && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// The hints reach the kernel: hg (MADV_HUGEPAGE) or nh (MADV_NOHUGEPAGE) in the VMA's flags.
TEST(ZeroedPages, HintsAreTheMappingsThpFlags) {
  ZeroedPages huge(size_t{4} << 20, PageHint::kHuge);
  ZeroedPages small(size_t{4} << 20, PageHint::kSmall);
  const std::string huge_flags = vm_flags(huge.data()), small_flags = vm_flags(small.data());
  if (huge_flags.find(" hg") == std::string::npos) {
    GTEST_SKIP() << "no THP in this kernel (MADV_HUGEPAGE refused): " << huge_flags;
  }
  EXPECT_EQ(huge_flags.find(" nh"), std::string::npos) << huge_flags;
  EXPECT_NE(small_flags.find(" nh"), std::string::npos) << small_flags;
  EXPECT_EQ(small_flags.find(" hg"), std::string::npos) << small_flags;
}

TEST(ZeroedPages, MovesOwnershipAndReleasesTail) {
  ZeroedPages a(size_t{4} << 20, PageHint::kHuge);
  a.data()[100] = std::byte{1};
  a.data()[(size_t{3} << 20) + 5] = std::byte{2};
  std::byte* data = a.data();
  ZeroedPages b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), data);
  b.release_from(size_t{2} << 20);
  EXPECT_EQ(b.data()[100], std::byte{1});                      // before the offset: kept
  EXPECT_EQ(b.data()[(size_t{3} << 20) + 5], std::byte{0});    // after: zero again
  ZeroedPages c;
  c = std::move(b);
  EXPECT_EQ(c.data(), data);
  EXPECT_EQ(ZeroedPages().data(), nullptr);
  EXPECT_EQ(ZeroedPages(0, PageHint::kHuge).data(), nullptr);
}

}  // namespace
}  // namespace qinfer
