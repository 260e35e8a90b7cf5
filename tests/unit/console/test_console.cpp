// The guard console over real loopback sockets. The console runs on its own io_context in a
// background thread (the daemon's situation); the tests talk to it with synchronous Beast
// clients (plain and TLS), bound to different 127.0.0.x source addresses where the rate
// limiter must tell clients apart, and read event streams with a client io_context of their
// own. The backend records every call under a mutex.
#include <catch2/catch.hpp>

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <unistd.h>

#include "gk/console/guard_console.hpp"
#include "gk/core/bytes.hpp"
#include "gk/pass/codec.hpp"
#include "gk/pass/keys.hpp"
#include "gk/sync/tls.hpp"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace gk::console;

namespace {

const std::string kPin = "246810";
const std::string kPhone = "13812345678";
const std::string kPhoneMasked = "138**5678";

struct Staff {
  std::string text;
  std::string guard_id;
};

Staff make_staff(const gk::IssuerKeyPair& key, const std::string& site, const std::string& name) {
  gk::Pass p;
  gk::random_fill(p.id);
  p.role = gk::Role::staff;
  p.site = site;
  p.holder_name = name;
  p.valid_from = 0;
  p.valid_until = 4102444800;  // 2100
  return {gk::issue_pass_text(p, key), "staff-" + gk::to_hex(p.id).substr(0, 8)};
}

struct Passes {
  gk::IssuerKeyPair key = gk::generate_issuer_key();
  Staff guard = make_staff(key, "test-site", "王小明");
  Staff second = make_staff(key, "test-site", "李四");
  Staff foreign = make_staff(key, "other-site", "赵六");
};

const Passes& passes() {
  static const Passes p;
  return p;
}

// Accepts the two guards of test-site with kPin; the other site's guard is refused.
struct RecordingBackend : ConsoleBackend {
  std::mutex m;
  int authentications = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // claimed id, reason
  std::vector<json> calls;
  std::int64_t seq = 100;
  std::atomic<bool> refuse = false;  // actions answer ok=false (e.g. lockdown)

  gk::Result<Guard> authenticate(std::string_view text, std::string_view pin) override {
    std::lock_guard lock(m);
    ++authentications;
    for (const auto* s : {&passes().guard, &passes().second}) {
      if (text != s->text) continue;
      if (pin != kPin) return gk::fail(gk::Reason::malformed, "wrong PIN");
      return Guard{s->guard_id, s == &passes().guard ? "王**" : "李*"};
    }
    if (text == passes().foreign.text) return gk::fail(gk::Reason::wrong_site, "other site");
    return gk::fail(gk::Reason::malformed, "not a pass");
  }
  void login_failed(std::string_view claimed, std::string_view reason) override {
    std::lock_guard lock(m);
    failures.emplace_back(claimed, reason);
  }
  ActionResult answer(json call, const std::string& phone = {}) {
    std::lock_guard lock(m);
    calls.push_back(std::move(call));
    ActionResult r;
    r.ok = !refuse;
    r.reason_code = refuse ? "lockdown" : "ok";
    r.message_zh = "已登记 " + phone;
    r.message_en = "Registered " + phone;
    r.journal_seq = ++seq;
    r.detail_json = json{{"phone", phone}, {"note", "call " + phone}}.dump();
    return r;
  }
  ActionResult visitor_with_consent(const Guard& g, const VisitorRegistration& v) override {
    return answer({{"action", "visitor"},
                   {"guard", g.guard_id},
                   {"visitor_name", v.visitor_name},
                   {"visitor_phone", v.visitor_phone},
                   {"reason", v.reason}},
                  v.visitor_phone);
  }
  ActionResult register_without_id(const Guard& g, const UnregisteredEntrant& e) override {
    return answer({{"action", "register"},
                   {"guard", g.guard_id},
                   {"name", e.name},
                   {"phone", e.phone},
                   {"reason", e.reason},
                   {"take_photo", e.take_photo}},
                  e.phone);
  }
  ActionResult register_delivery(const Guard& g, const Delivery& d) override {
    return answer({{"action", "delivery"},
                   {"guard", g.guard_id},
                   {"courier_name", d.courier_name},
                   {"courier_phone", d.courier_phone},
                   {"company", d.company},
                   {"parcel_note", d.parcel_note}},
                  d.courier_phone);
  }
  ActionResult manual_release(const Guard& g, std::string_view reason) override {
    return answer({{"action", "release"}, {"guard", g.guard_id}, {"reason", reason}});
  }
  ActionResult set_outbreak(const Guard& g, const OutbreakChange& o) override {
    return answer({{"action", "outbreak"},
                   {"guard", g.guard_id},
                   {"outbreak", o.outbreak},
                   {"quarantined_buildings", o.quarantined_buildings},
                   {"reason", o.reason}});
  }
  ActionResult acknowledge_alarm(const Guard& g, std::int64_t id) override {
    return answer({{"action", "ack"}, {"guard", g.guard_id}, {"alarm_id", id}});
  }
  std::string state_json() override {
    return R"({"outbreak":"normal","quarantined_buildings":[],"alarms":[],)"
           R"("pending_consent":{"phone":"13812345678"}})";
  }

