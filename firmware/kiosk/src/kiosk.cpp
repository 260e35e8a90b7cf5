#include "gk/kiosk/kiosk.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/core/file.hpp"
#include "gk/core/mask.hpp"
#include "gk/pass/codec.hpp"

namespace gk {

Kiosk::Kiosk(Config config, const TrustStore& trust, const RevocationList& revocations,
             Journal& journal, KioskDevices devices)
    : config_(std::move(config)),
      trust_(trust),
      revocations_(revocations),
      journal_(journal),
      devices_(devices) {}

Credential verify_credential(const Presentation& p, const TrustStore& trust,
                             const RevocationList& revocations,
                             const std::map<Bytes, Bytes>& enrolled, const IdBindingKey* id_key,
                             UnixTime now) {
  Credential cred;
  cred.kind = p.kind;
  cred.presented_card_uid = p.card_uid;
  const Bytes* card_pass = &p.card_pass;
  if (p.kind == CredentialKind::id_card) {
    // The serial is hashed with the site's key and forgotten: the binding is what the
    // enrolled pass names, and what the policy compares (card_mismatch) from here on.
    // A card read by the certified reader names its validity end: past it, the card is no
    // document, enrolled or not.
    if (p.id_valid_until != 0 && now > p.id_valid_until) {
      cred.failure = Reason::id_card_expired;
      return cred;
    }
    const bool by_number = !p.id_number.empty();
    if (!id_key || (!by_number && p.id_card_serial.size() != kIdCardSerialBytes)) {
      cred.failure = Reason::card_not_enrolled;
      return cred;
    }
    cred.presented_card_uid = by_number ? id_key->bind(IdSource::id_number, as_bytes(p.id_number))
                                        : id_key->bind(IdSource::card_serial, p.id_card_serial);
  }
  if (p.kind == CredentialKind::card_uid || p.kind == CredentialKind::id_card) {
    auto it = enrolled.find(cred.presented_card_uid);
    if (it == enrolled.end()) {
      cred.failure = Reason::card_not_enrolled;
      return cred;
    }
    card_pass = &it->second;
    cred.kind = CredentialKind::card;  // from here on it is a card-bound pass like any other
  }
  Result<SignedPass> parsed =
      p.kind == CredentialKind::qr ? parse_pass_text(p.text) : parse_pass_binary(*card_pass);
  if (!parsed) {
    cred.failure = parsed.reason();
    return cred;
  }
  Result<SignedPass> verified = verify_pass(*parsed, trust, now);
  if (!verified) {
    cred.failure = verified.reason();
    return cred;
  }
  cred.revoked = revocations.contains(verified->pass.id);
  cred.pass = std::move(verified->pass);
  return cred;
}

Credential Kiosk::verify(const Presentation& p, UnixTime now) const {
  return verify_credential(p, trust_, revocations_, enrolled_, id_key_ ? &*id_key_ : nullptr, now);
}

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
}  // namespace

// Several skin readings, the median of those that succeeded, and the sensor's ambient
// with each; fewer than half succeeding means the sensor is not to be trusted for this
// passage: the policy then refers to the guard. The body temperature is estimated from
// the two medians (gk/policy/body_temperature.hpp) before decide() judges it.
Temperature Kiosk::measure() {
  std::vector<double> skin, ambient;
  const int wanted = std::max(1, config_.thermometer.readings);
  for (int i = 0; i < wanted; ++i) {
    auto r = devices_.thermometer.read_celsius();
    if (!hal::has_value(r)) continue;
    auto a = devices_.thermometer.read_ambient_celsius();
    if (!hal::has_value(a)) continue;
    skin.push_back(std::get<double>(r));
    ambient.push_back(std::get<double>(a));
  }
  if (skin.empty() || static_cast<int>(skin.size()) * 2 < wanted) {
    Temperature t;
    t.sensor_failed = true;
    return t;
  }
  return body_temperature(median(skin), median(ambient), config_.site);
}

void journal_temperature(Passage& row, const Temperature& t) {
  // The estimate as the journal keeps it (0.1 °C); the decision was made on the unrounded
  // value, which the readings (kept to 0.01 °C) re-derive.
  if (t.celsius) row.temperature_c = std::round(*t.celsius * 10.0) / 10.0;
  row.skin_c = t.skin_c;
  row.ambient_c = t.ambient_c;
}

