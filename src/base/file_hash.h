// SHA-256 of whole files, fast enough for 30 GB models: OpenSSL's EVP digest (SHA-NI on x86,
// the ARMv8 crypto extension on AArch64, ~1.5-2 GB/s per core) over large sequential reads, and
// several files (the shards of a model) hashed at once on separate threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace qinfer {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(const void* data, size_t size);

// Called with (bytes hashed so far over all files, total bytes), from any hashing thread but
// never from two at once.
using HashProgress = std::function<void(uint64_t done, uint64_t total)>;

struct FileDigest {
  std::string path;
  uint64_t bytes = 0;
  std::string sha256;  // lowercase hex; empty when `error` is set
  std::string error;   // why the file could not be read, or empty
};

// Hashes every file of `paths` on up to `threads` threads (0: one per core), biggest first so
// the longest file starts at once. Results come back in the order of `paths`; a file that cannot
// be read gets its `error` set, and the others are still hashed.
std::vector<FileDigest> sha256_files(const std::vector<std::string>& paths, int threads,
                                     const HashProgress& progress = nullptr);

}  // namespace qinfer
