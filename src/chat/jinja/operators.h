// Python operator semantics on template values: arithmetic, concatenation, comparison,
// membership and slicing, with Python's error messages for mismatched types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chat/jinja/value.h"

namespace qinfer::jinja {

class Interpreter;

// op: + - * / // % ** ~
Value binary(Interpreter& interpreter, const std::string& op, const Value& left, const Value& right);
// op: - +
Value unary(const std::string& op, const Value& operand);
// op: == != < <= > >= in, not in
bool compare(const std::string& op, const Value& left, const Value& right);
Value slice(const Value& object, std::optional<int64_t> start, std::optional<int64_t> stop,
            std::optional<int64_t> step);

}  // namespace qinfer::jinja
