// SHA256SUMS: the checksum manifest of a model, in coreutils `sha256sum` format, so that
// `sha256sum -c SHA256SUMS` checks the same files as `qinfer verify`:
//
//   <64 lowercase hex>  <name>          text mode (what sha256sum writes on Linux)
//   <64 lowercase hex> *<name>          binary mode marker; same digest on Linux
//
// Names are relative to the manifest's directory. A name that could reach outside it (absolute,
// "..", empty components) is refused, so a manifest copied along with a model cannot make
// `qinfer verify --write` or a reader touch other files. Names with backslashes or newlines
// (which sha256sum escapes) are refused too: model files never need them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace qinfer {

struct ManifestEntry {
  std::string name;    // relative to the manifest's directory
  std::string sha256;  // 64 lowercase hex digits
};

// Parses a manifest's text. Blank lines are skipped; CRLF line ends are accepted (a manifest
// edited on Windows); uppercase hex is accepted and lowercased. Errors name the line:
// malformed lines, unsafe names, one name listed twice.
Expected<std::vector<ManifestEntry>> parse_sha256_manifest(std::string_view text,
                                                           std::string_view source_name);

// The text sha256sum would write for `entries`, sorted by name, "\n" line ends.
std::string format_sha256_manifest(std::vector<ManifestEntry> entries);

// `existing` with every entry of `updates` replacing the one of the same name or added.
std::vector<ManifestEntry> merge_manifest_entries(std::vector<ManifestEntry> existing,
                                                  const std::vector<ManifestEntry>& updates);

// Why `name` is not a safe manifest name, or ok.
Status check_manifest_name(std::string_view name);

// Reads and parses <path>; a missing file is an error saying so.
Expected<std::vector<ManifestEntry>> read_sha256_manifest(const std::string& path);

// Writes the manifest atomically: a temporary file in the same directory, fsync, rename, so a
// reader (or a crash) never sees half a manifest.
Status write_sha256_manifest(const std::string& path, const std::vector<ManifestEntry>& entries);

}  // namespace qinfer
