// `qinfer tokenize`: text <-> token ids with the model's tokenizer, for scripts and oracle tests.
//
// MODEL is a directory with tokenizer.json, a tokenizer.json file, or a .gguf file.
//   qinfer tokenize -m MODEL -p "text"              prints the ids as a JSON array
//   qinfer tokenize -m MODEL --decode -p "[1,2,3]"  prints the text as a JSON string
//   qinfer tokenize -m MODEL --jsonl                stdin: one JSON string per line,
//                                                   stdout: one JSON array of ids per line
//   qinfer tokenize -m MODEL --jsonl --decode       stdin: one JSON array of ids per line,
//                                                   stdout: one JSON string per line
//
// Errors in --jsonl mode are per line: a bad line prints `null` on stdout (so output line N
// still answers input line N), "line N: <why>" on stderr, processing continues, and the exit
// code is 1 at the end. --timing prints the time spent encoding/decoding (not loading, not
// JSON parsing or printing) to stderr, for the benchmark.
#include <nlohmann/json.hpp>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "model/gguf_model.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace qinfer::cli {
namespace {

using nlohmann::json;
using tokenizer::TokenId;
using tokenizer::Tokenizer;

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

struct TokenizeOptions {
  std::string model;
  std::string prompt;
  bool prompt_given = false;
  bool jsonl = false;
  bool decode = false;
  bool skip_special = false;
  bool timing = false;
};

// Wall and CPU time of the encode/decode calls alone. CPU time is what to compare on a busy
// machine: other processes stretch wall time but not the CPU time this process uses.
struct Timer {
  double seconds = 0;
  double cpu_seconds = 0;
  size_t bytes = 0;
  size_t tokens = 0;
};

void append_ids_json(const std::vector<TokenId>& ids, std::string& out) {
  out.push_back('[');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(ids[i]);
  }
  out.push_back(']');
}

