#pragma once
// One passage, end to end: verify the credential offline, measure the temperature, decide
// by the compound's rules, journal durably, and only then release the gate.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "gk/config/config.hpp"
#include "gk/core/id_binding.hpp"
#include "gk/hal/clock.hpp"
#include "gk/hal/devices.hpp"
#include "gk/journal/journal.hpp"
#include "gk/policy/policy.hpp"
#include "gk/trust/revocation.hpp"
#include "gk/trust/trust_store.hpp"

namespace gk {

// A credential as it reached the kiosk, before any verification.
struct Presentation {
  CredentialKind kind = CredentialKind::qr;
  std::string text;                    // QR: the decoded text
  Bytes card_pass;                     // card: the pass bytes from the NDEF record
  Bytes card_uid;                      // card: the UID the reader saw
  Bytes id_card_serial;                // id_card by NFC: the serial (only hashed, never kept)
  std::string id_number;               // id_card by the SAM reader (only hashed, never kept)
  std::int64_t id_valid_until = 0;     // id_card by the SAM reader: end of validity, 0: none
  std::optional<Direction> direction;  // default: the lane's direction from the config
  std::optional<Consent> consent;      // visitor: a resident's consent through a guard
};

struct PassageOutcome {
  Verdict verdict;
  Passage passage;                  // what was (or would have been) journaled
  std::optional<std::int64_t> seq;  // journal sequence number once committed
  bool gate_released = false;
  std::optional<Pass> pass;  // the verified pass, for the screen's visual check
};

// A visitor a guard registered at the console, waiting for a resident's consent.
struct GuardVisitor {
  std::string guard_id;
  std::string name;    // shown masked, journaled masked
  std::string phone;   // journaled masked
  std::string reason;  // short, journaled
  Bytes sealed;        // name, phone, reason sealed to the upstream (empty: no upstream key)
};

// Someone without a pass, registered by a guard: without an ID document (name, phone,
// photo), or by one read of their resident ID card on the desk's certified reader.
struct GuardRegistration {
  std::string guard_id;
  std::string name, phone, reason;
  Bytes sealed;
  std::string id_card{};  // by ID card: "女 35 河南省郑州市金水区" (gender, age, district); else ""
};

struct KioskDevices {
  hal::Thermometer& thermometer;
  hal::Gate& gate;
  hal::Indicator* indicator = nullptr;  // optional
  const hal::Clock& clock;
};

class Kiosk {
 public:
  Kiosk(Config config, const TrustStore& trust, const RevocationList& revocations, Journal& journal,
        KioskDevices devices);

  PassageOutcome process(const Presentation& p);

  // The guard's actions (the guard console). Each is journaled with the guard's id.
  // Visitor with consent: refused outright in lockdown; otherwise the next credential
  // presented before `window` runs out is taken as the resident's consent, the visitor is
  // measured and decide_consented_visitor() decides.
  Result<std::int64_t> await_consent(GuardVisitor v, std::chrono::seconds window);
  const std::optional<GuardVisitor>& pending_consent() const { return pending_; }
  PassageOutcome manual_release(const std::string& guard_id, const std::string& reason);
  PassageOutcome register_entrant(const GuardRegistration& r);
  // The guard re-measured a passage referred for temperature (Reason::temperature_recheck)
  // with a clinical thermometer: at or above the site's clinical fever line it is a fever
  // refusal with an alarm, below it the person is admitted and the gate opens. One
  // re-measurement per referral, within 15 minutes of it; the row names the guard.
  Result<PassageOutcome> clinical_remeasure(const std::string& guard_id, std::int64_t referred_seq,
                                            double celsius);
  static constexpr std::int64_t kRemeasureWindowS = 15 * 60;
  PassageOutcome register_delivery(const std::string& guard_id, const std::string& company,
                                   Bytes sealed);
  // An accountable action that is not a passage (Decision::record): outbreak changes,
  // acknowledged alarms, failed guard logins.
  PassageOutcome record(const std::string& guard_id, Reason reason, const std::string& detail);

  // UID-only cards (ID cards, older transit cards) of residents who registered offline at
  // the property office: each entry is an ordinary signed pass bound to the card's UID, so
  // it is verified, expired and revoked like any other pass.
  void enrol(const Bytes& card_uid, Bytes signed_pass) {
    enrolled_[card_uid] = std::move(signed_pass);
  }
  std::size_t enrolled() const { return enrolled_.size(); }
  // The site's key for resident ID cards (id_binding.hpp): without it every ID card is
  // card_not_enrolled.
  void set_id_binding_key(IdBindingKey key) { id_key_ = std::move(key); }

  SiteState& site_state() { return config_.site; }
  // Set by the sync client's grading of list ages before each passage.
  void set_lists_stale(bool stale) { lists_stale_ = stale; }
  // Replaces every enrolled card at once (a newer enrolment list from upstream).
  void replace_enrolment(std::map<Bytes, Bytes> enrolled) { enrolled_ = std::move(enrolled); }
  const Config& config() const { return config_; }

 private:
  Credential verify(const Presentation& p, UnixTime now) const;
  Temperature measure();
  PassageOutcome process_consent(const Presentation& p, UnixTime now);
  PassageOutcome guard_row(const std::string& guard_id, Decision d, Reason r,
                           const std::string& detail);
  PassageOutcome commit(PassageOutcome out);

  Config config_;
  const TrustStore& trust_;
  const RevocationList& revocations_;
  Journal& journal_;
  KioskDevices devices_;
  std::map<Bytes, Bytes> enrolled_;
  std::optional<IdBindingKey> id_key_;
  bool lists_stale_ = false;
  std::optional<GuardVisitor> pending_;
  std::set<std::int64_t> remeasured_;  // referrals already re-measured by a guard
  UnixTime pending_deadline_ = 0;
};

// Reads an enrolment file: one card-bound pass text per line ('#' comments). A line that is
// no pass (syntax, unsupported_version) or a pass without a card UID (schema) is refused
// with the line number.
DocResult<std::map<Bytes, Bytes>> load_enrolment(const std::filesystem::path& file);
// One card-bound pass text into an enrolment map (the file above, or a synced list).
DocStatus add_enrolled_pass(std::string_view text, std::map<Bytes, Bytes>& enrolled);

// The measurement as the journal keeps it: estimate, skin and ambient.
void journal_temperature(Passage& row, const Temperature& t);

// A credential as the kiosk verifies it: parsed exactly as presented (no trimming: a QR
// code's text is the pass or it is not), verified against `trust`, looked up in
// `revocations`; a UID-only card or a resident ID card (its serial bound with `id_key`)
// through `enrolled`. Kiosk::verify and `gatectl verify` both
// call this, and then check_credential() of the policy, so they agree on every input.
Credential verify_credential(const Presentation& p, const TrustStore& trust,
                             const RevocationList& revocations,
                             const std::map<Bytes, Bytes>& enrolled, const IdBindingKey* id_key,
                             UnixTime now);

// One JSON line describing an outcome (stdout of gated, the kiosk screen feed).
// Personal data is masked; the pass id is shortened.
std::string outcome_json(const PassageOutcome& o);

}  // namespace gk
