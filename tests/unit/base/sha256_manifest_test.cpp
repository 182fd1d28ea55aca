#include "base/sha256_manifest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/file_hash.h"

namespace qinfer {
namespace {

const std::string kDigestA(64, 'a');
const std::string kDigestB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(Sha256Manifest, ParsesTextAndBinaryModeLines) {
  auto entries = parse_sha256_manifest(
      kDigestA + "  config.json\n" + kDigestB + " *model.safetensors\n", "SHA256SUMS");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "config.json");
  EXPECT_EQ((*entries)[0].sha256, kDigestA);
  EXPECT_EQ((*entries)[1].name, "model.safetensors");
  EXPECT_EQ((*entries)[1].sha256, kDigestB);
}

TEST(Sha256Manifest, AcceptsCrlfBlankLinesAndUppercaseHex) {
  std::string upper = kDigestB;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto entries = parse_sha256_manifest("\r\n" + upper + "  a b.json\r\n\n", "SHA256SUMS");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "a b.json");  // spaces inside a name are kept
  EXPECT_EQ((*entries)[0].sha256, kDigestB);
}

TEST(Sha256Manifest, RefusesMalformedLinesNamingTheLine) {
  const std::string bad[] = {
      "abc  config.json",                         // short digest
      std::string(64, 'g') + "  config.json",     // not hex
      kDigestA + " config.json",                  // one space: no mode marker
      kDigestA + "  ",                            // no name
      kDigestA + "\tconfig.json",                 // tab instead of spaces
  };
  for (const std::string& line : bad) {
    auto entries = parse_sha256_manifest(kDigestB + "  ok.json\n" + line + "\n", "M");
    ASSERT_FALSE(entries.ok()) << line;
    EXPECT_NE(entries.error().message.find("M line 2"), std::string::npos)
        << entries.error().message;
  }
}

TEST(Sha256Manifest, RefusesDuplicateNames) {
  auto entries = parse_sha256_manifest(kDigestA + "  x.safetensors\n" + kDigestB +
                                           " *x.safetensors\n", "M");
  ASSERT_FALSE(entries.ok());
  EXPECT_NE(entries.error().message.find("listed twice (first on line 1)"), std::string::npos)
      << entries.error().message;
}

TEST(Sha256Manifest, RefusesNamesThatLeaveTheDirectory) {
  for (const char* name : {"../x", "/etc/passwd", "a/../../x", "./x", "a//b", "a/", "..",
                           "dir\\..\\x"}) {
    auto entries = parse_sha256_manifest(kDigestA + "  " + name + "\n", "M");
    EXPECT_FALSE(entries.ok()) << name;
  }
  EXPECT_TRUE(check_manifest_name("sub/model.gguf").ok());
  EXPECT_TRUE(check_manifest_name("..hidden").ok());  // a name starting with dots is a name
}

TEST(Sha256Manifest, FormatsSortedAndRoundTrips) {
  std::vector<ManifestEntry> entries = {{"z.json", kDigestA}, {"a.safetensors", kDigestB}};
  const std::string text = format_sha256_manifest(entries);
  EXPECT_EQ(text, kDigestB + "  a.safetensors\n" + kDigestA + "  z.json\n");
  auto parsed = parse_sha256_manifest(text, "M");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(format_sha256_manifest(*parsed), text);
}

TEST(Sha256Manifest, MergeReplacesAndAdds) {
  auto merged = merge_manifest_entries({{"other.gguf", kDigestA}, {"m.gguf", kDigestA}},
                                       {{"m.gguf", kDigestB}, {"new.gguf", kDigestB}});
  EXPECT_EQ(format_sha256_manifest(merged),
            kDigestB + "  m.gguf\n" + kDigestB + "  new.gguf\n" + kDigestA + "  other.gguf\n");
}

class ManifestFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qinfer_manifest_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ManifestFiles, WritesAtomicallyAndReadsBack) {
  ASSERT_TRUE(write_sha256_manifest(path("SHA256SUMS"), {{"m.gguf", kDigestA}}).ok());
  auto read = read_sha256_manifest(path("SHA256SUMS"));
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].sha256, kDigestA);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // no temporary left behind
  EXPECT_FALSE(read_sha256_manifest(path("absent")).ok());
}

// Known digests (FIPS 180-2 examples), and a file spanning several reads hashed on two threads.
TEST_F(ManifestFiles, HashesMatchKnownDigests) {
  EXPECT_EQ(sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("", 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string million_a(1000000, 'a');
  std::string big;
  for (int i = 0; i < 10; ++i) big += million_a;  // 10 MB: three 4 MiB reads
  std::ofstream(path("big")) << big;
  std::ofstream(path("abc")) << "abc";
  uint64_t last_done = 0, last_total = 0;
  auto digests = sha256_files({path("abc"), path("missing"), path("big")}, 2,
                              [&](uint64_t done, uint64_t total) {
                                last_done = done;
                                last_total = total;
                              });
  ASSERT_EQ(digests.size(), 3u);
  EXPECT_EQ(digests[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(digests[1].error.empty());
  EXPECT_EQ(digests[2].bytes, big.size());
  EXPECT_EQ(digests[2].sha256, sha256_hex(big.data(), big.size()));
  EXPECT_EQ(last_total, big.size() + 3);
  EXPECT_EQ(last_done, big.size() + 3);
}

}  // namespace
}  // namespace qinfer
