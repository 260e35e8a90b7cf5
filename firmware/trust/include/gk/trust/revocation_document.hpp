#pragma once
// A signed revocation list document: a full snapshot or a delta between two numbered
// lists. Format in firmware/trust/REVOCATION.md. Produced by `gatectl revoke` (and later
// by the upstream server), verified against the trust store before anything applies it.
#include <string>
#include <vector>

#include "gk/pass/keys.hpp"
#include "gk/trust/trust_store.hpp"

namespace gk {

struct RevocationDocument {
  enum class Kind : std::uint8_t { snapshot = 1, delta = 2 };
  Kind kind = Kind::snapshot;
  std::uint64_t number = 0;       // monotonic list number
  std::uint64_t base_number = 0;  // delta: the list it applies to
  UnixTime issued_at = 0;
  std::string site;  // compound the list is for, "*" for all
  KeyId signer{};
  std::vector<PassId> added;    // snapshot: every revoked id
  std::vector<PassId> removed;  // delta only: ids no longer revoked
};

inline constexpr std::size_t kMaxRevocationDocumentBytes = 256u * 1024 * 1024;

Bytes sign_revocation_document(RevocationDocument doc, const IssuerKeyPair& key);
// Strict parse, then the signer must be a trusted issuer whose scope covers the site
// (unknown_signer if not), and the signature verify (bad_signature).
DocResult<RevocationDocument> parse_revocation_document(ByteView bytes, const TrustStore& trust);

}  // namespace gk
