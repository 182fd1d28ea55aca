#include "base/file_hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

namespace qinfer {
namespace {

// Large enough that syscall overhead vanishes, small enough to stay in L2/L3 while it is hashed.
constexpr size_t kReadBytes = size_t{4} << 20;
// Progress is reported every this many bytes per file, not per read, to keep the lock cold.
constexpr uint64_t kProgressStep = uint64_t{64} << 20;

std::string to_hex(const unsigned char* digest, unsigned int size) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

class ProgressSink {
 public:
  ProgressSink(const HashProgress& progress, uint64_t total) : progress_(progress), total_(total) {}
  void add(uint64_t bytes) {
    if (!progress_ || bytes == 0) return;
    std::lock_guard lock(mutex_);
    done_ += bytes;
    progress_(done_, total_);
  }

 private:
  const HashProgress& progress_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::mutex mutex_;
};

// Hashes one file into `digest` (path already set); reports progress in kProgressStep steps.
void hash_one(FileDigest& digest, std::vector<unsigned char>& buffer, ProgressSink& sink) {
  const int fd = ::open(digest.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    digest.error = std::strerror(errno);
    return;
  }
  // Tells the kernel to read ahead aggressively: the whole file goes through once, in order.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  DigestContext context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    ::close(fd);
    digest.error = "OpenSSL could not start a SHA-256 digest";
    return;
  }
  uint64_t unreported = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      digest.error = std::strerror(errno);
      break;
    }
    if (n == 0) break;
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(n));
    digest.bytes += static_cast<uint64_t>(n);
    unreported += static_cast<uint64_t>(n);
    if (unreported >= kProgressStep) {
      sink.add(unreported);
      unreported = 0;
    }
  }
  ::close(fd);
  sink.add(unreported);
  if (!digest.error.empty()) return;
  unsigned char value[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context.get(), value, &size) != 1) {
    digest.error = "OpenSSL could not finish the SHA-256 digest";
    return;
  }
  digest.sha256 = to_hex(value, size);
}

uint64_t file_size_or_zero(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  unsigned char value[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, value, &length, EVP_sha256(), nullptr);
  return to_hex(value, length);
}

std::vector<FileDigest> sha256_files(const std::vector<std::string>& paths, int threads,
                                     const HashProgress& progress) {
  std::vector<FileDigest> digests(paths.size());
  std::vector<uint64_t> sizes(paths.size());
  uint64_t total = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    digests[i].path = paths[i];
    sizes[i] = file_size_or_zero(paths[i]);
    total += sizes[i];
  }
  std::vector<size_t> order(paths.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });

  ProgressSink sink(progress, total);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    std::vector<unsigned char> buffer(kReadBytes);
    for (size_t k = next.fetch_add(1); k < order.size(); k = next.fetch_add(1)) {
      hash_one(digests[order[k]], buffer, sink);
    }
  };
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const size_t n_threads = std::min<size_t>(static_cast<size_t>(threads), paths.size());
  std::vector<std::thread> pool;
  for (size_t i = 1; i < n_threads; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return digests;
}

}  // namespace qinfer
