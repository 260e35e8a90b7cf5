#pragma once
// Documents the kiosk pulls from upstream (sync/PROTOCOL.md, "Pull"): trust list, site
// state, card enrolment and signed time. Each travels in one envelope signed by the
// upstream authority key the device was provisioned with:
//   {"kind":"gk-site-state","payload":"<JSON text>","signer":"<key id hex>","signature":"<hex>"}
// The signature covers "GK-DOC-v1\n" + kind + "\n" + payload, so a payload cannot be moved
// into an envelope of another kind. (Revocation lists keep their own binary format:
// firmware/trust/REVOCATION.md.)
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/pass/keys.hpp"
#include "gk/policy/site_state.hpp"
#include "gk/trust/trust_store.hpp"

namespace gk::sync {

inline constexpr std::size_t kMaxDocumentBytes = 16u * 1024 * 1024;

namespace kind {
inline constexpr std::string_view trust_list = "gk-trust-list";
inline constexpr std::string_view site_state = "gk-site-state";
inline constexpr std::string_view enrolment = "gk-enrolment";
inline constexpr std::string_view time = "gk-time";
}  // namespace kind

std::string sign_document(std::string_view kind, std::string_view payload,
                          const IssuerKeyPair& authority);
// The payload of an envelope of `kind` whose signer is in `authority` and whose signature
// verifies. Failures: too_large, syntax, schema, unknown_signer, bad_signature.
DocResult<std::string> open_document(std::string_view envelope, std::string_view kind,
                                     const TrustStore& authority);

// Issuer keys that may sign passes; replaces the provisioned set when applied.
struct TrustListDoc {
  std::uint64_t number = 0;  // monotonic
  UnixTime issued_at = 0;
  std::vector<IssuerKeyInfo> keys;
};

// The compound's outbreak state as the district decided it.
struct SiteStateDoc {
  std::uint64_t number = 0;  // monotonic per site
  UnixTime issued_at = 0;
  std::string site;
  Outbreak outbreak = Outbreak::normal;
  std::set<std::string> quarantined_buildings;
  std::optional<double> fever_threshold_c;  // absent: keep the configured one
};

// Card-bound passes of residents enrolled at the property office (UID-only cards).
struct EnrolmentDoc {
  std::uint64_t number = 0;
  UnixTime issued_at = 0;
  std::string site;
  std::vector<std::string> passes;  // pass texts, each verified like any other pass
};

// What the upstream holds for the asking device when it answers: the number of each list it
// would serve that device (0: none published) and the device's journal mark. Signed with the
// time and bound to the nonce, it lets a kiosk skip every pull whose number it already holds
// (a steady round is then the time and the journal batches) on better evidence than an
// unsigned 304: a channel cannot claim "nothing new" without the authority's signature.
struct RoundHeads {
  std::uint64_t revocations = 0, site_state = 0, trust_list = 0, enrolment = 0;
  std::int64_t acked = 0;
};

// The upstream's clock, bound to the device's request nonce so it cannot be replayed.
struct TimeDoc {
  UnixTime time = 0;
  std::string nonce;                // 32 hex digits, the one the device sent
  std::optional<RoundHeads> heads;  // absent from upstreams older than the field
};

std::string payload_of(const TrustListDoc& d);
std::string payload_of(const SiteStateDoc& d);
std::string payload_of(const EnrolmentDoc& d);
std::string payload_of(const TimeDoc& d);

DocResult<TrustListDoc> parse_trust_list(std::string_view payload);
DocResult<SiteStateDoc> parse_site_state(std::string_view payload);
DocResult<EnrolmentDoc> parse_enrolment(std::string_view payload);
DocResult<TimeDoc> parse_time(std::string_view payload);
// A time envelope as the kiosk takes it: signed by `authority`, a well-formed time document,
// and bound to `nonce`, the one the kiosk sent (else `replayed`: an answer to another
// request). The one check for the time route's answer and the journal upload's.
DocResult<TimeDoc> open_time(std::string_view envelope, std::string_view nonce,
                             const TrustStore& authority);

}  // namespace gk::sync
