#include "model/packed_weights.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernel_table.h"

namespace qinfer {
namespace {

// Packs one matrix into storage appended to model.converted (64-byte aligned inside it: the
// float vector only guarantees malloc's alignment). Returns the bytes packed, 0 when the backend
// does not pack this matrix.
int64_t pack_matrix(Model& model, TensorView& view, const KernelTable& table, ThreadPool& pool,
                    bool release_original) {
  if (view.packed != nullptr || view.shape.size() != 2) return 0;
  const int64_t N = view.rows(), K = view.cols();
  const int64_t bytes = table.packed_bytes(view.dtype, N, K);
  if (bytes <= 0) return 0;
  constexpr int64_t kAlign = 64;
  std::vector<float>& storage = model.converted.emplace_back((bytes + kAlign + 3) / 4);
  auto address = reinterpret_cast<uintptr_t>(storage.data());
  address = (address + kAlign - 1) / kAlign * kAlign;
  auto* packed = reinterpret_cast<std::byte*>(address);
  const int64_t groups = N / kPackedGroupRows;
  pool.parallel_for(static_cast<size_t>(groups), [&](size_t begin, size_t end) {
    table.pack_rows(view.data, view.dtype, K, static_cast<int64_t>(begin) * kPackedGroupRows,
                    static_cast<int64_t>(end) * kPackedGroupRows, packed);
  });
  // Matmuls now read only the packed copy: the file's pages of the blocks need not stay
  // resident (a no-op for blocks converted on the heap).
  if (release_original) {
    for (const MappedFile& file : model.files) file.release_pages(view.data, view.nbytes);
  }
  view.packed = packed;
  return bytes;
}

}  // namespace

int64_t pack_matrices(Model& model, int threads) {
  const KernelTable& table = kernels();
  if (table.packed_bytes == nullptr) return 0;
  // Opt-in for now: the packed kernels are 1.5-2x faster in isolation (bench/
  // quant_matmul_bench.cpp) but not yet end to end (prefill batches lose to the per-call tiles,
  // and decode of a whole model gains nothing measurable): see bench/RESULTS.md.
  const char* env = std::getenv("QINFER_PACK_WEIGHTS");
  if (env == nullptr || env != std::string_view("1")) return 0;
  ThreadPool pool(threads);
  int64_t total = 0;
  for (LayerWeights& layer : model.weights.layers) {
    for (TensorView* view : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                             &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      total += pack_matrix(model, *view, table, pool, true);
    }
  }
  // A tied lm_head shares its blocks with the embedding table, whose rows are still read.
  const bool tied = model.weights.lm_head.data == model.weights.embed_tokens.data;
  total += pack_matrix(model, model.weights.lm_head, table, pool, !tied);
  return total;
}

}  // namespace qinfer
