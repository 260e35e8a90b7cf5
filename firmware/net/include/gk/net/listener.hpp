#pragma once
// One HTTP/1.1 listener on Beast, shared by the kiosk screen, the guard console and
// gate-upstream: it turns bytes into a gk::net::Request, calls the owner's pure handler, and
// writes its gk::net::Response (or streams the owner's EventHub). Everything between the
// socket and the handler is here, once, as layers in this order:
//
//   accept        back-off on EMFILE/ENFILE (and the spare descriptor, see descriptors.hpp);
//                 the accept loop is supervised: an exception is logged, counted, and the
//                 loop restarted after a second
//   budgets       per listener, per source address, the process's network share of
//                 descriptors; some connections reserved for the kiosk's own browser
//                 (127.0.0.1, ::1); over a budget the connection is closed at once
//   TLS           (when configured) a handshake time limit and a budget of handshakes at once:
//                 over it the oldest pending one is dropped, so idle sockets cannot hold them
//   timeouts      the first bytes and the whole header within `header`, the body within
//                 `body`, the next request within `idle`, every write within `write`
//   holding       (max_held > 0) a connection whose answer names its authenticated principal
//                 (Response::hold) leaves the connection and per-source budgets for a budget of
//                 its own: one connection per principal (a newer one replaces it), at most
//                 `max_held` (over it the least recently used is closed), and `held_idle`
//                 between requests; so devices keep their connection between sync rounds and
//                 an idle flood without their keys still meets `idle` and the budgets
//   limits        header and body sizes (413), malformed requests (400)
//   Host          when asked, a Host that does not name this listener gets 421
//   handler       exceptions caught, logged, counted and answered 500: one bad request never
//                 ends the listener; work a handler marks as too slow for the loop
//                 (Response::off_loop) runs on the listener's worker threads (one unless
//                 configured: `off_loop_threads`), other sessions going on
//
// Header names are lower-cased here and nowhere else. Runs on the caller's io_context; its
// worker threads start on the first off-loop job. Construct, use and destroy it on the thread
// that runs the io_context.
//
// Why here (firmware/net) and not in sync/transport: two of its three users are the kiosk's
// own listeners and it knows nothing of the sync protocol; gate-upstream links it like it links
// gk::core. sync/transport keeps the sync channel's client side and its pinned TLS.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gk/net/event_hub.hpp"
#include "gk/net/message.hpp"

namespace gk::net {

using namespace std::chrono_literals;

struct Limits {
  std::size_t max_connections = 64;
  std::size_t max_per_source = 8;      // the kiosk's own address is exempt
  std::size_t reserved_for_kiosk = 8;  // of max_connections: only the kiosk's own browser
  std::size_t max_handshakes = 16;     // TLS handshakes in progress at once
  std::size_t max_header = 8 * 1024;
  std::size_t max_body = 64 * 1024;  // 0: a request with a body gets 413
  std::chrono::milliseconds handshake = 5s;
  std::chrono::milliseconds header = 10s;  // from accept (or the request's first byte) to its end
  std::chrono::milliseconds body = 30s;
  std::chrono::milliseconds idle = 30s;  // between requests on a kept-alive connection
  std::chrono::milliseconds write = 30s;
  std::chrono::milliseconds keepalive = 15s;  // event streams: a comment, and the re-check; 0: none
  std::size_t max_held = 0;                   // connections held for principals; 0: none held
  std::chrono::milliseconds held_idle = 300s;  // between requests on a held connection
};

struct ListenerOptions {
  std::string name;  // "screen", "console", "upstream": in log lines and metrics
  boost::asio::ip::tcp::endpoint endpoint;
  boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP
  Limits limits;
  bool check_host = false;  // Host must name this listener (gk::host_names_us), else 421
  std::vector<std::string> host_names;
  std::vector<std::pair<std::string, std::string>> common_headers;  // on every answer
  EventHub* hub = nullptr;  // what an event_stream answer streams (must outlive the listener)
  // Re-checked at every keepalive of an event stream: false ends it (e.g. the guard logged out).
  std::function<bool(const Request&)> stream_allowed;
  // Threads for handlers' off-loop work: 1 runs one job at a time (the kiosk's PIN checks);
  // gate-upstream runs its store calls there, one store connection a thread.
  std::size_t off_loop_threads = 1;
  // Where degraded states are said (step: "accept", "handler", "session"); default: stderr.
  std::function<void(std::string_view step, std::string_view detail)> log;
};

struct ListenerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused_listener = 0;     // its budget (or the kiosk's reserve) was spent
  std::uint64_t refused_source = 0;       // that address's budget was spent
  std::uint64_t refused_descriptors = 0;  // the process's network share was spent
  std::uint64_t handshakes_dropped = 0;   // oldest pending handshake dropped for a new one
  std::uint64_t accept_failures = 0;      // accept() failed (EMFILE, ENFILE, ...)
  std::uint64_t shed = 0;                 // connections accepted and closed with the spare fd
  std::uint64_t timeouts = 0;             // connections ended by a time limit
  std::uint64_t requests = 0;
  std::uint64_t off_loop_jobs = 0;   // Response::off_loop work run on the worker threads
  std::uint64_t handler_faults = 0;  // the handler threw: answered 500
  std::uint64_t session_faults = 0;  // a session ended by an exception of ours
  std::uint64_t loop_restarts = 0;   // the accept loop ended by an exception and restarted
  std::uint64_t held_replaced = 0;   // a held connection closed: its principal connected again
  std::uint64_t held_evicted = 0;    // a held connection closed: max_held, least recently used
};

using Handler = std::function<Response(const Request&)>;

class Listener {
 public:
  // Binds and starts accepting; throws std::system_error if it cannot bind.
  Listener(boost::asio::io_context& io, ListenerOptions options, Handler handler);
  ~Listener();  // closes the acceptor and every connection
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  unsigned short port() const;
  std::size_t connections() const;  // within the connection budgets (held ones are not)
  std::size_t held() const;         // held for their principals (Limits::max_held)
  const ListenerStats& stats() const;
  const std::string& name() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Prometheus text (gate_http_*{listener="..."}) for these listeners' counters and gauges.
std::string metrics_text(const std::vector<const Listener*>& listeners);

}  // namespace gk::net
