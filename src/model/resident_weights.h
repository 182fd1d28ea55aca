// Where the weight matrices live while the model runs. Decoding streams every matrix once per
// token, so the address translation of that stream matters: a file mapping is mostly 4 KiB
// pages (the page cache decides the folio sizes), and decode reads the same bytes measurably
// faster from 2 MiB pages (bench/RESULTS.md). So by default the matrices are
// copied once at load into anonymous transparent-huge-page memory (one arena, each matrix
// 64-byte aligned), and the file's pages are released, so resident memory stays one copy.
// `--mmap` keeps them in the mapping instead: no copy at load and page-cache pages shared
// between processes serving the same file, at the cost of that decode speed.
//
// Matrices the kernel backend repacks (KernelTable::pack_rows: x86 avx512 puts Q8_0, Q4_K, Q5_K
// and Q6_K in 16-row VNNI groups of the same size, arm dotprod every quantized type in 4-row quads)
// go into the arena repacked instead of copied, unless the weights stay mapped or
// QINFER_PACK_WEIGHTS=0; results stay bit-identical.
#pragma once

#include <cstdint>

#include "model/model.h"

namespace qinfer {

enum class WeightMemory {
  kAuto,      // huge-page copy when the kernel offers transparent huge pages, else mapped
              // (matrices the backend packs are packed either way)
  kMapped,    // read the matrices where load_model put them (file mapping or heap)
  kHugePages  // copy mapped matrices into a huge-page arena (falls back to 4 KiB pages)
};

// /sys/kernel/mm/transparent_hugepage/enabled is "always" or "madvise".
bool transparent_huge_pages_available();

struct ResidentWeights {
  int64_t copied_bytes = 0;  // matrices copied as they are
  int64_t packed_bytes = 0;  // matrices repacked for the kernels
};

// Moves the attention and MLP projections and the lm_head (and with it a tied embedding) of
// `model` as `memory` says, on `threads` threads (0: one per usable CPU), into model.arena.
// Matrices that are not in a file mapping (converted at load by --dtype) stay where they are
// unless packed. The original file pages are released afterwards.
ResidentWeights place_weights(Model& model, WeightMemory memory, int threads = 0);

}  // namespace qinfer
