#include "gk/pass/codec.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "gk/pass/base45.hpp"

namespace gk {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFlagVisit = 0x01;
constexpr std::uint8_t kFlagCard = 0x02;
constexpr std::uint8_t kKnownFlags = kFlagVisit | kFlagCard;
constexpr std::string_view kSignDomain = "GK-PASS-v1";

struct FieldLimit {
  const char* name;
  std::size_t min, max;
};
constexpr FieldLimit kSite{"site", 1, 32}, kBuilding{"building", 0, 16}, kUnit{"unit", 0, 16},
    kName{"holder_name", 0, 32}, kLast4{"id_last4", 0, 4};

class Writer {
 public:
  void u8(std::uint8_t v) { out.push_back(v); }
  void u32(std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }
  void bytes(ByteView b) { out.insert(out.end(), b.begin(), b.end()); }
  void str8(const std::string& s) {
    u8(static_cast<std::uint8_t>(s.size()));
    bytes(as_bytes(s));
  }
  Bytes out;
};

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    if (n == 2 && c < 0xC2) return false;  // overlong
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Bounds-checked reader: every read either succeeds or records the first error and
// returns zeros, so parsing code stays linear and never reads past the end.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool take(std::size_t n, const char* what) {
    if (!error_.empty()) return false;
    if (b_.size() - pos_ < n) {
      error_ = std::string("truncated at ") + what;
      return false;
    }
    return true;
  }
  std::uint8_t u8(const char* what) { return take(1, what) ? b_[pos_++] : 0; }
  std::uint32_t u32(const char* what) {
    if (!take(4, what)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | b_[pos_++];
    return v;
  }
  template <std::size_t N>
  std::array<std::uint8_t, N> fixed(const char* what) {
    std::array<std::uint8_t, N> a{};
    if (take(N, what)) {
      std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(pos_), N, a.begin());
      pos_ += N;
    }
    return a;
  }
  std::string str8(const FieldLimit& f) {
    std::size_t n = u8(f.name);
    if (!error_.empty()) return {};
    if (n < f.min || n > f.max) {
      fail(std::string(f.name) + " length " + std::to_string(n) + " out of range");
      return {};
    }
    if (!take(n, f.name)) return {};
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    if (!valid_utf8(s)) fail(std::string(f.name) + " is not valid UTF-8");
    return s;
  }
  void fail(std::string e) {
    if (error_.empty()) error_ = std::move(e);
  }
  std::size_t remaining() const { return b_.size() - pos_; }
  std::size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
  std::string error_;
};

bool last4_ok(const std::string& s) {
  if (s.empty()) return true;
  if (s.size() != 4) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

Bytes signing_message(ByteView body) {
  Bytes m(kSignDomain.begin(), kSignDomain.end());
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

}  // namespace

Bytes encode_body(const Pass& p) {
  Writer w;
  w.u8(kVersion);
  std::uint8_t flags = (p.visit ? kFlagVisit : 0) | (p.card_uid.empty() ? 0 : kFlagCard);
  w.u8(flags);
  w.bytes(p.id);
  w.bytes(p.issuer);
  w.u8(static_cast<std::uint8_t>(p.role));
  w.u8(static_cast<std::uint8_t>(p.health));
  w.u32(static_cast<std::uint32_t>(p.valid_from));
  w.u32(static_cast<std::uint32_t>(p.valid_until));
  w.str8(p.site);
  w.str8(p.building);
  w.str8(p.unit);
  w.str8(p.holder_name);
  w.str8(p.id_last4);
  if (p.visit) {
    w.bytes(p.visit->host);
    w.u32(static_cast<std::uint32_t>(p.visit->from));
    w.u32(static_cast<std::uint32_t>(p.visit->until));
  }
  if (!p.card_uid.empty()) {
    w.u8(static_cast<std::uint8_t>(p.card_uid.size()));
    w.bytes(p.card_uid);
  }
  return w.out;
}

Bytes sign_pass(Pass pass, const IssuerKeyPair& key) {
  pass.issuer = key.info.id;
  Bytes body = encode_body(pass);
  Bytes msg = signing_message(body);
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), key.secret.bytes().data());
  body.insert(body.end(), sig.begin(), sig.end());
  return body;
}

std::string to_pass_text(ByteView signed_pass) {
  return std::string(kPassTextPrefix) + base45_encode(signed_pass);
}

