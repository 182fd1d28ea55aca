// MappedFile::release_pages: dropping pages from the resident set never changes what is read.
#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace qinfer {
namespace {

TEST(MappedFile, ReleasedPagesReadBackUnchanged) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("qinfer_mapped_file_test_" +
                                                 std::to_string(::getpid()))).string();
  std::vector<unsigned char> bytes(3 * 4096 + 123);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 1);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);

  auto mapped = MappedFile::open(path);
  ASSERT_TRUE(mapped.ok());
  const std::byte* data = mapped->data();
  // Touch everything, release a middle range (partial pages at both ends), then all of it.
  unsigned sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i) sum += static_cast<unsigned>(data[i]);
  EXPECT_GT(sum, 0u);
  mapped->release_pages(data + 100, 2 * 4096 + 50);
  mapped->release_pages(data, bytes.size());
  // Out-of-range and foreign pointers are ignored.
  mapped->release_pages(data + 10, bytes.size());
  std::vector<float> heap(4096);
  mapped->release_pages(reinterpret_cast<const std::byte*>(heap.data()), heap.size() * 4);
  for (size_t i = 0; i < bytes.size(); ++i) {
    ASSERT_EQ(static_cast<unsigned char>(data[i]), bytes[i]) << i;
  }
  // holds: exactly the ranges inside the mapping.
  EXPECT_TRUE(mapped->holds(data, bytes.size()));
  EXPECT_TRUE(mapped->holds(data + bytes.size(), 0));
  EXPECT_TRUE(mapped->holds(data + 5, bytes.size() - 5));
  EXPECT_FALSE(mapped->holds(data + 5, bytes.size() - 4));
  EXPECT_FALSE(mapped->holds(data + 1, SIZE_MAX));
  EXPECT_FALSE(mapped->holds(reinterpret_cast<const std::byte*>(heap.data()), 4));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace qinfer