PassageOutcome Kiosk::process(const Presentation& p) {
  const UnixTime now = devices_.clock.now();
  if (pending_ && now > pending_deadline_) pending_.reset();  // the resident never came
  if (pending_) return process_consent(p, now);
  PassageContext ctx;
  ctx.credential = verify(p, now);
  ctx.temperature = measure();
  ctx.direction = p.direction.value_or(config_.gate.direction);
  ctx.now = now;
  ctx.clock_trusted = devices_.clock.trusted();
  ctx.consent = p.consent;
  ctx.lists_stale = lists_stale_;
  if (ctx.credential.pass && config_.site.anti_passback != AntiPassback::off)
    ctx.last_direction =
        journal_.last_direction(ctx.credential.pass->id, now - config_.site.anti_passback_window_s);

  PassageOutcome out;
  out.verdict = decide(ctx, config_.site);
  out.pass = ctx.credential.pass;

  Passage& row = out.passage;
  row.time = now;
  row.gate = config_.checkpoint;
  row.direction = ctx.direction;
  row.credential_kind = p.kind;
  row.decision = out.verdict.decision;
  row.reason = out.verdict.reason;
  journal_temperature(row, ctx.temperature);
  row.detail = out.verdict.note;
  if (const auto& pass = ctx.credential.pass) {
    row.pass_id = pass->id;
    row.role = pass->role;
    row.holder = mask_name(pass->holder_name);
  }
  if (p.consent) {
    row.operator_id = p.consent->guard_id;
    row.consenting_resident = p.consent->resident;
  }
  return commit(std::move(out));
}

// The invariant: no gate opens before its passage is durably in the journal. A journal
// that cannot commit turns every decision into a closed gate.
PassageOutcome Kiosk::commit(PassageOutcome out) {
  Passage& row = out.passage;
  DbResult<std::int64_t> seq = journal_.append(row);
  if (!seq) {
    const Reason r = verdict_reason(Layer::database);  // journal_unavailable
    out.verdict = {Decision::deny, r, true, seq.error().detail};
    row.decision = Decision::deny;
    row.reason = r;
  } else {
    out.seq = *seq;
  }

  if (out.verdict.admitted() && out.seq) {
    out.gate_released = devices_.gate.release(std::chrono::milliseconds(config_.gate.pulse_ms),
                                              *out.seq) == hal::DeviceError::none;
  }
  if (devices_.indicator && out.verdict.decision != Decision::record) {
    hal::Tone tone = out.verdict.decision == Decision::admit   ? hal::Tone::admit
                     : out.verdict.decision == Decision::refer ? hal::Tone::refer
                                                               : hal::Tone::deny;
    devices_.indicator->show(out.verdict.alarm ? hal::Tone::alarm : tone);
  }
  return out;
}

DocStatus add_enrolled_pass(std::string_view text, std::map<Bytes, Bytes>& enrolled) {
  auto parsed = parse_pass_text(text);
  // In a list, a pass that does not parse is the list's error: a version this firmware does
  // not know, or text that is no pass.
  if (!parsed)
    return doc_error(parsed.reason() == Reason::unsupported_version ? DocCode::unsupported_version
                                                                    : DocCode::syntax,
                     parsed.failure().detail);
  if (parsed->pass.card_uid.empty())
    return doc_error(DocCode::schema, "pass is not bound to a card UID");
  Bytes bytes = parsed->body;
  bytes.insert(bytes.end(), parsed->signature.begin(), parsed->signature.end());
  enrolled[parsed->pass.card_uid] = std::move(bytes);
  return Done{};
}

DocResult<std::map<Bytes, Bytes>> load_enrolment(const std::filesystem::path& file) {
  // Bounded and typed: `enrolment_file = /dev/zero` must be an error, not a gigabyte.
  auto text = read_regular_file(file, kMaxEnrolmentFileBytes);
  if (!text) return text.error();
  std::istringstream in(*text);
  std::map<Bytes, Bytes> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (auto s = add_enrolled_pass(line, out); !s)
      return doc_error(s.error().code,
                       file.string() + ":" + std::to_string(n) + ": " + s.error().detail);
  }
  return out;
}

}  // namespace gk