  std::vector<json> calls_copy() {
    std::lock_guard lock(m);
    return calls;
  }
  std::vector<std::pair<std::string, std::string>> failures_copy() {
    std::lock_guard lock(m);
    return failures;
  }
  int authentications_count() {
    std::lock_guard lock(m);
    return authentications;
  }
};

ConsoleOptions test_options() {
  ConsoleOptions o;
  o.port = 0;
  o.site = "test-site";
  o.lockout = 60s;
  return o;
}

// The console on its own thread, as in the daemon.
struct Rig {
  asio::io_context io;
  RecordingBackend backend;
  std::unique_ptr<GuardConsole> console;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  explicit Rig(ConsoleOptions options = test_options()) {
    console = std::make_unique<GuardConsole>(io, std::move(options), backend);
    work.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  ~Rig() {
    std::promise<void> done;
    asio::post(io, [&] {
      console.reset();
      done.set_value();
    });
    done.get_future().get();
    work.reset();
    io.stop();
    thread.join();
  }
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }
  tcp::endpoint endpoint() const { return {asio::ip::address_v4::loopback(), console->port()}; }
  std::string origin(bool tls = false) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(console->port());
  }
};

struct Auth {
  std::string cookie;  // "gk_session=..."
  std::string csrf;
};

struct Call {
  http::verb verb = http::verb::post;
  std::string target;
  std::string body;
  std::optional<Auth> auth;
  bool csrf = true;  // send auth->csrf as X-CSRF-Token
  std::vector<std::pair<std::string, std::string>> headers;
  std::string from = "127.0.0.1";
  std::string content_type = "application/json";
};

struct Answer {
  unsigned status = 0;
  http::response<http::string_body> res;
  json body() const { return json::parse(res.body(), nullptr, false); }
  std::string header(http::field f) const {
    auto it = res.find(f);
    return it == res.end() ? std::string() : std::string(it->value());
  }
};

http::request<http::string_body> make_request(const Rig& rig, const Call& c) {
  http::request<http::string_body> req{c.verb, c.target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(rig.console->port()));
  req.set(http::field::user_agent, "gk-test");
  if (c.auth) {
    req.set(http::field::cookie, c.auth->cookie);
    if (c.csrf) req.set("X-CSRF-Token", c.auth->csrf);
  }
  for (const auto& [k, v] : c.headers) req.set(k, v);
  if (c.verb == http::verb::post) {
    if (!c.content_type.empty()) req.set(http::field::content_type, c.content_type);
    req.body() = c.body;
    req.prepare_payload();
  }
  return req;
}

template <class Stream>
Answer http_exchange(Stream& stream, const http::request<http::string_body>& req) {
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  parser.skip(req.method() == http::verb::head);
  http::read(stream, buffer, parser);
  Answer a;
  a.res = parser.release();
  a.status = a.res.result_int();
  return a;
}

Answer send(Rig& rig, const Call& c) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.open(tcp::v4());
  socket.bind({asio::ip::make_address(c.from), 0});
  socket.connect(rig.endpoint());
  return http_exchange(socket, make_request(rig, c));
}

Answer send_tls(Rig& rig, const Call& c) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);  // self-signed; the point here is the server side
  ssl::stream<tcp::socket> stream(io, ctx);
  stream.next_layer().connect(rig.endpoint());
  stream.handshake(ssl::stream_base::client);
  return http_exchange(stream, make_request(rig, c));
}

std::string login_body(const std::string& pass, const std::string& pin) {
  return json{{"pass", pass}, {"pin", pin}}.dump();
}

Answer login_call(Rig& rig, const std::string& pass, const std::string& pin,
                  const std::string& from = "127.0.0.1") {
  Call c;
  c.target = "/api/login";
  c.body = login_body(pass, pin);
  c.from = from;
  c.headers = {{"Origin", rig.origin()}};
  return send(rig, c);
}

Auth auth_of(const Answer& a) {
  auto cookie = a.header(http::field::set_cookie);
  auto semi = cookie.find(';');
  return {cookie.substr(0, semi), a.body().value("csrf", "")};
}

Auth login(Rig& rig, const Staff& staff = passes().guard) {
  auto a = login_call(rig, staff.text, kPin);
  REQUIRE(a.status == 200);
  return auth_of(a);
}

