#include <qrencode.h>
#include <catch2/catch.hpp>

#include <random>

#include "gk/pass/base45.hpp"
#include "gk/pass/codec.hpp"

using namespace gk;

namespace {

const IssuerKeyPair& key() {
  static IssuerKeyPair k = generate_issuer_key();
  return k;
}

Pass typical_resident() {
  Pass p;
  for (std::size_t i = 0; i < p.id.size(); ++i) p.id[i] = static_cast<std::uint8_t>(0xA0 + i);
  p.role = Role::resident;
  p.site = "sz-futian-lianhua-01";
  p.building = "12";
  p.unit = "3-402";
  p.holder_name = "张伟";
  p.id_last4 = "123X";
  p.valid_from = 1'600'000'000;
  p.valid_until = p.valid_from + 7 * 86400;
  return p;
}

Pass with_role(Role r) {
  Pass p = typical_resident();
  p.role = r;
  if (r == Role::visitor) p.visit = Visit{PassId{1, 2, 3}, p.valid_from, p.valid_from + 3600};
  return p;
}

}  // namespace

TEST_CASE("every role round-trips through text and binary", "[pass][codec]") {
  for (Role r :
       {Role::resident, Role::temporary_resident, Role::visitor, Role::staff, Role::delivery}) {
    Pass p = with_role(r);
    p.card_uid = r == Role::staff ? Bytes{4, 1, 2, 3, 4, 5, 6} : Bytes{};
    std::string text = issue_pass_text(p, key());
    auto parsed = parse_pass_text(text);
    INFO(to_string(r));
    REQUIRE(parsed.ok());
    p.issuer = key().info.id;
    CHECK(parsed->pass == p);
    CHECK(signature_valid(*parsed, key().info.key));
  }
}

TEST_CASE("a typical resident pass fits a QR code of version 10 or lower at level M",
          "[pass][codec]") {
  std::string text = issue_pass_text(typical_resident(), key());
  // Only characters of the QR alphanumeric set, so encoders use that mode.
  for (char c : text)
    CHECK(std::string_view("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:").find(c) !=
          std::string_view::npos);
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  REQUIRE(qr);
  INFO("text length " << text.size() << ", QR version " << qr->version);
  CHECK(qr->version <= 10);
  QRcode_free(qr);
}

TEST_CASE("a different key's signature does not verify", "[pass][codec]") {
  auto parsed = parse_pass_text(issue_pass_text(typical_resident(), key()));
  REQUIRE(parsed);
  CHECK_FALSE(signature_valid(*parsed, generate_issuer_key().info.key));
}

TEST_CASE("every single flipped bit is refused by the parser or the signature",
          "[pass][codec][fuzz]") {
  Bytes good = sign_pass(with_role(Role::visitor), key());
  int refused_by_parser = 0, refused_by_signature = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = good;
      b[i] ^= static_cast<std::uint8_t>(1u << bit);
      auto parsed = parse_pass_binary(b);
      if (!parsed) {
        ++refused_by_parser;
        CHECK((parsed.reason() == Reason::malformed ||
               parsed.reason() == Reason::unsupported_version));
        CHECK_FALSE(parsed.failure().detail.empty());
      } else {
        ++refused_by_signature;
        CHECK_FALSE(signature_valid(*parsed, key().info.key));
      }
    }
  }
  CHECK(refused_by_parser + refused_by_signature == static_cast<int>(good.size() * 8));
  CHECK(refused_by_parser > 0);
  CHECK(refused_by_signature > 0);
}

TEST_CASE("truncation at every length is refused", "[pass][codec][fuzz]") {
  Bytes good = sign_pass(with_role(Role::visitor), key());
  for (std::size_t n = 0; n < good.size(); ++n) {
    Bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    auto parsed = parse_pass_binary(b);
    if (parsed) {
      // Cutting into the signature can still leave a parsable body: never a valid one.
      CHECK_FALSE(signature_valid(*parsed, key().info.key));
    } else {
      CHECK(parsed.reason() == Reason::malformed);
    }
  }
  std::string text = to_pass_text(good);
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto parsed = parse_pass_text(text.substr(0, n));
    if (parsed) CHECK_FALSE(signature_valid(*parsed, key().info.key));
  }
}

TEST_CASE("structural rules are enforced with a reason", "[pass][codec]") {
  auto body_then_sig = [](Bytes body) {
    body.resize(body.size() + 64, 0);
    return body;
  };
  SECTION("unknown version") {
    Bytes b = body_then_sig(encode_body(typical_resident()));
    b[0] = 2;
    CHECK(parse_pass_binary(b).reason() == Reason::unsupported_version);
    CHECK(parse_pass_text("GK2:ABC").reason() == Reason::unsupported_version);
  }
  SECTION("trailing bytes") {
    Bytes body = encode_body(typical_resident());
    body.push_back(0);
    auto r = parse_pass_binary(body_then_sig(body));
    REQUIRE_FALSE(r);
    CHECK(r.failure().detail.find("trailing") != std::string::npos);
  }
  SECTION("unknown flag bits") {
    Bytes b = body_then_sig(encode_body(typical_resident()));
    b[1] |= 0x80;
    CHECK(parse_pass_binary(b).reason() == Reason::malformed);
  }
  SECTION("visitor without a visit window") {
    Pass p = typical_resident();
    p.role = Role::visitor;
    CHECK(parse_pass_binary(body_then_sig(encode_body(p))).reason() == Reason::malformed);
  }
  SECTION("validity ends before it starts") {
    Pass p = typical_resident();
    p.valid_until = p.valid_from - 1;
    CHECK(parse_pass_binary(body_then_sig(encode_body(p))).reason() == Reason::malformed);
  }
  SECTION("invalid UTF-8 in a name") {
    Pass p = typical_resident();
    p.holder_name = "\xC3\x28";
    CHECK(parse_pass_binary(body_then_sig(encode_body(p))).reason() == Reason::malformed);
  }
  SECTION("empty site") {
    Pass p = typical_resident();
    p.site.clear();
    CHECK(parse_pass_binary(body_then_sig(encode_body(p))).reason() == Reason::malformed);
  }
  SECTION("card uid of a length no card has") {
    Pass p = typical_resident();
    p.card_uid = {1, 2, 3, 4, 5};
    CHECK(parse_pass_binary(body_then_sig(encode_body(p))).reason() == Reason::malformed);
  }
  SECTION("oversized input") {
    CHECK(parse_pass_binary(Bytes(600, 1)).reason() == Reason::malformed);
    CHECK(parse_pass_text("GK1:" + std::string(5000, 'A')).reason() == Reason::malformed);
  }
  SECTION("not a pass at all") {
    for (const char* s : {"", "hello", "https://example.com/", "GK1:", "GK1:!!!", "gk1:BB8"})
      CHECK(parse_pass_text(s).reason() == Reason::malformed);
  }
}

TEST_CASE("random texts and random bytes never crash and are refused", "[pass][codec][fuzz]") {
  std::mt19937 rng(2020);
  constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  for (int i = 0; i < 500; ++i) {
    std::string t = "GK1:";
    std::size_t n = rng() % 400;
    for (std::size_t k = 0; k < n; ++k) t.push_back(alphabet[rng() % alphabet.size()]);
    auto r = parse_pass_text(t);
    if (r) CHECK_FALSE(signature_valid(*r, key().info.key));
    Bytes b(rng() % 600);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    if (!b.empty()) b[0] = 1;
    auto rb = parse_pass_binary(b);
    if (rb) CHECK_FALSE(signature_valid(*rb, key().info.key));
  }
}
