#include "model/safetensors_writer.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

#include "model/safetensors_reader.h"

namespace qinfer {

uint64_t safetensors_entry_bytes(const SafetensorsEntry& entry) {
  uint64_t elements = 1;
  for (int64_t dim : entry.shape) elements *= static_cast<uint64_t>(dim);
  return elements * dtype_info(entry.dtype).block_bytes;
}

std::string safetensors_header(const std::vector<SafetensorsEntry>& entries,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const SafetensorsEntry& entry : entries) {
    const uint64_t bytes = safetensors_entry_bytes(entry);
    header[entry.name] = {{"dtype", safetensors_dtype_name(entry.dtype)},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string block(8, '\0');
  uint64_t length = json.size();
  for (int i = 0; i < 8; ++i) block[static_cast<size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
  return block + json;
}

Expected<SafetensorsWriter> SafetensorsWriter::create(
    const std::string& path, std::vector<SafetensorsEntry> entries,
    const std::map<std::string, std::string>& metadata) {
  SafetensorsWriter writer;
  writer.path_ = path;
  for (const auto& entry : entries) writer.data_bytes_expected_ += safetensors_entry_bytes(entry);
  const std::string header = safetensors_header(entries, metadata);
  writer.file_ = std::fopen(path.c_str(), "wb");
  if (writer.file_ == nullptr) return make_error("{}: cannot create: {}", path, std::strerror(errno));
  if (std::fwrite(header.data(), 1, header.size(), writer.file_) != header.size()) {
    return make_error("{}: write failed: {}", path, std::strerror(errno));
  }
  writer.total_bytes_ = header.size() + writer.data_bytes_expected_;
  return writer;
}

SafetensorsWriter::SafetensorsWriter(SafetensorsWriter&& other) noexcept { *this = std::move(other); }

SafetensorsWriter& SafetensorsWriter::operator=(SafetensorsWriter&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
    data_bytes_expected_ = other.data_bytes_expected_;
    data_bytes_written_ = other.data_bytes_written_;
    total_bytes_ = other.total_bytes_;
  }
  return *this;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status SafetensorsWriter::write(const void* data, size_t bytes) {
  if (file_ == nullptr) return make_error("{}: write after finish", path_);
  if (bytes > data_bytes_expected_ - data_bytes_written_) {
    return make_error("{}: {} more bytes than the header declares", path_,
                      bytes - (data_bytes_expected_ - data_bytes_written_));
  }
  if (std::fwrite(data, 1, bytes, file_) != bytes) {
    return make_error("{}: write failed: {}", path_, std::strerror(errno));
  }
  data_bytes_written_ += bytes;
  return ok_status();
}

Status SafetensorsWriter::finish() {
  if (file_ == nullptr) return make_error("{}: finished twice", path_);
  if (data_bytes_written_ != data_bytes_expected_) {
    return make_error("{}: {} of {} data bytes written", path_, data_bytes_written_,
                      data_bytes_expected_);
  }
  const bool flushed = std::fflush(file_) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(std::exchange(file_, nullptr)) == 0;
  if (!flushed || !closed) {
    return make_error("{}: write failed: {}", path_, std::strerror(flushed ? errno : flush_errno));
  }
  return ok_status();
}

}  // namespace qinfer
