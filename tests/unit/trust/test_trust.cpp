#include <catch2/catch.hpp>
#include <fstream>

#include "gk/trust/trust_store.hpp"
#include "gk_test_support.hpp"

using namespace gk;

namespace {
constexpr UnixTime kNow = 1'600'000'000;

Pass pass_for(std::string site) {
  Pass p;
  p.id[0] = 7;
  p.site = std::move(site);
  p.valid_from = kNow;
  p.valid_until = kNow + 7 * 86400;
  return p;
}
}  // namespace

TEST_CASE("offline verification checks issuer, validity, scope, signature in order", "[trust]") {
  auto key = generate_issuer_key({"sz-a"}, kNow - 100, kNow + 1000);
  TrustStore trust;
  trust.add(key.info);
  const std::string good = issue_pass_text(pass_for("sz-a"), key);

  CHECK(verify_pass_text(good, trust, kNow).ok());
  SECTION("unknown issuer") {
    auto other = generate_issuer_key();
    CHECK(verify_pass_text(issue_pass_text(pass_for("sz-a"), other), trust, kNow).reason() ==
          Reason::unknown_issuer);
  }
  SECTION("issuer key not yet or no longer valid") {
    CHECK(verify_pass_text(good, trust, kNow - 101).reason() == Reason::issuer_not_valid);
    CHECK(verify_pass_text(good, trust, kNow + 1001).reason() == Reason::issuer_not_valid);
  }
  SECTION("issuer out of scope") {
    CHECK(verify_pass_text(issue_pass_text(pass_for("sz-b"), key), trust, kNow).reason() ==
          Reason::issuer_out_of_scope);
  }
  SECTION("bad signature: a pass re-labelled with the trusted key's id") {
    auto forger = generate_issuer_key({"*"});
    Bytes forged = sign_pass(pass_for("sz-a"), forger);
    std::copy(key.info.id.begin(), key.info.id.end(), forged.begin() + 18);
    CHECK(verify_pass_text(to_pass_text(forged), trust, kNow).reason() == Reason::bad_signature);
  }
  SECTION("malformed text stops before any key lookup") {
    CHECK(verify_pass_text("GK1:%%%", trust, kNow).reason() == Reason::malformed);
  }
}

TEST_CASE("trust store loads a directory of .pub files and names a broken one", "[trust]") {
  test::ScratchDir dir;
  auto a = generate_issuer_key();
  auto b = generate_issuer_key();
  REQUIRE(save_key_pair(a, dir.path(), "a").ok());
  REQUIRE(save_key_pair(b, dir.path(), "b").ok());
  TrustStore trust;
  REQUIRE(trust.load_directory(dir.path()).ok());
  CHECK(trust.size() == 2);  // .key files are not loaded as trust
  CHECK(trust.find(a.info.id) != nullptr);
  std::ofstream(dir / "broken.pub") << "{not json";
  TrustStore again;
  auto s = again.load_directory(dir.path());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == DocCode::syntax);
  CHECK(s.error().detail.find("broken.pub") != std::string::npos);
  auto missing = TrustStore{}.load_directory(dir / "missing");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == DocCode::unreadable);
}
