#include "server/http_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace qinfer::server {

namespace {

unsigned char ascii_lower(char c) {
  return static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return ascii_lower(x) < ascii_lower(y); });
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view Request::path_param(std::string_view name) const {
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

JsonResponse error_response(const api::ApiError& error, ExtraHeaders headers) {
  return JsonResponse{error.status, api::to_json(error), std::move(headers)};
}

std::variant<api::Json, api::ApiError> parse_json_body(const Request& request) {
  if (request.body.empty()) {
    return api::invalid_request("", "The request body is empty; a JSON object was expected");
  }
  // The parser reports the byte offset and the token at fault only through its exception; it
  // stays inside this function.
  try {
    return api::Json::parse(request.body);
  } catch (const api::Json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: ...";
    // the bracketed id means nothing to a client.
    std::string_view what = e.what();
    if (auto id_end = what.find("] "); id_end != std::string_view::npos) what.remove_prefix(id_end + 2);
    return api::invalid_request("", fmt::format("The request body is not valid JSON: {}", what));
  }
}

std::string dump_json(const api::Json& value) {
  return value.dump(-1, ' ', false, api::Json::error_handler_t::replace);
}

}  // namespace qinfer::server
