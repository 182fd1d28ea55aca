#include "model/safetensors_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "model/json_fields.h"

namespace qinfer {
namespace {

// Rank and per-dimension limits no real checkpoint comes near; they keep the element count's
// product from overflowing before it is compared with the byte range.
constexpr size_t kMaxRank = 8;
constexpr int64_t kMaxDim = int64_t{1} << 40;

std::optional<DType> dtype_from_name(const std::string& name) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  return std::nullopt;
}

struct ByteRange {
  uint64_t begin;
  uint64_t end;
  const std::string* name;
};

Expected<TensorView> parse_entry(const std::string& name, const nlohmann::json& entry,
                                 const std::byte* data_area, uint64_t data_bytes,
                                 const std::string& path, ByteRange& range) {
  auto fail = [&](const std::string& what) {
    return make_error("{}: tensor '{}': {}", path, name, what);
  };
  if (!entry.is_object()) return fail("header entry is not an object");
  auto dtype_it = entry.find("dtype");
  auto shape_it = entry.find("shape");
  auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || !dtype_it->is_string()) return fail("missing or non-string dtype");
  if (shape_it == entry.end() || !shape_it->is_array()) return fail("missing or non-array shape");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    return fail("data_offsets must be an array [begin, end]");
  }
  std::string dtype_name = dtype_it->get<std::string>();
  std::optional<DType> dtype = dtype_from_name(dtype_name);
  if (!dtype) return fail(fmt::format("unsupported dtype '{}' (supported: F32, F16, BF16)", dtype_name));

  TensorView view;
  view.dtype = *dtype;
  if (shape_it->size() > kMaxRank) return fail(fmt::format("rank {} is too large", shape_it->size()));
  uint64_t elements = 1;
  for (const auto& dim_json : *shape_it) {
    std::optional<int64_t> dim = json_fields::as_int(dim_json);
    if (!dim || *dim < 0 || *dim > kMaxDim) {
      return fail(fmt::format("invalid dimension {} in shape {}", dim_json.dump(), shape_it->dump()));
    }
    view.shape.push_back(*dim);
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(*dim), &elements)) {
      return fail(fmt::format("shape {} overflows", shape_it->dump()));
    }
  }
  std::optional<uint64_t> expected_bytes = row_bytes(view.dtype, elements);
  if (!expected_bytes) return fail(fmt::format("shape {} overflows", shape_it->dump()));

  std::optional<int64_t> begin = json_fields::as_int((*offsets_it)[0]);
  std::optional<int64_t> end = json_fields::as_int((*offsets_it)[1]);
  if (!begin || !end || *begin < 0 || *end < *begin) {
    return fail(fmt::format("invalid data_offsets {}", offsets_it->dump()));
  }
  uint64_t byte_begin = static_cast<uint64_t>(*begin);
  uint64_t byte_end = static_cast<uint64_t>(*end);
  if (byte_end > data_bytes) {
    return fail(fmt::format("data_offsets {} reach past the end of the data area ({} bytes); "
                            "the file is truncated or corrupt",
                            offsets_it->dump(), data_bytes));
  }
  if (byte_end - byte_begin != *expected_bytes) {
    return fail(fmt::format("{} {} needs {} bytes but data_offsets {} hold {}", dtype_name,
                            shape_string(view.shape), *expected_bytes, offsets_it->dump(),
                            byte_end - byte_begin));
  }
  view.data = data_area + byte_begin;
  view.nbytes = *expected_bytes;
  range = ByteRange{byte_begin, byte_end, &name};
  return view;
}

}  // namespace

std::string safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    default: return std::string(dtype_name(dtype));
  }
}

Expected<SafetensorsContents> read_safetensors(const MappedFile& file) {
  const std::string& path = file.path();
  if (file.size() < 8) {
    return make_error("{}: not a safetensors file: {} bytes, shorter than the 8-byte header length",
                      path, file.size());
  }
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) {
    header_bytes = (header_bytes << 8) | static_cast<uint8_t>(file.data()[i]);
  }
  if (header_bytes > kMaxSafetensorsHeaderBytes) {
    return make_error("{}: header length {} exceeds the {} byte limit (corrupt or not safetensors)",
                      path, header_bytes, kMaxSafetensorsHeaderBytes);
  }
  if (!file.contains(8, header_bytes)) {
    return make_error("{}: header length {} reaches past the end of the file ({} bytes); "
                      "the file is truncated or corrupt",
                      path, header_bytes, file.size());
  }
  std::string header_text(reinterpret_cast<const char*>(file.data()) + 8, header_bytes);
  QINFER_ASSIGN_OR_RETURN(nlohmann::json header, json_fields::parse(header_text, path + " (header)"));
  if (!header.is_object()) return make_error("{}: header is not a JSON object", path);

  const std::byte* data_area = file.data() + 8 + header_bytes;
  const uint64_t data_bytes = file.size() - 8 - header_bytes;
  SafetensorsContents contents;
  std::vector<ByteRange> ranges;
  ranges.reserve(header.size());
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return make_error("{}: __metadata__ is not an object", path);
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return make_error("{}: __metadata__ value of '{}' is not a string", path, key);
        }
        contents.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    ByteRange range{};
    QINFER_ASSIGN_OR_RETURN(TensorView view,
                            parse_entry(name, entry, data_area, data_bytes, path, range));
    auto inserted = contents.tensors.emplace(name, std::move(view));
    ranges.push_back(ByteRange{range.begin, range.end, &inserted.first->first});
  }

  // Two tensors sharing bytes would alias silently; the format forbids it. Empty tensors occupy
  // no bytes and cannot overlap anything.
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  const ByteRange* previous = nullptr;
  for (const ByteRange& range : ranges) {
    if (range.begin == range.end) continue;
    if (previous != nullptr && range.begin < previous->end) {
      return make_error("{}: tensors '{}' and '{}' overlap in the data area", path,
                        *previous->name, *range.name);
    }
    previous = &range;
  }
  return contents;
}

}  // namespace qinfer
