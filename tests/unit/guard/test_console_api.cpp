// The guard console's authorisation rules, driven through the API function directly: no
// action without a session, lock-out after wrong PINs, CSRF and cross-site requests refused,
// sessions expire. The backend here records calls; the daemon's real backend is exercised by
// tests/browser/guard_console.sh.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gk/guard/console_api.hpp"
#include "gk/pass/codec.hpp"
#include "gk_test_support.hpp"

using namespace gk;
using namespace gk::guard;
using nlohmann::json;

namespace {
// A staff pass text (signed by some key: the console only parses it to name the guard it
// claims; verifying it is the backend's work).
std::string staff_pass(std::uint8_t first_id_byte) {
  static const IssuerKeyPair key = generate_issuer_key();
  Pass p;
  p.id[0] = first_id_byte;
  p.role = Role::staff;
  p.site = "site-1";
  p.valid_until = 2'000'000'000;
  return issue_pass_text(p, key);
}
const std::string kGoodPassText = staff_pass(0x01);  // guard staff-01000000
const std::string kOtherPassText = staff_pass(0x02);
const char* const kGoodPass = kGoodPassText.c_str();
const char* const kOtherSitePass = kOtherPassText.c_str();
constexpr const char* kGuardId = "staff-01000000";

struct Recorder : ConsoleBackend {
  std::vector<std::string> calls;
  std::vector<std::string> failures;
  int checks = 0;  // PIN checks (each one Argon2 in the daemon)
  std::function<LoginCheck()> prepare_login(std::string_view pass_view,
                                            std::string_view pin_view) override {
    return [this, pass = std::string(pass_view), pin = std::string(pin_view)]() -> LoginCheck {
      ++checks;
      if (pass == kOtherSitePass) return {std::nullopt, "", "wrong_site"};
      if (pass == kGoodPass && pin == "246810") return {Guard{kGuardId, "保**"}, "", ""};
      // The good pass is a registered guard's: a wrong PIN counts for that guard.
      return {std::nullopt, pass == kGoodPass ? kGuardId : "", "wrong_pin"};
    };
  }
  void login_failed(std::string_view who, std::string_view reason) override {
    failures.push_back(std::string(who) + ":" + std::string(reason));
  }
  ActionResult ok(std::string what) {
    calls.push_back(std::move(what));
    return {true, "ok", "好", "ok", 7, {}};
  }
  std::vector<FreeText> texts;  // free text as the backend received it
  ActionResult visitor_with_consent(const Guard& g, const std::string& n, const std::string& p,
                                    const FreeText& r) override {
    texts.push_back(r);
    return ok("visitor " + g.id + " " + n + " " + p + " " + r.kept);
  }
  ActionResult register_without_id(const Guard& g, const std::string& n, const std::string&,
                                   const FreeText& r) override {
    texts.push_back(r);
    return ok("register " + g.id + " " + n);
  }
  ActionResult register_delivery(const Guard& g, const std::string& c, const std::string&,
                                 const FreeText& company) override {
    texts.push_back(company);
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
    limits.login.lockout = std::chrono::minutes(5);
    api = std::make_unique<ConsoleApi>(backend, limits, false, [this] { return now; });
  }
  ApiResponse call(const std::string& method, const std::string& target, const std::string& body,
                   std::map<std::string, std::string> headers = {}, std::string peer = "10.0.0.9") {
    headers.emplace("host", "127.0.0.1:8081");
    return net::settle(api->handle({method, target, headers, body, peer}));
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
  CHECK(rig.backend.calls[0] == "visitor staff-01000000 赵敏 13812348058 visiting");
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
  CHECK(rig.backend.calls.back() == "outbreak staff-01000000 lockdown 2");
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
  CHECK(rig.act(l, "/api/alarms/ack", {{"id", "x"}}).status == 400);
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
  CHECK(rig.backend.calls.back() == std::string("remeasure ") + kGuardId + " 12 36.8");
}

namespace {
// The failures an aggregated row stands for: a first failure is one, a summary starts with
// its count.
int failures_in(const std::vector<std::string>& rows) {
  int n = 0;
  for (const auto& r : rows) {
    const std::string detail = r.substr(r.find(':') + 1);
    n += detail.starts_with("login failed") ? 1 : std::atoi(detail.c_str());
  }
  return n;
}
}  // namespace

TEST_CASE("wrong PINs lock the guard and the address out; failures are journaled in aggregate",
          "[guard][console]") {
  Rig rig;
  auto login = [&](const char* pin, std::string peer = "10.0.0.9") {
    return rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", pin}}.dump(), {}, peer)
        .status;
  };
  for (int i = 0; i < 5; ++i) CHECK(login("000000") == 401);
  // The first failure is journaled at once; the other four wait for the interval's summary.
  REQUIRE(rig.backend.failures.size() == 1);
  CHECK(rig.backend.failures[0] ==
        std::string(kGuardId) + ":login failed from 10.0.0.9: wrong_pin");
  // Now even the right PIN is refused, from this address...
  CHECK(login("246810") == 429);
  // ...and for this guard from another address; the PIN is not even checked.
  const int checks = rig.backend.checks;
  CHECK(login("246810", "10.0.0.10") == 429);
  CHECK(rig.backend.checks == checks);
  rig.now += std::chrono::seconds(61);
  rig.api->tick();
  REQUIRE(rig.backend.failures.size() == 3);
  CHECK(rig.backend.failures[1] ==
        std::string(kGuardId) + ":4 more failed login(s) from 10.0.0.9 in 60 s: wrong_pin");
  CHECK(rig.backend.failures[2].find("2 attempt(s) refused") != std::string::npos);
  CHECK(failures_in(rig.backend.failures) == 5);
  CHECK(login("246810", "10.0.0.10") == 429);  // still locked for the guard
  rig.now += std::chrono::minutes(5);          // the lock-out is served
  CHECK(login("246810") == 200);
}

TEST_CASE("logins are rate-limited before the PIN is checked or anything is written",
          "[guard][console]") {
  Rig rig;
  // One keep-alive connection, a thousand attempts in the same second, with passes that are
  // nobody's (a guard's lock-out does not apply to them).
  int refused = 0;
  for (int i = 0; i < 1000; ++i)
    refused +=
        rig.call("POST", "/api/login", json{{"pass", "x"}, {"pin", "1234"}}.dump()).status == 429;
  CHECK(rig.backend.checks <= 10);  // the address's burst
  CHECK(refused >= 990);
  CHECK(rig.backend.failures.size() <= rig.limits.login.max_rows_per_interval);
  // Over an hour of it, at the same pace: rows stay within the budget of each interval.
  for (int minute = 0; minute < 60; ++minute) {
    rig.now += std::chrono::seconds(60);
    for (int i = 0; i < 1000; ++i)
      rig.call("POST", "/api/login", json{{"pass", "x"}, {"pin", "1234"}}.dump());
  }
  rig.api->tick();
  CHECK(rig.backend.failures.size() <= 61 * rig.limits.login.max_rows_per_interval);
  CHECK(rig.backend.checks <= 10 + 61 * 10);
  const std::string m = rig.api->metrics_text();
  CHECK(m.find("gate_console_login_refused_total{why=\"rate_limit\"}") != std::string::npos);
}

TEST_CASE("a flood from many addresses cannot erase a guard's lock-out", "[guard][console]") {
  Rig rig;
  // The console-wide limit is lifted here, to show that the per-address table alone cannot
  // be used to evict a guard's state.
  rig.limits.login.all_per_second = 1e6;
  rig.limits.login.all_burst = 1e6;
  rig.limits.login.max_peers = 256;
  rig.api =
      std::make_unique<ConsoleApi>(rig.backend, rig.limits, false, [&rig] { return rig.now; });
  for (int i = 0; i < 5; ++i)
    rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "000000"}}.dump());
  // 2100 failures with forged passes from spare addresses (the attack in the issue).
  for (int i = 0; i < 2100; ++i) {
    const std::string peer = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    CHECK(rig.call("POST", "/api/login", json{{"pass", kOtherSitePass}, {"pin", "1"}}.dump(), {},
                   peer)
              .status == 401);
  }
  // The correct PIN still does not work, from yet another address; and 20 more wrong ones
  // are all 429.
  CHECK(rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump(), {},
                 "10.9.9.9")
            .status == 429);
  for (int i = 0; i < 20; ++i)
    CHECK(rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "000000"}}.dump(), {},
                   "10.9.9." + std::to_string(i))
              .status == 429);
  // The address table stayed bounded, and says that it shed.
  const std::string m = rig.api->metrics_text();
  CHECK(m.find("gate_console_login_peers 256") != std::string::npos);
  CHECK(m.find("gate_console_login_peers_shed_total 0") == std::string::npos);
  CHECK(m.find("gate_console_lockouts{scope=\"guard\"} 1") != std::string::npos);
}

