#pragma once
// Guards of this checkpoint: each logs in to the guard console with their staff pass (an
// ordinary signed pass with role staff, for this compound) and a PIN. The guards file holds,
// per staff pass id, an Argon2id hash of the PIN (libsodium crypto_pwhash_str), one line
// each: "<pass id hex> <hash>". The file must not be readable by group or others.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/pass/pass.hpp"
#include "gk/trust/revocation.hpp"
#include "gk/trust/trust_store.hpp"

namespace gk {

struct GuardIdentity {
  std::string guard_id;  // "staff-" + the first 8 hex digits of the staff pass id
  std::string name;      // masked display name from the pass
  PassId pass_id{};
};

// One login's PIN check, prepared on the event loop (where the trust list, the revocations and
// the guards file live) and run on any thread: it owns copies of all it needs, and its run()
// is the one Argon2id verification (~60 ms) that must not block the loop.
class PinCheck {
 public:
  // The guard, or the first reason the login failed. `registered` is set to the guard's id
  // when the pass verified as a registered guard's and only the PIN was wrong.
  Result<GuardIdentity> run(std::string* registered = nullptr) const;

 private:
  friend class GuardRegistry;
  std::optional<Failure> refusal_;
  std::string hash_;  // the guard's, or one no PIN matches
  std::optional<GuardIdentity> identity_;
  std::string pin_;
};

class GuardRegistry {
 public:
  // Reads and checks the file (mode: insecure, size, every line), then makes the decoy hash
  // (one Argon2 run, ~60 ms) so that the first login is not the slow one.
  static DocResult<GuardRegistry> load(const std::filesystem::path& file);
  // The same reading and checks without the decoy: for `gated config check` and preflight,
  // which only need to know whether load() would succeed.
  static DocResult<GuardRegistry> read(const std::filesystem::path& file);
  // Adds or replaces a guard's PIN (4 to 12 digits) and rewrites the file (0600, atomically):
  // a document error, or internal/out_of_memory if Argon2id cannot have its memory.
  static FaultStatus set_pin(const std::filesystem::path& file, const PassId& staff_pass,
                             std::string_view pin);
  std::size_t size() const { return hashes_.size(); }

  // The staff pass must verify against `trust`, not be revoked, be valid now, be a staff
  // pass of `site`, and the PIN must match. Failures name the reason: unknown_issuer,
  // bad_signature, revoked, expired, wrong_site, malformed ("not a staff pass", "wrong PIN",
  // "not a guard of this checkpoint").
  //
  // Every call does the same work whatever the pass is: one Argon2id verification, against
  // the guard's hash or against a hash no PIN matches, so that the time a login takes does
  // not tell a registered guard's pass from any other (~60 ms against ~1 ms before).
  // `registered` is set to the guard's id when the pass verified as a registered guard's and
  // only the PIN was wrong (lock-outs count per real guard; a forged pass counts for none).
  Result<GuardIdentity> authenticate(std::string_view staff_pass_text, std::string_view pin,
                                     const TrustStore& trust, const RevocationList& revocations,
                                     const std::string& site, UnixTime now,
                                     std::string* registered = nullptr) const {
    return prepare(staff_pass_text, pin, trust, revocations, site, now).run(registered);
  }
  // authenticate() in two steps: everything but the Argon2id verification, which is left to
  // PinCheck::run on whichever thread the caller chooses.
  PinCheck prepare(std::string_view staff_pass_text, std::string_view pin, const TrustStore& trust,
                   const RevocationList& revocations, const std::string& site, UnixTime now) const;

 private:
  const std::string& decoy_hash() const;
  std::map<PassId, std::string> hashes_;
  mutable std::string decoy_;  // made at load: a hash of a random PIN, same parameters
};

}  // namespace gk
