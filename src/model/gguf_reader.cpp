#include "model/gguf_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace qinfer {
namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kMaxDims = 4;              // GGML_MAX_DIMS
// Smallest encodings, used to reject counts that cannot fit in the bytes that are left before
// reserving anything: a key/value pair is at least an 8-byte key length, a 4-byte type and a
// 1-byte value; a tensor info at least an 8-byte name length, n_dims, type and offset.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;

// Bounds-checked little-endian cursor over the mapped bytes. Every read names what it was reading
// so that a truncated file says where it ended.
class Cursor {
 public:
  Cursor(const MappedFile& file) : file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return file_.size() - pos_; }

  template <class T>
  Expected<T> read(std::string_view what) {
    if (remaining() < sizeof(T)) {
      return make_error("{}: truncated at byte {} while reading {}", file_.path(), pos_, what);
    }
    T value;
    std::memcpy(&value, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  Expected<std::string_view> read_string(std::string_view what) {
    QINFER_ASSIGN_OR_RETURN(uint64_t length, read<uint64_t>(what));
    if (length > remaining()) {
      return make_error("{}: {} claims a string of {} bytes at byte {} but only {} remain",
                        file_.path(), what, length, pos_, remaining());
    }
    std::string_view out(reinterpret_cast<const char*>(file_.data() + pos_), length);
    pos_ += length;
    return out;
  }

  Expected<const std::byte*> take(uint64_t bytes, std::string_view what) {
    if (bytes > remaining()) {
      return make_error("{}: {} needs {} bytes at byte {} but only {} remain", file_.path(), what,
                        bytes, pos_, remaining());
    }
    const std::byte* out = file_.data() + pos_;
    pos_ += bytes;
    return out;
  }

 private:
  const MappedFile& file_;
  uint64_t pos_ = 0;
};

bool is_valid_type(uint32_t type) { return type <= static_cast<uint32_t>(GgufType::kFloat64); }

bool is_integer(GgufType type) {
  switch (type) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kUint16: case GgufType::kInt16:
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kUint64: case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

// Decodes `size` little-endian bytes as the integer `type`, sign-extending signed types.
int64_t decode_int(GgufType type, uint64_t raw) {
  switch (type) {
    case GgufType::kUint8: return static_cast<uint8_t>(raw);
    case GgufType::kInt8: return static_cast<int8_t>(raw);
    case GgufType::kUint16: return static_cast<uint16_t>(raw);
    case GgufType::kInt16: return static_cast<int16_t>(raw);
    case GgufType::kUint32: return static_cast<uint32_t>(raw);
    case GgufType::kInt32: return static_cast<int32_t>(raw);
    case GgufType::kBool: return raw & 0xff;
    default: return static_cast<int64_t>(raw);  // u64 (may wrap; callers check) and i64
  }
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
  static constexpr std::string_view kNames[] = {"uint8",   "int8",  "uint16", "int16", "uint32",
                                                "int32",   "float32", "bool", "string", "array",
                                                "uint64",  "int64", "float64"};
  auto index = static_cast<uint32_t>(type);
  return index < std::size(kNames) ? kNames[index] : std::string_view("unknown");
}

size_t gguf_scalar_size(GgufType type) {
  switch (type) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    default: return 0;
  }
}

int64_t gguf_value_as_int(const GgufValue& value) { return decode_int(value.type, value.raw); }

double gguf_value_as_double(const GgufValue& value) {
  if (value.type == GgufType::kFloat32) {
    float f;
    uint32_t bits = static_cast<uint32_t>(value.raw);
    std::memcpy(&f, &bits, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &value.raw, 8);
  return d;
}

Expected<GgufFile> GgufFile::open(const std::string& path) {
  QINFER_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return parse(std::move(file));
}

Expected<GgufFile> GgufFile::parse(MappedFile mapped) {
  GgufFile out;
  out.file_ = std::move(mapped);
  const MappedFile& file = out.file_;
  out.path_ = file.path();
  const std::string& path = out.path_;
  Cursor cur(file);

  QINFER_ASSIGN_OR_RETURN(uint32_t magic, cur.read<uint32_t>("the magic"));
  if (magic != kGgufMagic) {
    return make_error("{}: not a GGUF file (magic 0x{:08x}, expected \"GGUF\")", path, magic);
  }
  QINFER_ASSIGN_OR_RETURN(out.version_, cur.read<uint32_t>("the version"));
  // v1 used 32-bit counts and lengths; v2 and v3 share today's layout (v3 added big-endian
  // files, which announce themselves with a byte-swapped version and are rejected here).
  if (out.version_ != 2 && out.version_ != 3) {
    return make_error("{}: unsupported GGUF version {} (supported: 2, 3)", path, out.version_);
  }
  QINFER_ASSIGN_OR_RETURN(uint64_t tensor_count, cur.read<uint64_t>("the tensor count"));
  QINFER_ASSIGN_OR_RETURN(uint64_t kv_count, cur.read<uint64_t>("the metadata count"));
  if (kv_count > cur.remaining() / kMinKvBytes) {
    return make_error("{}: metadata count {} cannot fit in a file of {} bytes", path, kv_count,
                      file.size());
  }
  if (tensor_count > cur.remaining() / kMinTensorInfoBytes) {
    return make_error("{}: tensor count {} cannot fit in a file of {} bytes", path, tensor_count,
                      file.size());
  }

  out.key_order_.reserve(kv_count);
  for (uint64_t i = 0; i < kv_count; ++i) {
    QINFER_ASSIGN_OR_RETURN(std::string_view key, cur.read_string(fmt::format("metadata key #{}", i)));
    std::string where = fmt::format("metadata '{}'", key);
    QINFER_ASSIGN_OR_RETURN(uint32_t type_id, cur.read<uint32_t>(where));
    if (!is_valid_type(type_id)) {
      return make_error("{}: {} has unknown value type {}", path, where, type_id);
    }
    GgufValue value;
    value.type = static_cast<GgufType>(type_id);
    if (value.type == GgufType::kString) {
      QINFER_ASSIGN_OR_RETURN(value.string, cur.read_string(where));
    } else if (value.type == GgufType::kArray) {
      QINFER_ASSIGN_OR_RETURN(uint32_t elem_id, cur.read<uint32_t>(where));
      if (!is_valid_type(elem_id)) {
        return make_error("{}: {} is an array of unknown type {}", path, where, elem_id);
      }
      value.array_type = static_cast<GgufType>(elem_id);
      if (value.array_type == GgufType::kArray) {
        return make_error("{}: {} is a nested array, which is not supported", path, where);
      }
      QINFER_ASSIGN_OR_RETURN(value.array_count, cur.read<uint64_t>(where));
      if (value.array_type == GgufType::kString) {
        // Each string is at least its 8-byte length: bound the count before reserving.
        if (value.array_count > cur.remaining() / 8) {
          return make_error("{}: {} claims {} strings but only {} bytes remain", path, where,
                            value.array_count, cur.remaining());
        }
        value.array_strings.reserve(value.array_count);
        for (uint64_t j = 0; j < value.array_count; ++j) {
          QINFER_ASSIGN_OR_RETURN(std::string_view s, cur.read_string(where));
          value.array_strings.push_back(s);
        }
      } else {
        size_t elem = gguf_scalar_size(value.array_type);
        if (value.array_count > cur.remaining() / elem) {
          return make_error("{}: {} claims {} elements of {} but only {} bytes remain", path,
                            where, value.array_count, gguf_type_name(value.array_type),
                            cur.remaining());
        }
        QINFER_ASSIGN_OR_RETURN(value.array_data, cur.take(value.array_count * elem, where));
      }
    } else {
      size_t size = gguf_scalar_size(value.type);
      QINFER_ASSIGN_OR_RETURN(const std::byte* bytes, cur.take(size, where));
      std::memcpy(&value.raw, bytes, size);
    }
    auto [it, inserted] = out.values_.emplace(std::string(key), std::move(value));
    if (!inserted) return make_error("{}: duplicate metadata key '{}'", path, key);
    out.key_order_.push_back(it->first);
  }

  if (const GgufValue* align = out.find("general.alignment")) {
    if (!is_integer(align->type)) {
      return make_error("{}: general.alignment has type {}, expected an integer", path,
                        gguf_type_name(align->type));
    }
    int64_t a = gguf_value_as_int(*align);
    if (a <= 0 || a > (1 << 30) || (a & (a - 1)) != 0) {
      return make_error("{}: general.alignment {} is not a power of two", path, a);
    }
    out.alignment_ = static_cast<uint64_t>(a);
  }

  out.tensors_.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo info;
    QINFER_ASSIGN_OR_RETURN(std::string_view name, cur.read_string(fmt::format("tensor info #{}", i)));
    info.name = std::string(name);
    std::string where = fmt::format("tensor '{}'", info.name);
    QINFER_ASSIGN_OR_RETURN(uint32_t n_dims, cur.read<uint32_t>(where));
    if (n_dims > kMaxDims) {
      return make_error("{}: {} has {} dimensions (at most {})", path, where, n_dims, kMaxDims);
    }
    std::vector<int64_t> dims(n_dims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      QINFER_ASSIGN_OR_RETURN(uint64_t dim, cur.read<uint64_t>(where));
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (dim != 0 && elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim)) {
        return make_error("{}: {} dimensions overflow", path, where);
      }
      elements *= dim;
      dims[d] = static_cast<int64_t>(dim);
    }
    info.shape.assign(dims.rbegin(), dims.rend());
    QINFER_ASSIGN_OR_RETURN(info.ggml_type, cur.read<uint32_t>(where));
    auto type_info = dtype_info(info.ggml_type);
    if (!type_info) {
      return make_error("{}: {} has unknown or unsupported ggml type {}", path, where,
                        info.ggml_type);
    }
    info.dtype = type_info->dtype;
    // Blocks run along the innermost dimension, so it must hold a whole number of blocks.
    uint64_t inner = n_dims == 0 ? 1 : static_cast<uint64_t>(dims[0]);
    auto row = row_bytes(info.dtype, inner);
    if (!row) {
      return make_error("{}: {} has {} elements per row, not a multiple of the {} block of {}",
                        path, where, inner, type_info->name, type_info->block_elements);
    }
    uint64_t rows = inner == 0 ? 0 : elements / inner;
    if (rows != 0 && *row > std::numeric_limits<uint64_t>::max() / rows) {
      return make_error("{}: {} byte size overflows", path, where);
    }
    info.nbytes = *row * rows;
    QINFER_ASSIGN_OR_RETURN(info.offset, cur.read<uint64_t>(where));
    if (info.offset % out.alignment_ != 0) {
      return make_error("{}: {} data offset {} is not a multiple of the alignment {}", path, where,
                        info.offset, out.alignment_);
    }
    if (out.tensor_index_.count(info.name) != 0) {
      return make_error("{}: duplicate tensor '{}'", path, info.name);
    }
    out.tensor_index_.emplace(info.name, out.tensors_.size());
    out.tensors_.push_back(std::move(info));
  }

  out.base_ = file.data();
  uint64_t end_of_infos = cur.pos();
  out.data_offset_ = (end_of_infos + out.alignment_ - 1) / out.alignment_ * out.alignment_;
  if (tensor_count > 0 && out.data_offset_ > file.size()) {
    return make_error("{}: data section starts at byte {}, past the end of the file ({} bytes)",
                      path, out.data_offset_, file.size());
  }

  // Every tensor's bytes lie inside the file and no two overlap.
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(out.tensors_.size());
  for (const auto& info : out.tensors_) {
    if (out.data_offset_ > file.size() || info.offset > file.size() - out.data_offset_ ||
        !file.contains(out.data_offset_ + info.offset, info.nbytes)) {
      return make_error("{}: tensor '{}' ({} bytes at data offset {}) extends past the end of the "
                        "file ({} bytes); the file is truncated or corrupt",
                        path, info.name, info.nbytes, info.offset, file.size());
    }
    by_offset.push_back(&info);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    if (prev->offset + prev->nbytes > by_offset[i]->offset) {
      return make_error("{}: tensors '{}' and '{}' overlap", path, prev->name, by_offset[i]->name);
    }
  }
  return out;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

Expected<uint64_t> GgufFile::get_uint(std::string_view key) const {
  QINFER_ASSIGN_OR_RETURN(int64_t value, get_int(key));
  if (value < 0) return make_error("{}: metadata '{}' is negative ({})", path(), key, value);
  return static_cast<uint64_t>(value);
}

Expected<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (!is_integer(value->type)) {
    return make_error("{}: metadata '{}' has type {}, expected an integer", path(), key,
                      gguf_type_name(value->type));
  }
  if (value->type == GgufType::kUint64 &&
      value->raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return make_error("{}: metadata '{}' value {} is too large", path(), key, value->raw);
  }
  return gguf_value_as_int(*value);
}

