#include "gk/trust/revocation_document.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace gk {
namespace {

constexpr std::string_view kMagic = "GKRV";
constexpr std::uint8_t kVersion = 1;
constexpr std::string_view kDomain = "GK-REVOCATION-v1";

void put_u64(Bytes& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_u32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_ids(Bytes& out, const std::vector<PassId>& ids) {
  put_u32(out, static_cast<std::uint32_t>(ids.size()));
  for (const auto& id : ids) out.insert(out.end(), id.begin(), id.end());
}

Bytes body_of(const RevocationDocument& d) {
  Bytes b(kMagic.begin(), kMagic.end());
  b.push_back(kVersion);
  b.push_back(static_cast<std::uint8_t>(d.kind));
  b.insert(b.end(), d.signer.begin(), d.signer.end());
  put_u64(b, d.number);
  put_u64(b, d.base_number);
  put_u64(b, static_cast<std::uint64_t>(d.issued_at));
  b.push_back(static_cast<std::uint8_t>(d.site.size()));
  b.insert(b.end(), d.site.begin(), d.site.end());
  put_ids(b, d.added);
  put_ids(b, d.removed);
  return b;
}

Bytes message_of(ByteView body) {
  // Sized up front: GCC 12 warns falsely (-Warray-bounds) on growing inserts here.
  Bytes m(kDomain.size() + body.size());
  std::memcpy(m.data(), kDomain.data(), kDomain.size());
  if (!body.empty()) std::memcpy(m.data() + kDomain.size(), body.data(), body.size());
  return m;
}

class Cursor {
 public:
  explicit Cursor(ByteView b) : b_(b) {}
  bool need(std::size_t n) { return ok_ = ok_ && b_.size() - pos_ >= n; }
  std::uint64_t uint(int bytes) {
    if (!need(static_cast<std::size_t>(bytes))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | b_[pos_++];
    return v;
  }
  ByteView take(std::size_t n) {
    if (!need(n)) return {};
    ByteView v = b_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  bool ids(std::vector<PassId>& out) {
    std::uint64_t n = uint(4);
    // Bound the count by what is actually there before allocating anything.
    if (!ok_ || n > (b_.size() - pos_) / 16) return ok_ = false;
    out.resize(n);
    for (auto& id : out) {
      ByteView v = take(16);
      if (v.size() == id.size()) std::memcpy(id.data(), v.data(), id.size());
    }
    return ok_;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

Bytes sign_revocation_document(RevocationDocument doc, const IssuerKeyPair& key) {
  doc.signer = key.info.id;
  Bytes body = body_of(doc);
  Bytes msg = message_of(body);
  std::array<std::uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), key.secret.bytes().data());
  body.insert(body.end(), sig.begin(), sig.end());
  return body;
}

DocResult<RevocationDocument> parse_revocation_document(ByteView bytes, const TrustStore& trust) {
  if (bytes.size() > kMaxRevocationDocumentBytes)
    return doc_error(DocCode::too_large, "revocation document too large");
  if (bytes.size() < kMagic.size() + 64 || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin()))
    return doc_error(DocCode::syntax, "not a revocation document");
  ByteView body = bytes.first(bytes.size() - 64);
  Cursor c(body);
  RevocationDocument d;
  c.take(kMagic.size());
  if (c.uint(1) != kVersion)
    return doc_error(DocCode::unsupported_version, "revocation document version");
  std::uint64_t kind = c.uint(1);
  if (kind != 1 && kind != 2) return doc_error(DocCode::schema, "revocation document kind");
  d.kind = static_cast<RevocationDocument::Kind>(kind);
  ByteView signer = c.take(8);
  if (signer.size() == d.signer.size()) std::memcpy(d.signer.data(), signer.data(), signer.size());
  d.number = c.uint(8);
  d.base_number = c.uint(8);
  d.issued_at = static_cast<UnixTime>(c.uint(8));
  ByteView site = c.take(static_cast<std::size_t>(c.uint(1)));
  d.site.assign(site.begin(), site.end());
  c.ids(d.added);
  c.ids(d.removed);
  if (!c.ok()) return doc_error(DocCode::syntax, "revocation document truncated");
  if (!c.at_end()) return doc_error(DocCode::syntax, "trailing bytes in revocation document");
  if (d.kind == RevocationDocument::Kind::snapshot && (!d.removed.empty() || d.base_number))
    return doc_error(DocCode::schema, "a snapshot has no base and removes nothing");
  if (d.kind == RevocationDocument::Kind::delta && d.base_number >= d.number)
    return doc_error(DocCode::schema, "delta must move to a newer number");

  const IssuerKeyInfo* key = trust.find(d.signer);
  if (!key) return doc_error(DocCode::unknown_signer, "revocation signer " + to_hex(d.signer));
  // A signer trusted for other sites only is, for this list, no trusted signer at all.
  const auto& sites = key->sites;
  bool any = std::find(sites.begin(), sites.end(), "*") != sites.end();
  if (!any && (d.site == "*" || std::find(sites.begin(), sites.end(), d.site) == sites.end()))
    return doc_error(DocCode::unknown_signer, "signer may not revoke for " + d.site);
  Bytes msg = message_of(body);
  if (crypto_sign_verify_detached(bytes.data() + body.size(), msg.data(), msg.size(),
                                  key->key.data()) != 0)
    return doc_error(DocCode::bad_signature, "revocation document signature does not verify");
  return d;
}

}  // namespace gk
