#include "chat/jinja/lexer.h"

#include <cstdlib>

#include "chat/jinja/py_string.h"

namespace qinfer::jinja {

const char* token_kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::kText: return "text";
    case TokenKind::kPrintBegin: return "'{{'";
    case TokenKind::kPrintEnd: return "'}}'";
    case TokenKind::kBlockBegin: return "'{%'";
    case TokenKind::kBlockEnd: return "'%}'";
    case TokenKind::kName: return "name";
    case TokenKind::kString: return "string";
    case TokenKind::kInteger: return "integer";
    case TokenKind::kFloat: return "float";
    case TokenKind::kOperator: return "operator";
    case TokenKind::kEnd: return "end of template";
  }
  return "token";
}

namespace {

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// jinja2 runs source.splitlines-style normalisation before lexing.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options) : src_(std::move(source)), options_(options) {}

  std::vector<Token> run() {
    size_t text_start = 0;
    bool strip_next_text_left = false;
    while (true) {
      const size_t tag = find_tag(text_start);
      std::string text = src_.substr(text_start, (tag == std::string::npos ? src_.size() : tag) - text_start);
      if (strip_next_text_left) {
        size_t k = 0;
        while (k < text.size() && is_whitespace(text[k])) ++k;
        text.erase(0, k);
      }
      if (tag == std::string::npos) {
        emit_text(std::move(text), text_start);
        break;
      }
      const char kind = src_[tag + 1];  // '{', '%' or '#'
      const char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (modifier == '-') {
        while (!text.empty() && is_whitespace(text.back())) text.pop_back();
      } else if (modifier != '+' && kind != '{' && options_.lstrip_blocks) {
        lstrip_line(text, text_start);
      }
      emit_text(std::move(text), text_start);
      size_t body = tag + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
      size_t after = 0;
      if (kind == '#') {
        after = skip_comment(tag, body, strip_next_text_left);
      } else {
        after = lex_tag(tag, body, kind, strip_next_text_left);
      }
      text_start = after;
    }
    tokens_.push_back(Token{TokenKind::kEnd, "", position(src_.size())});
    return std::move(tokens_);
  }

 private:
  SourcePos position(size_t offset) {
    // Positions are mostly asked for in increasing order, so a running count is enough.
    if (offset < counted_) {
      counted_ = 0;
      line_start_ = 0;
      line_ = 1;
    }
    while (counted_ < offset && counted_ < src_.size()) {
      if (src_[counted_] == '\n') {
        ++line_;
        line_start_ = counted_ + 1;
      }
      ++counted_;
    }
    return SourcePos{line_, static_cast<int>(offset - line_start_) + 1};
  }

  [[noreturn]] void fail(const std::string& message, size_t offset) { throw TemplateError(message, position(offset)); }

  size_t find_tag(size_t from) const {
    size_t i = src_.find('{', from);
    while (i != std::string::npos && i + 1 < src_.size()) {
      const char next = src_[i + 1];
      if (next == '{' || next == '%' || next == '#') return i;
      i = src_.find('{', i + 1);
    }
    return std::string::npos;
  }

  // lstrip_blocks: spaces and tabs between the start of the line and a block tag go away.
  void lstrip_line(std::string& text, size_t text_start) {
    const size_t newline = text.rfind('\n');
    const size_t line_begin = newline == std::string::npos ? 0 : newline + 1;
    const bool at_line_start = newline != std::string::npos || text_start == 0 || src_[text_start - 1] == '\n';
    if (!at_line_start) return;
    for (size_t k = line_begin; k < text.size(); ++k) {
      if (!is_whitespace(text[k])) return;
    }
    text.erase(line_begin);
  }

  void emit_text(std::string text, size_t offset) {
    if (text.empty()) return;
    tokens_.push_back(Token{TokenKind::kText, std::move(text), position(offset)});
  }

  // Returns the offset after the closing delimiter and the newline trim_blocks removes.
  size_t finish_tag(size_t close, size_t close_len, bool strip_right, bool keep_newline, bool& strip_next) {
    size_t after = close + close_len;
    strip_next = strip_right;
    if (!strip_right && !keep_newline && options_.trim_blocks && after < src_.size() && src_[after] == '\n') ++after;
    return after;
  }

