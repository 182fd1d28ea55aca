// GGUF reader: every value type read back, and hostile files each rejected with one clear error.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/gguf_reader.h"

namespace qinfer {
namespace {

// Builds GGUF bytes by hand so that tests can write exactly the malformed field they need.
class Bytes {
 public:
  template <class T>
  Bytes& put(T value) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    data_.append(raw, sizeof(T));
    return *this;
  }
  Bytes& str(std::string_view s) {
    put<uint64_t>(s.size());
    data_.append(s);
    return *this;
  }
  Bytes& header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    return put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(tensors).put<uint64_t>(kvs);
  }
  Bytes& key(std::string_view k, GgufType type) { return str(k).put<uint32_t>(static_cast<uint32_t>(type)); }
  // A tensor info with GGUF (innermost-first) dims.
  Bytes& tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
    str(name).put<uint32_t>(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) put<uint64_t>(d);
    return put<uint32_t>(type).put<uint64_t>(offset);
  }
  Bytes& pad_to(size_t alignment) {
    while (data_.size() % alignment != 0) data_.push_back('\0');
    return *this;
  }
  Bytes& zeros(size_t n) {
    data_.append(n, '\0');
    return *this;
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "qinfer_gguf_reader_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

Expected<GgufFile> parse_bytes(const std::string& bytes, const std::string& name = "t.gguf") {
  std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return GgufFile::open(path);
}

// Expects a parse error that mentions the file and `needle`.
void expect_error(const std::string& bytes, const std::string& needle) {
  auto file = parse_bytes(bytes);
  ASSERT_FALSE(file.ok()) << "accepted a file that should fail with: " << needle;
  EXPECT_NE(file.error().message.find("t.gguf"), std::string::npos) << file.error().message;
  EXPECT_NE(file.error().message.find(needle), std::string::npos) << file.error().message;
}

// A valid file with one f32 tensor of 8 elements, for mutation tests.
Bytes valid_one_tensor(uint32_t type = 0, uint64_t offset = 0, std::vector<uint64_t> dims = {8}) {
  Bytes b;
  b.header(1, 1).key("general.architecture", GgufType::kString).str("qwen3");
  b.tensor("w", dims, type, offset).pad_to(32).zeros(64);
  return b;
}

TEST(GgufReader, ReadsEveryValueType) {
  Bytes b;
  b.header(2, 16);
  b.key("u8", GgufType::kUint8).put<uint8_t>(200);
  b.key("i8", GgufType::kInt8).put<int8_t>(-5);
  b.key("u16", GgufType::kUint16).put<uint16_t>(60000);
  b.key("i16", GgufType::kInt16).put<int16_t>(-30000);
  b.key("u32", GgufType::kUint32).put<uint32_t>(4000000000u);
  b.key("i32", GgufType::kInt32).put<int32_t>(-7);
  b.key("f32", GgufType::kFloat32).put<float>(0.5f);
  b.key("bool", GgufType::kBool).put<uint8_t>(1);
  b.key("str", GgufType::kString).str("h\xc3\xa9llo");
  b.key("u64", GgufType::kUint64).put<uint64_t>(uint64_t{1} << 40);
  b.key("i64", GgufType::kInt64).put<int64_t>(-(int64_t{1} << 40));
  b.key("f64", GgufType::kFloat64).put<double>(1e-300);
  b.key("strs", GgufType::kArray).put<uint32_t>(8).put<uint64_t>(3).str("a").str("").str("b c");
  b.key("ints", GgufType::kArray).put<uint32_t>(5).put<uint64_t>(3).put<int32_t>(1).put<int32_t>(-2).put<int32_t>(3);
  b.key("empty", GgufType::kArray).put<uint32_t>(10).put<uint64_t>(0);
  b.key("general.alignment", GgufType::kUint32).put<uint32_t>(64);
  b.tensor("a", {4, 2}, 0, 0);      // f32 [2, 4] = 32 bytes
  b.tensor("b", {16}, 30, 64);      // bf16 [16] = 32 bytes, at the next 64-byte boundary
  b.pad_to(64);
  for (int i = 0; i < 8; ++i) b.put<float>(static_cast<float>(i));
  b.zeros(32);
  b.zeros(32);

  auto file = parse_bytes(b.data());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->keys().size(), 16u);
  EXPECT_EQ(file->keys()[0], "u8");
  EXPECT_EQ(*file->get_uint("u8"), 200u);
  EXPECT_EQ(*file->get_int("i8"), -5);
  EXPECT_EQ(*file->get_uint("u16"), 60000u);
  EXPECT_EQ(*file->get_int("i16"), -30000);
  EXPECT_EQ(*file->get_uint("u32"), 4000000000u);
  EXPECT_EQ(*file->get_int("i32"), -7);
  EXPECT_EQ(*file->get_float("f32"), 0.5);
  EXPECT_TRUE(*file->get_bool("bool"));
  EXPECT_EQ(*file->get_string("str"), "h\xc3\xa9llo");
  EXPECT_EQ(*file->get_uint("u64"), uint64_t{1} << 40);
  EXPECT_EQ(*file->get_int("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*file->get_float("f64"), 1e-300);
  auto strs = file->get_string_array("strs");
  ASSERT_TRUE(strs.ok());
  ASSERT_EQ((*strs)->size(), 3u);
  EXPECT_EQ((**strs)[2], "b c");
  EXPECT_EQ(*file->get_int_array("ints"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_TRUE(file->get_int_array("empty")->empty());

  // Wrong-type and missing-key errors name the key.
  auto wrong = file->get_string("u8");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("'u8'"), std::string::npos);
  EXPECT_FALSE(file->get_uint("i8").ok());  // negative
  EXPECT_NE(file->get_int("nope").error().message.find("missing metadata key 'nope'"), std::string::npos);

  ASSERT_EQ(file->tensors().size(), 2u);
  const GgufTensorInfo* a = file->find_tensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 4}));  // reversed: outermost first
  EXPECT_EQ(a->nbytes, 32u);
  TensorView view = file->view(*a);
  EXPECT_EQ(view.as<float>()[5], 5.0f);
  EXPECT_EQ(file->find_tensor("b")->dtype, DType::BF16);
}

