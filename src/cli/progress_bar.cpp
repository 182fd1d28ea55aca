#include "cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace qinfer::cli {

ProgressBar::ProgressBar(std::string label, uint64_t min_total_bytes)
    : label_(std::move(label)),
      min_total_bytes_(min_total_bytes),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);  // the job stopped early (an error)
}

void ProgressBar::update(uint64_t done_bytes, uint64_t total_bytes) {
  if (!enabled_ || total_bytes < min_total_bytes_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool finished = done_bytes >= total_bytes;
  if (drawn_ && !finished && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  drawn_ = true;
  constexpr int kWidth = 40;
  const double fraction = static_cast<double>(done_bytes) / static_cast<double>(total_bytes);
  const int filled = static_cast<int>(fraction * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double gb = 1e9;
  const double rate = seconds > 0 ? static_cast<double>(done_bytes) / seconds : 0.0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %.2f/%.2f GB %.0f MB/s", label_.c_str(), bar,
               fraction * 100, static_cast<double>(done_bytes) / gb,
               static_cast<double>(total_bytes) / gb, rate / 1e6);
  if (finished) {  // end the line now, so that whatever is printed next starts on its own
    std::fputc('\n', stderr);
    drawn_ = false;
    enabled_ = false;
  }
  std::fflush(stderr);
}

}  // namespace qinfer::cli
