#pragma once
// One passage, end to end: verify the credential offline, measure the temperature, decide
// by the compound's rules, journal durably, and only then release the gate.
#include <chrono>
#include <optional>
#include <string>

#include "gk/config/config.hpp"
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

  SiteState& site_state() { return config_.site; }
  const Config& config() const { return config_; }

 private:
  Credential verify(const Presentation& p, UnixTime now) const;
  Temperature measure();

  Config config_;
  const TrustStore& trust_;
  const RevocationList& revocations_;
  Journal& journal_;
  KioskDevices devices_;
};

// One JSON line describing an outcome (stdout of gated, the kiosk screen feed).
// Personal data is masked; the pass id is shortened.
std::string outcome_json(const PassageOutcome& o);

}  // namespace gk
