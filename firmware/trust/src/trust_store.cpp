#include "gk/trust/trust_store.hpp"

#include <algorithm>

namespace gk {

DocStatus TrustStore::load_file(const std::filesystem::path& pub_file) {
  auto key = load_public_key(pub_file);
  if (!key) return key.error();
  add(std::move(*key));
  return Done{};
}

DocStatus TrustStore::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return doc_error(DocCode::unreadable, dir.string() + ": " + ec.message());
  for (const auto& entry : it) {
    if (entry.path().extension() != ".pub") continue;
    if (auto s = load_file(entry.path()); !s) return s;
  }
  return Done{};
}

const IssuerKeyInfo* TrustStore::find(const KeyId& id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

Result<SignedPass> verify_pass(const SignedPass& sp, const TrustStore& trust, UnixTime now) {
  const IssuerKeyInfo* key = trust.find(sp.pass.issuer);
  if (!key) return fail(Reason::unknown_issuer, "issuer key " + to_hex(sp.pass.issuer));
  if ((key->valid_from && now < key->valid_from) || (key->valid_until && now > key->valid_until))
    return fail(Reason::issuer_not_valid,
                "issuer key " + to_hex(key->id) + " outside its validity");
  const auto& sites = key->sites;
  if (std::find(sites.begin(), sites.end(), "*") == sites.end() &&
      std::find(sites.begin(), sites.end(), sp.pass.site) == sites.end())
    return fail(Reason::issuer_out_of_scope, "issuer key may not issue for " + sp.pass.site);
  if (!signature_valid(sp, key->key))
    return fail(Reason::bad_signature, "signature does not verify");
  return sp;
}

Result<SignedPass> verify_pass_text(std::string_view text, const TrustStore& trust, UnixTime now) {
  auto parsed = parse_pass_text(text);
  if (!parsed) return parsed;
  return verify_pass(*parsed, trust, now);
}

}  // namespace gk
