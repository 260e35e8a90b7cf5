#pragma once
// Operators, the people who administer an upstream, and the audit log of what they did
// (the store keeps both; operators.hpp is their HTTP API). An operator is a principal of its
// own, apart from devices: its own Ed25519 key, its roles, and a retirement that keeps its
// id (never reused, so the audit log stays unambiguous).
#include <cstdint>
#include <optional>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/core/names.hpp"
#include "gk/pass/keys.hpp"

namespace gk::upstream {

// What an operator may do; a bit each, so one operator may hold several.
namespace role {
inline constexpr unsigned registrar = 1u << 0;  // register and retire devices, list devices
inline constexpr unsigned publisher = 1u << 1;  // revocations, site states, enrolments, trust
inline constexpr unsigned auditor = 1u << 2;    // read journals, devices and the audit log
inline constexpr unsigned all = registrar | publisher | auditor;
}  // namespace role
// "registrar,publisher" (any order, no repeats) <-> bits; nullopt for an unknown name.
std::optional<unsigned> parse_roles(std::string_view text);
std::string roles_text(unsigned roles);  // in the order above
std::string_view role_name(unsigned one_role);

struct Operator {
  std::string id;
  PublicKey key{};
  unsigned roles = 0;
  UnixTime added_at = 0;
  std::optional<UnixTime> retired_at;
};

// The id gate-upstream's own commands on the server host act as (gate-upstream operator):
// they hold the database, so they are the root of operator trust. Never an operator's id.
inline constexpr std::string_view kLocalOperator = "local";

// One row of the audit log. Written before the action with outcome "pending" and settled
// after (write-ahead: no action without its row). `target` is an id (device, site, operator)
// or a list number, `digest` the BLAKE2b-256 of the request body: never the body itself,
// which may hold personal data (enrolment lists).
struct AuditEntry {
  std::int64_t seq = 0;
  UnixTime time = 0;
  std::string operator_id, action, target, digest;
  std::string outcome = "pending";  // then "ok", or the refusal's code ("forbidden", ...)
};

// Ids as the operators' API accepts them (operators, and the devices and sites it names):
// gk::names' id rule (1..64 bytes of UTF-8 without control characters, quotes or
// backslashes), the one the provisioning bundle and gated's config apply too.
DbStatus check_id(std::string_view what, std::string_view id);

// Free text the operators' API stores (a device's checkpoint, a quarantined building):
// gk::names' name rule (at most kMaxNameBytes of UTF-8 without NUL); the local commands, the
// provisioning bundle and gated's config apply the same rule.
inline constexpr std::size_t kMaxNameBytes = names::kMaxNameBytes;
DbStatus check_name(std::string_view what, std::string_view name);

}  // namespace gk::upstream