TEST_CASE("one PIN check at a time per guard and per address, off the event loop",
          "[guard][console]") {
  Rig rig;
  const auto attempt = [&](const char* pass, const std::string& peer) {
    return rig.api->handle({"POST",
                            "/api/login",
                            {{"host", "127.0.0.1:8081"}},
                            json{{"pass", pass}, {"pin", "111111"}}.dump(),
                            peer});
  };
  // The first attempt is left to the listener's worker: nothing checked yet.
  ApiResponse first = attempt(kGoodPass, "10.0.0.9");
  REQUIRE(first.off_loop);
  CHECK(rig.backend.checks == 0);
  // While it is checked, the same guard from elsewhere, and this address with another pass,
  // are turned away before any hashing: failures are counted when a check ends, and a burst in
  // flight together would slip past the lock-out.
  CHECK(net::settle(attempt(kGoodPass, "10.0.0.10")).status == 429);
  CHECK(net::settle(attempt(kOtherSitePass, "10.0.0.9")).status == 429);
  CHECK(rig.backend.checks == 0);
  // Other guards from other addresses go on meanwhile, but never more than four checks at once.
  std::vector<std::string> passes;
  int in_flight = 1, refused = 0;
  for (int i = 0; i < 6; ++i) {
    passes.push_back(staff_pass(static_cast<std::uint8_t>(0x10 + i)));
    ApiResponse r = attempt(passes.back().c_str(), "10.0.1." + std::to_string(i));
    if (r.off_loop)
      ++in_flight;
    else
      refused += r.status == 429;
  }
  CHECK(in_flight == 4);
  CHECK(refused == 3);
  const ApiResponse done = net::settle(std::move(first));
  CHECK(done.status == 401);
  CHECK(rig.backend.checks == 1);
  bool headers = false;
  for (auto& [k, v] : done.headers) headers |= k == "Cache-Control" && v == "no-store";
  CHECK(headers);  // the console's headers are on the answer the check ends in
  // Its check ended: the guard may try again.
  CHECK(net::settle(attempt(kGoodPass, "10.0.0.9")).status == 401);
  CHECK(rig.backend.checks == 2);
}

