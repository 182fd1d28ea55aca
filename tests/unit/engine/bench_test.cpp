#include "engine/bench.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/bench_report.h"
#include "model/hf_model_writer.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/random_init.h"

namespace qinfer::engine {
namespace {

// One random-weight tiny Qwen3 for the suite (F32, tied embeddings).
class BenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("qinfer_bench_test_" + std::to_string(getpid())))
               .string();
    auto config = qwen3_preset("tiny");
    ASSERT_TRUE(config.ok()) << config.error().message;
    config_ = *config;
    const Status written =
        write_hf_model(config_, 1, DType::F32,
                       std::string(QINFER_SOURCE_DIR) + "/.deps/qwen3-tokenizer", model_dir());
    ASSERT_TRUE(written.ok()) << written.error().message;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static std::string model_dir() { return dir_ + "/model"; }

  static BenchOptions small_options() {
    BenchOptions options;
    options.prompt_tokens = 7;
    options.gen_tokens = 4;
    options.repetitions = 2;
    options.chunk_tokens = 3;  // 3 + 3 + 1: the chunked path
    return options;
  }

  // One run of 3 arrays of `mib` MiB per probe.
  static MemoryBandwidthOptions probe_options(uint64_t mib) {
    MemoryBandwidthOptions probe;
    probe.array_bytes = mib << 20;
    probe.runs = 1;
    return probe;
  }

  static inline std::string dir_;
  static inline Qwen3Config config_;
};

int64_t expected_parameters(const Qwen3Config& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t per_layer = 2 * H + 2 * D + c.q_dim() * H + 2 * c.kv_dim() * H + H * c.q_dim() +
                            3 * I * H;
  const int64_t embeddings = c.vocab_size * H * (c.tie_word_embeddings ? 1 : 2);
  return embeddings + c.num_hidden_layers * per_layer + H;
}

TEST_F(BenchTest, MeasuresPrefillAndDecodeOfATinyModel) {
  ThreadPool pool(2);
  auto result = bench_model(model_dir(), pool, small_options());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->threads, 2);
  EXPECT_FALSE(result->backend.empty());
  EXPECT_EQ(result->weight_types, "f32");
  EXPECT_EQ(result->parameters, expected_parameters(config_));
  // F32 and tied: every parameter is read once per decode step, 4 bytes each.
  EXPECT_EQ(result->decode_bytes_per_token, static_cast<uint64_t>(4 * result->parameters));
  EXPECT_GE(result->file_bytes, result->decode_bytes_per_token);
  ASSERT_EQ(result->prefill.tokens_per_second.size(), 2u);
  ASSERT_EQ(result->decode.tokens_per_second.size(), 2u);
  for (double tps : result->prefill.tokens_per_second) EXPECT_GT(tps, 0.0);
  for (double tps : result->decode.tokens_per_second) EXPECT_GT(tps, 0.0);
  EXPECT_GT(result->load_seconds, 0.0);
  EXPECT_GT(result->peak_rss_bytes, 0u);
  EXPECT_GT(result->decode_gbps(), 0.0);
  // auto on F32 weights: an F32 cache for max(p, n + 1) = 7 positions.
  EXPECT_EQ(result->kv_dtype, DType::F32);
  EXPECT_EQ(result->kv_cache_bytes,
            static_cast<uint64_t>(7 * KvCache::bytes_per_position(config_, DType::F32)));
}

// --kv-type f16: the cache holds half the bytes, and the report says which type ran.
TEST_F(BenchTest, ReportsTheKvCacheType) {
  ThreadPool pool(1);
  BenchOptions options = small_options();
  options.repetitions = 1;
  options.kv_dtype = DType::F16;
  auto result = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->kv_dtype, DType::F16);
  EXPECT_EQ(result->kv_cache_bytes,
            static_cast<uint64_t>(7 * KvCache::bytes_per_position(config_, DType::F16)));
  EXPECT_NE(bench_table_rows(*result, std::nullopt).find("| f16 | pp7 |"), std::string::npos)
      << bench_table_rows(*result, std::nullopt);
  std::istringstream lines(bench_json_lines(*result, std::nullopt));
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line);
    EXPECT_EQ(json["type_k"], "f16");
    EXPECT_EQ(json["type_v"], "f16");
    EXPECT_EQ(json["kv_cache_bytes"], result->kv_cache_bytes);
  }
}

