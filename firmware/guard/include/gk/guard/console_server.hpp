#pragma once
// The guard console on the network: HTTP on loopback, HTTPS (TLS 1.3) when a certificate is
// configured; a non-loopback address without TLS is refused. One coroutine per connection
// on the daemon's event loop; logged-in guards get the live feed as server-sent events.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
#include <deque>
#include <list>
#include <memory>

#include "gk/guard/console_api.hpp"

namespace gk::guard {

class ConsoleServer {
 public:
  // Throws std::system_error if it cannot bind, std::invalid_argument for a LAN address
  // without TLS. `tls` may be null (loopback only).
  ConsoleServer(boost::asio::io_context& io, ConsoleApi& api,
                boost::asio::ip::tcp::endpoint endpoint, boost::asio::ssl::context* tls);
  ~ConsoleServer();
  unsigned short port() const { return port_; }
  // To every live feed: "passage", "alarm", "state".
  void publish(std::string_view event, std::string_view json);
  std::size_t feeds() const { return clients_.size(); }

  struct Feed {
    explicit Feed(boost::asio::any_io_executor ex) : wake(ex) {}
    std::deque<std::string> queue;
    boost::asio::steady_timer wake;
    bool dropped = false;
  };

 private:
  boost::asio::awaitable<void> accept_loop();
  template <class Stream>
  boost::asio::awaitable<void> serve(Stream& stream, std::string peer);

  boost::asio::io_context& io_;
  ConsoleApi& api_;
  boost::asio::ssl::context* tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::list<std::shared_ptr<Feed>> clients_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gk::guard
