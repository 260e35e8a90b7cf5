#pragma once
// The guard console's HTTP API as a plain function of a request (no sockets: unit-tested and
// fuzzed directly; console_server.hpp puts it on HTTP or HTTPS).
//
// A guard logs in with a staff pass and a PIN (POST /api/login). The session is a random
// 256-bit id in an HttpOnly, SameSite=Strict cookie, expiring after a maximum age and after
// idle time; every state-changing request also needs the session's CSRF token in
// X-CSRF-Token and, when the browser sends one, an Origin of this console. Logins pass a
// LoginThrottle first (rate limits, lock-outs per registered guard and per address, 429);
// the PIN check then runs off the event loop (Response::off_loop), one at a time per guard
// and per address,
// and failures are journaled by the backend as aggregated rows under a budget. Each action
// is journaled by the backend with the guard's id and the reason given.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gk/core/result.hpp"
#include "gk/guard/login_throttle.hpp"
#include "gk/net/message.hpp"

namespace gk::guard {

struct Guard {
  std::string id;    // e.g. "staff-1a2b3c4d"
  std::string name;  // masked
};

// Text a guard typed into a field that is kept: `sealed` exactly as typed, for the sealed
// box only; `kept` with every identifying number masked (gk::scrub_personal_numbers), for
// everything kept in clear (journal, uploads, logs, event streams).
struct FreeText {
  std::string sealed;
  std::string kept;
};

struct ActionResult {
  bool ok = false;
  std::string reason;  // stable reason code
  std::string message_zh, message_en;
  std::optional<std::int64_t> seq;  // the journal row
  std::string detail{};             // shown to the guard; masked personal data only
};

// The outcome of checking a staff pass and a PIN.
struct LoginCheck {
  std::optional<Guard> guard;  // both were right
  std::string registered;      // else: the registered guard the pass verified as, if any
  std::string reason_code;     // else: why, for the journal (never for the caller)
};

// Implemented by the daemon; called on its event loop.
class ConsoleBackend {
 public:
  virtual ~ConsoleBackend() = default;
  // Called on the loop; returns the PIN check, which the listener runs on its worker thread
  // (so it may touch only what it owns). The check must take the same work and time whatever
  // the pass is (one Argon2 verification even for a pass that is no guard's), so that timing
  // does not tell which passes are guards'.
  virtual std::function<LoginCheck()> prepare_login(std::string_view staff_pass_text,
                                                    std::string_view pin) = 0;
  // One aggregated row about failed logins: the claimed guard ("unknown" or a guard id) and
  // a detail with counts, the address and reason codes.
  virtual void login_failed(std::string_view claimed_guard, std::string_view detail) = 0;
  // Names and phones are personal data as a whole: sealed, and kept only masked. Free text
  // comes scrubbed (FreeText::kept) beside what was typed; release and outbreak reasons are
  // never sealed, so only their scrubbed form reaches the backend.
  virtual ActionResult visitor_with_consent(const Guard&, const std::string& name,
                                            const std::string& phone, const FreeText& reason) = 0;
  virtual ActionResult register_without_id(const Guard&, const std::string& name,
                                           const std::string& phone, const FreeText& reason) = 0;
  virtual ActionResult register_delivery(const Guard&, const std::string& courier,
                                         const std::string& phone, const FreeText& company) = 0;
  virtual ActionResult manual_release(const Guard&, const std::string& scrubbed_reason) = 0;
  virtual ActionResult set_outbreak(const Guard&, const std::string& outbreak,
                                    const std::vector<std::string>& quarantined_buildings,
                                    const std::string& scrubbed_reason) = 0;
  virtual ActionResult acknowledge_alarm(const Guard&, std::int64_t alarm_id) = 0;
  // The guard re-measured a passage referred for temperature with a clinical thermometer.
  virtual ActionResult clinical_remeasure(const Guard&, std::int64_t referred_seq,
                                          double celsius) = 0;
  // One read of the resident ID card on the desk's certified reader registers its holder
  // (a visitor, or someone without an e-pass). Not every console has such a reader.
  virtual ActionResult register_by_id_card(const Guard&, const std::string& reason) {
    (void)reason;
    return {false,
            "device_fault",
            "未配置身份证阅读器",
            "No ID-card reader at this console",
            std::nullopt,
            {}};
  }
  virtual std::string state_json() = 0;  // outbreak state, open alarms, pending consent
};

struct ConsoleLimits {
  std::chrono::seconds session_ttl{8 * 3600};
  std::chrono::seconds idle_timeout{15 * 60};
  LoginLimits login;
  std::size_t max_sessions = 64;
};

// The request and answer values of gk::net (the one HTTP layer), under the console's names.
using ApiRequest = net::Request;
using ApiResponse = net::Response;

class ConsoleApi {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  ConsoleApi(ConsoleBackend& backend, ConsoleLimits limits, bool tls, Clock clock = {});

  ApiResponse handle(const ApiRequest& r);
  // Once the server knows its port: every request must then name this console in its Host
  // header, as an IP address, "localhost" or one of `names` (the console's DNS names), with
  // this port (or none, for the scheme's default). A page on another site that makes its own
  // name resolve to this address (DNS rebinding) would otherwise be same-origin with the
  // console, its Origin passing the cross-site check; its Host names it, so it gets 421. An
  // IP address cannot be rebound, hence any is accepted (the console may listen on them all).
  // Not called (unit tests, the fuzzer): Host is not checked.
  void serve_as(unsigned port, std::vector<std::string> names);
  // Whether the request's session cookie names a live session (the server re-checks each
  // event stream periodically, so a logout or an expiry ends the feed).
  bool session_alive(const ApiRequest& r);
  std::size_t sessions() const { return sessions_.size(); }
  std::string state_json() { return backend_.state_json(); }
  // Journals the failed-login summaries of an interval that has ended; call it periodically
  // (requests do it too).
  void tick() { journal_login_failures(); }
  std::string metrics_text() const { return throttle_.metrics_text(); }

 private:
  struct Session {
    Guard guard;
    std::string csrf;
    std::chrono::steady_clock::time_point created, last_seen;
  };
  ApiResponse login(const ApiRequest& r);
  ApiResponse logged_in(const LoginCheck& check, const std::string& claimed,
                        const std::string& peer, std::chrono::steady_clock::time_point now);
  ApiResponse action(const ApiRequest& r, const std::string& path, const Guard& g);
  Session* session_of(const ApiRequest& r);
  std::string session_id_of(const ApiRequest& r) const;
  void journal_login_failures();

  ConsoleBackend& backend_;
  ConsoleLimits limits_;
  bool tls_;
  Clock clock_;
  unsigned port_ = 0;  // 0: Host not checked
  std::vector<std::string> names_;
  std::map<std::string, Session> sessions_;
  LoginThrottle throttle_;
  std::set<std::string> checking_;  // "guard <claimed>", "peer <address>": a PIN check in flight
  std::size_t checks_in_flight_ = 0;
};

}  // namespace gk::guard
