#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace qinfer::tokenizer {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};

}  // namespace

std::string oniguruma_to_pcre2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\' || i + 1 == pattern.size()) {
      out.push_back(pattern[i]);
      continue;
    }
    const char escaped = pattern[++i];  // an escape is always two characters: copy or translate
    if (escaped == 's') {
      out += "\\p{White_Space}";
    } else if (escaped == 'S') {
      out += "\\P{White_Space}";
    } else {
      out.push_back('\\');
      out.push_back(escaped);
    }
  }
  return out;
}

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;
RegexSplitter::~RegexSplitter() = default;

Expected<RegexSplitter> RegexSplitter::create(std::string_view pattern, bool is_literal) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  // PCRE2_LITERAL refuses PCRE2_UCP (it has no classes to apply it to).
  const uint32_t options = PCRE2_UTF | PCRE2_NO_UTF_CHECK | (is_literal ? PCRE2_LITERAL : PCRE2_UCP);
  const std::string translated = is_literal ? std::string(pattern) : oniguruma_to_pcre2(pattern);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   options, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    return make_error("pre-tokenizer regex does not compile at offset {}: {}", error_offset,
                      pcre2_message(error_code));
  }
  auto compiled = std::make_unique<Compiled>();
  compiled->code = code;
  // Without JIT (e.g. a platform PCRE2 lacks it for) the interpreter gives the same matches.
  compiled->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return RegexSplitter(std::move(compiled));
}

Status RegexSplitter::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  // Per-thread match state: the compiled pattern is shared, the scratch is not. The JIT stack
  // may grow to 8 MiB because a greedy run over a huge input (a megabyte of letters) can
  // exceed PCRE2's default 32 KiB.
  thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> match_data(
      pcre2_match_data_create(1, nullptr));
  thread_local std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jit_stack(
      pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr));
  thread_local std::unique_ptr<pcre2_match_context, MatchContextDeleter> context([] {
    pcre2_match_context* c = pcre2_match_context_create(nullptr);
    pcre2_jit_stack_assign(c, nullptr, jit_stack.get());
    return c;
  }());
  if (!match_data || !jit_stack || !context) return make_error("pcre2: out of memory");

  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const size_t length = text.size();
  size_t gap_start = 0;  // start of text not yet emitted
  size_t offset = 0;     // where the next search starts
  while (offset <= length) {
    const int rc =
        compiled_->jit
            ? pcre2_jit_match(compiled_->code, subject, length, offset, 0, match_data.get(),
                              context.get())
            : pcre2_match(compiled_->code, subject, length, offset, PCRE2_NO_UTF_CHECK,
                          match_data.get(), context.get());
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) return make_error("pre-tokenizer regex failed: {}", pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data.get());
    const size_t begin = ovector[0], end = ovector[1];
    if (end == begin) {
      // An empty match splits nothing (HF drops empty pieces); step over one code point.
      offset = end + 1;
      while (offset < length && (subject[offset] & 0xC0) == 0x80) ++offset;
      continue;
    }
    if (begin > gap_start) pieces.push_back(text.substr(gap_start, begin - gap_start));
    pieces.push_back(text.substr(begin, end - begin));
    gap_start = end;
    offset = end;
  }
  if (gap_start < length) pieces.push_back(text.substr(gap_start));
  return ok_status();
}

Expected<std::vector<std::string>> RegexSplitter::split_to_vector(std::string_view text) const {
  std::vector<std::string_view> views;
  QINFER_RETURN_IF_ERROR(split(text, views));
  return std::vector<std::string>(views.begin(), views.end());
}

}  // namespace qinfer::tokenizer
