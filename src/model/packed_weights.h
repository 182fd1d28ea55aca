// Quantized matrices repacked once at load into the layout the running kernel backend streams
// fastest (KernelTable::pack_rows: e.g. x86 avx512 16-row VNNI groups for Q4_K), so no matmul
// unpacks or repacks blocks per call. Results are bit-identical to the original blocks.
#pragma once

#include "base/expected.h"
#include "model/model.h"

namespace qinfer {

// Packs, on `threads` threads (0: one per usable CPU), every attention and MLP projection and
// the lm_head that kernels() packs, into storage kept in `model`, setting each view's `packed`.
// The original blocks stay mapped (embedding rows and the reference kernels read them) but
// their pages are released when nothing else reads them, so resident memory stays about one
// copy of the weights. Returns the bytes packed;
// none unless the environment sets QINFER_PACK_WEIGHTS=1 (experimental, see the .cpp).
int64_t pack_matrices(Model& model, int threads = 0);

}  // namespace qinfer