// --dtype: the matrices are converted at load, and the byte accounting follows the new type.
TEST_F(BenchTest, ConvertsWeightsAtLoadWithDtype) {
  ThreadPool pool(2);
  BenchOptions options = small_options();
  options.repetitions = 1;
  options.weight_dtype = DType::Q8_0;
  auto result = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->weight_types, "q8_0");
  EXPECT_EQ(result->parameters, expected_parameters(config_));
  // Q8_0: 34 bytes per 32 weights, well under the F32 file's 4 bytes per weight.
  EXPECT_LT(result->decode_bytes_per_token, static_cast<uint64_t>(2 * result->parameters));
  ASSERT_EQ(result->decode.tokens_per_second.size(), 1u);
}

TEST_F(BenchTest, ReportsTableRowsAndJsonLines) {
  ThreadPool pool(1);
  auto result = bench_model(model_dir(), pool, small_options());
  ASSERT_TRUE(result.ok()) << result.error().message;
  const std::string rows = bench_table_rows(*result, 10.0);
  EXPECT_NE(rows.find("| pp7 |"), std::string::npos) << rows;
  EXPECT_NE(rows.find("| tg4 |"), std::string::npos) << rows;
  EXPECT_NE(rows.find("qwen3"), std::string::npos) << rows;
  EXPECT_NE(rows.find("%"), std::string::npos) << rows;  // share of 10 GB/s on the tg row

  std::istringstream lines(bench_json_lines(*result, 10.0));
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto pp = nlohmann::json::parse(line);
  EXPECT_EQ(pp["test"], "pp7");
  EXPECT_EQ(pp["n_prompt"], 7);
  EXPECT_EQ(pp["n_gen"], 0);
  EXPECT_EQ(pp["samples_ts"].size(), 2u);
  EXPECT_EQ(pp["model_n_params"], result->parameters);
  EXPECT_FALSE(pp.contains("mem_bw_share"));
  ASSERT_TRUE(std::getline(lines, line));
  const auto tg = nlohmann::json::parse(line);
  EXPECT_EQ(tg["test"], "tg4");
  EXPECT_EQ(tg["n_gen"], 4);
  EXPECT_DOUBLE_EQ(tg["mem_bw_share"].get<double>(), result->decode_gbps() / 10.0);
  EXPECT_FALSE(std::getline(lines, line));

  // Without a known bandwidth: no share, in either format.
  EXPECT_FALSE(nlohmann::json::parse(bench_json_lines(*result, std::nullopt).substr(
                   bench_json_lines(*result, std::nullopt).find('\n') + 1))
                   .contains("mem_bw_share"));
  EXPECT_EQ(bench_table_rows(*result, std::nullopt).find('%'), std::string::npos);
}

// probe_decode: one read bandwidth per tg repetition, and the share is the median of each
// repetition's GB/s over its own probe, ahead of a bandwidth given for the whole run.
TEST_F(BenchTest, ProbesTheBandwidthNextToEachDecodeRepetition) {
  ThreadPool pool(1);
  BenchOptions options = small_options();
  options.repetitions = 3;
  options.probe_decode = probe_options(1);
  auto result = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->decode_read_gbps.size(), 3u);
  for (double gbps : result->decode_read_gbps) EXPECT_GT(gbps, 0.0);

  // Replace the measurements with known ones: shares 0.5, 0.25 and 0.1 -> median 0.25.
  ModelBenchResult known = *result;
  known.decode_bytes_per_token = 1'000'000'000;  // 1 GB per token: GB/s = tokens/s
  known.decode.tokens_per_second = {5.0, 2.0, 1.0};
  known.decode_read_gbps = {10.0, 8.0, 10.0};
  ASSERT_TRUE(known.decode_bandwidth_share().has_value());
  EXPECT_DOUBLE_EQ(*known.decode_bandwidth_share(), 0.25);
  EXPECT_DOUBLE_EQ(*bandwidth_share(known, 100.0), 0.25);
  std::istringstream lines(bench_json_lines(known, 100.0));
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  ASSERT_TRUE(std::getline(lines, line));
  const auto tg = nlohmann::json::parse(line);
  EXPECT_DOUBLE_EQ(tg["mem_bw_share"].get<double>(), 0.25);
  EXPECT_EQ(tg["mem_read_gbps_samples"].size(), 3u);
  EXPECT_NE(bench_table_rows(known, std::nullopt).find("| 25% |"), std::string::npos)
      << bench_table_rows(known, std::nullopt);

  // Even counts average the middle two; a probe count off the repetitions gives no share.
  known.decode.tokens_per_second = {5.0, 2.0};
  known.decode_read_gbps = {10.0, 10.0};
  EXPECT_DOUBLE_EQ(*known.decode_bandwidth_share(), 0.35);
  known.decode_read_gbps = {10.0};
  EXPECT_FALSE(known.decode_bandwidth_share().has_value());
}

