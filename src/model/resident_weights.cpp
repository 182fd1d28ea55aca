#include "model/resident_weights.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernel_table.h"

namespace qinfer {
namespace {

constexpr int64_t kArenaAlign = 64;
// Copies are split into pieces of this size so both threads share even one big matrix.
constexpr size_t kCopyPiece = size_t{1} << 20;

int64_t aligned(int64_t bytes) { return (bytes + kArenaAlign - 1) / kArenaAlign * kArenaAlign; }

bool in_mapped_file(const Model& model, const TensorView& view) {
  for (const MappedFile& file : model.files) {
    if (file.holds(view.data, view.nbytes)) return true;
  }
  return false;
}

// QINFER_PACK_WEIGHTS=0: copy the blocks as they are (for A/B measurements).
bool packing_disabled() {
  const char* env = std::getenv("QINFER_PACK_WEIGHTS");
  return env != nullptr && env == std::string_view("0");
}

enum class Placement { kStay, kCopy, kPack };

struct Job {
  TensorView* view;
  Placement placement = Placement::kStay;
  int64_t bytes = 0;  // in the arena
};

void copy_matrix(ThreadPool& pool, const TensorView& view, std::byte* to) {
  const size_t n = view.nbytes;
  const size_t pieces = (n + kCopyPiece - 1) / kCopyPiece;
  pool.parallel_for(pieces, [&](size_t begin, size_t end) {
    const size_t from = begin * kCopyPiece, until = std::min(n, end * kCopyPiece);
    std::memcpy(to + from, view.data + from, until - from);
  });
}

void pack_matrix(ThreadPool& pool, const KernelTable& table, const TensorView& view,
                 std::byte* to) {
  const int64_t groups = view.rows() / kPackedGroupRows;
  pool.parallel_for(static_cast<size_t>(groups), [&](size_t begin, size_t end) {
    table.pack_rows(view.data, view.dtype, view.cols(),
                    static_cast<int64_t>(begin) * kPackedGroupRows,
                    static_cast<int64_t>(end) * kPackedGroupRows, to);
  });
}

}  // namespace

bool transparent_huge_pages_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  const std::string modes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return modes.find("[always]") != std::string::npos ||
         modes.find("[madvise]") != std::string::npos;
}

ResidentWeights place_weights(Model& model, WeightMemory memory, int threads) {
  const bool copy = memory == WeightMemory::kHugePages ||
                    (memory == WeightMemory::kAuto && transparent_huge_pages_available());
  const KernelTable& table = kernels();
  const bool pack =
      memory != WeightMemory::kMapped && table.packed_bytes != nullptr && !packing_disabled();
  if (!copy && !pack) return {};

  ModelWeights& w = model.weights;
  const bool tied = w.lm_head.data == w.embed_tokens.data;
  std::vector<Job> jobs;
  for (LayerWeights& layer : w.layers) {
    for (TensorView* view : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                             &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      jobs.push_back({view});
    }
  }
  jobs.push_back({&w.lm_head});
  int64_t arena_bytes = 0;
  for (Job& job : jobs) {
    const TensorView& view = *job.view;
    const int64_t packed =
        pack && view.packed == nullptr && view.shape.size() == 2
            ? table.packed_bytes(view.dtype, view.rows(), view.cols())
            : 0;
    if (packed > 0) {
      job.placement = Placement::kPack;
      job.bytes = packed;
    } else if (copy && in_mapped_file(model, view)) {
      job.placement = Placement::kCopy;
      job.bytes = static_cast<int64_t>(view.nbytes);
    }
    arena_bytes += aligned(job.bytes);
  }
  if (arena_bytes == 0) return {};

  // One arena, so huge pages are not wasted on a partial page per matrix.
  model.arena = ZeroedPages(static_cast<size_t>(arena_bytes), PageHint::kHuge);
  ThreadPool pool(threads);
  ResidentWeights placed;
  std::byte* next = model.arena.data();
  for (const Job& job : jobs) {
    TensorView& view = *job.view;
    if (job.placement == Placement::kStay) continue;
    const TensorView original = view;
    if (job.placement == Placement::kPack) {
      pack_matrix(pool, table, original, next);
      view.packed = next;
      placed.packed_bytes += job.bytes;
    } else {
      copy_matrix(pool, original, next);
      view.data = next;
      placed.copied_bytes += job.bytes;
    }
    // A tied lm_head is also the embedding table: it reads the copy too. (A packed one keeps
    // reading the file for the few embedding rows a step needs, faulted back in on demand.)
    if (&view == &w.lm_head && tied && job.placement == Placement::kCopy) {
      w.embed_tokens.data = next;
    }
    // Matmuls now read only the arena; the page-cache pages need not count against us. A
    // no-op for blocks converted on the heap.
    for (const MappedFile& file : model.files) file.release_pages(original.data, original.nbytes);
    next += aligned(job.bytes);
  }
  return placed;
}

}  // namespace qinfer
