// `qinfer template`: renders conversations with a model's chat template, for checking prompts and
// for the oracle tests (tests/reference/test_chat_template.py).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "chat/chat_template.h"
#include "cli/commands.h"

namespace qinfer::cli {
namespace {

struct TemplateOptions {
  std::string model_dir;
  std::string template_file;
  bool jsonl = false;
};

Expected<chat::ChatTemplate> load_template(const TemplateOptions& options) {
  if (options.template_file.empty()) return chat::ChatTemplate::from_model_dir(options.model_dir);
  std::ifstream in(options.template_file, std::ios::binary);
  if (!in) return make_error("cannot open template file {}", options.template_file);
  std::ostringstream source;
  source << in.rdbuf();
  // Special tokens still come from the model directory when one is given.
  std::vector<std::pair<std::string, std::string>> special_tokens;
  if (!options.model_dir.empty()) {
    std::ifstream config_in(options.model_dir + "/tokenizer_config.json", std::ios::binary);
    const auto config = nlohmann::ordered_json::parse(config_in, nullptr, /*allow_exceptions=*/false);
    if (config.is_object()) {
      for (const char* name : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
        if (config.contains(name) && config[name].is_string()) special_tokens.emplace_back(name, config[name].get<std::string>());
      }
    }
  }
  auto loaded = chat::ChatTemplate::from_source(source.str(), std::move(special_tokens));
  if (!loaded) return make_error("{}: {}", options.template_file, loaded.error().message);
  return loaded;
}

Expected<std::string> render_text(const chat::ChatTemplate& tmpl, const std::string& text) {
  const auto object = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return make_error("invalid JSON");
  QINFER_ASSIGN_OR_RETURN(const chat::ChatRequest request, chat::parse_chat_request(object));
  return tmpl.render(request);
}

// One JSON request per line in, one JSON string per line out. A failing line prints
// {"error": "..."} in its place (so output lines stay aligned with input lines), its message goes
// to stderr, and the exit code is 1.
int run_jsonl(const chat::ChatTemplate& tmpl) {
  int exit_code = 0;
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry no request
    const auto rendered = render_text(tmpl, line);
    if (rendered) {
      std::cout << nlohmann::ordered_json(*rendered).dump() << '\n';
    } else {
      const std::string message = "input line " + std::to_string(line_number) + ": " + rendered.error().message;
      std::cerr << "qinfer template: " << message << '\n';
      std::cout << nlohmann::ordered_json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      exit_code = 1;
    }
  }
  std::cout.flush();
  return exit_code;
}

}  // namespace

void add_template_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TemplateOptions>();
  auto* cmd = app.add_subcommand("template", "Render conversations (JSON on stdin) with the model's chat template");
  cmd->add_option("-m,--model", options->model_dir, "Model directory holding tokenizer_config.json");
  cmd->add_option("--template-file", options->template_file, "Jinja template file to use instead of the model's");
  cmd->add_flag("--jsonl", options->jsonl,
                "Read one JSON request per line, print one JSON string per line (default: one request on stdin, raw text out)");
  cmd->callback([options, &exit_code] {
    if (options->model_dir.empty() && options->template_file.empty()) {
      std::cerr << "qinfer template: give -m MODEL_DIR or --template-file FILE\n";
      exit_code = 2;
      return;
    }
    const auto tmpl = load_template(*options);
    if (!tmpl) {
      std::cerr << "qinfer template: " << tmpl.error().message << '\n';
      exit_code = 1;
      return;
    }
    std::ios::sync_with_stdio(false);
    if (options->jsonl) {
      exit_code = run_jsonl(*tmpl);
      return;
    }
    std::ostringstream input;
    input << std::cin.rdbuf();
    const auto rendered = render_text(*tmpl, input.str());
    if (!rendered) {
      std::cerr << "qinfer template: " << rendered.error().message << '\n';
      exit_code = 1;
      return;
    }
    std::cout << *rendered;
    exit_code = 0;
  });
}

}  // namespace qinfer::cli