Call post(const std::string& target, const json& body, const Auth& auth) {
  Call c;
  c.target = target;
  c.body = body.dump();
  c.auth = auth;
  return c;
}

Answer get(Rig& rig, const std::string& target, std::optional<Auth> auth = std::nullopt) {
  Call c;
  c.verb = http::verb::get;
  c.target = target;
  c.auth = std::move(auth);
  return send(rig, c);
}

// One valid request per action route.
const std::vector<std::pair<std::string, json>>& valid_actions() {
  static const std::vector<std::pair<std::string, json>> actions{
      {"/api/visitor",
       {{"visitor_name", "张三"}, {"visitor_phone", "138 1234 5678"}, {"reason", "探望父母"}}},
      {"/api/register",
       {{"name", "李大爷"}, {"phone", kPhone}, {"reason", "无身份证"}, {"take_photo", false}}},
      {"/api/delivery",
       {{"courier_name", "王师傅"},
        {"courier_phone", "+86 13812345678"},
        {"company", "顺丰"},
        {"parcel_note", "3号楼 药品"}}},
      {"/api/release", {{"reason", "救护车进入"}}},
      {"/api/outbreak",
       {{"outbreak", "lockdown"},
        {"quarantined_buildings", {"3", "5"}},
        {"reason", "确诊病例 街道通知"}}},
      {"/api/alarms/ack", {{"alarm_id", 42}}},
  };
  return actions;
}

struct Event {
  std::string name, data;
};

// An event-stream client with an io_context of its own; read_until() pumps it.
struct SseClient {
  asio::io_context io;
  tcp::socket socket{io};
  std::array<char, 16 * 1024> buf{};
  std::string raw;
  std::optional<std::string> header;
  std::vector<Event> events;
  int comments = 0;
  bool closed = false;

  void start(const Rig& rig, const std::optional<Auth>& auth) {
    socket.connect(rig.endpoint());
    std::string req =
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (auth) req += "Cookie: " + auth->cookie + "\r\n";
    req += "\r\n";
    asio::write(socket, asio::buffer(req));
    read_more();
  }
  void read_more() {
    socket.async_read_some(asio::buffer(buf), [this](beast::error_code ec, std::size_t n) {
      if (ec) {
        closed = true;
        return;
      }
      feed(std::string_view(buf.data(), n));
      read_more();
    });
  }
  void feed(std::string_view bytes) {
    raw.append(bytes);
    if (!header) {
      auto end = raw.find("\r\n\r\n");
      if (end == std::string::npos) return;
      header = raw.substr(0, end + 2);
      raw.erase(0, end + 4);
    }
    std::size_t end;
    while ((end = raw.find("\n\n")) != std::string::npos) {
      std::string block = raw.substr(0, end + 1);
      raw.erase(0, end + 2);
      Event e;
      std::size_t pos = 0, nl;
      while ((nl = block.find('\n', pos)) != std::string::npos) {
        std::string line = block.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
        if (line.rfind("data: ", 0) == 0) e.data += line.substr(6);
        if (line.rfind(": keepalive", 0) == 0) ++comments;
      }
      if (!e.name.empty()) events.push_back(std::move(e));
    }
  }
  template <class Done>
  bool read_until(Done done, std::chrono::steady_clock::duration timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(20ms);
    }
    return true;
  }
};

}  // namespace

TEST_CASE("console: the page and its assets, with security headers") {
  Rig rig;
  auto page = get(rig, "/");
  REQUIRE(page.status == 200);
  CHECK(page.header(http::field::content_type) == "text/html; charset=utf-8");
  CHECK(page.res["Content-Security-Policy"].find("default-src 'self'") != std::string::npos);
  CHECK(page.res["X-Content-Type-Options"] == "nosniff");
  CHECK(page.header(http::field::cache_control) == "no-store");
  for (const char* id :
       {"login-pass", "login-pin", "login-submit", "login-error", "feed", "alarms", "visitor-name",
        "visitor-phone", "visitor-reason", "visitor-submit", "release-reason", "release-submit",
        "outbreak-select", "outbreak-reason", "outbreak-submit", "result", "logout"}) {
    INFO(id);
    CHECK(page.res.body().find(std::string("id=\"") + id + "\"") != std::string::npos);
  }
  CHECK(page.res.body().find("<script>") == std::string::npos);  // no inline script
  CHECK(page.res.body().find("style=") == std::string::npos);    // no inline style
  CHECK(page.res.body().find("http") == std::string::npos);      // no external resource
  CHECK(get(rig, "/guard.js").status == 200);
  CHECK(get(rig, "/guard.css").header(http::field::content_type) == "text/css; charset=utf-8");
  CHECK(get(rig, "/nothing").status == 404);
  CHECK(get(rig, "/api/nothing").status == 404);
  CHECK(get(rig, "/api/login").status == 405);
}