// The probes' arrays (3 x 64 MiB here) are not the model's memory: its peak RSS stays that of a
// run without probes.
TEST_F(BenchTest, ProbesStayOutOfThePeakRss) {
  ThreadPool pool(1);
  BenchOptions options = small_options();
  options.repetitions = 1;
  auto plain = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  options.probe_decode = probe_options(64);
  auto probed = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(probed.ok()) << probed.error().message;
  if (probed->decode_read_gbps.empty()) GTEST_SKIP() << "the peak RSS cannot be restarted here";
  EXPECT_LT(probed->peak_rss_bytes, plain->peak_rss_bytes + (uint64_t{64} << 20));
}

TEST_F(BenchTest, RejectsBadInputWithClearErrors) {
  ThreadPool pool(1);
  auto expect_error = [&](const std::string& path, BenchOptions options, const std::string& words) {
    auto result = bench_model(path, pool, options);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
  };
  expect_error(dir_ + "/missing", small_options(), "no such file");
  BenchOptions options = small_options();
  options.prompt_tokens = 0;
  expect_error(model_dir(), options, "-p");
  options = small_options();
  options.gen_tokens = 0;
  expect_error(model_dir(), options, "-n");
  options = small_options();
  options.repetitions = 0;
  expect_error(model_dir(), options, "-r");
  options = small_options();
  options.chunk_tokens = -1;
  expect_error(model_dir(), options, "--chunk");
  options = small_options();
  options.prompt_tokens = config_.max_position_embeddings + 1;
  expect_error(model_dir(), options, "context");
  options = small_options();
  options.depth = -1;
  expect_error(model_dir(), options, "-d");
  options = small_options();
  options.depth = config_.max_position_embeddings - 6;  // + 7 prompt positions: one too many
  expect_error(model_dir(), options, "context");
}

// -d: both tests run after that many cached positions, which the cache is sized for and the
// names and JSON carry as llama-bench does.
TEST_F(BenchTest, RunsTestsAtADepth) {
  ThreadPool pool(2);
  BenchOptions options = small_options();
  options.repetitions = 1;
  options.depth = 5;
  auto result = bench_model(model_dir(), pool, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->kv_cache_bytes,
            static_cast<uint64_t>((5 + 7) * KvCache::bytes_per_position(config_, DType::F32)));
  ASSERT_EQ(result->decode.tokens_per_second.size(), 1u);
  EXPECT_GT(result->decode.tokens_per_second[0], 0.0);
  const std::string rows = bench_table_rows(*result, std::nullopt);
  EXPECT_NE(rows.find("| pp7 @ d5 |"), std::string::npos) << rows;
  EXPECT_NE(rows.find("| tg4 @ d5 |"), std::string::npos) << rows;
  std::istringstream lines(bench_json_lines(*result, std::nullopt));
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(nlohmann::json::parse(line)["n_depth"], 5) << line;
  }
}

TEST(SpeedSamples, MeanAndSampleStddev) {
  SpeedSamples samples;
  EXPECT_EQ(samples.mean(), 0.0);
  samples.tokens_per_second = {10.0};
  EXPECT_EQ(samples.stddev(), 0.0);
  samples.tokens_per_second = {2.0, 4.0, 6.0};
  EXPECT_DOUBLE_EQ(samples.mean(), 4.0);
  EXPECT_DOUBLE_EQ(samples.stddev(), 2.0);
}

TEST(MemoryBandwidthReport, TextAndJson) {
  MemoryBandwidth bandwidth;
  bandwidth.threads = 2;
  bandwidth.array_bytes = 256u << 20;
  bandwidth.runs = 5;
  bandwidth.read_gbps = 20.5;
  bandwidth.triad_gbps = 15.25;
  EXPECT_NE(memory_bandwidth_text(bandwidth).find("read 20.5 GB/s"), std::string::npos);
  const auto json = nlohmann::json::parse(memory_bandwidth_json(bandwidth));
  EXPECT_EQ(json["test"], "memory");
  EXPECT_EQ(json["read_gbps"], 20.5);
  EXPECT_EQ(json["array_bytes"], 256u << 20);
}

}  // namespace
}  // namespace qinfer::engine
