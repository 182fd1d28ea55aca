#include "server/router.h"

#include <algorithm>
#include <array>
#include <utility>

namespace qinfer::server {

namespace {

// The order the Allow header lists methods in.
constexpr std::array<std::string_view, 5> kRoutableMethods = {"GET", "POST", "PUT", "PATCH",
                                                              "DELETE"};

bool is_param_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool routes_to(std::string_view route_method, std::string_view request_method) {
  return route_method == request_method || (request_method == "HEAD" && route_method == "GET");
}

}  // namespace

Status Router::add(std::string_view method, std::string_view pattern, Handler handler,
                   RouteClass route_class) {
  if (std::find(kRoutableMethods.begin(), kRoutableMethods.end(), method) ==
      kRoutableMethods.end()) {
    return make_error("route {} {}: method must be one of GET, POST, PUT, PATCH, DELETE", method,
                      pattern);
  }
  if (pattern.empty() || pattern.front() != '/') {
    return make_error("route {} {}: the pattern must start with '/'", method, pattern);
  }
  if (!handler) return make_error("route {} {}: the handler is empty", method, pattern);

  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  route.handler = std::move(handler);
  route.route_class = route_class;

  const size_t open = pattern.find('{');
  const size_t close = pattern.find('}');
  if (open == std::string_view::npos && close == std::string_view::npos) {
    route.prefix = route.pattern;
  } else {
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
      return make_error("route {} {}: unbalanced braces", method, pattern);
    }
    std::string_view name = pattern.substr(open + 1, close - open - 1);
    const bool segment_start = pattern[open - 1] == '/';
    const bool segment_end = close + 1 == pattern.size() || pattern[close + 1] == '/';
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_param_name_char) ||
        !segment_start || !segment_end) {
      return make_error("route {} {}: a parameter is a whole segment named [A-Za-z0-9_]+, "
                        "like /v1/models/{{id}}", method, pattern);
    }
    std::string_view suffix = pattern.substr(close + 1);
    if (suffix.find_first_of("{}") != std::string_view::npos) {
      return make_error("route {} {}: at most one parameter", method, pattern);
    }
    route.prefix = std::string(pattern.substr(0, open));
    route.param_name = std::string(name);
    route.suffix = std::string(suffix);
  }

  for (const Route& existing : routes_) {
    if (existing.method == route.method && existing.prefix == route.prefix &&
        existing.suffix == route.suffix &&
        existing.param_name.empty() == route.param_name.empty()) {
      return make_error("route {} {}: already registered as {}", method, pattern,
                        existing.pattern);
    }
  }
  routes_.push_back(std::move(route));
  return ok_status();
}

bool Router::matches(const Route& route, std::string_view path, std::string* param_value) {
  if (route.param_name.empty()) return path == route.prefix;
  if (path.size() <= route.prefix.size() + route.suffix.size()) return false;
  if (!path.starts_with(route.prefix) || !path.ends_with(route.suffix)) return false;
  std::string_view value =
      path.substr(route.prefix.size(), path.size() - route.prefix.size() - route.suffix.size());
  // Only a trailing parameter may span segments (see the header).
  if (!route.suffix.empty() && value.find('/') != std::string_view::npos) return false;
  if (param_value != nullptr) *param_value = std::string(value);
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  const Route* parameter_route = nullptr;
  std::string parameter_value;
  for (const Route& route : routes_) {
    std::string value;
    if (!matches(route, path, &value)) continue;
    result.path_known = true;
    if (!routes_to(route.method, method)) continue;
    if (route.param_name.empty()) {
      result.route = &route;
      return result;
    }
    if (parameter_route == nullptr) {
      parameter_route = &route;
      parameter_value = std::move(value);
    }
  }
  if (parameter_route != nullptr) {
    result.route = parameter_route;
    result.path_params.emplace(parameter_route->param_name, std::move(parameter_value));
  }
  return result;
}

std::string Router::allowed_methods(std::string_view path) const {
  std::string allow;
  auto append = [&](std::string_view method) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  };
  for (std::string_view method : kRoutableMethods) {
    const bool served = std::any_of(routes_.begin(), routes_.end(), [&](const Route& route) {
      return route.method == method && matches(route, path, nullptr);
    });
    if (!served) continue;
    append(method);
    if (method == "GET") append("HEAD");
  }
  if (!allow.empty()) append("OPTIONS");
  return allow;
}

}  // namespace qinfer::server