  size_t skip_comment(size_t tag, size_t body, bool& strip_next) {
    const size_t close = src_.find("#}", body);
    if (close == std::string::npos) fail("unterminated comment: '{#' has no matching '#}'", tag);
    const bool strip_right = close > body && src_[close - 1] == '-';
    const bool keep_newline = close > body && src_[close - 1] == '+';
    return finish_tag(close, 2, strip_right, keep_newline, strip_next);
  }

  size_t lex_tag(size_t tag, size_t i, char kind, bool& strip_next) {
    const bool is_print = kind == '{';
    tokens_.push_back(Token{is_print ? TokenKind::kPrintBegin : TokenKind::kBlockBegin, "", position(tag)});
    const char close_first = is_print ? '}' : '%';
    int bracket_depth = 0;
    while (true) {
      while (i < src_.size() && is_whitespace(src_[i])) ++i;
      if (i >= src_.size()) {
        fail(is_print ? "unterminated '{{': missing '}}'" : "unterminated '{%': missing '%}'", tag);
      }
      // Closing delimiter, optionally with '-' or '+', when not inside a {...} literal.
      for (const char mod : {'-', '+', '\0'}) {
        size_t at = i;
        if (mod != '\0') {
          if (src_[at] != mod) continue;
          ++at;
        }
        if (at + 1 < src_.size() && src_[at] == close_first && src_[at + 1] == '}' &&
            (bracket_depth == 0 || !is_print)) {
          if (mod == '+' && is_print) break;
          tokens_.push_back(Token{is_print ? TokenKind::kPrintEnd : TokenKind::kBlockEnd, "", position(i)});
          if (!is_print && is_raw_block_start()) {
            return lex_raw(at + 2, mod == '-', strip_next);
          }
          return finish_tag(at, 2, mod == '-', mod == '+' || is_print, strip_next);
        }
      }
      const char c = src_[i];
      if (is_name_start(c)) {
        size_t j = i + 1;
        while (j < src_.size() && (is_name_start(src_[j]) || is_digit(src_[j]))) ++j;
        tokens_.push_back(Token{TokenKind::kName, src_.substr(i, j - i), position(i)});
        i = j;
      } else if (is_digit(c)) {
        i = lex_number(i);
      } else if (c == '\'' || c == '"') {
        i = lex_string(i);
      } else {
        static const char* const kTwoChar[] = {"//", "**", "==", "!=", "<=", ">="};
        std::string op;
        for (const char* two : kTwoChar) {
          if (src_.compare(i, 2, two) == 0) op = two;
        }
        if (op.empty()) {
          if (std::string_view("+-*/%~[](){}<>=.:|,;").find(c) == std::string_view::npos) {
            fail(std::string("unexpected character '") + c + "' inside a tag", i);
          }
          op = std::string(1, c);
        }
        if (op == "{" || op == "(" || op == "[") ++bracket_depth;
        if ((op == "}" || op == ")" || op == "]") && bracket_depth > 0) --bracket_depth;
        tokens_.push_back(Token{TokenKind::kOperator, op, position(i)});
        i += op.size();
      }
    }
  }

  // `{% raw %}` turns everything up to `{% endraw %}` into text.
  bool is_raw_block_start() const {
    const size_t n = tokens_.size();
    return n >= 3 && tokens_[n - 3].kind == TokenKind::kBlockBegin && tokens_[n - 2].kind == TokenKind::kName &&
           tokens_[n - 2].text == "raw";
  }

