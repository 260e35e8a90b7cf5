#include "gk/core/passage.hpp"

namespace gk {

std::string_view to_string(Direction d) {
  return d == Direction::in ? "in" : "out";
}

std::string_view to_string(Decision d) {
  switch (d) {
    case Decision::admit:
      return "admit";
    case Decision::deny:
      return "deny";
    case Decision::refer:
      return "refer";
    case Decision::record:
      return "record";
  }
  return "deny";
}

std::string_view to_string(CredentialKind k) {
  switch (k) {
    case CredentialKind::qr:
      return "qr";
    case CredentialKind::card:
      return "card";
    case CredentialKind::card_uid:
      return "card_uid";
    case CredentialKind::guard:
      return "guard";
    case CredentialKind::none:
      return "none";
    case CredentialKind::id_card:
      return "id_card";
  }
  return "none";
}

std::optional<Direction> direction_from_string(std::string_view s) {
  if (s == "in") return Direction::in;
  if (s == "out") return Direction::out;
  return std::nullopt;
}

std::optional<Decision> decision_from_string(std::string_view s) {
  for (auto d : {Decision::admit, Decision::deny, Decision::refer, Decision::record})
    if (to_string(d) == s) return d;
  return std::nullopt;
}

std::optional<CredentialKind> credential_kind_from_string(std::string_view s) {
  for (auto k : {CredentialKind::qr, CredentialKind::card, CredentialKind::card_uid,
                 CredentialKind::guard, CredentialKind::none, CredentialKind::id_card})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

}  // namespace gk
