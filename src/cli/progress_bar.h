// A one-line progress bar on stderr for long byte-counting jobs (mkmodel, quantize). It draws only
// when stderr is a terminal and the job is big enough to be worth watching, so logs and test
// output stay clean; redraws are rate-limited so it costs nothing next to the work.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qinfer::cli {

class ProgressBar {
 public:
  // `label` precedes the bar; jobs under `min_total_bytes` never draw.
  explicit ProgressBar(std::string label, uint64_t min_total_bytes = uint64_t{256} << 20);
  ~ProgressBar();  // ends the line if anything was drawn

  void update(uint64_t done_bytes, uint64_t total_bytes);

 private:
  std::string label_;
  uint64_t min_total_bytes_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace qinfer::cli
