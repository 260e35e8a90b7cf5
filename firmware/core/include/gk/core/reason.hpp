#pragma once
// Stable machine reasons for every decision the kiosk makes. The code strings are part of
// the journal and sync formats: never rename one, only add.
#include <cstdint>
#include <optional>
#include <string_view>

namespace gk {

enum class Reason : std::uint8_t {
  ok,                        // admitted
  malformed,                 // not a pass at all, or broken structure
  unsupported_version,       // a pass of a format version we do not know
  unknown_issuer,            // key id not in the trust store
  issuer_not_valid,          // issuer key outside its own validity window
  issuer_out_of_scope,       // issuer key not allowed for this site
  bad_signature,             // signature does not verify
  not_yet_valid,             // before valid_from
  expired,                   // after valid_until (notices: 7 days)
  revoked,                   // on the revocation list
  wrong_site,                // pass bound to another compound
  card_mismatch,             // pass bound to another card UID
  health_status,             // holder's health status is not green
  lockdown,                  // confirmed case: no visitor in or out
  building_quarantined,      // holder's building unit is under hard quarantine
  visitor_without_consent,   // visitors only with a resident's consent via a guard
  visit_window,              // visitor outside the visit window
  validity_too_long,         // a resident's pass valid longer than the site allows (7 days)
  visit_window_too_long,     // a visit window longer than the site allows (a day)
  delivery_never_admitted,   // couriers register at the gate, never enter
  fever,                     // temperature at or above threshold
  temperature_not_measured,  // nobody is admitted unmeasured
  temperature_implausible,   // a reading outside the human range: sensor fault
  anti_passback,             // entered twice without leaving (or vice versa)
  clock_not_trusted,         // time-based checks cannot be trusted
  journal_unavailable,       // fail closed: no durable entry, no gate
  device_fault,              // a reader/sensor failed
  guard_override,            // a guard's accountable manual release
  visitor_with_consent,      // visitor admitted on a resident's consent via a guard
  card_not_enrolled,         // a UID-only card (e.g. an ID card) not in the enrolment list
  lists_stale,               // revocation/site/trust lists too old: visitors wait for the guard
  registered_at_gate,        // no pass, no ID document: registered by a guard (name, phone, photo)
  outbreak_changed,          // a guard set or cleared lockdown / quarantined buildings
  alarm_acknowledged,        // a guard acknowledged an alarm
  guard_login_failed,        // a wrong PIN or an unusable staff pass at the guard console
  consent_pending,           // the kiosk waits for the resident's pass as consent
  door_alarm,                // door forced, held open, tamper or relay fault (detail names it)
  temperature_recheck,       // estimate in the refer band: a guard re-measures (clinical)
  remeasured_normal,         // the guard's clinical re-measurement is below the fever line
  id_card_expired,           // a resident ID card past its validity end (read by the SAM reader)
};

inline constexpr int kReasonCount = static_cast<int>(Reason::id_card_expired) + 1;

struct ReasonText {
  std::string_view code;  // stable machine code, e.g. "expired"
  std::string_view zh;    // screen text, Chinese
  std::string_view en;    // screen text, English
};

const ReasonText& describe(Reason r);
inline std::string_view code(Reason r) {
  return describe(r).code;
}
std::optional<Reason> reason_from_code(std::string_view code);

}  // namespace gk
