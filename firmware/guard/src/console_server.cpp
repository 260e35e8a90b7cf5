// The guard console on gk::net's listener: ConsoleApi::handle answers every request; the feed
// is a gk::net::EventHub, opened with the current state and re-checked against the session
// at every keepalive (a logout or an expiry ends it).
#include "gk/guard/console_server.hpp"

#include <stdexcept>

namespace gk::guard {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

net::ListenerOptions console_listener(ConsoleApi& api, tcp::endpoint endpoint,
                                      asio::ssl::context* tls, net::EventHub& hub) {
  if (!tls && !endpoint.address().is_loopback())
    throw std::invalid_argument("the guard console serves a LAN address only over TLS");
  net::ListenerOptions l;
  l.name = "console";
  l.endpoint = endpoint;
  l.tls = tls;
  // A guard's browser opens a handful of connections; the feed is one of them.
  l.limits.max_connections = 128;
  l.limits.max_per_source = 8;
  l.limits.reserved_for_kiosk = 8;
  l.limits.max_handshakes = 16;
  l.limits.max_header = 8 * 1024;
  l.limits.max_body = 64 * 1024;
  l.hub = &hub;
  l.stream_allowed = [&api](const net::Request& r) { return api.session_alive(r); };
  return l;
}

}  // namespace

ConsoleServer::ConsoleServer(asio::io_context& io, ConsoleApi& api, tcp::endpoint endpoint,
                             asio::ssl::context* tls)
    : api_(api),
      hub_(net::HubLimits{.replay_latest = false,
                          .max_streams = 16,
                          .max_streams_per_source = 4,
                          .max_queued = 256}),  // a feed this far behind is dropped (it reconnects)
      listener_(io, console_listener(api, endpoint, tls, hub_), [this](const net::Request& r) {
        net::Response res = api_.handle(r);
        if (res.event_stream) res.first_events.push_back({"state", api_.state_json()});
        return res;
      }) {}

void ConsoleServer::publish(std::string_view event, std::string_view json) {
  hub_.publish(event, json);
}

}  // namespace gk::guard
