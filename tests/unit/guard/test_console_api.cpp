// The guard console's authorisation rules, driven through the API function directly: no
// action without a session, lock-out after wrong PINs, CSRF and cross-site requests refused,
// sessions expire. The backend here records calls; the daemon's real backend is exercised by
// tests/browser/guard_console.sh.
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gk/guard/console_api.hpp"

using namespace gk;
using namespace gk::guard;
using nlohmann::json;

namespace {
constexpr const char* kGoodPass = "GK1:GOOD";
constexpr const char* kOtherSitePass = "GK1:OTHER";

struct Recorder : ConsoleBackend {
  std::vector<std::string> calls;
  std::vector<std::string> failures;
  Result<Guard> authenticate(std::string_view pass, std::string_view pin) override {
    if (pass == kOtherSitePass) return fail(Reason::wrong_site, "a staff pass of another compound");
    if (pass == kGoodPass && pin == "246810") return Guard{"staff-0001", "保**"};
    return fail(Reason::malformed, "wrong PIN");
  }
  void login_failed(std::string_view who, std::string_view reason) override {
    failures.push_back(std::string(who) + ":" + std::string(reason));
  }
  ActionResult ok(std::string what) {
    calls.push_back(std::move(what));
    return {true, "ok", "好", "ok", 7, {}};
  }
  ActionResult visitor_with_consent(const Guard& g, const std::string& n, const std::string& p,
                                    const std::string& r) override {
    return ok("visitor " + g.id + " " + n + " " + p + " " + r);
  }
  ActionResult register_without_id(const Guard& g, const std::string& n, const std::string&,
                                   const std::string&) override {
    return ok("register " + g.id + " " + n);
  }
  ActionResult register_delivery(const Guard& g, const std::string& c, const std::string&,
                                 const std::string&) override {
    return ok("delivery " + g.id + " " + c);
  }
  ActionResult manual_release(const Guard& g, const std::string& r) override {
    return ok("release " + g.id + " " + r);
  }
  ActionResult set_outbreak(const Guard& g, const std::string& o, const std::vector<std::string>& b,
                            const std::string&) override {
    return ok("outbreak " + g.id + " " + o + " " + std::to_string(b.size()));
  }
  ActionResult acknowledge_alarm(const Guard& g, std::int64_t seq) override {
    return ok("ack " + g.id + " " + std::to_string(seq));
  }
  ActionResult clinical_remeasure(const Guard& g, std::int64_t seq, double c) override {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f", c);
    return ok("remeasure " + g.id + " " + std::to_string(seq) + " " + buf);
  }
  std::string state_json() override { return R"({"outbreak":"normal"})"; }
};

struct Rig {
  Recorder backend;
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  ConsoleLimits limits;
  std::unique_ptr<ConsoleApi> api;
  Rig() {
    limits.session_ttl = std::chrono::hours(8);
    limits.idle_timeout = std::chrono::minutes(15);
    limits.lockout = std::chrono::minutes(5);
    api = std::make_unique<ConsoleApi>(backend, limits, false, [this] { return now; });
  }
  ApiResponse call(const std::string& method, const std::string& target, const std::string& body,
                   std::map<std::string, std::string> headers = {}, std::string peer = "10.0.0.9") {
    headers.emplace("host", "127.0.0.1:8081");
    return api->handle({method, target, headers, body, peer});
  }
  struct Login {
    std::string cookie, csrf;
  };
  Login login(const char* pass = kGoodPass, const char* pin = "246810") {
    auto r = call("POST", "/api/login", json{{"pass", pass}, {"pin", pin}}.dump());
    REQUIRE(r.status == 200);
    std::string cookie;
    for (auto& [k, v] : r.headers)
      if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
    return {cookie, json::parse(r.body)["csrf"]};
  }
  ApiResponse act(const Login& l, const std::string& path, json body, bool with_csrf = true) {
    std::map<std::string, std::string> h{{"cookie", l.cookie}};
    if (with_csrf) h["x-csrf-token"] = l.csrf;
    return call("POST", path, body.dump(), h);
  }
};
const json kVisitor{{"name", "赵敏"}, {"phone", "13812348058"}, {"reason", "visiting"}};
}  // namespace

