#include "gk/pass/pass.hpp"

#include <array>
#include <utility>

namespace gk {
namespace {
constexpr std::array<std::pair<Role, const char*>, 5> kRoles{{
    {Role::resident, "resident"},
    {Role::temporary_resident, "temporary_resident"},
    {Role::visitor, "visitor"},
    {Role::staff, "staff"},
    {Role::delivery, "delivery"},
}};
constexpr std::array<std::pair<Health, const char*>, 3> kHealth{
    {{Health::green, "green"}, {Health::yellow, "yellow"}, {Health::red, "red"}}};
}  // namespace

const char* to_string(Role r) {
  for (auto [v, s] : kRoles)
    if (v == r) return s;
  return "unknown";
}

const char* to_string(Health h) {
  for (auto [v, s] : kHealth)
    if (v == h) return s;
  return "unknown";
}

std::optional<Role> role_from_string(std::string_view s) {
  for (auto [v, name] : kRoles)
    if (s == name) return v;
  return std::nullopt;
}

std::optional<Health> health_from_string(std::string_view s) {
  for (auto [v, name] : kHealth)
    if (s == name) return v;
  return std::nullopt;
}

}  // namespace gk
