// `qinfer logits`: runs the forward pass on given token ids and writes the logits, for the
// transformers oracle (tests/reference/test_forward.py) and for scripts.
//
//   qinfer logits -m MODEL --ids 9707,11,847 [--all-positions] [--chunk N] [-t THREADS] --out FILE
//
// FILE gets float32 little-endian values, row-major: [positions, vocab] with --all-positions,
// else [1, vocab] for the last position. The prompt goes through the model in chunks of at most
// N tokens that extend one KV cache, so --chunk 1 exercises token-by-token cached decoding.
#include <bit>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/model_load_flags.h"
#include "cli/commands.h"
#include "cli/token_ids.h"
#include "model/convert_weights.h"
#include "model/model.h"
#include "model/qwen3.h"

namespace qinfer::cli {
namespace {

static_assert(std::endian::native == std::endian::little, "the logits file is little-endian");

struct LogitsOptions {
  std::string model;
  std::string ids;
  std::string out;
  bool all_positions = false;
  int64_t chunk = 512;
  int threads = 0;
  ModelLoadFlags load;  // --dtype, --mmap
};

Status write_logits(const LogitsOptions& options) {
  QINFER_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parse_token_ids(options.ids));
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> kv_dtype, options.load.kv_dtype());
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                          load_model_with(options.model, options.load, options.threads));
  const Qwen3Config& config = model->config;
  QINFER_RETURN_IF_ERROR(
      check_token_ids(ids, config.vocab_size, config.max_position_embeddings, 0));
  const int64_t n_ids = static_cast<int64_t>(ids.size());
  ThreadPool pool(options.threads);
  ForwardOptions forward_options;
  forward_options.max_chunk_tokens = std::min(options.chunk, n_ids);
  forward_options.max_positions = n_ids;
  forward_options.all_logits = options.all_positions;
  forward_options.kv_dtype = kv_dtype;
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Qwen3Forward> forward,
                          Qwen3Forward::create(config, model->weights, pool, forward_options));
  KvCache cache = forward->make_cache();

  std::FILE* file = std::fopen(options.out.c_str(), "wb");
  if (file == nullptr) return make_error("--out {}: cannot open for writing", options.out);
  for (int64_t begin = 0; begin < n_ids; begin += options.chunk) {
    const int64_t count = std::min(options.chunk, n_ids - begin);
    const bool last_chunk = begin + count == n_ids;
    const LogitsFor which = options.all_positions ? LogitsFor::kAllPositions
                            : last_chunk          ? LogitsFor::kLastPosition
                                                  : LogitsFor::kNone;
    auto logits = forward->forward(std::span<const int32_t>(ids).subspan(begin, count), cache, which);
    if (!logits.ok()) {
      std::fclose(file);
      return logits.error();
    }
    if (which != LogitsFor::kNone) {
      if (std::fwrite(logits->data(), sizeof(float), logits->size(), file) != logits->size()) {
        std::fclose(file);
        return make_error("--out {}: write failed", options.out);
      }
    }
  }
  if (std::fclose(file) != 0) return make_error("--out {}: write failed", options.out);
  std::printf("logits [%lld, %lld] float32 little-endian -> %s\n",
              static_cast<long long>(options.all_positions ? n_ids : 1),
              static_cast<long long>(config.vocab_size), options.out.c_str());
  return ok_status();
}

}  // namespace

void add_logits_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<LogitsOptions>();
  auto* cmd = app.add_subcommand("logits", "Write the logits of a token id sequence (float32 LE)");
  cmd->add_option("-m,--model", options->model, "Hugging Face model directory or .gguf file")
      ->required();
  cmd->add_option("--ids", options->ids, "Comma-separated token ids, e.g. 9707,11,847")->required();
  cmd->add_option("--out", options->out, "Output file: float32 little-endian")->required();
  cmd->add_flag("--all-positions", options->all_positions,
                "Write [positions, vocab] instead of the last position's [1, vocab]");
  cmd->add_option("--chunk", options->chunk, "Tokens per forward call (1 = token by token)")
      ->check(CLI::PositiveNumber);
  add_model_load_flags(*cmd, options->load);
  cmd->add_option("-t,--threads", options->threads, "Threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options, &exit_code] {
    Status status = write_logits(*options);
    if (!status.ok()) {
      std::fprintf(stderr, "qinfer logits: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