TEST_CASE("lock-outs survive a restart", "[guard][console]") {
  test::ScratchDir dir;
  Rig rig;
  rig.limits.login.file = dir / "console-lockouts.json";
  rig.api =
      std::make_unique<ConsoleApi>(rig.backend, rig.limits, false, [&rig] { return rig.now; });
  for (int i = 0; i < 5; ++i)
    rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "000000"}}.dump());
  // gated restarts: a new console on the same file (and a steady clock that starts anew).
  rig.now = std::chrono::steady_clock::time_point(std::chrono::hours(2));
  rig.api =
      std::make_unique<ConsoleApi>(rig.backend, rig.limits, false, [&rig] { return rig.now; });
  CHECK(rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump(), {},
                 "10.0.0.77")
            .status == 429);
  CHECK(
      rig.call("POST", "/api/login", json{{"pass", kGoodPass}, {"pin", "246810"}}.dump()).status ==
      429);  // and the address too
  struct stat st {};
  REQUIRE(::stat(rig.limits.login.file.c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
}

TEST_CASE("failed logins from many sources stay within the row budget", "[guard][console]") {
  Rig rig;
  rig.limits.login.all_per_second = 1e6;
  rig.limits.login.all_burst = 1e6;
  rig.api =
      std::make_unique<ConsoleApi>(rig.backend, rig.limits, false, [&rig] { return rig.now; });
  for (int i = 0; i < 500; ++i)
    rig.call("POST", "/api/login", json{{"pass", "x"}, {"pin", "1"}}.dump(), {},
             "10.2.0." + std::to_string(i % 200));
  CHECK(rig.backend.failures.size() < rig.limits.login.max_rows_per_interval);
  const auto during = rig.backend.failures.size();
  rig.now += std::chrono::seconds(61);
  rig.api->tick();
  CHECK(rig.backend.failures.size() - during <= rig.limits.login.max_rows_per_interval);
  // Nothing is lost in the aggregation: the rows account for every failure.
  CHECK(failures_in(rig.backend.failures) == 500);
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

TEST_CASE("free text is scrubbed where it enters; the typed text only for sealing",
          "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  const std::string raw_phone = "13912345678", raw_id = "11010519491231002X";
  const std::string typed = "找住户 " + raw_phone + " 证件 " + raw_id;
  REQUIRE(
      rig.act(l, "/api/visitor", {{"name", "赵敏"}, {"phone", "13812348058"}, {"reason", typed}})
          .status == 200);
  REQUIRE(
      rig.act(l, "/api/register", {{"name", "钱七"}, {"phone", "13812348058"}, {"reason", typed}})
          .status == 200);
  REQUIRE(rig.act(l, "/api/delivery",
                  {{"courier", "孙八"}, {"phone", "13812348058"}, {"company", "顺丰 " + raw_phone}})
              .status == 200);
  REQUIRE(rig.act(l, "/api/release", {{"reason", "业主 " + raw_phone + " 来电"}}).status == 200);
  REQUIRE(rig.act(l, "/api/outbreak", {{"outbreak", "lockdown"}, {"reason", raw_id}}).status ==
          200);
  REQUIRE(rig.backend.texts.size() == 3);
  for (const FreeText& t : rig.backend.texts) {
    CHECK(t.kept.find(raw_phone) == std::string::npos);
    CHECK(t.kept.find(raw_id) == std::string::npos);
    CHECK(t.sealed.find(raw_phone) != std::string::npos);  // the sealed box keeps what was typed
  }
  CHECK(rig.backend.texts[0].kept == "找住户 139****5678 证件 **************002X");
  for (const std::string& call : rig.backend.calls) {
    CHECK(call.find(raw_phone) == std::string::npos);
    CHECK(call.find(raw_id) == std::string::npos);
  }
}

TEST_CASE("field limits count characters, and a refusal names the field and why",
          "[guard][console]") {
  Rig rig;
  auto l = rig.login();
  std::string reason_200, reason_201;
  for (int i = 0; i < 200; ++i) reason_200 += "门";  // 600 bytes
  reason_201 = reason_200 + "x";
  auto ok = rig.act(l, "/api/release", {{"reason", reason_200}});
  CHECK(ok.status == 200);
  auto long_one = rig.act(l, "/api/release", {{"reason", reason_201}});
  CHECK(long_one.status == 400);
  CHECK(json::parse(long_one.body)["detail"] == "reason: at most 200 characters");
  auto missing = rig.act(l, "/api/visitor", {{"name", "赵敏"}, {"phone", "13812348058"}});
  CHECK(json::parse(missing.body)["detail"] == "reason is required");
  auto odd = rig.act(l, "/api/outbreak", {{"outbreak", "maybe"}, {"reason", "x"}});
  CHECK(json::parse(odd.body)["detail"] == "outbreak: normal or lockdown");
  // A 16-character Chinese building name (48 bytes) is a building name.
  std::string building;
  for (int i = 0; i < 16; ++i) building += "栋";
  CHECK(rig.act(l, "/api/outbreak",
                {{"outbreak", "lockdown"}, {"reason", "x"}, {"quarantined_buildings", {building}}})
            .status == 200);
}
