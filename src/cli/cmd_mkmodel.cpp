// `qinfer mkmodel`: writes a random-weight Qwen3 with the real tokenizer, the fixture of the
// oracle tests and the subject of benchmarks.
//
//   qinfer mkmodel --preset tiny|0.6B|1.7B|4B|8B|14B --format hf|gguf --dtype f32|bf16|f16
//                  --seed N --out PATH [--shard-size 4GB] [--tie|--no-tie] [--tokenizer-dir DIR]
//
// It also writes the model's SHA256SUMS (model/model_manifest.h), for `qinfer verify`.
//
// The weights are a pure function of (preset, seed, tensor name, element), see model/random_init.h,
// so the hf and gguf outputs of one seed hold the same numbers.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "model/gguf_model_writer.h"
#include "model/hf_model_writer.h"
#include "model/model_manifest.h"
#include "model/random_init.h"

namespace qinfer::cli {
namespace {

struct MkmodelOptions {
  std::string preset;
  std::string format = "hf";
  std::string dtype = "bf16";
  uint64_t seed = 0;
  std::string out;
  std::string shard_size;
  std::optional<bool> tie;
  std::string tokenizer_dir;
  int threads = 0;
  bool force = false;
};

// "4GB" -> 4e9 bytes, "500MiB" -> 500 * 2^20: decimal and binary units as save_pretrained's
// max_shard_size accepts them; a bare number is bytes.
Expected<uint64_t> parse_byte_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return make_error("--shard-size '{}': expected e.g. 4GB or 500MiB", text);
  const uint64_t number = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},           {"KB", 1000},        {"MB", 1000000},
      {"GB", 1000000000}, {"KIB", 1ull << 10}, {"MIB", 1ull << 20}, {"GIB", 1ull << 30}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      if (number == 0) return make_error("--shard-size must be positive");
      return number * scale;
    }
  }
  return make_error("--shard-size '{}': unknown unit '{}' (B, KB, MB, GB, KiB, MiB, GiB)", text,
                    text.substr(digits));
}

Expected<DType> parse_dtype(const std::string& name) {
  if (name == "f32") return DType::F32;
  if (name == "f16") return DType::F16;
  if (name == "bf16") return DType::BF16;
  return make_error("--dtype '{}': expected f32, bf16 or f16", name);
}

// --tokenizer-dir, else $QINFER_TOKENIZER_DIR, else <dir of this executable>/../.deps/
// qwen3-tokenizer, where scripts/setup.sh installs it for a build in <repo>/build.
std::string default_tokenizer_dir() {
  if (const char* env = std::getenv("QINFER_TOKENIZER_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return ".deps/qwen3-tokenizer";
  return (exe.parent_path() / ".." / ".deps" / "qwen3-tokenizer").lexically_normal().string();
}

Status run_mkmodel(const MkmodelOptions& options) {
  QINFER_ASSIGN_OR_RETURN(Qwen3Config config, qwen3_preset(options.preset));
  if (options.tie) config.tie_word_embeddings = *options.tie;
  QINFER_ASSIGN_OR_RETURN(DType dtype, parse_dtype(options.dtype));
  const std::string tokenizer_dir =
      options.tokenizer_dir.empty() ? default_tokenizer_dir() : options.tokenizer_dir;
  ProgressBar progress("mkmodel " + options.preset);
  auto on_progress = [&progress](uint64_t done, uint64_t total) { progress.update(done, total); };
  const auto start = std::chrono::steady_clock::now();

  if (options.format == "hf") {
    HfModelWriteOptions write_options;
    if (!options.shard_size.empty()) {
      QINFER_ASSIGN_OR_RETURN(write_options.max_shard_bytes, parse_byte_size(options.shard_size));
    }
    write_options.overwrite = options.force;
    write_options.threads = options.threads;
    write_options.progress = on_progress;
    QINFER_RETURN_IF_ERROR(
        write_hf_model(config, options.seed, dtype, tokenizer_dir, options.out, write_options));
  } else if (options.format == "gguf") {
    if (!options.shard_size.empty()) return make_error("--shard-size applies to --format hf only");
    std::error_code error;
    if (std::filesystem::exists(options.out, error) && !options.force) {
      return make_error("{}: already exists (use --force to replace it)", options.out);
    }
    GgufModelWriteOptions write_options;
    write_options.threads = options.threads;
    write_options.progress = on_progress;
    QINFER_RETURN_IF_ERROR(
        write_gguf_model(config, options.seed, dtype, tokenizer_dir, options.out, write_options));
  } else {
    return make_error("--format '{}': expected hf or gguf", options.format);
  }
  // The checksums operators verify copies against (`qinfer verify`); hashed from the page cache
  // the write just filled.
  if (auto listed = write_model_manifest(options.out, options.threads); !listed.ok()) {
    return listed.error();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "mkmodel: wrote %s (%s, %s, %s embeddings, seed %llu) in %.1f s\n",
               options.out.c_str(), options.preset.c_str(), options.dtype.c_str(),
               config.tie_word_embeddings ? "tied" : "untied",
               static_cast<unsigned long long>(options.seed), seconds);
  return ok_status();
}

}  // namespace

void add_mkmodel_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<MkmodelOptions>();
  auto* cmd = app.add_subcommand("mkmodel", "Write a random-weight Qwen3 model (test fixture)");
  cmd->add_option("--preset", options->preset, "tiny, 0.6B, 1.7B, 4B, 8B or 14B")->required();
  cmd->add_option("--format", options->format, "hf (directory) or gguf (file)")
      ->capture_default_str();
  cmd->add_option("--dtype", options->dtype, "f32, bf16 or f16")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  cmd->add_option("--out", options->out, "Output directory (hf) or file (gguf)")->required();
  cmd->add_option("--shard-size", options->shard_size,
                  "Split hf weights into shards of at most this size, e.g. 4GB");
  cmd->add_flag_callback("--tie", [options] { options->tie = true; },
                         "Tie lm_head to the embeddings (default: as the preset)");
  cmd->add_flag_callback("--no-tie", [options] { options->tie = false; },
                         "Store a separate lm_head.weight");
  cmd->add_option("--tokenizer-dir", options->tokenizer_dir,
                  "Directory with tokenizer.json and tokenizer_config.json "
                  "(default: $QINFER_TOKENIZER_DIR, else <exe>/../.deps/qwen3-tokenizer)");
  cmd->add_option("-t,--threads", options->threads, "Generator threads (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--force", options->force, "Replace an existing output");
  cmd->callback([options, &exit_code] {
    Status status = run_mkmodel(*options);
    if (!status.ok()) {
      std::fprintf(stderr, "qinfer mkmodel: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