  size_t lex_raw(size_t body, bool strip_left, bool& strip_next) {
    tokens_.resize(tokens_.size() - 3);
    size_t search = body;
    while (true) {
      const size_t tag = src_.find("{%", search);
      if (tag == std::string::npos) fail("unterminated '{% raw %}': missing '{% endraw %}'", body);
      size_t k = tag + 2;
      const bool strip_text = k < src_.size() && src_[k] == '-';
      if (k < src_.size() && (src_[k] == '-' || src_[k] == '+')) ++k;
      while (k < src_.size() && is_whitespace(src_[k])) ++k;
      if (src_.compare(k, 6, "endraw") != 0) {
        search = tag + 2;
        continue;
      }
      k += 6;
      while (k < src_.size() && is_whitespace(src_[k])) ++k;
      const bool strip_right = k < src_.size() && src_[k] == '-';
      const bool keep_newline = k < src_.size() && src_[k] == '+';
      if (strip_right || keep_newline) ++k;
      if (src_.compare(k, 2, "%}") != 0) fail("malformed '{% endraw %}'", tag);
      std::string text = src_.substr(body, tag - body);
      if (strip_left) {
        size_t s = 0;
        while (s < text.size() && is_whitespace(text[s])) ++s;
        text.erase(0, s);
      } else if (options_.trim_blocks && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
      }
      if (strip_text) {
        while (!text.empty() && is_whitespace(text.back())) text.pop_back();
      } else if (options_.lstrip_blocks && !keep_newline) {
        lstrip_line(text, body);
      }
      emit_text(std::move(text), body);
      return finish_tag(k, 2, strip_right, keep_newline, strip_next);
    }
  }

  size_t lex_number(size_t i) {
    size_t j = i;
    auto digits = [&] {
      while (j < src_.size() && (is_digit(src_[j]) || (src_[j] == '_' && j + 1 < src_.size() && is_digit(src_[j + 1])))) ++j;
    };
    digits();
    bool is_float = false;
    // "0.5" is a float, but in "x.0.1" the digits after a dot are attribute lookups.
    const bool after_dot = i > 0 && src_[i - 1] == '.';
    if (!after_dot && j + 1 < src_.size() && src_[j] == '.' && is_digit(src_[j + 1])) {
      is_float = true;
      ++j;
      digits();
    }
    if (!after_dot && j < src_.size() && (src_[j] == 'e' || src_[j] == 'E')) {
      size_t k = j + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && is_digit(src_[k])) {
        is_float = true;
        j = k;
        digits();
      }
    }
    std::string text;
    for (size_t k = i; k < j; ++k) {
      if (src_[k] != '_') text.push_back(src_[k]);
    }
    tokens_.push_back(Token{is_float ? TokenKind::kFloat : TokenKind::kInteger, text, position(i)});
    return j;
  }

  // Python string-literal escapes, as jinja2 decodes them with "unicode-escape".
  size_t lex_string(size_t i) {
    const char quote = src_[i];
    std::string value;
    size_t j = i + 1;
    while (true) {
      if (j >= src_.size()) fail("unterminated string literal", i);
      const char c = src_[j];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        ++j;
        continue;
      }
      if (j + 1 >= src_.size()) fail("unterminated string literal", i);
      const char e = src_[j + 1];
      j += 2;
      switch (e) {
        case 'n': value.push_back('\n'); break;
        case 't': value.push_back('\t'); break;
        case 'r': value.push_back('\r'); break;
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'v': value.push_back('\v'); break;
        case '\\': value.push_back('\\'); break;
        case '\'': value.push_back('\''); break;
        case '"': value.push_back('"'); break;
        case '\n': break;  // line continuation
        case 'x': case 'u': case 'U': {
          const size_t width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (j + width > src_.size()) fail("truncated \\" + std::string(1, e) + " escape in string literal", j - 2);
          const std::string hex = src_.substr(j, width);
          char* end = nullptr;
          const unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
          if (end != hex.c_str() + width || cp > 0x10FFFF) fail("invalid \\" + std::string(1, e) + " escape in string literal", j - 2);
          py::append_utf8(value, static_cast<char32_t>(cp));
          j += width;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            unsigned cp = e - '0';
            for (int k = 0; k < 2 && j < src_.size() && src_[j] >= '0' && src_[j] <= '7'; ++k) cp = cp * 8 + (src_[j++] - '0');
            py::append_utf8(value, cp);
          } else {
            value.push_back('\\');  // unknown escapes stay as written
            value.push_back(e);
          }
      }
    }
    tokens_.push_back(Token{TokenKind::kString, std::move(value), position(i)});
    return j + 1;
  }

  std::string src_;
  LexerOptions options_;
  std::vector<Token> tokens_;
  size_t counted_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(normalize_newlines(source), options).run();
}

}  // namespace qinfer::jinja