TEST_CASE("no action without a session", "[guard][console]") {
  Rig rig;
  for (const char* path : {"/api/visitor", "/api/register", "/api/delivery", "/api/release",
                           "/api/outbreak", "/api/alarms/ack", "/api/logout"})
    CHECK(rig.call("POST", path, kVisitor.dump()).status == 401);
  CHECK(rig.call("GET", "/api/state", "").status == 401);
  CHECK(rig.call("GET", "/api/events", "").status == 401);
  CHECK(rig.backend.calls.empty());
  // A made-up cookie is no session either.
  CHECK(rig.call("POST", "/api/release", R"({"reason":"x"})",
                 {{"cookie", "gk_session=" + std::string(64, 'a')}, {"x-csrf-token", "x"}})
            .status == 401);
}

TEST_CASE("a logged-in guard acts, with the CSRF token, from this origin only",
          "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  CHECK(l.cookie.size() == std::string("gk_session=").size() + 64);
  auto r = rig.act(l, "/api/visitor", kVisitor);
  CHECK(r.status == 200);
  REQUIRE(rig.backend.calls.size() == 1);
  CHECK(rig.backend.calls[0] == "visitor staff-0001 赵敏 13812348058 visiting");
  CHECK(r.body.find("13812348058") == std::string::npos);  // the phone comes back masked
  CHECK(json::parse(r.body)["phone"] == "138**8058");

  CHECK(rig.act(l, "/api/release", {{"reason", "ambulance"}}, false).status == 403);  // no token
  auto wrong = l;
  wrong.csrf = std::string(64, '0');
  CHECK(rig.act(wrong, "/api/release", {{"reason", "ambulance"}}).status == 403);
  CHECK(
      rig.call("POST", "/api/release", R"({"reason":"x"})",
               {{"cookie", l.cookie}, {"x-csrf-token", l.csrf}, {"origin", "http://evil.example"}})
          .status == 403);
  CHECK(rig.call("POST", "/api/release", R"({"reason":"x"})",
                 {{"cookie", l.cookie}, {"x-csrf-token", l.csrf}, {"sec-fetch-site", "cross-site"}})
            .status == 403);
  CHECK(rig.backend.calls.size() == 1);
  CHECK(rig.act(l, "/api/release", {{"reason", "ambulance"}}).status == 200);
  CHECK(
      rig.act(l, "/api/outbreak",
              {{"outbreak", "lockdown"}, {"quarantined_buildings", {"3", "7"}}, {"reason", "case"}})
          .status == 200);
  CHECK(rig.backend.calls.back() == "outbreak staff-0001 lockdown 2");
}

TEST_CASE("mandatory fields and formats are checked before the backend", "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  CHECK(rig.act(l, "/api/release", json::object()).status == 400);
  CHECK(rig.act(l, "/api/release", {{"reason", ""}}).status == 400);
  CHECK(rig.act(l, "/api/release", {{"reason", std::string(500, 'x')}}).status == 400);
  CHECK(
      rig.act(l, "/api/visitor", {{"name", "赵敏"}, {"phone", "12345"}, {"reason", "x"}}).status ==
      400);
  CHECK(rig.act(l, "/api/outbreak", {{"outbreak", "panic"}, {"reason", "x"}}).status == 400);
  CHECK(rig.act(l, "/api/outbreak", {{"outbreak", "normal"}}).status == 400);
  CHECK(rig.act(l, "/api/alarms/ack", {{"seq", "x"}}).status == 400);
  CHECK(rig.call("POST", "/api/release", "{", {{"cookie", l.cookie}, {"x-csrf-token", l.csrf}})
            .status == 400);
  CHECK(rig.backend.calls.empty());
}

TEST_CASE("a clinical re-measurement names the referred passage and a clinical reading",
          "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  CHECK(rig.act(l, "/api/remeasure", {{"seq", 12}, {"celsius", 36.8}}, false).status == 403);
  CHECK(rig.act(l, "/api/remeasure", {{"seq", 12}}).status == 400);
  CHECK(rig.act(l, "/api/remeasure", {{"seq", "12"}, {"celsius", 36.8}}).status == 400);
  CHECK(rig.act(l, "/api/remeasure", {{"seq", 12}, {"celsius", 368}}).status == 400);
  CHECK(rig.act(l, "/api/remeasure", {{"seq", 12}, {"celsius", "36.8"}}).status == 400);
  CHECK(rig.backend.calls.empty());
  CHECK(rig.act(l, "/api/remeasure", {{"seq", 12}, {"celsius", 36.8}}).status == 200);
  CHECK(rig.backend.calls.back() == "remeasure staff-0001 12 36.8");
}

