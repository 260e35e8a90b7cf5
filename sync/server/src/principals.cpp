// Roles and ids of principals (principals.hpp): the one place their rules are written, for
// the operators' API, its routes and gate-upstream's own operator commands.
#include "gk/upstream/principals.hpp"

#include "gk/core/names.hpp"

namespace gk::upstream {

std::optional<unsigned> parse_roles(std::string_view text) {
  unsigned out = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    unsigned bit = 0;
    for (unsigned r : {role::registrar, role::publisher, role::auditor})
      if (role_name(r) == name) bit = r;
    if (bit == 0 || (out & bit)) return std::nullopt;
    out |= bit;
  }
  if (out == 0) return std::nullopt;
  return out;
}

std::string_view role_name(unsigned one_role) {
  switch (one_role) {
    case role::registrar:
      return "registrar";
    case role::publisher:
      return "publisher";
    case role::auditor:
      return "auditor";
    default:
      return "";
  }
}

std::string roles_text(unsigned roles) {
  std::string out;
  for (unsigned r : {role::registrar, role::publisher, role::auditor})
    if (roles & r) out += (out.empty() ? "" : ",") + std::string(role_name(r));
  return out;
}

DbStatus check_id(std::string_view what, std::string_view id) {
  if (std::string why = names::id_problem(id); !why.empty())
    return db_error(DbCode::refused, std::string(what) + ": " + why);
  return Done{};
}

DbStatus check_name(std::string_view what, std::string_view name) {
  if (std::string why = names::name_problem(name); !why.empty())
    return db_error(DbCode::refused, std::string(what) + ": " + why);
  return Done{};
}

}  // namespace gk::upstream
