// `qinfer verify`: checks a model's files against its SHA256SUMS (see model/model_manifest.h),
// or writes that manifest.
//
//   qinfer verify MODEL [-t N]            exit 0 and a summary, or 1 naming every bad file
//   qinfer verify --write MODEL [-t N]    write or update MODEL's SHA256SUMS
//
// The manifest is in `sha256sum` format: `sha256sum -c SHA256SUMS` in the model's directory
// checks the same digests with coreutils.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "model/model_manifest.h"

namespace qinfer::cli {
namespace {

struct VerifyOptions {
  std::string model;
  bool write = false;
  int threads = 0;
};

void print_summary(const char* what, const VerifyReport& report) {
  const double gb = static_cast<double>(report.bytes) / 1e9;
  std::fprintf(stderr, "verify: %s %zu files, %.2f GB in %.2f s (%.2f GB/s)\n", what,
               report.files, gb, report.seconds, report.seconds > 0 ? gb / report.seconds : 0.0);
}

// 0: the files match; 1: a mismatch, a missing or unlisted file, or no usable manifest.
int run_verify(const VerifyOptions& options) {
  ProgressBar progress("verify");
  auto on_progress = [&progress](uint64_t done, uint64_t total) { progress.update(done, total); };
  if (options.write) {
    Expected<VerifyReport> report =
        write_model_manifest(options.model, options.threads, on_progress);
    if (!report.ok()) {
      std::fprintf(stderr, "qinfer verify: %s\n", report.error().message.c_str());
      return 1;
    }
    print_summary("listed", *report);
    std::fprintf(stderr, "verify: wrote %s\n",
                 model_file_set(options.model)->manifest_path.c_str());
    return 0;
  }
  Expected<VerifyReport> report = verify_model(options.model, options.threads, on_progress);
  if (!report.ok()) {
    std::fprintf(stderr, "qinfer verify: %s\n", report.error().message.c_str());
    return 1;
  }
  print_summary("checked", *report);
  if (report->ok()) {
    std::fprintf(stderr, "verify: OK\n");
    return 0;
  }
  for (const std::string& problem : report->problems) {
    std::fprintf(stderr, "verify: FAILED %s\n", problem.c_str());
  }
  std::fprintf(stderr, "verify: %zu problem(s) in %s\n", report->problems.size(),
               options.model.c_str());
  return 1;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand("verify", "Check a model's files against its SHA256SUMS");
  cmd->add_option("model", options->model, "Hugging Face model directory or .gguf file")
      ->required();
  cmd->add_flag("--write", options->write, "Write or update the model's SHA256SUMS instead");
  cmd->add_option("-t,--threads", options->threads, "Files hashed at once (0: one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([options, &exit_code] { exit_code = run_verify(*options); });
}

}  // namespace qinfer::cli