TEST_CASE("console: login with the staff pass and PIN") {
  Rig rig;
  SECTION("wrong PIN: 401, journaled") {
    auto a = login_call(rig, passes().guard.text, "000000");
    CHECK(a.status == 401);
    CHECK(a.body()["reason_code"] == "guard_login_failed");
    CHECK(a.header(http::field::set_cookie).empty());
    auto failures = rig.backend.failures_copy();
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].first == passes().guard.guard_id);
    CHECK(failures[0].second == "malformed");
  }
  SECTION("a staff pass of another site: 401 wrong_site") {
    auto a = login_call(rig, passes().foreign.text, kPin);
    CHECK(a.status == 401);
    CHECK(a.body()["cause"] == "wrong_site");
    CHECK(rig.backend.failures_copy().at(0).second == "wrong_site");
  }
  SECTION("ok: session cookie and CSRF token") {
    auto a = login_call(rig, passes().guard.text, kPin);
    REQUIRE(a.status == 200);
    auto cookie = a.header(http::field::set_cookie);
    CHECK(cookie.rfind("gk_session=", 0) == 0);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("Path=/") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP on loopback
    auto body = a.body();
    CHECK(body["guard"]["guard_id"] == passes().guard.guard_id);
    CHECK(body["guard"]["name"] == "王**");
    CHECK(body["csrf"].get<std::string>().size() == 64);
    auto auth = auth_of(a);
    CHECK(auth.cookie.size() == std::string("gk_session=").size() + 64);
    auto state = get(rig, "/api/state", auth);
    REQUIRE(state.status == 200);
    CHECK(state.body()["csrf"] == auth.csrf);
    CHECK(state.body()["state"]["outbreak"] == "normal");
    CHECK(state.res.body().find(kPhone) == std::string::npos);  // masked
    CHECK(state.res.body().find(kPhoneMasked) != std::string::npos);
    CHECK(rig.on_io([&] { return rig.console->sessions(); }) == 1);
    CHECK(rig.backend.failures_copy().empty());
  }
  SECTION("missing fields: 400, not counted") {
    Call c;
    c.target = "/api/login";
    c.body = R"({"pass":"GK1:abc"})";
    auto a = send(rig, c);
    CHECK(a.status == 400);
    CHECK(a.body()["field"] == "pin");
    CHECK(rig.backend.authentications_count() == 0);
  }
  SECTION("a login from a foreign origin: 403") {
    Call c;
    c.target = "/api/login";
    c.body = login_body(passes().guard.text, kPin);
    c.headers = {{"Origin", "http://evil.example"}};
    CHECK(send(rig, c).status == 403);
    CHECK(rig.backend.authentications_count() == 0);
  }
}

TEST_CASE("console: failed logins lock out the claimed guard") {
  Rig rig;
  // Five wrong PINs for one guard, each from a different address.
  for (int i = 0; i < 5; ++i) {
    auto a = login_call(rig, passes().guard.text, "11111" + std::to_string(i),
                        "127.0.0." + std::to_string(2 + i));
    CHECK(a.status == 401);
  }
  // The right PIN from a fresh address: locked.
  auto locked = login_call(rig, passes().guard.text, kPin, "127.0.0.7");
  CHECK(locked.status == 429);
  CHECK(locked.body()["reason_code"] == "locked_out");
  CHECK(std::stoi(locked.header(http::field::retry_after)) > 0);
  CHECK(rig.backend.authentications_count() == 5);  // the locked attempt never reached it
  auto failures = rig.backend.failures_copy();
  REQUIRE(failures.size() == 6);
  for (const auto& f : failures) CHECK(f.first == passes().guard.guard_id);
  CHECK(failures.back().second == "locked_out");
  // Another guard from that address is not affected.
  CHECK(login_call(rig, passes().second.text, kPin, "127.0.0.7").status == 200);
}

TEST_CASE("console: failed logins lock out the client address") {
  Rig rig;
  for (int i = 0; i < 5; ++i)
    CHECK(login_call(rig, "GK1:NOT-A-PASS-" + std::to_string(i), kPin, "127.0.0.8").status == 401);
  CHECK(login_call(rig, passes().guard.text, kPin, "127.0.0.8").status == 429);
  CHECK(login_call(rig, passes().guard.text, kPin, "127.0.0.9").status == 200);
  auto failures = rig.backend.failures_copy();
  REQUIRE(failures.size() == 6);
  CHECK(failures[0].first.empty());  // no guard id claimed by garbage
  CHECK(failures[5].second == "locked_out");
}

