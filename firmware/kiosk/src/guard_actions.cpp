// The guard's actions at the kiosk: each one a journal row naming the guard, committed
// before anything happens at the gate (the same commit() as every passage).
#include "gk/core/mask.hpp"
#include "gk/core/utf8.hpp"
#include "gk/kiosk/kiosk.hpp"

namespace gk {
namespace {
// Journal details are short and never personal data: the guard's free text is cut, at a
// character boundary (a cut inside a UTF-8 sequence made the row unencodable).
std::string short_detail(std::string_view prefix, std::string_view text) {
  return std::string(prefix) + utf8::truncate(text, 80);
}
}  // namespace

PassageOutcome Kiosk::guard_row(const std::string& guard_id, Decision d, Reason r,
                                const std::string& detail) {
  PassageOutcome out;
  out.verdict = {d, r, false, {}};
  Passage& row = out.passage;
  row.time = devices_.clock.now();
  row.gate = config_.checkpoint;
  row.direction = config_.gate.direction;
  row.credential_kind = CredentialKind::guard;
  row.decision = d;
  row.reason = r;
  row.operator_id = guard_id;
  row.detail = detail;
  return out;
}

Result<std::int64_t> Kiosk::await_consent(GuardVisitor v, std::chrono::seconds window) {
  if (config_.site.outbreak == Outbreak::lockdown)
    return fail(Reason::lockdown, "no visitors while the compound is in lockdown");
  PassageOutcome o = commit(guard_row(v.guard_id, Decision::record, Reason::consent_pending,
                                      short_detail("visitor registered: ", v.reason)));
  if (!o.seq) return fail(Reason::journal_unavailable, o.verdict.note);
  pending_deadline_ = devices_.clock.now() + window.count();
  pending_ = std::move(v);
  return *o.seq;
}

PassageOutcome Kiosk::process_consent(const Presentation& p, UnixTime now) {
  GuardVisitor v = std::move(*pending_);
  pending_.reset();
  PassageContext ctx;
  ctx.credential = verify(p, now);  // the resident's own pass
  ctx.temperature = measure();      // the visitor in front of the camera
  ctx.direction = Direction::in;
  ctx.now = now;
  ctx.clock_trusted = devices_.clock.trusted();

  PassageOutcome out;
  out.verdict = decide_consented_visitor(ctx, config_.site);
  Passage& row = out.passage;
  row.time = now;
  row.gate = config_.checkpoint;
  row.direction = Direction::in;
  row.credential_kind = CredentialKind::guard;
  row.role = Role::visitor;
  row.decision = out.verdict.decision;
  row.reason = out.verdict.reason;
  journal_temperature(row, ctx.temperature);
  row.operator_id = v.guard_id;
  row.holder = mask_name(v.name);
  row.phone = v.phone;  // masked by the journal before it reaches the disk
  row.detail = short_detail("visitor: ", v.reason);
  row.sealed = std::move(v.sealed);
  if (ctx.credential.pass) row.consenting_resident = ctx.credential.pass->id;
  return commit(std::move(out));
}

PassageOutcome Kiosk::manual_release(const std::string& guard_id, const std::string& reason) {
  PassageOutcome out = guard_row(guard_id, Decision::admit, Reason::guard_override,
                                 short_detail("manual release: ", reason));
  return commit(std::move(out));
}

PassageOutcome Kiosk::register_entrant(const GuardRegistration& r) {
  PassageContext ctx;
  ctx.temperature = measure();
  PassageOutcome out = guard_row(
      r.guard_id, Decision::admit, Reason::registered_at_gate,
      r.id_card.empty() ? short_detail("registered without ID: ", r.reason)
                        : short_detail("registered by ID card (" + r.id_card + "): ", r.reason));
  out.passage.holder = mask_name(r.name);
  out.passage.phone = r.phone;
  out.passage.sealed = r.sealed;
  journal_temperature(out.passage, ctx.temperature);
  // Registration is no exemption from being measured or from lockdown.
  const SiteState& site = config_.site;
  Verdict v{Decision::admit, Reason::registered_at_gate, false, {}};
  if (site.outbreak == Outbreak::lockdown)
    v = {Decision::deny, Reason::lockdown, true, {}};
  else if (auto t = temperature_rules(ctx.temperature, site))
    v = *t;
  out.verdict = v;
  out.passage.decision = v.decision;
  out.passage.reason = v.reason;
  return commit(std::move(out));
}

Result<PassageOutcome> Kiosk::clinical_remeasure(const std::string& guard_id,
                                                 std::int64_t referred_seq, double celsius) {
  // A clinical thermometer reads 34–43 °C on a living person; anything else is a typo.
  if (!(celsius >= 34.0 && celsius <= 43.0))
    return fail(Reason::malformed, "clinical reading must be 34.0..43.0 °C");
  auto rows = journal_.entries(referred_seq - 1, 1);
  if (rows.empty() || rows[0].seq != referred_seq)
    return fail(Reason::malformed, "no passage " + std::to_string(referred_seq));
  const Passage& referred = rows[0].passage;
  if (referred.reason != Reason::temperature_recheck)
    return fail(Reason::malformed,
                "passage " + std::to_string(referred_seq) + " was not referred for re-measurement");
  if (devices_.clock.now() - referred.time > kRemeasureWindowS)
    return fail(Reason::malformed, "the referral is older than 15 minutes: measure again");
  if (remeasured_.contains(referred_seq))
    return fail(Reason::malformed,
                "passage " + std::to_string(referred_seq) + " was already re-measured");
  // The notices' threshold applies to a clinical reading as it is.
  const bool fever = celsius >= config_.site.clinical_fever_c;
  PassageOutcome out =
      guard_row(guard_id, fever ? Decision::deny : Decision::admit,
                fever ? Reason::fever : Reason::remeasured_normal,
                "clinical re-measurement of passage " + std::to_string(referred_seq));
  out.verdict.alarm = fever;
  out.passage.temperature_c = celsius;
  out.passage.direction = referred.direction;
  out.passage.pass_id = referred.pass_id;
  out.passage.role = referred.role;
  out.passage.holder = referred.holder;
  out = commit(std::move(out));
  if (out.seq) remeasured_.insert(referred_seq);
  return out;
}

PassageOutcome Kiosk::register_delivery(const std::string& guard_id, const std::string& company,
                                        Bytes sealed) {
  PassageOutcome out = guard_row(guard_id, Decision::deny, Reason::delivery_never_admitted,
                                 short_detail("delivery registered: ", company));
  out.passage.role = Role::delivery;
  out.passage.sealed = std::move(sealed);
  return commit(std::move(out));
}

PassageOutcome Kiosk::record(const std::string& guard_id, Reason reason,
                             const std::string& detail) {
  return commit(guard_row(guard_id, Decision::record, reason, short_detail("", detail)));
}

}  // namespace gk
