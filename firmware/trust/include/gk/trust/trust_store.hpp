#pragma once
// The issuer keys this kiosk trusts, and the offline verification of a pass against them.
#include <filesystem>
#include <map>
#include <string_view>

#include "gk/pass/codec.hpp"
#include "gk/pass/keys.hpp"

namespace gk {

class TrustStore {
 public:
  void add(IssuerKeyInfo key) { keys_[key.id] = std::move(key); }
  DocStatus load_file(const std::filesystem::path& pub_file);
  // Every *.pub in the folder; an unreadable or malformed one is an error naming it.
  DocStatus load_directory(const std::filesystem::path& dir);
  const IssuerKeyInfo* find(const KeyId& id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<KeyId, IssuerKeyInfo> keys_;
};

// Offline verification, in this order: unknown issuer, issuer key validity at `now`,
// issuer scope (may it issue for the pass's site?), signature. Pass validity times,
// revocation and the kiosk's own site are the policy's business.
Result<SignedPass> verify_pass(const SignedPass& pass, const TrustStore& trust, UnixTime now);
Result<SignedPass> verify_pass_text(std::string_view text, const TrustStore& trust, UnixTime now);

}  // namespace gk
