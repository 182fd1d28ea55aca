#include "chat/jinja/builtins.h"

#include "chat/jinja/error.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {

BoundArgs::BoundArgs(const std::string& function, CallArgs& args, std::initializer_list<const char*> params)
    : function_(function), names_(params.begin(), params.end()), values_(params.size()) {
  if (args.positional.size() > names_.size()) {
    throw TemplateError(function_ + "() takes at most " + std::to_string(names_.size()) + " argument(s) (" +
                        std::to_string(args.positional.size()) + " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) values_[i] = std::move(args.positional[i]);
  for (auto& [key, value] : args.keyword) {
    size_t i = 0;
    while (i < names_.size() && names_[i] != key) ++i;
    if (i == names_.size()) throw TemplateError(function_ + "() got an unexpected keyword argument '" + key + "'");
    if (values_[i]) throw TemplateError(function_ + "() got multiple values for argument '" + key + "'");
    values_[i] = std::move(value);
  }
}

const Value& BoundArgs::required(size_t index) const {
  if (!values_[index]) throw TemplateError(function_ + "() missing required argument '" + names_[index] + "'");
  return *values_[index];
}

void fail_undefined(const Value& undefined) {
  throw TemplateError(undefined.undefined_hint().empty() ? "undefined value used" : undefined.undefined_hint());
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: return value.as_list().items;
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(value.as_dict().entries.size());
      for (const auto& entry : value.as_dict().entries) keys.push_back(entry.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      std::string one;
      for (char32_t cp : py::decode_utf8(value.as_string())) {
        one.clear();
        py::append_utf8(one, cp);
        chars.emplace_back(one);
      }
      return chars;
    }
    default: throw TemplateError("'" + value.type_name() + "' object is not iterable");
  }
}

bool contains(const Value& container, const Value& needle) {
  switch (container.kind()) {
    case Value::Kind::kUndefined: return false;  // Undefined iterates as empty
    case Value::Kind::kString:
      if (!needle.is_string()) {
        if (needle.is_undefined()) fail_undefined(needle);
        throw TemplateError("'in <string>' requires string as left operand, not " + needle.type_name());
      }
      return container.as_string().find(needle.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const auto& item : container.as_list().items) {
        if (values_equal(item, needle)) return true;
      }
      return false;
    case Value::Kind::kDict: return container.as_dict().find(needle) != nullptr;
    default: throw TemplateError("argument of type '" + container.type_name() + "' is not iterable");
  }
}

}  // namespace qinfer::jinja