TEST_CASE("console: a lockout ends after its period") {
  auto options = test_options();
  options.lockout = 1s;
  options.max_failed_logins = 2;
  Rig rig(options);
  CHECK(login_call(rig, passes().guard.text, "0000").status == 401);
  CHECK(login_call(rig, passes().guard.text, "0000").status == 401);
  CHECK(login_call(rig, passes().guard.text, kPin).status == 429);
  std::this_thread::sleep_for(1100ms);
  CHECK(login_call(rig, passes().guard.text, kPin).status == 200);
}

TEST_CASE("console: actions need a session, the CSRF token and our own origin") {
  Rig rig;
  auto auth = login(rig);
  auto routes = valid_actions();
  routes.emplace_back("/api/logout", json::object());
  for (const auto& [target, body] : routes) {
    INFO(target);
    Call c = post(target, body, auth);
    c.auth.reset();
    CHECK(send(rig, c).status == 401);  // no session

    c = post(target, body, Auth{"gk_session=" + std::string(64, 'a'), auth.csrf});
    CHECK(send(rig, c).status == 401);  // unknown session

    c = post(target, body, auth);
    c.csrf = false;
    CHECK(send(rig, c).status == 403);  // no CSRF token

    c = post(target, body, Auth{auth.cookie, std::string(64, '0')});
    CHECK(send(rig, c).status == 403);  // wrong CSRF token

    c = post(target, body, auth);
    c.headers = {{"Origin", "http://evil.example"}};
    CHECK(send(rig, c).status == 403);

    c = post(target, body, auth);
    c.headers = {{"Origin", "null"}};
    CHECK(send(rig, c).status == 403);

    c = post(target, body, auth);
    c.headers = {{"Referer", "http://127.0.0.1.evil.example/x"}};
    CHECK(send(rig, c).status == 403);

    c = post(target, body, auth);
    c.headers = {{"Sec-Fetch-Site", "cross-site"}};
    CHECK(send(rig, c).status == 403);
  }
  CHECK(rig.backend.calls_copy().empty());
  // The session survived all of that.
  CHECK(get(rig, "/api/state", auth).status == 200);
}

TEST_CASE("console: each action reaches the backend with the guard and its fields") {
  Rig rig;
  auto auth = login(rig);
  for (const auto& [target, body] : valid_actions()) {
    INFO(target);
    Call c = post(target, body, auth);
    c.headers = {{"Origin", rig.origin()}, {"Referer", rig.origin() + "/"}};
    auto a = send(rig, c);
    CHECK(a.status == 200);
    auto j = a.body();
    CHECK(j["ok"] == true);
    CHECK(j["journal_seq"].is_number_integer());
    CHECK(a.res.body().find(kPhone) == std::string::npos);
  }
  auto calls = rig.backend.calls_copy();
  REQUIRE(calls.size() == 6);
  for (const auto& call : calls) CHECK(call["guard"] == passes().guard.guard_id);
  CHECK(calls[0]["action"] == "visitor");
  CHECK(calls[0]["visitor_name"] == "张三");
  CHECK(calls[0]["visitor_phone"] == kPhone);  // normalized for the backend
  CHECK(calls[0]["reason"] == "探望父母");
  CHECK(calls[1]["name"] == "李大爷");
  CHECK(calls[1]["phone"] == kPhone);
  CHECK(calls[1]["take_photo"] == false);
  CHECK(calls[2]["company"] == "顺丰");
  CHECK(calls[2]["courier_phone"] == kPhone);
  CHECK(calls[2]["parcel_note"] == "3号楼 药品");
  CHECK(calls[3]["reason"] == "救护车进入");
  CHECK(calls[4]["outbreak"] == "lockdown");
  CHECK(calls[4]["quarantined_buildings"] == json::array({"3", "5"}));
  CHECK(calls[4]["reason"] == "确诊病例 街道通知");
  CHECK(calls[5]["alarm_id"] == 42);
}