TEST(GgufReader, AcceptsVersion2) {
  Bytes b;
  b.header(0, 1, 2).key("k", GgufType::kUint32).put<uint32_t>(1);
  auto file = parse_bytes(b.data());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 2u);
}

TEST(GgufReader, RejectsBadMagicAndVersion) {
  expect_error("", "truncated at byte 0 while reading the magic");
  expect_error("GGUF\x03", "truncated");
  expect_error(std::string("GGML\x03\0\0\0", 8) + std::string(16, '\0'), "not a GGUF file");
  Bytes v1;
  v1.header(0, 0, 1);
  expect_error(v1.data(), "unsupported GGUF version 1");
  Bytes big_endian;
  big_endian.header(0, 0, 0x03000000);
  expect_error(big_endian.data(), "unsupported GGUF version 50331648");
}

TEST(GgufReader, RejectsAbsurdCounts) {
  Bytes kv;
  kv.header(0, uint64_t{1} << 60);
  expect_error(kv.data(), "metadata count 1152921504606846976 cannot fit");
  Bytes tensors;
  tensors.header(uint64_t{1} << 40, 0);
  expect_error(tensors.data(), "tensor count 1099511627776 cannot fit");
}

TEST(GgufReader, RejectsBadStringsAndTypes) {
  Bytes key_past_eof;
  key_past_eof.header(0, 1).put<uint64_t>(1000).zeros(13);
  expect_error(key_past_eof.data(), "claims a string of 1000 bytes");
  Bytes value_past_eof;
  value_past_eof.header(0, 1).key("name", GgufType::kString).put<uint64_t>(~uint64_t{0});
  expect_error(value_past_eof.data(), "metadata 'name' claims a string of 18446744073709551615");
  Bytes unknown_type;
  unknown_type.header(0, 1).str("k").put<uint32_t>(13).put<uint32_t>(0);
  expect_error(unknown_type.data(), "metadata 'k' has unknown value type 13");
  Bytes nested;
  nested.header(0, 1).key("k", GgufType::kArray).put<uint32_t>(9).put<uint64_t>(1).zeros(16);
  expect_error(nested.data(), "metadata 'k' is a nested array");
  Bytes unknown_elem;
  unknown_elem.header(0, 1).key("k", GgufType::kArray).put<uint32_t>(99).put<uint64_t>(0);
  expect_error(unknown_elem.data(), "metadata 'k' is an array of unknown type 99");
  Bytes huge_array;
  huge_array.header(0, 1).key("k", GgufType::kArray).put<uint32_t>(4).put<uint64_t>(uint64_t{1} << 62);
  expect_error(huge_array.data(), "metadata 'k' claims 4611686018427387904 elements");
  Bytes huge_strings;
  huge_strings.header(0, 1).key("tokenizer.ggml.tokens", GgufType::kArray).put<uint32_t>(8).put<uint64_t>(uint64_t{1} << 61);
  expect_error(huge_strings.data(), "claims 2305843009213693952 strings");
  Bytes string_elem_past_eof;
  string_elem_past_eof.header(0, 1).key("k", GgufType::kArray).put<uint32_t>(8).put<uint64_t>(2).str("ok").put<uint64_t>(99);
  expect_error(string_elem_past_eof.data(), "metadata 'k' claims a string of 99 bytes");
  Bytes duplicate;
  duplicate.header(0, 2).key("k", GgufType::kUint8).put<uint8_t>(1).key("k", GgufType::kUint8).put<uint8_t>(2);
  expect_error(duplicate.data(), "duplicate metadata key 'k'");
  Bytes truncated_scalar;
  truncated_scalar.header(0, 1).key("k", GgufType::kUint64).put<uint32_t>(1);
  expect_error(truncated_scalar.data(), "metadata 'k' needs 8 bytes");
}

