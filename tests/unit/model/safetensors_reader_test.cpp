#include "model/safetensors_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "model/safetensors_writer.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

using testing::ScratchDir;
using testing::write_file;

std::string length_prefix(uint64_t length) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
  return out;
}

std::string raw_file(const std::string& header, const std::string& data) {
  return length_prefix(header.size()) + header + data;
}

// Writes `bytes` and returns read_safetensors' result (the error message when it fails).
std::string read_error(const ScratchDir& dir, const std::string& bytes) {
  const std::string path = dir.file("bad.safetensors");
  write_file(path, bytes);
  auto mapped = MappedFile::open(path);
  if (!mapped.ok()) return mapped.error().message;
  auto contents = read_safetensors(*mapped);
  return contents.ok() ? std::string("(no error)") : contents.error().message;
}

TEST(SafetensorsReader, ReadsWhatTheWriterWrote) {
  ScratchDir dir;
  const std::string path = dir.file("ok.safetensors");
  std::vector<SafetensorsEntry> entries = {{"a", DType::F32, {2, 3}},
                                           {"b", DType::BF16, {5}},
                                           {"empty", DType::F16, {0, 4}}};
  auto writer = SafetensorsWriter::create(path, entries, {{"format", "pt"}});
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  const float a[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(writer->write(a, sizeof a).ok());
  const uint16_t b[5] = {f32_to_bf16(0.5f), f32_to_bf16(-1), 0, 0, f32_to_bf16(3)};
  ASSERT_TRUE(writer->write(b, 4).ok());  // in two pieces: the writer streams
  ASSERT_TRUE(writer->write(reinterpret_cast<const char*>(b) + 4, 6).ok());
  EXPECT_FALSE(writer->write(b, 1).ok()) << "more bytes than declared must fail";
  ASSERT_TRUE(writer->finish().ok());

  auto mapped = MappedFile::open(path);
  ASSERT_TRUE(mapped.ok());
  // The data area starts 8-byte aligned, as the reference writer pads it.
  const uint64_t header_bytes = *reinterpret_cast<const uint64_t*>(mapped->data());
  EXPECT_EQ((8 + header_bytes) % 8, 0u);
  auto contents = read_safetensors(*mapped);
  ASSERT_TRUE(contents.ok()) << contents.error().message;
  EXPECT_EQ(contents->metadata.at("format"), "pt");
  ASSERT_EQ(contents->tensors.size(), 3u);
  const TensorView& ta = contents->tensors.at("a");
  EXPECT_EQ(ta.dtype, DType::F32);
  EXPECT_EQ(ta.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ta.as<float>()[5], 6.0f);
  const TensorView& tb = contents->tensors.at("b");
  EXPECT_EQ(tb.dtype, DType::BF16);
  EXPECT_EQ(bf16_to_f32(tb.as<uint16_t>()[4]), 3.0f);
  EXPECT_EQ(contents->tensors.at("empty").nbytes, 0u);
}

TEST(SafetensorsReader, WriterFinishFailsWhenDataIsShort) {
  ScratchDir dir;
  auto writer = SafetensorsWriter::create(dir.file("short.safetensors"),
                                          {{"a", DType::F32, {4}}}, {});
  ASSERT_TRUE(writer.ok());
  const float a[2] = {1, 2};
  ASSERT_TRUE(writer->write(a, sizeof a).ok());
  auto status = writer->finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("8 of 16"), std::string::npos) << status.error().message;
}

TEST(SafetensorsReader, FileShorterThanLengthPrefix) {
  ScratchDir dir;
  EXPECT_NE(read_error(dir, "abc").find("shorter than the 8-byte header length"), std::string::npos);
}

TEST(SafetensorsReader, HeaderLengthPastEndOfFile) {
  ScratchDir dir;
  std::string message = read_error(dir, length_prefix(5000) + "{}");
  EXPECT_NE(message.find("bad.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("past the end of the file"), std::string::npos) << message;
  message = read_error(dir, length_prefix(~uint64_t{0}) + "{}");
  EXPECT_NE(message.find("exceeds"), std::string::npos) << message;
}

TEST(SafetensorsReader, HeaderIsNotJson) {
  ScratchDir dir;
  std::string message = read_error(dir, raw_file("{\"a\": [1, 2", ""));
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  message = read_error(dir, raw_file("[1, 2]", ""));
  EXPECT_NE(message.find("not a JSON object"), std::string::npos) << message;
}

TEST(SafetensorsReader, TruncatedData) {
  ScratchDir dir;
  const std::string header = R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})";
  std::string message = read_error(dir, raw_file(header, std::string(10, '\0')));
  EXPECT_NE(message.find("tensor 'w'"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(SafetensorsReader, UnsupportedDtype) {
  ScratchDir dir;
  const std::string header = R"({"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})";
  std::string message = read_error(dir, raw_file(header, std::string(16, '\0')));
  EXPECT_NE(message.find("tensor 'ids'"), std::string::npos) << message;
  EXPECT_NE(message.find("unsupported dtype 'I64'"), std::string::npos) << message;
}

TEST(SafetensorsReader, ShapeDoesNotMatchByteLength) {
  ScratchDir dir;
  const std::string header = R"({"w": {"dtype": "BF16", "shape": [3, 4], "data_offsets": [0, 16]}})";
  std::string message = read_error(dir, raw_file(header, std::string(16, '\0')));
  EXPECT_NE(message.find("needs 24 bytes"), std::string::npos) << message;
}

TEST(SafetensorsReader, AbsurdShapes) {
  ScratchDir dir;
  std::string message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 16]}})",
                    std::string(16, '\0')));
  EXPECT_NE(message.find("overflows"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}})", std::string(16, '\0')));
  EXPECT_NE(message.find("invalid dimension -4"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1e300], "data_offsets": [0, 16]}})", std::string(16, '\0')));
  EXPECT_NE(message.find("invalid dimension"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})", std::string(4, '\0')));
  EXPECT_NE(message.find("rank 9"), std::string::npos) << message;
}

TEST(SafetensorsReader, BadOffsets) {
  ScratchDir dir;
  std::string message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", std::string(8, '\0')));
  EXPECT_NE(message.find("invalid data_offsets"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", std::string(8, '\0')));
  EXPECT_NE(message.find("invalid data_offsets"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": 3}})", std::string(8, '\0')));
  EXPECT_NE(message.find("data_offsets must be"), std::string::npos) << message;
  message = read_error(
      dir, raw_file(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "v": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                    std::string(12, '\0')));
  EXPECT_NE(message.find("overlap"), std::string::npos) << message;
  EXPECT_NE(message.find("'w'"), std::string::npos) << message;
}

TEST(SafetensorsReader, BadEntries) {
  ScratchDir dir;
  std::string message = read_error(dir, raw_file(R"({"w": 7})", ""));
  EXPECT_NE(message.find("tensor 'w': header entry is not an object"), std::string::npos) << message;
  message = read_error(dir, raw_file(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", std::string(4, '\0')));
  EXPECT_NE(message.find("dtype"), std::string::npos) << message;
  message = read_error(dir, raw_file(R"({"__metadata__": {"format": 1}})", ""));
  EXPECT_NE(message.find("__metadata__ value of 'format'"), std::string::npos) << message;
}

}  // namespace
}  // namespace qinfer