TEST_CASE("console: phone numbers are masked in what the console returns") {
  Rig rig;
  auto auth = login(rig);
  auto a = send(rig, post("/api/visitor", valid_actions()[0].second, auth));
  REQUIRE(a.status == 200);
  auto j = a.body();
  CHECK(j["phone_masked"] == kPhoneMasked);
  CHECK(j["message_zh"] == "已登记 " + kPhoneMasked);
  CHECK(j["detail"]["phone"] == kPhoneMasked);
  CHECK(j["detail"]["note"] == "call " + kPhoneMasked);
  CHECK(a.res.body().find(kPhone) == std::string::npos);
  CHECK(a.res.body().find("1234") == std::string::npos);

  SECTION("a refusal is 409 with the backend's reason") {
    rig.backend.refuse = true;  // the io thread only reads it within a later request
    auto r = send(rig, post("/api/visitor", valid_actions()[0].second, auth));
    CHECK(r.status == 409);
    CHECK(r.body()["reason_code"] == "lockdown");
    CHECK(r.res.body().find(kPhone) == std::string::npos);
  }
  CHECK(mask_phones_in("a 13812345678 b 138123456789 c 12345678901") ==
        "a 138**5678 b 138123456789 c 12345678901");
  CHECK(normalize_mainland_mobile("+86 138-1234-5678") == kPhone);
  CHECK_FALSE(normalize_mainland_mobile("12812345678"));
  CHECK_FALSE(normalize_mainland_mobile("1381234567"));
  CHECK_FALSE(normalize_mainland_mobile("1381234567x"));
}

TEST_CASE("console: missing or invalid fields are refused with 400") {
  Rig rig;
  auto auth = login(rig);
  struct Bad {
    std::string target;
    json body;
    std::string code, field;
  };
  const std::string long_reason(201, 'x');
  const std::vector<Bad> bad{
      {"/api/release", json::object(), "missing_field", "reason"},
      {"/api/release", {{"reason", "   "}}, "missing_field", "reason"},
      {"/api/release", {{"reason", long_reason}}, "too_long", "reason"},
      {"/api/release", {{"reason", 5}}, "invalid_field", "reason"},
      {"/api/release", {{"reason", "a\u0001b"}}, "invalid_field", "reason"},
      {"/api/visitor", {{"visitor_phone", kPhone}}, "missing_field", "visitor_name"},
      {"/api/visitor", {{"visitor_name", "张三"}}, "missing_field", "visitor_phone"},
      {"/api/visitor",
       {{"visitor_name", "张三"}, {"visitor_phone", "12345"}},
       "invalid_phone",
       "visitor_phone"},
      {"/api/visitor",
       {{"visitor_name", std::string(65, 'x')}, {"visitor_phone", kPhone}},
       "too_long",
       "visitor_name"},
      {"/api/register", {{"name", "李"}, {"phone", "02012345678"}}, "invalid_phone", "phone"},
      {"/api/delivery", {{"courier_name", "王"}}, "missing_field", "company"},
      {"/api/delivery",
       {{"company", "顺丰"}, {"courier_phone", "123"}},
       "invalid_phone",
       "courier_phone"},
      {"/api/outbreak", {{"outbreak", "lockdown"}}, "missing_field", "reason"},
      {"/api/outbreak", {{"outbreak", "panic"}, {"reason", "x"}}, "invalid_field", "outbreak"},
      {"/api/outbreak",
       {{"outbreak", "normal"}, {"quarantined_buildings", "3"}, {"reason", "x"}},
       "invalid_field",
       "quarantined_buildings"},
      {"/api/alarms/ack", json::object(), "missing_field", "alarm_id"},
      {"/api/alarms/ack", {{"alarm_id", "7"}}, "invalid_field", "alarm_id"},
  };
  for (const auto& b : bad) {
    INFO(b.target << " " << b.body.dump());
    auto a = send(rig, post(b.target, b.body, auth));
    CHECK(a.status == 400);
    CHECK(a.body()["reason_code"] == b.code);
    CHECK(a.body()["field"] == b.field);
    CHECK(!a.body()["message_zh"].get<std::string>().empty());
  }
  Call c = post("/api/release", json::object(), auth);
  c.body = "{not json";
  CHECK(send(rig, c).status == 400);
  c.body = R"(["reason"])";
  CHECK(send(rig, c).status == 400);
  c = post("/api/release", {{"reason", "x"}}, auth);
  c.content_type = "text/plain";
  CHECK(send(rig, c).status == 415);
  c = post("/api/release", {{"reason", std::string(70 * 1024, 'x')}}, auth);
  CHECK(send(rig, c).status == 413);
  CHECK(rig.backend.calls_copy().empty());
}

TEST_CASE("console: request header limit") {
  Rig rig;
  Call c;
  c.verb = http::verb::get;
  c.target = "/";
  c.headers = {{"X-Filler", std::string(9 * 1024, 'x')}};
  CHECK(send(rig, c).status == 431);
}

