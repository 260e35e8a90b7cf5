#pragma once
// The operators' routes (operator_routes.cpp), apart from what runs them (operators.cpp:
// authentication, roles, the audit log, counting). A route reads and checks its request and
// says what the audit row names and what the action is; it never answers HTTP itself nor
// writes the audit log. Private to gk::upstream_api.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gk/net/message.hpp"
#include "gk/upstream/store.hpp"

namespace gk::upstream::routes {

// What a route does once the operator is authenticated and holds the role: the target for
// the audit row and the action, or why the request is refused before any action.
struct Prepared {
  std::string target;
  std::function<DbResult<nlohmann::json>()> run;
  std::optional<DocError> bad = {};
};

struct Route {
  std::string_view method, path;
  unsigned roles;  // any one of them will do
  std::string_view action;
  bool audited;  // changes state, or reads a journal
  Prepared (*prepare)(UpstreamStore& store, const net::Request& r, UnixTime now);
};

// Every route of /v1/operator/.
std::span<const Route> all();

}  // namespace gk::upstream::routes
