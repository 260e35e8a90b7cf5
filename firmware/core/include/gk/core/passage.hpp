#pragma once
// Vocabulary shared by the policy, the journal, the kiosk and sync.
#include <cstdint>
#include <optional>
#include <string_view>

namespace gk {

enum class Direction : std::uint8_t { in = 1, out = 2 };
// refer: to the guard. record: an accountable action that is not a passage (a guard's
// outbreak change, an acknowledged alarm, a failed guard login): journaled, gate untouched.
enum class Decision : std::uint8_t { admit = 1, deny = 2, refer = 3, record = 4 };
// How the credential reached the kiosk. id_card: a resident ID card, by the keyed hash of its
// serial (NFC) or of its ID number (the certified SAM reader), looked up in the enrolment.
enum class CredentialKind : std::uint8_t {
  qr = 1,
  card = 2,
  card_uid = 3,
  guard = 4,
  none = 5,
  id_card = 6
};

std::string_view to_string(Direction d);
std::string_view to_string(Decision d);
std::string_view to_string(CredentialKind k);
std::optional<Direction> direction_from_string(std::string_view s);
std::optional<Decision> decision_from_string(std::string_view s);
std::optional<CredentialKind> credential_kind_from_string(std::string_view s);

}  // namespace gk
