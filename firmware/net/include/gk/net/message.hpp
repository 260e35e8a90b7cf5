#pragma once
// One HTTP exchange as plain values: what every handler on the kiosk (screen, guard console)
// and on gate-upstream takes and returns. No sockets and no Asio here, so handlers stay pure
// functions that are unit-tested and fuzzed without a network; gk/net/listener.hpp puts a
// handler on one.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gk::net {

struct Request {
  // (Default initialisers throughout: GCC warns about aggregate initialisers that skip
  // members without one.)
  std::string method = {};  // as sent, e.g. "GET"
  std::string target = {};  // path and query as sent (the upstream verifies signatures over it)
  std::map<std::string, std::string> headers = {};  // names lower-cased by the listener, once
  std::string body = {};
  std::string peer = {};     // the client's address
  bool kiosk_local = false;  // the peer is 127.0.0.1 or ::1: the kiosk's own browser

  // The target up to '?' or '#'.
  std::string_view path() const;
  // The value of a header by its lower-case name; empty when absent.
  std::string header(std::string_view lower_case_name) const;
  // A query parameter of the target, as sent (no percent-decoding); nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
};

struct Event {
  std::string name = {};  // letters, digits, '_', '-', '.'
  std::string json = {};  // one JSON document
};

struct Response;

// Work too slow for the event loop (an Argon2 PIN check is ~60 ms, a store commit's fsync). The
// listener runs it on one of its worker threads (ListenerOptions::off_loop_threads; jobs run
// at once when there are several), then calls what it returned back on the loop for the
// answer. It must touch nothing the loop touches: it owns copies of what it needs; the
// returned step may touch the handler's state (it runs on the loop, unless the listener was
// closed meanwhile).
using OffLoopWork = std::function<std::function<Response()>()>;

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};
  // 200 with event_stream: the listener streams its event hub to this client (server-sent
  // events) after `first_events`, until the client goes or the stream is no longer allowed.
  bool event_stream = false;
  std::vector<Event> first_events = {};
  bool drop_connection = false;  // close without answering (the upstream's fault injection)
  int stall_ms = 0;              // answer this late (the upstream's fault injection)
  OffLoopWork off_loop = {};     // set: the answer is what this work ends in (the rest unused)
  // The handler authenticated the request as this principal (gate-upstream: a device id). On a
  // listener that holds connections (Limits::max_held) the connection is kept for that
  // principal between its requests, for `held_idle`, outside the connection budgets; one per
  // principal. Empty on a held connection: closed after this answer.
  std::string hold = {};
};

// The final answer of a handler called without a listener (unit tests, fuzzers): off-loop
// work run inline, on the caller's thread.
Response settle(Response res);

// A plain-text answer (UTF-8), e.g. text(404, "not found\n").
Response text(unsigned status, std::string body);

// A header name as the listener stores it: ASCII lower case.
std::string lower_case(std::string_view name);

// True for 127.0.0.1, ::1 and ::ffff:127.0.0.1: where the kiosk's own browser connects from.
// Other loopback addresses (127.0.0.2 ...) are treated like LAN hosts, which lets the
// security tests stand in for LAN attackers without leaving loopback.
bool is_kiosk_local(std::string_view address);

// Compares two secrets in time that depends only on their lengths.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace gk::net
