#pragma once
// gk::console: the guard console's HTTP side. Login with a staff pass + PIN, sessions with
// CSRF tokens, failed-login rate limiting, a live event feed, and the guard's actions, each
// handed to a ConsoleBackend (implemented by the daemon, which journals them).
//
// Routes:
//   GET  /, /guard.css, /guard.js        the page (compiled in from web/)
//   POST /api/login                      {"pass":"GK1:...","pin":"123456"}
//                                        -> 200 {"guard":{..},"csrf":".."} + cookie gk_session
//   POST /api/logout                     ends the session
//   GET  /api/state                      {"guard":{..},"csrf":"..","site":"..","state":<backend>}
//   GET  /api/events                     text/event-stream: "state" first, then every publish()
//   POST /api/visitor  {"visitor_name","visitor_phone","reason"}
//   POST /api/register {"name","phone","reason","take_photo"}
//   POST /api/delivery {"courier_name","courier_phone","company","parcel_note"}
//   POST /api/release  {"reason"}
//   POST /api/outbreak {"outbreak":"normal|lockdown","quarantined_buildings":[..],"reason"}
//   POST /api/alarms/ack {"alarm_id":N}
//
// Authorisation: every /api/* route except login needs the session cookie (else 401). Every
// POST needs "Content-Type: application/json" where it has a body (else 415), an Origin or
// Referer, when present, naming this console's own host and scheme (else 403), and, except
// login, the header X-CSRF-Token equal to the session's token (else 403). Invalid or missing
// fields: 400 {"ok":false,"reason_code":"missing_field|too_long|invalid_field|invalid_phone",
// "field":..}. An action's result: 200 when ok, 409 when the backend refused it, as
// {"ok","reason_code","message_zh","message_en","journal_seq","detail"}. Phone numbers are
// masked (gk::mask_phone) in everything the console returns or streams.
//
// Failed logins are counted per claimed guard id (from the staff pass, if it parses) and per
// client address; the max_failed_logins-th failure within `lockout` locks that key for
// `lockout`, during which logins get 429 (with Retry-After) without reaching the backend.
// backend.login_failed() is called for every failed or refused login.
//
// Sessions: a random 32-byte id in the cookie (only its hash is kept), a random 32-byte CSRF
// token, ended by logout, by session_ttl after login, or by idle_timeout after the last
// request (an open event stream does not count as activity). An ended session's event
// streams are closed at once (logout) or within a second (expiry); its browser's EventSource
// then gets 401 on reconnecting. At most 32 sessions: a new login ends the least recently
// used one. A login from a browser that already has a session replaces it.
//
// Limits: request header 8 KiB (431), body 64 KiB (413), 10 s to send a whole request, 30 s
// for a write to make progress, 64 connections, max_feeds event streams (503).
//
// Runs on a caller-supplied io_context and starts no threads; not thread-safe: construct,
// publish and destroy on the io_context's thread. Destroying the console closes the acceptor,
// every connection and every timer.

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gk/core/result.hpp"

namespace gk::console {

struct Guard {
  std::string guard_id;  // e.g. "staff-1a2b3c4d"
  std::string name;      // masked display name from the staff pass
};

struct VisitorRegistration {
  std::string visitor_name, visitor_phone, reason;
};

struct UnregisteredEntrant {
  std::string name, phone, reason;
  bool take_photo = true;
};

struct Delivery {
  std::string courier_name, courier_phone, company, parcel_note;
};

struct OutbreakChange {
  std::string outbreak;  // "normal" | "lockdown"
  std::vector<std::string> quarantined_buildings;
  std::string reason;
};

struct ActionResult {
  bool ok = false;
  std::string reason_code;  // gk::code(Reason) where one applies
  std::string message_zh, message_en;
  std::optional<std::int64_t> journal_seq;
  std::string detail_json = "{}";  // one JSON document; phone numbers in it are masked on output
};

// Implemented by the daemon. Every call is made on the io_context's thread. Each action must
// be journaled by the backend with the guard's id and the reason.
class ConsoleBackend {
 public:
  virtual ~ConsoleBackend() = default;
  // Staff pass text + PIN -> the guard, or a failure (wrong PIN, not staff, other site,
  // revoked...).
  virtual Result<Guard> authenticate(std::string_view staff_pass_text, std::string_view pin) = 0;
  // Journal it. `claimed_guard_id`: "staff-" + 8 hex digits of the pass id if the pass text
  // parses, else empty. `reason_code`: the authentication failure's code, or "locked_out".
  virtual void login_failed(std::string_view claimed_guard_id, std::string_view reason_code) = 0;
  // The kiosk then waits for the resident's pass as consent.
  virtual ActionResult visitor_with_consent(const Guard&, const VisitorRegistration&) = 0;
  virtual ActionResult register_without_id(const Guard&, const UnregisteredEntrant&) = 0;
  virtual ActionResult register_delivery(const Guard&, const Delivery&) = 0;
  virtual ActionResult manual_release(const Guard&, std::string_view reason) = 0;
  virtual ActionResult set_outbreak(const Guard&, const OutbreakChange&) = 0;
  virtual ActionResult acknowledge_alarm(const Guard&, std::int64_t alarm_id) = 0;
  // Current outbreak state, open alarms, pending consent (one JSON document), for a page
  // that (re)connects.
  virtual std::string state_json() = 0;
};

struct ConsoleOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8081;  // 0 = any free port (see GuardConsole::port())
  std::string site;            // this compound; used in cookies/logs only
  std::chrono::seconds session_ttl{8 * 3600};
  std::chrono::seconds idle_timeout{15 * 60};
  int max_failed_logins = 5;
  std::chrono::seconds lockout{300};  // per claimed guard AND per client address
  // TLS: when both are set the console serves HTTPS only (TLS 1.2+); required for any
  // non-loopback address. Each is either a path to a PEM file or the PEM text itself
  // (starting with "-----BEGIN"). A key file readable by group or others is refused.
  std::string tls_cert_pem, tls_key_pem;
  // ": keepalive" comment on every feed; 0 = none.
  std::chrono::milliseconds keepalive_interval{15'000};
  std::size_t max_feeds = 16;  // simultaneous event streams; one more gets 503
};

// Mainland China mobile number: 11 digits, "1[3-9]" then 9 digits. Spaces and '-' are
// ignored, as is a leading "+86"/"86". Returns the 11 digits, or nullopt.
std::optional<std::string> normalize_mainland_mobile(std::string_view phone);
// Replaces every mainland mobile number found in `text` (an 11-digit run, not part of a
// longer run of digits) by its gk::mask_phone form.
std::string mask_phones_in(std::string_view text);

class GuardConsole {
 public:
  // Binds and starts accepting. Throws std::system_error if it cannot bind (or the TLS
  // certificate or key cannot be loaded), std::invalid_argument for a non-loopback address
  // without TLS or only one of tls_cert_pem / tls_key_pem.
  GuardConsole(boost::asio::io_context& io, ConsoleOptions options, ConsoleBackend& backend);
  ~GuardConsole();
  GuardConsole(const GuardConsole&) = delete;
  GuardConsole& operator=(const GuardConsole&) = delete;

  unsigned short port() const;
  bool tls() const;

  // To every logged-in feed: "passage", "alarm", "state". `event_name`: letters, digits,
  // '_', '-', '.' (else std::invalid_argument); `json`: one JSON document. Phone numbers in
  // it are masked on the way out.
  void publish(std::string_view event_name, std::string_view json);

  std::size_t sessions() const;  // live (unexpired) sessions
  std::size_t feeds() const;     // open event streams

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gk::console
