// Sampling time per token on a Qwen3-sized vocabulary (151,936 logits), per setting.
// Not built by CMake; build and run by hand against the sampling library:
//   ninja -C build-samp qinfer_sampling
//   c++ -O3 -std=c++20 -Isrc bench/sampler_bench.cpp build-samp/libqinfer_sampling.a \
//       build-samp/libqinfer_base.a -lfmt -o /tmp/sampler_bench && /tmp/sampler_bench
// Logits: a standard normal row scaled by 3 (a spread like a real model's), with a few leading
// tokens, so that the filters keep tens to thousands of tokens.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sampling/sampler.h"

int main() {
  using namespace qinfer;
  const int64_t vocab = 151936;
  std::vector<float> logits(static_cast<size_t>(vocab));
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (float& l : logits) l = normal(rng);
  for (int i = 0; i < 8; ++i) logits[static_cast<size_t>(i * 997)] = 16.0f - static_cast<float>(i);

  struct Setting {
    const char* name;
    SamplerParams params;
  };
  const Setting settings[] = {
      {"greedy", {.temperature = 0.0}},
      {"T=1 (full softmax)", {.temperature = 1.0}},
      {"T=0.6 top_k=20", {.temperature = 0.6, .top_k = 20}},
      {"T=0.6 top_p=0.95", {.temperature = 0.6, .top_p = 0.95}},
      {"T=1 top_p=0.95", {.temperature = 1.0, .top_p = 0.95}},
      {"T=0.6 min_p=0.05", {.temperature = 0.6, .min_p = 0.05}},
      {"qwen3 thinking T=0.6 k=20 p=0.95", {.temperature = 0.6, .top_k = 20, .top_p = 0.95}},
      {"T=0.7 k=20 p=0.8 rep=1.1 presence=1.5, 2000 tokens of history",
       {.temperature = 0.7, .top_k = 20, .top_p = 0.8, .repetition_penalty = 1.1,
        .presence_penalty = 1.5}},
  };
  for (const Setting& setting : settings) {
    Sampler sampler(vocab, setting.params);
    std::vector<int32_t> prompt(2000);
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919) % vocab);
    if (!sampler.set_prompt(prompt).ok()) return 1;
    const int iterations = 300;
    for (int i = 0; i < 10; ++i) (void)sampler.sample(logits);  // warm caches
    // Thread CPU time as well as wall time: the machine is shared, and wall time counts the
    // time other processes held the core.
    timespec cpu_start{}, cpu_end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
    const auto start = std::chrono::steady_clock::now();
    int64_t checksum = 0;
    for (int i = 0; i < iterations; ++i) checksum += sampler.sample(logits);
    const double wall_us = std::chrono::duration<double, std::micro>(
                               std::chrono::steady_clock::now() - start).count() / iterations;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
    const double cpu_us = ((cpu_end.tv_sec - cpu_start.tv_sec) * 1e6 +
                           (cpu_end.tv_nsec - cpu_start.tv_nsec) * 1e-3) / iterations;
    std::printf("%-64s cpu %7.1f us/token  wall %7.1f  (checksum %lld)\n", setting.name, cpu_us,
                wall_us, static_cast<long long>(checksum));
  }
  return 0;
}
