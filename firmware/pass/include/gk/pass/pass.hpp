#pragma once
// Pass format v1: the data a signed e-pass (QR) or pass card (NDEF) carries.
// The byte layout is specified in firmware/pass/FORMAT.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/bytes.hpp"

namespace gk {

using UnixTime = std::int64_t;  // seconds since 1970-01-01 UTC
using PassId = std::array<std::uint8_t, 16>;
using KeyId = std::array<std::uint8_t, 8>;
using PublicKey = std::array<std::uint8_t, 32>;  // Ed25519
using Signature = std::array<std::uint8_t, 64>;  // Ed25519

enum class Role : std::uint8_t {
  resident = 1,
  temporary_resident = 2,  // renters, lodgers: registered with the landlord present
  visitor = 3,             // only with a resident's consent via a guard
  staff = 4,               // guards, property staff, shop staff inside
  delivery = 5,            // couriers: registered at the gate, never admitted
};

enum class Health : std::uint8_t {
  green = 1,   // not under any quarantine or treatment
  yellow = 2,  // home quarantine / under observation
  red = 3,     // central quarantine / treatment / confirmed
};

struct Visit {
  PassId host{};      // the consenting resident's pass id
  UnixTime from = 0;  // visit window
  UnixTime until = 0;
  bool operator==(const Visit&) const = default;
};

struct Pass {
  PassId id{};
  KeyId issuer{};
  Role role = Role::resident;
  std::string site;         // compound id, e.g. "sz-futian-lianhua-01"
  std::string building;     // e.g. "12"
  std::string unit;         // e.g. "3-402"
  std::string holder_name;  // optional display name for the guard's visual check
  std::string id_last4;     // last 4 characters of the ID document, optional
  Health health = Health::green;
  UnixTime valid_from = 0;
  UnixTime valid_until = 0;
  std::optional<Visit> visit;  // present iff role == visitor
  Bytes card_uid;  // empty: not bound to a card; else 4, 7 or 10 bytes (a UID) or 16 (an ID card's
                   // keyed hash)
  bool operator==(const Pass&) const = default;
};

const char* to_string(Role r);
const char* to_string(Health h);
std::optional<Role> role_from_string(std::string_view s);
std::optional<Health> health_from_string(std::string_view s);

}  // namespace gk