Expected<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (value->type != GgufType::kFloat32 && value->type != GgufType::kFloat64) {
    return make_error("{}: metadata '{}' has type {}, expected a float", path(), key,
                      gguf_type_name(value->type));
  }
  return gguf_value_as_double(*value);
}

Expected<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (value->type != GgufType::kBool) {
    return make_error("{}: metadata '{}' has type {}, expected bool", path(), key,
                      gguf_type_name(value->type));
  }
  return (value->raw & 0xff) != 0;
}

Expected<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (value->type != GgufType::kString) {
    return make_error("{}: metadata '{}' has type {}, expected string", path(), key,
                      gguf_type_name(value->type));
  }
  return value->string;
}

Expected<const std::vector<std::string_view>*> GgufFile::get_string_array(
    std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (value->type != GgufType::kArray || value->array_type != GgufType::kString) {
    return make_error("{}: metadata '{}' is not an array of strings", path(), key);
  }
  return &value->array_strings;
}

Expected<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return make_error("{}: missing metadata key '{}'", path(), key);
  if (value->type != GgufType::kArray || !is_integer(value->array_type)) {
    return make_error("{}: metadata '{}' is not an array of integers", path(), key);
  }
  size_t elem = gguf_scalar_size(value->array_type);
  std::vector<int64_t> out(value->array_count);
  for (uint64_t i = 0; i < value->array_count; ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, value->array_data + i * elem, elem);
    out[i] = decode_int(value->array_type, raw);
    if (value->array_type == GgufType::kUint64 && out[i] < 0) {
      return make_error("{}: metadata '{}' element {} is too large", path(), key, i);
    }
  }
  return out;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

TensorView GgufFile::view(const GgufTensorInfo& info) const {
  TensorView out;
  out.dtype = info.dtype;
  out.shape = info.shape;
  out.data = base_ + data_offset_ + info.offset;
  out.nbytes = info.nbytes;
  return out;
}

}  // namespace qinfer
