// `qinfer quantize`: a Hugging Face directory or GGUF in, a GGUF out with llama-quantize's tensor
// types and blocks for the chosen mix.
//
//   qinfer quantize IN OUT --type Q8_0|Q4_0|Q4_K_M|Q4_K_S|Q5_K_M|Q5_K_S|Q6_K|F16|BF16|F32
//                  [-t N] [--force] [--verbose]
//
// The output's SHA-256 goes into the SHA256SUMS next to it (model/model_manifest.h).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "model/model_manifest.h"
#include "model/quantize_model.h"
#include "tensor/tensor_view.h"

namespace qinfer::cli {
namespace {

struct QuantizeOptions {
  std::string in;
  std::string out;
  std::string type;
  int threads = 0;
  bool force = false;
  bool verbose = false;
};

Status run_quantize(const QuantizeOptions& options) {
  QINFER_ASSIGN_OR_RETURN(QuantTarget target, parse_quant_target(options.type));
  std::error_code error;
  if (std::filesystem::exists(options.out, error) && !options.force) {
    return make_error("{}: already exists (use --force to replace it)", options.out);
  }
  ProgressBar progress("quantize " + std::string(target.name));
  QuantizeModelOptions quantize_options;
  quantize_options.threads = options.threads;
  quantize_options.progress = [&progress](uint64_t done, uint64_t total) {
    progress.update(done, total);
  };
  const auto start = std::chrono::steady_clock::now();
  QINFER_ASSIGN_OR_RETURN(QuantizeModelReport report,
                          quantize_model(options.in, options.out, target, quantize_options));
  // The checksum next to the output, for `qinfer verify` (other entries of that SHA256SUMS stay).
  if (auto listed = write_model_manifest(options.out, options.threads); !listed.ok()) {
    return listed.error();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, int> type_counts;  // "q6_K" -> tensors of that type, for the summary
  for (const QuantizedTensor& t : report.tensors) {
    ++type_counts[std::string(dtype_name(t.to))];
    if (options.verbose) {
      std::fprintf(stderr, "  %-32s %-16s %5s -> %s\n", t.name.c_str(),
                   shape_string(t.shape).c_str(), std::string(dtype_name(t.from)).c_str(),
                   std::string(dtype_name(t.to)).c_str());
    }
  }
  std::string types;
  for (const auto& [name, count] : type_counts) {
    types += (types.empty() ? "" : ", ") + std::to_string(count) + " " + name;
  }
  std::fprintf(stderr, "quantize: wrote %s (%s: %s) %.1f MiB -> %.1f MiB in %.1f s\n",
               options.out.c_str(), std::string(target.name).c_str(), types.c_str(),
               static_cast<double>(report.input_bytes) / (1 << 20),
               static_cast<double>(report.output_bytes) / (1 << 20), seconds);
  return ok_status();
}

}  // namespace

void add_quantize_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<QuantizeOptions>();
  auto* cmd = app.add_subcommand(
      "quantize",
      "Write a model as a GGUF of quantized (or F16/BF16/F32) weights, like llama-quantize");
  cmd->add_option("IN", options->in, "Hugging Face model directory or .gguf file")->required();
  cmd->add_option("OUT", options->out, "Output .gguf file")->required();
  cmd->add_option("--type", options->type, quant_target_names())->required();
  cmd->add_option("-t,--threads", options->threads, "Threads (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--force", options->force, "Replace an existing output");
  cmd->add_flag("--verbose", options->verbose, "List every tensor with its old and new type");
  cmd->callback([options, &exit_code] {
    Status status = run_quantize(*options);
    if (!status.ok()) {
      std::fprintf(stderr, "qinfer quantize: %s\n", status.error().message.c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
