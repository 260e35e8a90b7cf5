#include <catch2/catch.hpp>

#include "gk/sync/auth.hpp"

using namespace gk;
using namespace gk::sync;

namespace {
constexpr UnixTime kNow = 1'700'000'000;
struct Server {
  IssuerKeyPair device = generate_issuer_key();
  ReplayGuard replay;
  DeviceKeyLookup lookup = [this](const std::string& id) -> std::optional<PublicKey> {
    if (id == "kiosk-01") return device.info.key;
    return std::nullopt;
  };
  DocStatus check(const RequestAuth& a, std::string_view body = "{}", UnixTime now = kNow) {
    return verify_request("POST", "/v1/journal", body, a, lookup, replay, now);
  }
};
}  // namespace

TEST_CASE("a signed request verifies once; its replay is refused", "[sync][auth]") {
  Server s;
  auto a = sign_request("POST", "/v1/journal", "{}", "kiosk-01", s.device, kNow);
  CHECK(s.check(a).ok());
  CHECK(s.check(a).error().code == DocCode::replayed);
}

TEST_CASE("every bound field is checked", "[sync][auth]") {
  Server s;
  auto a = sign_request("POST", "/v1/journal", "{}", "kiosk-01", s.device, kNow);
  CHECK(s.check(a, "{\"x\":1}").error().code == DocCode::bad_signature);  // body
  CHECK(verify_request("GET", "/v1/journal", "{}", a, s.lookup, s.replay, kNow).error().code ==
        DocCode::bad_signature);  // method
  CHECK(verify_request("POST", "/v1/revocations", "{}", a, s.lookup, s.replay, kNow).error().code ==
        DocCode::bad_signature);  // path
  auto t = a;
  t.time += 1;
  CHECK(s.check(t).error().code == DocCode::bad_signature);
  t = a;
  t.nonce[0] = t.nonce[0] == '0' ? '1' : '0';
  CHECK(s.check(t).error().code == DocCode::bad_signature);
  t = a;
  t.device_id = "kiosk-02";
  CHECK(s.check(t).error().code == DocCode::unknown_signer);
  t = a;
  t.signature = "zz";
  CHECK(s.check(t).error().code == DocCode::schema);
  // None of the forgeries burned the nonce: the genuine request still goes through.
  CHECK(s.check(a).ok());
}

TEST_CASE("stale and future times are refused", "[sync][auth]") {
  Server s;
  auto old = sign_request("POST", "/v1/journal", "{}", "kiosk-01", s.device, kNow - 301);
  CHECK(s.check(old).error().code == DocCode::clock);
  auto future = sign_request("POST", "/v1/journal", "{}", "kiosk-01", s.device, kNow + 301);
  CHECK(s.check(future).error().code == DocCode::clock);
  auto edge = sign_request("POST", "/v1/journal", "{}", "kiosk-01", s.device, kNow - 299);
  CHECK(s.check(edge).ok());
}

TEST_CASE("the replay guard forgets what the clock check refuses anyway", "[sync][auth]") {
  ReplayGuard g;
  for (int i = 0; i < 100; ++i) CHECK(g.first_use("d", std::to_string(i), kNow, kNow));
  CHECK_FALSE(g.first_use("d", "5", kNow, kNow));
  CHECK(g.first_use("d", "new", kNow + 1000, kNow + 1000));
  CHECK(g.size() == 1);
}
