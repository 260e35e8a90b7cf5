#pragma once
// gk::screen: the kiosk's full-screen page over HTTP, with live updates by server-sent events.
//
// Routes: GET / (kiosk.html), /kiosk.css, /kiosk.js, /events (text/event-stream), /healthz,
// /metrics (Prometheus text, when the owner supplies it).
// HEAD is answered like GET without a body; other methods get 405, unknown paths 404, a
// request header over 8 KiB or a request with a body 413, a malformed request 400, a Host
// header that does not name this server 421, /events or /metrics without the token (when
// one is set, from any address but the kiosk's own 127.0.0.1 / ::1) 401.
//
// On gk::net's listener (budgets, timeouts, back-off: see gk/net/listener.hpp). Runs on a
// caller-supplied io_context and starts no threads. Not thread-safe: construct, publish and
// destroy from the thread that runs the io_context. Destroying the server closes the
// acceptor, every connection and every timer.
//
// Event stream: a client gets, in order, the latest event of each name published so far
// (so a page that connects late, or reconnects, starts from the current state), then every
// event as it is published, and a ": keepalive" comment every keepalive_interval. A client
// that falls more than 64 events behind is dropped (its browser reconnects and starts again
// from the latest state); a write that makes no progress for 30 s drops it too. The kiosk's
// own browser always gets its stream: when max_clients are held, it takes the place of the
// oldest held from another address (see gk/net/event_hub.hpp).
//
// The page's assets are compiled into the library (CMake turns web/* into byte arrays at
// configure time), so there is nothing to install or find at run time.

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
// clang-format on
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gk::net {
class Listener;
}

namespace gk::screen {

struct ScreenOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0 = pick a free port (see ScreenServer::port())
  // Simultaneous event-stream clients (at most a quarter of them from one address other than
  // the kiosk's); one more gets 503 (its EventSource retries). Open connections of any kind
  // are capped at 4 x max_clients (at least 16), a quarter of them kept for the kiosk's own
  // browser, 8 from any other one address; over that a connection is closed at once.
  std::size_t max_clients = 16;
  std::chrono::milliseconds keepalive_interval{15'000};  // ": keepalive" comment; 0 = none
  // GET /metrics answers with what this returns (called on the io_context's thread, per
  // scrape); empty: 404. The screen listens on loopback, so a local scraper (node exporter's
  // textfile collector, a Prometheus agent) reads it without opening a port to the LAN.
  std::function<std::string()> metrics;
  // Every request's Host must name this server: an IP address, "localhost", or one of these
  // DNS names, with the server's port; anything else gets 421 (DNS rebinding).
  std::vector<std::string> host_names;
  // Needed for /events and /metrics from any address but the kiosk's own; a screen listening
  // off loopback without one is refused (std::invalid_argument).
  std::string token;
  // Degraded states of the listener (accept failures, handler exceptions); default: stderr.
  std::function<void(std::string_view step, std::string_view detail)> log;
};

class ScreenServer {
 public:
  // Binds and starts accepting; throws std::system_error if it cannot bind.
  ScreenServer(boost::asio::io_context& io, ScreenOptions options);
  ~ScreenServer();
  ScreenServer(const ScreenServer&) = delete;
  ScreenServer& operator=(const ScreenServer&) = delete;

  unsigned short port() const;

  // Sends one event to every connected event-stream client and remembers it as the current
  // state of that event name (a client that connects later gets the latest of each name
  // first). `event_name`: letters, digits, '_', '-', '.' (else std::invalid_argument);
  // `json`: one JSON document (a multi-line one is sent as several data: lines).
  void publish(std::string_view event_name, std::string_view json);

  // Event-stream clients connected now.
  std::size_t clients() const;
  // Its counters, for the daemon's metrics.
  const net::Listener& listener() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::screen
