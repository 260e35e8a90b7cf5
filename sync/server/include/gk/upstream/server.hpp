#pragma once
// gate-upstream's network side: TLS 1.3 (the pinned self-signed key), HTTP/1.1 keep-alive,
// one coroutine per connection on one event loop, so many devices are served at once
// while the SQLite store is only ever touched from that loop.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
#include <chrono>
#include <filesystem>

#include "gk/upstream/service.hpp"

namespace gk::upstream {

struct ServerLimits {
  std::chrono::seconds handshake{10};
  std::chrono::seconds idle{30};            // between requests on a kept-alive connection
  std::chrono::seconds io{30};              // reading one request, writing one answer
  std::size_t max_body = 5u * 1024 * 1024;  // a journal batch is at most 4 MiB
  std::size_t max_connections = 512;
};

class UpstreamServer {
 public:
  // Listens on `endpoint` (port 0: any free port). `faults_file`: re-read on change.
  UpstreamServer(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                 boost::asio::ip::tcp::endpoint endpoint, UpstreamService& service,
                 std::filesystem::path faults_file = {}, ServerLimits limits = {});
  unsigned short port() const { return port_; }
  std::size_t connections() const { return connections_; }
  std::uint64_t requests() const { return requests_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  void reload_faults();

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  UpstreamService& service_;
  std::filesystem::path faults_file_;
  std::filesystem::file_time_type faults_mtime_{};
  ServerLimits limits_;
  unsigned short port_ = 0;
  std::size_t connections_ = 0;
  std::uint64_t requests_ = 0;
};

}  // namespace gk::upstream
