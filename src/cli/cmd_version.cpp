#include <cstdio>

#include "cli/commands.h"

#ifndef QINFER_VERSION
#define QINFER_VERSION "0.1.0"
#endif

namespace qinfer::cli {

void add_version_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print the qinfer version");
  cmd->callback([&exit_code] {
    std::printf("qinfer %s\n", QINFER_VERSION);
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
