#include "model/gguf_writer.h"

#include <cerrno>
#include <cstring>
#include <set>

namespace qinfer {
namespace {

constexpr uint32_t kGgufVersion = 3;

template <class T>
void append(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
  out.append(bytes, sizeof(T));
}

void append_string(std::string& out, std::string_view s) {
  append<uint64_t>(out, s.size());
  out.append(s.data(), s.size());
}

uint64_t padded(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

GgufWriter::~GgufWriter() {
  if (out_ != nullptr) std::fclose(out_);
}

void GgufWriter::put_key(std::string_view key, GgufType type) {
  keys_.emplace_back(key);
  ++kv_count_;
  append_string(kv_bytes_, key);
  append<uint32_t>(kv_bytes_, static_cast<uint32_t>(type));
}

void GgufWriter::add_uint32(std::string_view key, uint32_t value) {
  put_key(key, GgufType::kUint32);
  append(kv_bytes_, value);
}

void GgufWriter::add_int32(std::string_view key, int32_t value) {
  put_key(key, GgufType::kInt32);
  append(kv_bytes_, value);
}

void GgufWriter::add_uint64(std::string_view key, uint64_t value) {
  put_key(key, GgufType::kUint64);
  append(kv_bytes_, value);
}

void GgufWriter::add_float32(std::string_view key, float value) {
  put_key(key, GgufType::kFloat32);
  append(kv_bytes_, value);
}

void GgufWriter::add_bool(std::string_view key, bool value) {
  put_key(key, GgufType::kBool);
  append<uint8_t>(kv_bytes_, value ? 1 : 0);
}

void GgufWriter::add_string(std::string_view key, std::string_view value) {
  put_key(key, GgufType::kString);
  append_string(kv_bytes_, value);
}

void GgufWriter::add_string_array(std::string_view key, const std::vector<std::string>& values) {
  put_key(key, GgufType::kArray);
  append<uint32_t>(kv_bytes_, static_cast<uint32_t>(GgufType::kString));
  append<uint64_t>(kv_bytes_, values.size());
  for (const auto& v : values) append_string(kv_bytes_, v);
}

void GgufWriter::add_int32_array(std::string_view key, const std::vector<int32_t>& values) {
  put_key(key, GgufType::kArray);
  append<uint32_t>(kv_bytes_, static_cast<uint32_t>(GgufType::kInt32));
  append<uint64_t>(kv_bytes_, values.size());
  for (int32_t v : values) append(kv_bytes_, v);
}

void GgufWriter::add_value(std::string_view key, const GgufValue& value) {
  put_key(key, value.type);
  if (value.type == GgufType::kString) {
    append_string(kv_bytes_, value.string);
  } else if (value.type == GgufType::kArray) {
    append<uint32_t>(kv_bytes_, static_cast<uint32_t>(value.array_type));
    append<uint64_t>(kv_bytes_, value.array_count);
    if (value.array_type == GgufType::kString) {
      for (std::string_view s : value.array_strings) append_string(kv_bytes_, s);
    } else {
      kv_bytes_.append(reinterpret_cast<const char*>(value.array_data),
                       value.array_count * gguf_scalar_size(value.array_type));
    }
  } else {
    // `raw` holds the scalar's little-endian bytes; the low gguf_scalar_size() of them.
    char bytes[sizeof value.raw];
    std::memcpy(bytes, &value.raw, sizeof bytes);
    kv_bytes_.append(bytes, gguf_scalar_size(value.type));
  }
}

void GgufWriter::add_tensor_info(std::string_view name, const std::vector<int64_t>& shape,
                                 DType dtype) {
  tensors_.push_back(PendingTensor{std::string(name), shape, dtype, 0, 0});
}

Status GgufWriter::write_raw(const void* data, size_t bytes) {
  if (bytes != 0 && std::fwrite(data, 1, bytes, out_) != bytes) {
    return make_error("{}: write failed: {}", path_, std::strerror(errno));
  }
  return ok_status();
}

Status GgufWriter::write_padding(uint64_t written) {
  static const char kZeros[kAlignment] = {};
  return write_raw(kZeros, padded(written, kAlignment) - written);
}

Status GgufWriter::begin(const std::string& path) {
  path_ = path;
  std::set<std::string_view> seen;
  for (const auto& key : keys_) {
    if (!seen.insert(key).second) return make_error("{}: duplicate metadata key '{}'", path, key);
  }
  seen.clear();
  std::string infos;
  uint64_t offset = 0;
  for (auto& t : tensors_) {
    if (!seen.insert(t.name).second) return make_error("{}: duplicate tensor '{}'", path, t.name);
    if (t.shape.empty() || t.shape.size() > 4) {
      return make_error("{}: tensor '{}' has {} dimensions (1..4 allowed)", path, t.name,
                        t.shape.size());
    }
    uint64_t elements = 1;
    for (int64_t d : t.shape) {
      if (d <= 0) return make_error("{}: tensor '{}' has a dimension {}", path, t.name, d);
      elements *= static_cast<uint64_t>(d);
    }
    auto row = row_bytes(t.dtype, static_cast<uint64_t>(t.shape.back()));
    if (!row) {
      return make_error("{}: tensor '{}' row of {} is not a whole number of {} blocks", path,
                        t.name, t.shape.back(), dtype_name(t.dtype));
    }
    t.nbytes = *row * (elements / static_cast<uint64_t>(t.shape.back()));
    t.offset = offset;
    offset = padded(offset + t.nbytes, kAlignment);

    append_string(infos, t.name);
    append<uint32_t>(infos, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) {
      append<uint64_t>(infos, static_cast<uint64_t>(*it));  // innermost first on disk
    }
    append<uint32_t>(infos, static_cast<uint32_t>(t.dtype));
    append<uint64_t>(infos, t.offset);
  }
  data_bytes_ = offset;

  out_ = std::fopen(path.c_str(), "wb");
  if (out_ == nullptr) return make_error("{}: cannot create: {}", path, std::strerror(errno));
  // Large writes go straight through; this buffer only batches the many small metadata pieces.
  std::setvbuf(out_, nullptr, _IOFBF, 1 << 20);

  std::string header;
  append<uint32_t>(header, 0x46554747);  // "GGUF"
  append<uint32_t>(header, kGgufVersion);
  append<uint64_t>(header, tensors_.size());
  append<uint64_t>(header, kv_count_);
  QINFER_RETURN_IF_ERROR(write_raw(header.data(), header.size()));
  QINFER_RETURN_IF_ERROR(write_raw(kv_bytes_.data(), kv_bytes_.size()));
  QINFER_RETURN_IF_ERROR(write_raw(infos.data(), infos.size()));
  QINFER_RETURN_IF_ERROR(write_padding(header.size() + kv_bytes_.size() + infos.size()));
  // The metadata is on its way to disk; release it (the vocabulary alone is a few MB).
  std::string().swap(kv_bytes_);
  current_ = 0;
  current_written_ = 0;
  return ok_status();
}

Status GgufWriter::write_tensor_data(const void* data, size_t bytes) {
  if (out_ == nullptr) return make_error("{}: write_tensor_data before begin", path_);
  while (current_ < tensors_.size() && tensors_[current_].nbytes == 0) ++current_;
  if (current_ >= tensors_.size()) {
    return make_error("{}: more tensor data than the {} declared tensors hold", path_,
                      tensors_.size());
  }
  const PendingTensor& t = tensors_[current_];
  if (bytes > t.nbytes - current_written_) {
    return make_error("{}: {} bytes written to tensor '{}' which has {} of {} left", path_, bytes,
                      t.name, t.nbytes - current_written_, t.nbytes);
  }
  QINFER_RETURN_IF_ERROR(write_raw(data, bytes));
  current_written_ += bytes;
  if (current_written_ == t.nbytes) {
    QINFER_RETURN_IF_ERROR(write_padding(t.nbytes));
    ++current_;
    current_written_ = 0;
  }
  return ok_status();
}

Status GgufWriter::finish() {
  if (out_ == nullptr) return make_error("{}: finish before begin", path_);
  while (current_ < tensors_.size() && tensors_[current_].nbytes == 0) ++current_;
  if (current_ != tensors_.size()) {
    return make_error("{}: tensor '{}' is incomplete ({} of {} bytes written)", path_,
                      tensors_[current_].name, current_written_, tensors_[current_].nbytes);
  }
  int rc = std::fclose(out_);
  out_ = nullptr;
  if (rc != 0) return make_error("{}: close failed: {}", path_, std::strerror(errno));
  return ok_status();
}

}  // namespace qinfer