std::string string_json(const std::string& text) {
  // decode() returns valid UTF-8; `replace` only guards the invariant.
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Parses "[1,2,3]" (JSON) into ids; the error says what is wrong.
Expected<std::vector<TokenId>> parse_ids(const std::string& line) {
  try {
    const json value = json::parse(line);
    if (!value.is_array()) return make_error("expected a JSON array of token ids");
    std::vector<TokenId> ids;
    ids.reserve(value.size());
    for (const json& item : value) {
      if (!item.is_number_integer()) return make_error("token id {} is not an integer", item.dump());
      const auto id = item.get<int64_t>();
      if (id < 0 || id > INT32_MAX) return make_error("token id {} is out of range", id);
      ids.push_back(static_cast<TokenId>(id));
    }
    return ids;
  } catch (const json::exception& e) {
    return make_error("invalid JSON: {}", e.what());
  }
}

Expected<std::string> parse_text(const std::string& line) {
  try {
    const json value = json::parse(line);
    if (!value.is_string()) return make_error("expected a JSON string");
    return value.get<std::string>();
  } catch (const json::exception& e) {
    return make_error("invalid JSON: {}", e.what());
  }
}

// One request: a text or an id array in, a JSON line out (or an error).
Expected<std::string> process(const Tokenizer& tok, const TokenizeOptions& options,
                              const std::string& input, bool input_is_json, Timer& timer) {
  std::string out;
  if (options.decode) {
    QINFER_ASSIGN_OR_RETURN(std::vector<TokenId> ids, parse_ids(input));
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = process_cpu_seconds();
    QINFER_ASSIGN_OR_RETURN(std::string text, tok.decode(ids, options.skip_special));
    timer.cpu_seconds += process_cpu_seconds() - cpu_start;
    timer.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    timer.tokens += ids.size();
    timer.bytes += text.size();
    return string_json(text);
  }
  std::string text = input;
  if (input_is_json) {
    QINFER_ASSIGN_OR_RETURN(text, parse_text(input));
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  QINFER_ASSIGN_OR_RETURN(std::vector<TokenId> ids, tok.encode(text));
  timer.cpu_seconds += process_cpu_seconds() - cpu_start;
  timer.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  timer.tokens += ids.size();
  timer.bytes += text.size();
  append_ids_json(ids, out);
  return out;
}

// A .gguf file carries its vocabulary in tokenizer.ggml.*; anything else is a tokenizer.json or
// a directory holding one.
Expected<Tokenizer> load_tokenizer(const std::string& path) {
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0) {
    QINFER_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
    QINFER_ASSIGN_OR_RETURN(GgufVocab vocab, gguf_vocab_from_file(file));
    auto tok = Tokenizer::from_gguf(vocab.pre, vocab.tokens, vocab.token_types, vocab.merges);
    if (!tok.ok()) return make_error("{}: {}", path, tok.error().message);
    return tok;
  }
  return Tokenizer::from_file(path);
}

int run_tokenize(const TokenizeOptions& options) {
  auto tok = load_tokenizer(options.model);
  if (!tok.ok()) {
    std::fprintf(stderr, "error: %s\n", tok.error().message.c_str());
    return 1;
  }
  Timer timer;
  int exit_code = 0;
  if (!options.jsonl) {
    if (!options.prompt_given) {
      std::fprintf(stderr, "error: give -p TEXT (or --jsonl to read stdin)\n");
      return 2;
    }
    auto out = process(*tok, options, options.prompt, /*input_is_json=*/options.decode, timer);
    if (!out.ok()) {
      std::fprintf(stderr, "error: %s\n", out.error().message.c_str());
      return 1;
    }
    std::printf("%s\n", out->c_str());
  } else {
    std::ios::sync_with_stdio(false);
    std::string line, output;
    size_t line_number = 0;
    while (std::getline(std::cin, line)) {
      ++line_number;
      auto out = process(*tok, options, line, /*input_is_json=*/true, timer);
      if (out.ok()) {
        output += *out;
      } else {
        // The message may quote the bad input; keep stderr valid UTF-8.
        std::fprintf(stderr, "line %zu: %s\n", line_number,
                     tokenizer::to_utf8_lossy(out.error().message).c_str());
        output += "null";
        exit_code = 1;
      }
      output.push_back('\n');
      if (output.size() > (1 << 16)) {
        std::fwrite(output.data(), 1, output.size(), stdout);
        output.clear();
      }
    }
    std::fwrite(output.data(), 1, output.size(), stdout);
  }
  std::fflush(stdout);
  if (options.timing) {
    const double mb = static_cast<double>(timer.bytes) / 1e6;
    std::fprintf(stderr,
                 "timing: %s %zu bytes, %zu tokens in %.6f s (%.2f MB/s), cpu %.6f s (%.2f MB/s)\n",
                 options.decode ? "decode" : "encode", timer.bytes, timer.tokens, timer.seconds,
                 timer.seconds > 0 ? mb / timer.seconds : 0.0, timer.cpu_seconds,
                 timer.cpu_seconds > 0 ? mb / timer.cpu_seconds : 0.0);
  }
  return exit_code;
}

}  // namespace

void add_tokenize_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Text to token ids and back with a model's tokenizer");
  cmd->add_option("-m,--model", options->model,
                  "Model directory (with tokenizer.json), a tokenizer.json file or a .gguf file")
      ->required();
  cmd->add_option("-p,--prompt", options->prompt,
                  "Text to encode (with --decode: a JSON array of ids)");
  cmd->add_flag("--jsonl", options->jsonl,
                "Read stdin: one JSON string (or id array with --decode) per line");
  cmd->add_flag("--decode", options->decode, "Ids to text instead of text to ids");
  cmd->add_flag("--skip-special", options->skip_special,
                "With --decode: leave out special tokens (HF skip_special_tokens)");
  cmd->add_flag("--timing", options->timing,
                "Print encode/decode time (excluding load and I/O) to stderr");
  cmd->callback([options, cmd, &exit_code] {
    options->prompt_given = cmd->count("--prompt") > 0;
    exit_code = run_tokenize(*options);
  });
}

}  // namespace qinfer::cli