TEST_CASE("console: sessions expire and logout ends them") {
  SECTION("session ttl") {
    auto options = test_options();
    options.session_ttl = 1s;
    Rig rig(options);
    auto auth = login(rig);
    CHECK(get(rig, "/api/state", auth).status == 200);
    std::this_thread::sleep_for(1100ms);
    CHECK(get(rig, "/api/state", auth).status == 401);
    CHECK(send(rig, post("/api/release", {{"reason", "x"}}, auth)).status == 401);
  }
  SECTION("idle timeout, renewed by use") {
    auto options = test_options();
    options.idle_timeout = 1s;
    Rig rig(options);
    auto auth = login(rig);
    std::this_thread::sleep_for(600ms);
    CHECK(get(rig, "/api/state", auth).status == 200);  // renews
    std::this_thread::sleep_for(600ms);
    CHECK(get(rig, "/api/state", auth).status == 200);
    std::this_thread::sleep_for(1100ms);
    CHECK(get(rig, "/api/state", auth).status == 401);
  }
  SECTION("logout") {
    Rig rig;
    auto auth = login(rig);
    auto other = login(rig, passes().second);
    auto a = send(rig, post("/api/logout", json::object(), auth));
    CHECK(a.status == 200);
    CHECK(a.header(http::field::set_cookie).find("Max-Age=0") != std::string::npos);
    CHECK(get(rig, "/api/state", auth).status == 401);
    CHECK(send(rig, post("/api/logout", json::object(), auth)).status == 401);
    CHECK(get(rig, "/api/state", other).status == 200);  // the other guard's session stays
  }
  SECTION("a new login replaces the browser's session") {
    Rig rig;
    auto first = login(rig);
    Call c;
    c.target = "/api/login";
    c.body = login_body(passes().guard.text, kPin);
    c.auth = first;
    auto a = send(rig, c);
    REQUIRE(a.status == 200);
    CHECK(get(rig, "/api/state", first).status == 401);
    CHECK(get(rig, "/api/state", auth_of(a)).status == 200);
  }
}

TEST_CASE("console: events reach logged-in feeds only") {
  Rig rig;
  auto auth = login(rig);

  SseClient anonymous;
  anonymous.start(rig, std::nullopt);
  REQUIRE(anonymous.read_until([&] { return anonymous.header.has_value(); }));
  CHECK(anonymous.header->rfind("HTTP/1.1 401", 0) == 0);

  SseClient feed;
  feed.start(rig, auth);
  REQUIRE(feed.read_until([&] { return !feed.events.empty(); }));
  CHECK(feed.header->rfind("HTTP/1.1 200", 0) == 0);
  CHECK(feed.header->find("text/event-stream") != std::string::npos);
  CHECK(feed.events[0].name == "state");
  CHECK(json::parse(feed.events[0].data)["outbreak"] == "normal");
  CHECK(feed.events[0].data.find(kPhone) == std::string::npos);
  CHECK(rig.on_io([&] { return rig.console->feeds(); }) == 1);

  rig.on_io([&] {
    rig.console->publish("passage", R"({"seq":7,"decision":"admit","phone":"13812345678",)"
                                    R"("pass":{"holder":"张*"}})");
    rig.console->publish("alarm", R"({"id":3,"kind":"fever"})");
  });
  REQUIRE(feed.read_until([&] { return feed.events.size() >= 3; }));
  CHECK(feed.events[1].name == "passage");
  auto passage = json::parse(feed.events[1].data);
  CHECK(passage["seq"] == 7);
  CHECK(passage["phone"] == kPhoneMasked);
  CHECK(feed.events[2].name == "alarm");
  CHECK_THROWS_AS(rig.on_io([&] { rig.console->publish("bad name", "{}"); }),
                  std::invalid_argument);

  // The anonymous connection got nothing but its 401.
  anonymous.read_until([&] { return anonymous.closed; }, 2s);
  CHECK(anonymous.events.empty());

  // Logout closes the guard's feed.
  CHECK(send(rig, post("/api/logout", json::object(), auth)).status == 200);
  CHECK(feed.read_until([&] { return feed.closed; }));
  rig.on_io([&] { rig.console->publish("passage", R"({"seq":8})"); });
  CHECK(feed.events.size() == 3);
}

TEST_CASE("console: feed limit and keepalive") {
  auto options = test_options();
  options.max_feeds = 1;
  options.keepalive_interval = 100ms;  // sent on the next housekeeping tick (1 s)
  Rig rig(options);
  auto auth = login(rig);
  SseClient first;
  first.start(rig, auth);
  REQUIRE(first.read_until([&] { return !first.events.empty(); }));
  SseClient second;
  second.start(rig, auth);
  REQUIRE(second.read_until([&] { return second.header.has_value(); }));
  CHECK(second.header->rfind("HTTP/1.1 503", 0) == 0);
  CHECK(first.read_until([&] { return first.comments > 0; }, 5s));
}

