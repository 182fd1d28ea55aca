// The route table: which handler serves a method and path, and which methods a path allows
// (for 405's Allow header and CORS preflights). httplib's own routing cannot tell "unknown path"
// from "wrong method", so the server registers one catch-all with httplib and routes here.
//
// Patterns are literal paths or have one parameter segment: "/v1/models/{id}". A parameter in
// the middle matches one non-empty segment; a parameter at the end takes the rest of the path,
// slashes included, because model ids are often Hugging Face names ("Qwen/Qwen3-0.6B") and
// clients put them in the path as they are. A literal route wins over a parameter route.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "server/http_message.h"

namespace qinfer::server {

enum class RouteClass {
  work,  // needs the API key when keys are configured; 503 while loading or draining
  open,  // no key, served in every state: probes (/health, /ready, /metrics), the web page
};

struct Route {
  std::string method;   // GET, POST, PUT, PATCH or DELETE
  std::string pattern;  // as registered
  Handler handler;
  RouteClass route_class = RouteClass::work;
  // The pattern split at its parameter: prefix "/v1/models/", name "id", suffix "" (trailing).
  // A literal pattern is all prefix, with an empty name.
  std::string prefix;
  std::string param_name;
  std::string suffix;
};

class Router {
 public:
  // Errors: an unsupported method, a pattern not starting with '/', more than one parameter, a
  // malformed "{name}", or the same method and pattern twice.
  Status add(std::string_view method, std::string_view pattern, Handler handler,
             RouteClass route_class);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    bool path_known = false;       // some route matches the path (with another method: 405)
    std::map<std::string, std::string> path_params;
  };
  // HEAD is served by the GET route.
  Match match(std::string_view method, std::string_view path) const;

  // The methods some route serves on `path`, plus HEAD with GET and OPTIONS (answered for CORS),
  // in a fixed order, as the Allow header lists them: "GET, HEAD, OPTIONS". Empty when no route
  // matches the path.
  std::string allowed_methods(std::string_view path) const;

 private:
  // The parameter value when `route`'s pattern matches `path`; literal routes bind nothing.
  static bool matches(const Route& route, std::string_view path, std::string* param_value);

  std::vector<Route> routes_;
};

}  // namespace qinfer::server