std::string issue_pass_text(const Pass& pass, const IssuerKeyPair& key) {
  return to_pass_text(sign_pass(pass, key));
}

Result<SignedPass> parse_pass_binary(ByteView bytes) {
  if (bytes.size() > kMaxPassBytes) return fail(Reason::malformed, "pass larger than 512 bytes");
  if (bytes.empty()) return fail(Reason::malformed, "empty pass");
  if (bytes[0] != kVersion)
    return fail(Reason::unsupported_version, "pass format version " + std::to_string(bytes[0]));
  if (bytes.size() < 64) return fail(Reason::malformed, "shorter than a signature");
  ByteView body = bytes.first(bytes.size() - 64);
  Reader r(body);
  SignedPass sp;
  Pass& p = sp.pass;
  r.u8("version");
  std::uint8_t flags = r.u8("flags");
  if (flags & ~kKnownFlags) r.fail("unknown flag bits");
  p.id = r.fixed<16>("pass id");
  p.issuer = r.fixed<8>("issuer key id");
  std::uint8_t role = r.u8("role"), health = r.u8("health");
  if (role < 1 || role > 5) r.fail("role " + std::to_string(role) + " unknown");
  if (health < 1 || health > 3) r.fail("health " + std::to_string(health) + " unknown");
  p.role = static_cast<Role>(role);
  p.health = static_cast<Health>(health);
  p.valid_from = r.u32("valid_from");
  p.valid_until = r.u32("valid_until");
  if (r.error().empty() && p.valid_until < p.valid_from) r.fail("valid_until before valid_from");
  p.site = r.str8(kSite);
  p.building = r.str8(kBuilding);
  p.unit = r.str8(kUnit);
  p.holder_name = r.str8(kName);
  p.id_last4 = r.str8(kLast4);
  if (r.error().empty() && !last4_ok(p.id_last4)) r.fail("id_last4 must be 4 letters or digits");
  if (flags & kFlagVisit) {
    Visit v;
    v.host = r.fixed<16>("visit host");
    v.from = r.u32("visit from");
    v.until = r.u32("visit until");
    if (r.error().empty() && v.until < v.from) r.fail("visit window ends before it starts");
    p.visit = v;
  }
  if (r.error().empty() && (p.role == Role::visitor) != p.visit.has_value())
    r.fail("a visit window goes with the visitor role, and only with it");
  if (flags & kFlagCard) {
    std::size_t n = r.u8("card uid length");
    // 4, 7, 10: an ISO 14443-A UID; 16: a resident ID card's keyed hash (id_binding.hpp).
    if (r.error().empty() && n != 4 && n != 7 && n != 10 && n != 16)
      r.fail("card uid length must be 4, 7, 10 or 16");
    if (r.take(n, "card uid")) {
      auto start = body.begin() + static_cast<std::ptrdiff_t>(r.pos());
      p.card_uid.assign(start, start + static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < n; ++i) r.u8("card uid");
    }
  }
  if (!r.error().empty()) return fail(Reason::malformed, r.error());
  if (r.remaining() != 0) return fail(Reason::malformed, "trailing bytes after the last field");
  sp.body.assign(body.begin(), body.end());
  std::copy(bytes.end() - 64, bytes.end(), sp.signature.begin());
  return sp;
}

Result<SignedPass> parse_pass_text(std::string_view text) {
  if (text.size() > kPassTextPrefix.size() + kMaxPassBytes * 3 / 2 + 2)
    return fail(Reason::malformed, "pass text too long");
  if (!text.starts_with(kPassTextPrefix)) {
    if (text.size() >= 4 && text.starts_with("GK") && text[3] == ':')
      return fail(Reason::unsupported_version,
                  "pass text prefix " + std::string(text.substr(0, 4)));
    return fail(Reason::malformed, "not a gatekeeper pass (prefix GK1: missing)");
  }
  auto bytes = base45_decode(text.substr(kPassTextPrefix.size()));
  if (!bytes) return fail(Reason::malformed, "not valid base45");
  return parse_pass_binary(*bytes);
}

bool signature_valid(const SignedPass& sp, const PublicKey& key) {
  Bytes msg = signing_message(sp.body);
  return crypto_sign_verify_detached(sp.signature.data(), msg.data(), msg.size(), key.data()) == 0;
}

}  // namespace gk
