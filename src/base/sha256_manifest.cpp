#include "base/sha256_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace qinfer {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Status check_manifest_name(std::string_view name) {
  if (name.empty()) return make_error("empty file name");
  if (name.front() == '/') return make_error("'{}' is an absolute path", name);
  for (char c : name) {
    if (c == '\\' || c == '\n' || c == '\r' || c == '\0') {
      return make_error("'{}' holds a backslash or control character", name);
    }
  }
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(begin, end - begin);
    if (part.empty() || part == "." || part == "..") {
      return make_error("'{}' is not a plain relative path (empty, '.' or '..' component)", name);
    }
    begin = end + 1;
  }
  return ok_status();
}

Expected<std::vector<ManifestEntry>> parse_sha256_manifest(std::string_view text,
                                                           std::string_view source_name) {
  std::vector<ManifestEntry> entries;
  std::map<std::string, int> line_of_name;
  int line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    // "<64 hex><space><space or *><name>"
    const bool shaped = line.size() > 66 && line[64] == ' ' && (line[65] == ' ' || line[65] == '*');
    if (!shaped || !std::all_of(line.begin(), line.begin() + 64, is_hex_digit)) {
      return make_error("{} line {}: expected '<64 hex digits>  <file name>' as sha256sum writes",
                        source_name, line_number);
    }
    ManifestEntry entry;
    entry.sha256.reserve(64);
    for (char c : line.substr(0, 64)) entry.sha256.push_back(lower(c));
    entry.name = std::string(line.substr(66));
    if (Status name_ok = check_manifest_name(entry.name); !name_ok.ok()) {
      return make_error("{} line {}: {}", source_name, line_number, name_ok.error().message);
    }
    auto [it, inserted] = line_of_name.emplace(entry.name, line_number);
    if (!inserted) {
      return make_error("{} line {}: '{}' is listed twice (first on line {})", source_name,
                        line_number, entry.name, it->second);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string format_sha256_manifest(std::vector<ManifestEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.name < b.name; });
  std::string text;
  for (const ManifestEntry& entry : entries) text += entry.sha256 + "  " + entry.name + "\n";
  return text;
}

std::vector<ManifestEntry> merge_manifest_entries(std::vector<ManifestEntry> existing,
                                                  const std::vector<ManifestEntry>& updates) {
  for (const ManifestEntry& update : updates) {
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const ManifestEntry& e) { return e.name == update.name; });
    if (it != existing.end()) {
      it->sha256 = update.sha256;
    } else {
      existing.push_back(update);
    }
  }
  return existing;
}

Expected<std::vector<ManifestEntry>> read_sha256_manifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{}: cannot read ({})", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sha256_manifest(text.str(), path);
}

Status write_sha256_manifest(const std::string& path, const std::vector<ManifestEntry>& entries) {
  const std::string text = format_sha256_manifest(entries);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("{}: cannot create ({})", temp, std::strerror(errno));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return make_error("{}: write failed ({})", temp, std::strerror(saved));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  if (::close(fd) != 0 || !synced) {
    ::unlink(temp.c_str());
    return make_error("{}: cannot flush ({})", temp, std::strerror(synced ? errno : sync_errno));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return make_error("{}: cannot replace ({})", path, std::strerror(saved));
  }
  return ok_status();
}

}  // namespace qinfer
