#include <catch2/catch.hpp>

#include "gk/sync/documents.hpp"

using namespace gk;
using namespace gk::sync;

namespace {
struct Authority {
  IssuerKeyPair key = generate_issuer_key();
  TrustStore store;
  Authority() { store.add(key.info); }
};
SiteStateDoc lockdown_doc() {
  SiteStateDoc d;
  d.number = 7;
  d.issued_at = 1'590'000'000;
  d.site = "sz-futian-lianhua-01";
  d.outbreak = Outbreak::lockdown;
  d.quarantined_buildings = {"3", "12"};
  d.fever_threshold_c = 37.2;
  return d;
}
}  // namespace

TEST_CASE("a signed site state opens and round-trips", "[sync][documents]") {
  Authority a;
  const auto env = sign_document(kind::site_state, payload_of(lockdown_doc()), a.key);
  auto payload = open_document(env, kind::site_state, a.store);
  REQUIRE(payload.ok());
  auto d = parse_site_state(*payload);
  REQUIRE(d.ok());
  CHECK(d->number == 7);
  CHECK(d->outbreak == Outbreak::lockdown);
  CHECK(d->quarantined_buildings == std::set<std::string>{"3", "12"});
  CHECK(d->fever_threshold_c == Approx(37.2));
}

TEST_CASE("an envelope is bound to its kind, its signer and every payload byte",
          "[sync][documents]") {
  Authority a;
  const std::string payload = payload_of(lockdown_doc());
  const auto env = sign_document(kind::site_state, payload, a.key);
  CHECK(open_document(env, kind::enrolment, a.store).error().code == DocCode::schema);
  Authority other;
  CHECK(open_document(env, kind::site_state, other.store).error().code == DocCode::unknown_signer);
  // A payload edited inside a valid envelope: lockdown lifted by a forger.
  std::string forged = env;
  const auto at = forged.find("lockdown");
  REQUIRE(at != std::string::npos);
  forged.replace(at, 8, "normal\\\"");
  CHECK_FALSE(open_document(forged, kind::site_state, a.store).ok());
  // Every single-byte flip of the envelope is refused (or still parses to the same text).
  for (std::size_t i = 0; i < env.size(); ++i) {
    std::string bad = env;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    auto r = open_document(bad, kind::site_state, a.store);
    if (r.ok()) CHECK(*r == payload);  // e.g. a flipped hex case in the signer id
  }
}

TEST_CASE("typed payloads refuse wrong or missing fields", "[sync][documents]") {
  CHECK_FALSE(parse_site_state("{}").ok());
  CHECK_FALSE(parse_site_state("[]").ok());
  CHECK_FALSE(parse_site_state("not json").ok());
  CHECK_FALSE(parse_site_state(R"({"number":1,"issued_at":1,"site":"s","outbreak":"panic",)"
                               R"("quarantined_buildings":[]})")
                  .ok());
  CHECK_FALSE(parse_site_state(R"({"number":1,"issued_at":1,"site":"s","outbreak":"normal",)"
                               R"("quarantined_buildings":[3]})")
                  .ok());
  CHECK_FALSE(parse_site_state(R"({"number":0,"issued_at":1,"site":"s","outbreak":"normal",)"
                               R"("quarantined_buildings":[]})")
                  .ok());
  CHECK_FALSE(parse_site_state(R"({"number":1,"issued_at":1,"site":"s","outbreak":"normal",)"
                               R"("quarantined_buildings":[],"fever_threshold_c":99})")
                  .ok());
  CHECK_FALSE(parse_trust_list(R"({"number":1,"issued_at":1,"keys":[]})").ok());
  CHECK_FALSE(parse_trust_list(R"({"number":1,"issued_at":1,"keys":[{"id":"zz"}]})").ok());
  CHECK_FALSE(parse_enrolment(R"({"number":1,"issued_at":1,"site":"s","passes":"x"})").ok());
  CHECK_FALSE(parse_time(R"({"time":-5,"nonce":"00"})").ok());
}

TEST_CASE("trust lists, enrolments and time round-trip", "[sync][documents]") {
  TrustListDoc t{3, 1'590'000'000, {generate_issuer_key({"sz-futian-lianhua-01"}).info}};
  auto t2 = parse_trust_list(payload_of(t));
  REQUIRE(t2.ok());
  CHECK(t2->keys == t.keys);
  EnrolmentDoc e{2, 1'590'000'000, "sz-futian-lianhua-01", {"GK1:abc", "GK1:def"}};
  auto e2 = parse_enrolment(payload_of(e));
  REQUIRE(e2.ok());
  CHECK(e2->passes == e.passes);
  auto tm = parse_time(payload_of(TimeDoc{1'590'000'123, std::string(32, 'a'), std::nullopt}));
  REQUIRE(tm.ok());
  CHECK(tm->time == 1'590'000'123);
  CHECK_FALSE(tm->heads);  // an older upstream's document: the kiosk pulls every list
}

TEST_CASE("the time document carries the round's heads, strictly", "[sync][documents]") {
  const RoundHeads h{7, 3, 2, 0, 41};
  auto tm = parse_time(payload_of(TimeDoc{1'590'000'123, std::string(32, 'a'), h}));
  REQUIRE(tm.ok());
  REQUIRE(tm->heads);
  CHECK(tm->heads->revocations == 7);
  CHECK(tm->heads->site_state == 3);
  CHECK(tm->heads->trust_list == 2);
  CHECK(tm->heads->enrolment == 0);
  CHECK(tm->heads->acked == 41);
  const std::string base =
      R"({"time":1590000123,"nonce":")" + std::string(32, 'a') + R"(","heads":)";
  for (const char* bad :
       {R"(7)", R"({})", R"({"revocations":7,"site_state":3,"trust_list":2,"enrolment":0})",
        R"({"revocations":-1,"site_state":3,"trust_list":2,"enrolment":0,"acked":0})",
        R"({"revocations":7,"site_state":3.5,"trust_list":2,"enrolment":0,"acked":0})",
        R"({"revocations":7,"site_state":3,"trust_list":"2","enrolment":0,"acked":0})",
        R"({"revocations":7,"site_state":3,"trust_list":2,"enrolment":0,"acked":-4})"}) {
    INFO(bad);
    CHECK_FALSE(parse_time(base + bad + "}").ok());
  }
}
