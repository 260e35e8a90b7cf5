#pragma once
// gate-upstream's network side: UpstreamService::handle on gk::net's listener over TLS 1.3
// (the pinned self-signed key), HTTP/1.1 keep-alive, on one event loop, so many devices are
// served at once. The service is called on that loop (its store is only ever touched from
// there), or with `workers` on that many threads off the loop, so that one device's commit
// (its fsync, PostgreSQL's round trips) does not hold up the TLS and signatures of the others.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
#include <chrono>
#include <filesystem>

#include "gk/net/listener.hpp"
#include "gk/upstream/service.hpp"

namespace gk::upstream {

struct ServerLimits {
  std::chrono::seconds handshake{10};
  std::chrono::seconds idle{30};            // between requests on a kept-alive connection
  std::chrono::seconds io{30};              // reading one request, writing one answer
  std::size_t max_body = 5u * 1024 * 1024;  // a journal batch is at most 4 MiB
  std::size_t max_connections = 512;
  // One address's connections: a kiosk keeps one alive; a compound's kiosks behind one NAT
  // share an address, so this is not one.
  std::size_t max_per_source = 32;
  // TLS handshakes in progress at once; over it the oldest pending is dropped, so idle
  // sockets (which never finish one) cannot keep devices out.
  std::size_t max_handshakes = 64;
  // Connections held for devices between their rounds (net::Limits::max_held): each costs
  // the server 60-75 KiB of peak memory (measured with fleet.sh 2000 10 1 against the build
  // that reconnected every round; OpenSSL's released buffers made no difference), so
  // 4 096 about 300 MiB. Over it the least recently used is closed; that kiosk's next round
  // reconnects, resuming its TLS session.
  std::size_t max_held = 4096;
  std::chrono::seconds held_idle{300};  // longer than a kiosk's interval (60 s by default)
  // 0: the service is called on the loop. N: on N threads off it; the service's store must take
  // calls from N threads at once (open_store_pool with N connections).
  std::size_t workers = 0;
};

class UpstreamServer {
 public:
  // Listens on `endpoint` (port 0: any free port). `faults_file`: re-read on change.
  UpstreamServer(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                 boost::asio::ip::tcp::endpoint endpoint, UpstreamService& service,
                 std::filesystem::path faults_file = {}, ServerLimits limits = {});
  unsigned short port() const { return listener_.port(); }
  std::size_t connections() const { return listener_.connections(); }
  std::uint64_t requests() const { return listener_.stats().requests; }
  const net::Listener& listener() const { return listener_; }

 private:
  void reload_faults();

  UpstreamService& service_;
  std::filesystem::path faults_file_;
  std::filesystem::file_time_type faults_mtime_{};
  net::Listener listener_;
};

}  // namespace gk::upstream
