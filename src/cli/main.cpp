// qinfer: one binary, one subcommand per job (see `qinfer --help`).
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"qinfer: Qwen3 inference on CPU servers"};
  app.require_subcommand(1);
  int exit_code = 0;
  const qinfer::cli::CommandRegistrar registrars[] = {
      qinfer::cli::add_version_command,
      qinfer::cli::add_mkmodel_command,
      qinfer::cli::add_inspect_command,
      qinfer::cli::add_tokenize_command,
      qinfer::cli::add_logits_command,
      qinfer::cli::add_run_command,
      qinfer::cli::add_template_command,
      qinfer::cli::add_chat_command,
      qinfer::cli::add_bench_command,
      qinfer::cli::add_quantize_command,
      qinfer::cli::add_serve_command,
      qinfer::cli::add_verify_command,
  };
  for (auto registrar : registrars) registrar(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
