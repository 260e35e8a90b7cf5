#pragma once
// Pass format v1: compact binary body + Ed25519 signature, carried as "GK1:" + base45
// text in a QR code (alphanumeric mode) or as raw bytes in an NDEF record on a card.
// See FORMAT.md for the byte layout. Parsing is strict: every length is checked,
// unknown versions and trailing bytes are refused.
#include <string>
#include <string_view>

#include "gk/core/result.hpp"
#include "gk/pass/keys.hpp"
#include "gk/pass/pass.hpp"

namespace gk {

inline constexpr std::string_view kPassTextPrefix = "GK1:";
inline constexpr std::size_t kMaxPassBytes = 512;  // refuse anything larger before parsing

struct SignedPass {
  Pass pass;
  Bytes body;  // the exact signed bytes (header + fields)
  Signature signature{};
};

// Body bytes of a pass (no signature). The pass's issuer field is written as given.
Bytes encode_body(const Pass& pass);
// Signs: sets pass.issuer to the key's id, returns body + signature bytes (binary form).
Bytes sign_pass(Pass pass, const IssuerKeyPair& key);
// Binary form -> "GK1:" + base45 text.
std::string to_pass_text(ByteView signed_pass);
// Convenience: sign and encode as text.
std::string issue_pass_text(const Pass& pass, const IssuerKeyPair& key);

// Failures: Reason::malformed (with a detail naming the broken field) or
// Reason::unsupported_version.
Result<SignedPass> parse_pass_binary(ByteView bytes);
Result<SignedPass> parse_pass_text(std::string_view text);

// Ed25519 over a domain-separated message ("GK-PASS-v1" || body).
bool signature_valid(const SignedPass& signed_pass, const PublicKey& key);

}  // namespace gk
