#pragma once
// One keep-alive HTTPS connection to the upstream, used by coroutines on the daemon's
// event loop and kept between sync rounds (the upstream holds it for the device: see
// sync/PROTOCOL.md, "Connections"). Every step (connect, handshake, write, read) has an
// explicit deadline and every response a size bound; any error closes the connection, and
// the next request opens a fresh one. A kept connection is checked before it is used (the
// upstream may have closed it), and sends TCP keepalive probes so that a NAT keeps its mapping.
// With a TlsSessionCache, a fresh connection resumes the last TLS session (no certificate, no
// signature: a fraction of a full handshake's bytes and CPU); a handshake that offered a ticket and
// failed, or resumed a session whose key is not the pin's, is logged, counted in the cache, and
// retried once as a full handshake.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/sync/tls.hpp"

namespace gk::sync {

struct HttpsEndpoint {
  std::string host;
  std::string port = "443";
};
// "https://HOST[:PORT]" with nothing after the authority; anything else is refused.
NetResult<HttpsEndpoint> parse_https_url(std::string_view url);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A session's connections: opened (each a TLS handshake), requests sent on a connection kept
// from an earlier request, and kept connections found closed before use (then replaced).
struct ConnectionCounts {
  std::uint64_t opened = 0, requests_on_kept = 0, found_closed = 0;
};

struct HttpLimits {
  std::chrono::milliseconds timeout{10'000};  // per step
  std::size_t max_body = 8u * 1024 * 1024;
};

class HttpsSession {
 public:
  // `tickets` (optional, outliving this session) keeps the TLS session between connections.
  HttpsSession(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls,
               HttpsEndpoint endpoint, HttpLimits limits = {}, TlsSessionCache* tickets = nullptr);

  // Failures: a NetError whose detail names the step ("connect: ..."). Any HTTP status is an
  // answer, not a failure: the caller decides what a 409 or a 503 means.
  boost::asio::awaitable<NetResult<HttpResponse>> request(
      boost::beast::http::verb method, std::string target,
      std::vector<std::pair<std::string, std::string>> headers, std::string body);
  void close();
  const ConnectionCounts& counts() const { return counts_; }

 private:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  boost::asio::awaitable<NetStatus> connect();
  boost::asio::awaitable<NetStatus> handshake(bool& offered);
  // False when the kept connection has been closed by the upstream, or has bytes waiting.
  bool still_open();

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  HttpsEndpoint endpoint_;
  HttpLimits limits_;
  TlsSessionCache* tickets_;
  std::optional<Stream> stream_;
  boost::beast::flat_buffer buffer_;
  ConnectionCounts counts_;
};

}  // namespace gk::sync
