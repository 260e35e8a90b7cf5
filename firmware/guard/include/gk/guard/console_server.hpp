#pragma once
// The guard console on the network: HTTP on loopback, HTTPS (TLS 1.3) when a certificate is
// configured; a non-loopback address without TLS is refused. On gk::net's listener (budgets,
// timeouts, back-off: gk/net/listener.hpp) on the daemon's event loop; logged-in guards get
// the live feed as server-sent events.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

#include "gk/guard/console_api.hpp"
#include "gk/net/event_hub.hpp"
#include "gk/net/listener.hpp"

namespace gk::guard {

class ConsoleServer {
 public:
  // Throws std::system_error if it cannot bind, std::invalid_argument for a LAN address
  // without TLS. `tls` may be null (loopback only).
  ConsoleServer(boost::asio::io_context& io, ConsoleApi& api,
                boost::asio::ip::tcp::endpoint endpoint, boost::asio::ssl::context* tls);
  unsigned short port() const { return listener_.port(); }
  // To every live feed: "passage", "alarm", "state".
  void publish(std::string_view event, std::string_view json);
  std::size_t feeds() const { return hub_.streams(); }
  const net::Listener& listener() const { return listener_; }

 private:
  ConsoleApi& api_;
  net::EventHub hub_;       // before the listener: its streams outlive the listener's sessions
  net::Listener listener_;  // destroyed first: no request reaches the API after that
};

}  // namespace gk::guard