TEST_CASE("wrong PINs lock the guard and the address out; every failure is journaled",
          "[guard][console]") {
  Rig rig;
  for (int i = 0; i < 5; ++i)
    CHECK(rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "000000"}}.dump())
              .status == 401);
  CHECK(rig.backend.failures.size() == 5);
  // Now even the right PIN is refused, from this address...
  auto locked = rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump());
  CHECK(locked.status == 429);
  // ...and for this guard from another address.
  CHECK(rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump(), {},
                 "10.0.0.10")
            .status == 429);
  CHECK(rig.backend.failures.size() == 7);
  rig.now += std::chrono::minutes(6);  // the lock-out is served
  CHECK(
      rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump()).status ==
      200);
}

TEST_CASE("a staff pass of another compound is refused like a wrong PIN", "[guard][console]") {
  Rig rig;
  auto r = rig.call("POST", "/api/login", json{{"pass", kOtherSitePass}, {"pin", "246810"}}.dump());
  CHECK(r.status == 401);
  REQUIRE(rig.backend.failures.size() == 1);
  CHECK(rig.backend.failures[0].find("wrong_site") != std::string::npos);
  CHECK(rig.call("POST", "/api/login", "not json").status == 400);
}

TEST_CASE("sessions expire when idle or old, and logout ends them", "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  rig.now += std::chrono::minutes(14);
  CHECK(rig.act(l, "/api/release", {{"reason", "x"}}).status == 200);
  rig.now += std::chrono::minutes(16);  // idle too long
  CHECK(rig.act(l, "/api/release", {{"reason", "x"}}).status == 401);

  auto l2 = rig.login();
  for (int i = 0; i < 40; ++i) {  // active all day, but a session lives 8 hours at most
    rig.now += std::chrono::minutes(14);
    (void)rig.call("GET", "/api/state", "", {{"cookie", l2.cookie}});
  }
  CHECK(rig.call("GET", "/api/state", "", {{"cookie", l2.cookie}}).status == 401);

  auto l3 = rig.login();
  CHECK(rig.act(l3, "/api/logout", json::object()).status == 200);
  CHECK(rig.act(l3, "/api/release", {{"reason", "x"}}).status == 401);
  CHECK(rig.api->sessions() == 0);
}

TEST_CASE("the page is served with strict headers; unknown routes are 404", "[guard][console]") {
  Rig rig;
  auto page = rig.call("GET", "/", "");
  CHECK(page.status == 200);
  CHECK(page.body.find("login-pass") != std::string::npos);
  bool csp = false;
  for (auto& [k, v] : page.headers)
    csp |= k == "Content-Security-Policy" && v.find("default-src 'self'") == 0;
  CHECK(csp);
  CHECK(rig.call("GET", "/guard.js", "").body.find("X-CSRF-Token") != std::string::npos);
  CHECK(rig.call("GET", "/nope", "").status == 404);
  CHECK(rig.call("PUT", "/api/login", "").status == 405);
}

TEST_CASE("a page that rebinds its DNS name to the console is refused by its Host",
          "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  rig.api->serve_as(8081, {"gate-3.lan"});
  auto with_host = [&](const std::string& host) {
    // Same-origin from the browser's view: the Origin is the rebinding page's own.
    return rig.api
        ->handle({"POST",
                  "/api/release",
                  {{"host", host},
                   {"origin", "http://" + host},
                   {"cookie", l.cookie},
                   {"x-csrf-token", l.csrf}},
                  R"({"reason":"x"})",
                  "10.0.0.9"})
        .status;
  };
  CHECK(with_host("evil.example:8081") == 421);
  CHECK(with_host("gate-3.lan.evil.example:8081") == 421);
  CHECK(with_host("gate-3.lan:9999") == 421);  // another port
  CHECK(with_host("gate-3.lan") == 421);       // port 80 implied, the console is on 8081
  CHECK(with_host("[::1:8081") == 421);        // malformed
  CHECK(with_host("[::1]x8081") == 421);       // malformed
  CHECK(with_host("") == 421);                 // none
  CHECK(rig.backend.calls.empty());
  // Addresses cannot be rebound; the names given can be trusted.
  CHECK(with_host("127.0.0.1:8081") == 200);
  CHECK(with_host("192.168.1.30:8081") == 200);
  CHECK(with_host("[::1]:8081") == 200);
  CHECK(with_host("LOCALHOST:8081") == 200);
  CHECK(with_host("Gate-3.LAN:8081") == 200);
  // The assets too: a rebinding page must not even read the console's own page.
  CHECK(rig.api->handle({"GET", "/", {{"host", "evil.example:8081"}}, "", "10.0.0.9"}).status ==
        421);
  // On the scheme's default port the port may be left out.
  rig.api->serve_as(80, {"gate-3.lan"});
  CHECK(with_host("gate-3.lan") == 200);
}
