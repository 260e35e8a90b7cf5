#include "gk/guard/console_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "gk/core/bytes.hpp"
#include "gk/core/http_host.hpp"
#include "gk/core/mask.hpp"
#include "gk/core/reason.hpp"
#include "gk/core/scrub.hpp"
#include "gk/core/utf8.hpp"
#include "gk/guard/assets.hpp"
#include "gk/pass/codec.hpp"

namespace gk::guard {
namespace {

constexpr std::size_t kMaxChecksInFlight = 4;

ApiResponse with_console_headers(ApiResponse res) {
  res.headers.emplace_back("Cache-Control", "no-store");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  return res;
}
using nlohmann::json;

ApiResponse reply(unsigned status, json body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse refuse(unsigned status, Reason reason, const std::string& detail) {
  const ReasonText& t = describe(reason);
  return reply(status, {{"ok", false},
                        {"reason", std::string(t.code)},
                        {"message_zh", std::string(t.zh)},
                        {"message_en", std::string(t.en)},
                        {"detail", detail}});
}

ApiResponse refuse_plain(unsigned status, const std::string& detail) {
  return reply(status, {{"ok", false}, {"detail", detail}});
}

json result_json(const ActionResult& a) {
  return {{"ok", a.ok},
          {"reason", a.reason},
          {"message_zh", a.message_zh},
          {"message_en", a.message_en},
          {"seq", a.seq ? json(*a.seq) : json(nullptr)},
          {"detail", a.detail}};
}

// A required text field of 1..max characters (bytes), or nullopt.
// The text fields of one request. Limits count characters, not bytes: a byte limit gives a
// Chinese name a third of the room of a Latin one. The first problem is kept, to be said.
class TextFields {
 public:
  explicit TextFields(const json& j) : j_(j) {}
  std::optional<std::string> get(const char* key, std::size_t max_chars) {
    auto it = j_.is_object() ? j_.find(key) : j_.end();
    if (it == j_.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return note(std::string(key) + " is required");
    const std::string& v = it->get_ref<const std::string&>();
    if (!utf8::valid(v)) return note(std::string(key) + ": not UTF-8");
    if (utf8::length(v) > max_chars)
      return note(std::string(key) + ": at most " + std::to_string(max_chars) + " characters");
    return v;
  }
  const std::string& problem() const { return problem_; }

 private:
  std::nullopt_t note(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    return std::nullopt;
  }
  const json& j_;
  std::string problem_;
};

std::optional<std::string> text_field(const json& j, const char* key, std::size_t max) {
  return TextFields(j).get(key, max);
}

// Mainland mobile numbers: 11 digits starting with 1.
bool valid_phone(const std::string& p) {
  return p.size() == 11 && p[0] == '1' &&
         std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string header(const ApiRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// Free text is scrubbed here, where it enters: nothing downstream sees its numbers in clear.
FreeText free_text(const std::string& typed) {
  return {typed, scrub_personal_numbers(typed)};
}

ApiResponse asset_response(std::string_view name, const char* type) {
  ApiResponse r;
  r.content_type = type;
  r.body = std::string(detail::asset(name));
  return r;
}

}  // namespace

ConsoleApi::ConsoleApi(ConsoleBackend& backend, ConsoleLimits limits, bool tls, Clock clock)
    : backend_(backend),
      limits_(limits),
      tls_(tls),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }),
      throttle_(limits.login, clock_) {}

std::string ConsoleApi::session_id_of(const ApiRequest& r) const {
  const std::string cookie = header(r, "cookie");
  const std::string key = "gk_session=";
  for (std::size_t at = 0; (at = cookie.find(key, at)) != std::string::npos; at += key.size()) {
    if (at != 0 && cookie[at - 1] != ' ' && cookie[at - 1] != ';') continue;
    const auto end = cookie.find(';', at);
    return cookie.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
  }
  return {};
}

ConsoleApi::Session* ConsoleApi::session_of(const ApiRequest& r) {
  const auto now = clock_();
  // Expired sessions go first, so that a stolen cookie of an old session is worthless.
  std::erase_if(sessions_, [&](const auto& kv) {
    return now - kv.second.created > limits_.session_ttl ||
           now - kv.second.last_seen > limits_.idle_timeout;
  });
  auto it = sessions_.find(session_id_of(r));
  if (it == sessions_.end()) return nullptr;
  it->second.last_seen = now;
  return &it->second;
}

bool ConsoleApi::session_alive(const ApiRequest& r) {
  return session_of(r) != nullptr;
}

void ConsoleApi::journal_login_failures() {
  for (const FailureRow& row : throttle_.take_rows())
    backend_.login_failed(row.claimed, row.detail);
}

ApiResponse ConsoleApi::login(const ApiRequest& r) {
  const auto now = clock_();
  json j = json::parse(r.body, nullptr, false);
  auto pass = j.is_object() ? text_field(j, "pass", 4096) : std::nullopt;
  auto pin = j.is_object() ? text_field(j, "pin", 32) : std::nullopt;
  if (!pass || !pin) return refuse(400, Reason::malformed, "pass and pin are required");
  // The guard the pass claims to be, for counting failures (the pass is verified later).
  std::string claimed = "unknown";
  if (auto parsed = parse_pass_text(*pass))
    claimed = "staff-" + to_hex(parsed->pass.id).substr(0, 8);
  // Before anything is hashed or written: the rate limits and lock-outs.
  if (const auto admission = throttle_.admit(claimed, r.peer);
      admission != LoginThrottle::Admission::allowed) {
    const bool locked = admission == LoginThrottle::Admission::locked;
    ApiResponse res =
        refuse(429, Reason::guard_login_failed,
               locked ? "too many failed logins; wait" : "too many login attempts; wait");
    res.headers.emplace_back("Retry-After", std::to_string(throttle_.retry_after().count()));
    return res;
  }
  // One PIN check in flight per claimed guard and per address (the lock-outs count failures
  // when a check ends: more at once would let a burst past them), and a few in all.
  if (checks_in_flight_ >= kMaxChecksInFlight || checking_.contains("guard " + claimed) ||
      checking_.contains("peer " + r.peer))
    return refuse(429, Reason::guard_login_failed, "a login is being checked; try again");
  checking_.insert("guard " + claimed);
  checking_.insert("peer " + r.peer);
  ++checks_in_flight_;
  // Argon2 (~60 ms) runs off the event loop; what follows it runs back on the loop.
  ApiResponse res;
  // The step back on the loop always runs (unless the listener is closing), so that what is
  // marked in flight is cleared: a check that throws is a failed login, never a stuck guard.
  res.off_loop = [this, check = backend_.prepare_login(*pass, *pin), claimed, peer = r.peer, now] {
    LoginCheck outcome;
    try {
      outcome = check();
    } catch (...) {
      outcome = LoginCheck{std::nullopt, "", "internal_error"};
    }
    return [this, outcome = std::move(outcome), claimed, peer, now] {
      checking_.erase("guard " + claimed);
      checking_.erase("peer " + peer);
      --checks_in_flight_;
      return logged_in(outcome, claimed, peer, now);
    };
  };
  return res;
}

ApiResponse ConsoleApi::logged_in(const LoginCheck& check, const std::string& claimed,
                                  const std::string& peer,
                                  std::chrono::steady_clock::time_point now) {
  if (!check.guard) {
    throttle_.failed(claimed, check.registered, peer, check.reason_code);
    journal_login_failures();
    // One answer for every failure: which part was wrong is for the journal, not the caller.
    return with_console_headers(
        refuse(401, Reason::guard_login_failed, "staff pass or PIN not accepted"));
  }
  const Guard* guard = &*check.guard;
  throttle_.succeeded(guard->id, peer);
  if (sessions_.size() >= limits_.max_sessions) sessions_.erase(sessions_.begin());
  std::array<std::uint8_t, 32> id{}, csrf{};
  random_fill(id);
  random_fill(csrf);
  const std::string sid = to_hex(id);
  sessions_[sid] = Session{*guard, to_hex(csrf), now, now};
  ApiResponse res = reply(200, {{"ok", true},
                                {"guard", {{"id", guard->id}, {"name", guard->name}}},
                                {"csrf", to_hex(csrf)}});
  res.headers.emplace_back(
      "Set-Cookie",
      "gk_session=" + sid + "; HttpOnly; SameSite=Strict; Path=/" + (tls_ ? "; Secure" : ""));
  return with_console_headers(std::move(res));
}

void ConsoleApi::serve_as(unsigned port, std::vector<std::string> names) {
  port_ = port;
  names_ = std::move(names);
}

ApiResponse ConsoleApi::handle(const ApiRequest& r) {
  journal_login_failures();  // an interval that ended since the last request
  ApiResponse res = [&]() -> ApiResponse {
    if (port_ != 0 && !host_names_us(header(r, "host"), port_, tls_, names_))
      return refuse_plain(421, "this console does not answer to that host name");
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (r.method == "GET" || r.method == "HEAD") {
      if (path == "/" || path == "/guard.html")
        return asset_response("guard.html", "text/html; charset=utf-8");
      if (path == "/guard.css") return asset_response("guard.css", "text/css; charset=utf-8");
      if (path == "/guard.js") return asset_response("guard.js", "text/javascript; charset=utf-8");
      if (path == "/healthz") return reply(200, {{"ok", true}});
    }
    if (!path.starts_with("/api/")) return refuse_plain(404, "no such page");
    // Cross-site requests: a browser names the page that sent them; it must be ours.
    const std::string origin = header(r, "origin");
    const std::string host = header(r, "host");
    if (!origin.empty() && origin != (tls_ ? "https://" : "http://") + host)
      return refuse_plain(403, "cross-site request refused");
    // Browsers also say where a request came from in Sec-Fetch-Site.
    const std::string fetch_site = header(r, "sec-fetch-site");
    if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none")
      return refuse_plain(403, "cross-site request refused");
    if (path == "/api/login") {
      if (r.method != "POST") return refuse_plain(405, "POST only");
      return login(r);
    }
    Session* s = session_of(r);
    if (!s) return refuse_plain(401, "log in first");
    if (r.method == "GET") {
      if (path == "/api/state")
        return reply(200, json::parse(backend_.state_json(), nullptr, false));
      if (path == "/api/events") {
        ApiResponse ev;
        ev.event_stream = true;
        return ev;
      }
      return refuse_plain(404, "no such route");
    }
    if (r.method != "POST") return refuse_plain(405, "method not allowed");
    if (header(r, "x-csrf-token") != s->csrf)
      return refuse_plain(403, "missing or wrong CSRF token");
    if (path == "/api/logout") {
      sessions_.erase(session_id_of(r));
      ApiResponse out = reply(200, {{"ok", true}});
      out.headers.emplace_back("Set-Cookie",
                               "gk_session=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/");
      return out;
    }
    return action(r, path, s->guard);
  }();
  if (res.off_loop) return res;  // a login: logged_in() adds the headers to its answer
  return with_console_headers(std::move(res));
}

ApiResponse ConsoleApi::action(const ApiRequest& r, const std::string& path, const Guard& g) {
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return refuse(400, Reason::malformed, "a JSON object is expected");
  TextFields fields(j);
  auto need = [&](const char* key, std::size_t max) { return fields.get(key, max); };
  if (path == "/api/visitor" || path == "/api/register") {
    auto name = need("name", 64), phone = need("phone", 16), reason = need("reason", 200);
    if (!name || !phone || !reason) return refuse(400, Reason::malformed, fields.problem());
    if (!valid_phone(*phone))
      return refuse(400, Reason::malformed, "phone: 11-digit mobile number");
    ActionResult a = path == "/api/visitor"
                         ? backend_.visitor_with_consent(g, *name, *phone, free_text(*reason))
                         : backend_.register_without_id(g, *name, *phone, free_text(*reason));
    json out = result_json(a);
    out["phone"] = mask_phone(*phone);  // never echoed in full
    return reply(a.ok ? 200 : 409, out);
  }
  if (path == "/api/register_id_card") {
    auto reason = need("reason", 200);
    if (!reason) return refuse(400, Reason::malformed, fields.problem());
    ActionResult a = backend_.register_by_id_card(g, *reason);
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  if (path == "/api/delivery") {
    auto courier = need("courier", 64), phone = need("phone", 16), company = need("company", 64);
    if (!courier || !phone || !company) return refuse(400, Reason::malformed, fields.problem());
    if (!valid_phone(*phone))
      return refuse(400, Reason::malformed, "phone: 11-digit mobile number");
    ActionResult a = backend_.register_delivery(g, *courier, *phone, free_text(*company));
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  if (path == "/api/release") {
    auto reason = need("reason", 200);
    if (!reason) return refuse(400, Reason::malformed, fields.problem());
    ActionResult a = backend_.manual_release(g, scrub_personal_numbers(*reason));
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  if (path == "/api/outbreak") {
    auto outbreak = need("outbreak", 16), reason = need("reason", 200);
    std::vector<std::string> buildings;
    if (auto it = j.find("quarantined_buildings"); it != j.end()) {
      if (!it->is_array() || it->size() > 200)
        return refuse(400, Reason::malformed, "quarantined_buildings: a list");
      for (const auto& b : *it) {
        if (!b.is_string() || b.get<std::string>().empty() ||
            utf8::length(b.get<std::string>()) > 16)
          return refuse(400, Reason::malformed,
                        "quarantined_buildings: building names of 1 to 16 characters");
        buildings.push_back(b.get<std::string>());
      }
    }
    if (outbreak && *outbreak != "normal" && *outbreak != "lockdown")
      return refuse(400, Reason::malformed, "outbreak: normal or lockdown");
    if (!outbreak || !reason) return refuse(400, Reason::malformed, fields.problem());
    ActionResult a =
        backend_.set_outbreak(g, *outbreak, buildings, scrub_personal_numbers(*reason));
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  if (path == "/api/alarms/ack") {
    auto it = j.find("id");
    if (it == j.end() || !it->is_number_integer())
      return refuse(400, Reason::malformed, "id of the alarm");
    ActionResult a = backend_.acknowledge_alarm(g, it->get<std::int64_t>());
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  if (path == "/api/remeasure") {  // {"seq": referred passage, "celsius": clinical reading}
    auto seq = j.find("seq");
    auto c = j.find("celsius");
    if (seq == j.end() || !seq->is_number_integer() || c == j.end() || !c->is_number())
      return refuse(400, Reason::malformed, "seq of the referred passage and celsius are required");
    const double celsius = c->get<double>();
    if (!(celsius >= 34.0 && celsius <= 43.0))
      return refuse(400, Reason::malformed, "celsius: a clinical reading, 34.0..43.0");
    ActionResult a = backend_.clinical_remeasure(g, seq->get<std::int64_t>(), celsius);
    return reply(a.ok ? 200 : 409, result_json(a));
  }
  return refuse_plain(404, "no such action");
}

}  // namespace gk::guard
