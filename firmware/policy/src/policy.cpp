#include "gk/policy/policy.hpp"

namespace gk {
namespace {

Verdict deny(Reason r, bool alarm = false) {
  return {Decision::deny, r, alarm, {}};
}
Verdict refer(Reason r, bool alarm = false) {
  return {Decision::refer, r, alarm, {}};
}

bool is_resident(Role r) {
  return r == Role::resident || r == Role::temporary_resident;
}

// Visitors: only with a resident's consent given through a guard (000, 004 §三(三)4),
// never while the compound is in lockdown (000, 001).
std::optional<Verdict> visitor_rules(const Pass& pass, const PassageContext& ctx,
                                     const SiteState& site) {
  if (site.outbreak == Outbreak::lockdown) return deny(Reason::lockdown, true);
  if (!ctx.consent || !pass.visit || ctx.consent->resident != pass.visit->host)
    return refer(Reason::visitor_without_consent);
  if (ctx.now < pass.visit->from || ctx.now > pass.visit->until) return deny(Reason::visit_window);
  return std::nullopt;
}

// A building unit with a confirmed case is under 14-day hard quarantine: its residents do
// not go out (003). Going home is allowed: the holder is better inside than at the gate.
std::optional<Verdict> quarantine_rules(const Pass& pass, const PassageContext& ctx,
                                        const SiteState& site) {
  if (!site.quarantined_buildings.contains(pass.building)) return std::nullopt;
  if (pass.role == Role::visitor) return deny(Reason::building_quarantined, true);
  if (is_resident(pass.role) && ctx.direction == Direction::out)
    return deny(Reason::building_quarantined, true);
  return std::nullopt;
}

}  // namespace

Temperature body_temperature(double skin_c, double ambient_c, const SiteState& site) {
  Temperature t;
  t.skin_c = skin_c;
  t.ambient_c = ambient_c;
  t.celsius = estimate_body_c(skin_c, ambient_c, site.skin_model);
  return t;
}

// Everyone is measured, entering or leaving (001 §四.2); nobody passes unmeasured.
std::optional<Verdict> temperature_rules(const Temperature& t, const SiteState& site) {
  if (t.sensor_failed || !t.celsius) return refer(Reason::temperature_not_measured, true);
  // The model is trusted only over the ambient range it was made for; and what is plausible
  // skin depends on the ambient: judging the estimate, not the skin, makes it so (a 31 °C
  // forehead is a healthy one at 0 °C and a cold hat at 25 °C).
  const SkinModel& m = site.skin_model;
  if (t.ambient_c && (*t.ambient_c < m.ambient_min_c || *t.ambient_c > m.ambient_max_c)) {
    Verdict v = refer(Reason::temperature_implausible, true);
    v.note = "ambient outside the model's range";
    return v;
  }
  if (*t.celsius < site.plausible_min_c || *t.celsius > site.plausible_max_c)
    return refer(Reason::temperature_implausible, true);
  if (*t.celsius >= site.fever_threshold_c) return deny(Reason::fever, true);
  if (*t.celsius >= site.refer_from_c) return refer(Reason::temperature_recheck);
  return std::nullopt;
}

// Precedence, first match wins:
//  1. the credential itself (format, issuer, signature), then revocation, site, card binding
//  2. the clock (every check below depends on time)
//  3. pass validity window, health status
//  4. role rules: delivery, visitor (lockdown, consent, window), quarantined buildings,
//     then stale lists (visitors only)
//  5. temperature (not measured, implausible, fever)
//  6. anti-passback
namespace {
// Steps 1-3 of the precedence: the credential, the clock, validity and health.
std::optional<Verdict> credential_rules(const PassageContext& ctx, const SiteState& site) {
  const Credential& cred = ctx.credential;
  if (!cred.pass) return deny(cred.failure == Reason::ok ? Reason::malformed : cred.failure);
  const Pass& pass = *cred.pass;

  if (cred.revoked) return deny(Reason::revoked, true);
  if (pass.site != site.site) return deny(Reason::wrong_site);
  // A pass bound to a card must come from that card: a copied NDEF record on another card
  // is refused. The same pass shown as a printed QR carries no UID to compare.
  if (cred.kind == CredentialKind::card && !pass.card_uid.empty() &&
      pass.card_uid != cred.presented_card_uid)
    return deny(Reason::card_mismatch, true);

  if (!ctx.clock_trusted) return refer(Reason::clock_not_trusted, true);
  if (ctx.now + site.clock_skew_grace_s < pass.valid_from) return deny(Reason::not_yet_valid);
  if (ctx.now - site.clock_skew_grace_s > pass.valid_until) return deny(Reason::expired);
  // Whatever a trusted issuer signed (a 136-year pass, a ten-year visit), the site's maximum
  // per role holds: a pass that outlives the rule is refused, not trimmed.
  if ((pass.role == Role::resident || pass.role == Role::temporary_resident) &&
      pass.valid_until - pass.valid_from > site.max_resident_validity_s)
    return deny(Reason::validity_too_long, true);
  if (pass.role == Role::visitor &&
      (!pass.visit || pass.visit->until - pass.visit->from > site.max_visit_window_s ||
       pass.valid_until - pass.valid_from > site.max_visit_window_s))
    return deny(Reason::visit_window_too_long, true);
  // Passes go only to people not under quarantine or treatment (000 §III.3) and are
  // re-issued when health changes (002): anything but green is refused.
  if (pass.health != Health::green) return deny(Reason::health_status, true);
  return std::nullopt;
}
}  // namespace

std::optional<Verdict> check_credential(const PassageContext& ctx, const SiteState& site) {
  return credential_rules(ctx, site);
}

Verdict decide_consented_visitor(const PassageContext& ctx, const SiteState& site) {
  // Lockdown first: no visitor, whoever consents (000, 001).
  if (site.outbreak == Outbreak::lockdown) return deny(Reason::lockdown, true);
  if (auto v = credential_rules(ctx, site)) return *v;
  const Pass& host = *ctx.credential.pass;
  // Only a resident of this compound can vouch for a visitor (004 §三(三)4).
  if (!is_resident(host.role)) return deny(Reason::visitor_without_consent);
  // A visitor to a building under hard quarantine is not let in (003).
  if (site.quarantined_buildings.contains(host.building))
    return deny(Reason::building_quarantined, true);
  if (auto v = temperature_rules(ctx.temperature, site)) return *v;
  return {Decision::admit, Reason::visitor_with_consent, false, {}};
}

Verdict decide(const PassageContext& ctx, const SiteState& site) {
  if (auto v = credential_rules(ctx, site)) return *v;
  const Pass& pass = *ctx.credential.pass;

  if (pass.role == Role::delivery) return deny(Reason::delivery_never_admitted);
  if (pass.role == Role::visitor)
    if (auto v = visitor_rules(pass, ctx, site)) return *v;
  if (auto v = quarantine_rules(pass, ctx, site)) return *v;
  // Lists not confirmed current for too long: a revoked visitor pass or a lockdown we
  // have not heard of may be behind it. Residents keep passing; visitors wait for a guard.
  if (pass.role == Role::visitor && ctx.lists_stale) return refer(Reason::lists_stale, true);
  if (auto v = temperature_rules(ctx.temperature, site)) return *v;

  Verdict admit{Decision::admit,
                pass.role == Role::visitor ? Reason::visitor_with_consent : Reason::ok,
                false,
                {}};
  if (site.anti_passback != AntiPassback::off && ctx.last_direction == ctx.direction) {
    if (site.anti_passback == AntiPassback::hard) return refer(Reason::anti_passback);
    admit.note = "anti_passback(soft)";
  }
  return admit;
}

}  // namespace gk
