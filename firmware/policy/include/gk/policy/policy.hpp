#pragma once
// The gate's rules as one pure function: values in, a decision with one stable reason out.
// No devices, threads or clocks here, so every rule and their precedence is tested
// exhaustively in tests/unit/policy.
#include <optional>
#include <string>

#include "gk/core/passage.hpp"
#include "gk/core/reason.hpp"
#include "gk/pass/pass.hpp"
#include "gk/policy/site_state.hpp"

namespace gk {

// The credential after offline verification (format, issuer, signature): either a pass
// whose signature checked out, or the reason it did not.
struct Credential {
  CredentialKind kind = CredentialKind::none;
  std::optional<Pass> pass;     // set iff verification succeeded
  Reason failure = Reason::ok;  // why verification failed (malformed, bad_signature, ...)
  bool revoked = false;         // looked up by the caller in the RevocationList
  Bytes presented_card_uid;     // UID of the card the pass was read from, if any
};

// A temperature measurement, or why there is none: the median skin and ambient readings
// of the infrared sensor and the body temperature estimated from them (body_temperature()).
struct Temperature {
  std::optional<double> celsius;  // body-temperature estimate: what the rules judge
  std::optional<double> skin_c;
  std::optional<double> ambient_c;
  bool sensor_failed = false;
};

// The estimate from one skin and ambient reading with the site's model. Decided on as it
// is; the journal keeps it to 0.1 °C and the readings to 0.01 °C, from which it re-derives.
Temperature body_temperature(double skin_c, double ambient_c, const SiteState& site);

// A resident's consent to a visitor, given through a guard at the checkpoint.
struct Consent {
  PassId resident{};     // the resident's own pass, presented at the kiosk as consent
  std::string guard_id;  // accountable guard
};

struct PassageContext {
  Credential credential;
  Temperature temperature;
  Direction direction = Direction::in;
  UnixTime now = 0;
  bool clock_trusted = true;
  // Last direction of this pass within the anti-passback window, from the journal.
  std::optional<Direction> last_direction;
  std::optional<Consent> consent;
  // Revocation, site-state or trust lists older than their configured maximum age (the
  // upstream has not been reached): residents still pass, visitors wait for the guard.
  bool lists_stale = false;
};

struct Verdict {
  Decision decision = Decision::deny;
  Reason reason = Reason::malformed;
  bool alarm = false;  // notify the guard console (fever, lockdown attempt, ...)
  std::string note;    // e.g. "anti_passback(soft)"; no personal data
  bool admitted() const { return decision == Decision::admit; }
};

Verdict decide(const PassageContext& ctx, const SiteState& site);

// The temperature step of decide() on its own (not measured, implausible for the ambient,
// fever, the refer band): nullopt when the temperature lets the passage continue.
// `gatectl thermometer estimate` and the guard's registration use exactly this.
std::optional<Verdict> temperature_rules(const Temperature& t, const SiteState& site);

// The credential rules of decide() alone (its steps 1-3: the credential, revocation, site,
// card binding, the clock, the validity window and the site's maximum validity per role,
// health): nullopt when the pass itself is good. `gatectl verify` answers with exactly this,
// so that it and the kiosk agree on every pass.
std::optional<Verdict> check_credential(const PassageContext& ctx, const SiteState& site);

// A visitor registered by a guard, admitted on a resident's consent: `ctx.credential` is the
// resident's own pass presented at the kiosk as consent, `ctx.temperature` the visitor's.
// Lockdown refuses outright; the resident's pass must pass every credential rule and belong
// to a resident of this compound whose building is not quarantined; the visitor is measured.
Verdict decide_consented_visitor(const PassageContext& ctx, const SiteState& site);

}  // namespace gk
