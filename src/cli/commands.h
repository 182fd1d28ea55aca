// Each subcommand lives in its own file, cmd_<name>.cpp, and registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace qinfer::cli {

// Adds the subcommand to `app`. The callback it installs runs the command and sets the exit code.
using CommandRegistrar = void (*)(CLI::App& app, int& exit_code);

void add_version_command(CLI::App& app, int& exit_code);
void add_mkmodel_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_tokenize_command(CLI::App& app, int& exit_code);
void add_logits_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_template_command(CLI::App& app, int& exit_code);
void add_chat_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_quantize_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);
void add_verify_command(CLI::App& app, int& exit_code);

}  // namespace qinfer::cli