TEST(GgufReader, RejectsBadAlignment) {
  Bytes b;
  b.header(0, 1).key("general.alignment", GgufType::kUint32).put<uint32_t>(48);
  expect_error(b.data(), "general.alignment 48 is not a power of two");
  Bytes zero;
  zero.header(0, 1).key("general.alignment", GgufType::kUint32).put<uint32_t>(0);
  expect_error(zero.data(), "general.alignment 0");
  Bytes text;
  text.header(0, 1).key("general.alignment", GgufType::kString).str("32");
  expect_error(text.data(), "general.alignment has type string");
}

TEST(GgufReader, RejectsBadTensorInfos) {
  ASSERT_TRUE(parse_bytes(valid_one_tensor().data()).ok());
  expect_error(valid_one_tensor(16).data(), "tensor 'w' has unknown or unsupported ggml type 16");
  expect_error(valid_one_tensor(0, 16).data(), "tensor 'w' data offset 16 is not a multiple of the alignment 32");
  expect_error(valid_one_tensor(0, 64).data(), "tensor 'w' (32 bytes at data offset 64) extends past the end");
  expect_error(valid_one_tensor(0, uint64_t{1} << 63).data(), "extends past the end");
  expect_error(valid_one_tensor(0, 0, {1000}).data(), "extends past the end");
  expect_error(valid_one_tensor(0, 0, {1, 1, 1, 1, 1}).data(), "tensor 'w' has 5 dimensions");
  expect_error(valid_one_tensor(0, 0, {uint64_t{1} << 32, uint64_t{1} << 32}).data(),
               "tensor 'w' dimensions overflow");
  expect_error(valid_one_tensor(0, 0, {~uint64_t{0}}).data(), "tensor 'w' dimensions overflow");
  expect_error(valid_one_tensor(8, 0, {16}).data(), "not a multiple of the q8_0 block of 32");
  // Byte size overflow even though the element count fits: 2^62 f32 elements.
  expect_error(valid_one_tensor(0, 0, {uint64_t{1} << 31, uint64_t{1} << 31}).data(), "byte size overflows");

  Bytes dup;
  dup.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).pad_to(32).zeros(64);
  expect_error(dup.data(), "duplicate tensor 'w'");
  Bytes overlap;
  overlap.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32).zeros(128);
  expect_error(overlap.data(), "tensors 'a' and 'b' overlap");
  Bytes info_past_eof;
  info_past_eof.header(1, 0).str("w").put<uint32_t>(2).put<uint64_t>(4);
  info_past_eof.zeros(4);  // the second dimension is cut short
  expect_error(info_past_eof.data(), "while reading tensor 'w'");
}

}  // namespace
}  // namespace qinfer