TEST_CASE("console: refuses a LAN address without TLS") {
  asio::io_context io;
  RecordingBackend backend;
  auto options = test_options();
  options.address = "0.0.0.0";
  CHECK_THROWS_AS(GuardConsole(io, options, backend), std::invalid_argument);
  options.address = "192.168.1.10";
  CHECK_THROWS_AS(GuardConsole(io, options, backend), std::invalid_argument);
  options.address = "127.0.0.1";
  options.tls_cert_pem = "/nonexistent/cert.pem";  // without the key
  CHECK_THROWS_AS(GuardConsole(io, options, backend), std::invalid_argument);
  options.tls_cert_pem.clear();
  options.address = "not an address";
  CHECK_THROWS_AS(GuardConsole(io, options, backend), std::system_error);
  // Port in use.
  options.address = "127.0.0.1";
  GuardConsole first(io, options, backend);
  options.port = first.port();
  CHECK_THROWS_AS(GuardConsole(io, options, backend), std::system_error);
}

TEST_CASE("console: HTTPS with a self-signed certificate") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gk-console-test-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{dir};
  auto pin = gk::sync::make_self_signed_certificate(dir / "console.key", dir / "console.pem",
                                                    "gate-console");
  REQUIRE(pin.ok());

  auto options = test_options();
  options.address = "0.0.0.0";  // LAN: allowed with TLS
  options.tls_cert_pem = (dir / "console.pem").string();
  options.tls_key_pem = (dir / "console.key").string();
  Rig rig(options);
  CHECK(rig.console->tls());

  Call c;
  c.target = "/api/login";
  c.body = login_body(passes().guard.text, kPin);
  c.headers = {{"Origin", rig.origin(true)}};
  auto a = send_tls(rig, c);
  REQUIRE(a.status == 200);
  CHECK(a.header(http::field::set_cookie).find("; Secure") != std::string::npos);
  CHECK(a.res["Strict-Transport-Security"].size() > 0);
  auto auth = auth_of(a);

  Call state;
  state.verb = http::verb::get;
  state.target = "/api/state";
  state.auth = auth;
  CHECK(send_tls(rig, state).status == 200);

  Call release = post("/api/release", {{"reason", "消防检查"}}, auth);
  release.headers = {{"Origin", rig.origin(true)}};
  CHECK(send_tls(rig, release).status == 200);
  release.headers = {{"Origin", rig.origin(false)}};  // http:// is another origin
  CHECK(send_tls(rig, release).status == 403);
  CHECK(rig.backend.calls_copy().size() == 1);

  // Plain HTTP to the HTTPS port gets no HTTP answer.
  CHECK_THROWS(send(rig, state));

  SECTION("PEM text instead of paths; a key readable by others is refused") {
    auto read = [](const std::filesystem::path& p) {
      std::ifstream in(p);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto pem = test_options();
    pem.tls_cert_pem = read(dir / "console.pem");
    pem.tls_key_pem = read(dir / "console.key");
    Rig rig2(pem);
    CHECK(send_tls(rig2, state).status == 401);  // another console, no such session

    std::filesystem::permissions(dir / "console.key", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    asio::io_context io;
    RecordingBackend backend;
    CHECK_THROWS_AS(GuardConsole(io, options, backend), std::invalid_argument);
  }
}

// Not run by default: serves the console with the recording backend for a manual or browser
// check. GK_CONSOLE_SERVE_PORT (default 18081), GK_CONSOLE_SERVE_SECONDS (default 60); writes
// the accepted staff pass text to GK_CONSOLE_SERVE_PASS_FILE if set (PIN 246810) and publishes
// a passage and an alarm every second.
TEST_CASE("console: serve for a browser", "[.][serve]") {
  const auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  auto options = test_options();
  options.port = static_cast<unsigned short>(std::stoi(env("GK_CONSOLE_SERVE_PORT", "18081")));
  Rig rig(options);
  if (auto file = env("GK_CONSOLE_SERVE_PASS_FILE", ""); !file.empty())
    std::ofstream(file) << passes().guard.text << "\n";
  const int seconds = std::stoi(env("GK_CONSOLE_SERVE_SECONDS", "60"));
  for (int i = 1; i <= seconds; ++i) {
    std::this_thread::sleep_for(1s);
    rig.on_io([&] {
      rig.console->publish("passage", json{{"seq", i},
                                           {"time", 1590000000 + i},
                                           {"direction", "in"},
                                           {"decision", i % 3 ? "admit" : "deny"},
                                           {"message_zh", "请通行"},
                                           {"message_en", "Please pass"},
                                           {"temperature_c", 36.5},
                                           {"pass", {{"holder", "张*"}, {"building", "3"}}}}
                                          .dump());
      if (i % 5 == 0)
        rig.console->publish("alarm", R"({"id":9,"kind":"fever","message_zh":"体温异常",)"
                                      R"("message_en":"Fever","time":1590000002})");
    });
  }
}
