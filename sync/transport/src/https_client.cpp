#include "gk/sync/https_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iostream>

namespace gk::sync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
// A kept connection's probes: a carrier's NAT forgets an idle mapping after minutes, and a
// path that died is found within about a minute and a half instead of at the next request.
void keep_probing(asio::ip::tcp::socket& s) {
  const int on = 1, idle_s = 45, interval_s = 15, count = 3;
  const int fd = s.native_handle();
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

NetError net_failure(NetCode code, const char* step, const boost::system::error_code& ec) {
  // A deadline that ran out shows as "operation canceled" from Beast's tcp_stream.
  if (ec == beast::error::timeout || ec == asio::error::timed_out) code = NetCode::timeout;
  return net_error(code, std::string(step) + ": " + ec.message());
}
}  // namespace

NetResult<HttpsEndpoint> parse_https_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (url.substr(0, scheme.size()) != scheme)
    return net_error(NetCode::bad_url, "upstream URL must start with https://");
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos)
    return net_error(NetCode::bad_url, "upstream URL must be https://HOST[:PORT]");
  HttpsEndpoint ep;
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    ep.host = std::string(rest.substr(0, colon));
    ep.port = std::string(rest.substr(colon + 1));
    if (ep.port.empty() || ep.port.size() > 5 ||
        !std::all_of(ep.port.begin(), ep.port.end(), [](char c) { return std::isdigit(c); }) ||
        std::stoi(ep.port) == 0 || std::stoi(ep.port) > 65535)
      return net_error(NetCode::bad_url, "upstream URL port must be 1..65535");
  } else {
    ep.host = std::string(rest);
  }
  if (ep.host.empty()) return net_error(NetCode::bad_url, "upstream URL without a host");
  return ep;
}

HttpsSession::HttpsSession(asio::any_io_executor ex, asio::ssl::context& tls,
                           HttpsEndpoint endpoint, HttpLimits limits, TlsSessionCache* tickets)
    : ex_(std::move(ex)),
      tls_(tls),
      endpoint_(std::move(endpoint)),
      limits_(limits),
      tickets_(tickets) {}

void HttpsSession::close() {
  if (stream_) {
    beast::error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
    stream_.reset();
  }
  buffer_.clear();
}

asio::awaitable<NetStatus> HttpsSession::connect() {
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(ex_);
  auto endpoints = co_await resolver.async_resolve(endpoint_.host, endpoint_.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return net_failure(NetCode::resolve, "resolve", ec);
  // At most twice: a handshake that offered a ticket and failed is retried as a full one.
  for (int attempt = 0;; ++attempt) {
    close();
    stream_.emplace(ex_, tls_);
    auto& tcp = beast::get_lowest_layer(*stream_);
    tcp.expires_after(limits_.timeout);
    co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      close();
      co_return net_failure(NetCode::connect, "connect", ec);
    }
    keep_probing(tcp.socket());
    bool offered = false;
    auto shaken = co_await handshake(offered);
    if (shaken) {
      ++counts_.opened;
      co_return Done{};
    }
    close();
    if (!offered || attempt > 0) co_return shaken;
    tickets_->failed();
    std::clog << "gk-sync: TLS resumption with " << endpoint_.host << ":" << endpoint_.port
              << " failed (" << shaken.error().detail << "); retrying with a full handshake\n";
  }
}

asio::awaitable<NetStatus> HttpsSession::handshake(bool& offered) {
  offered = tickets_ && tickets_->attach(stream_->native_handle());
  boost::system::error_code ec;
  beast::get_lowest_layer(*stream_).expires_after(limits_.timeout);
  co_await stream_->async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // A certificate refused by the pin is the one failure a technician must fix on site.
    const bool pin = ec.message().find("certificate verify failed") != std::string::npos;
    co_return net_failure(
        NetCode::tls,
        pin ? "TLS handshake: the upstream's key does not match the pin" : "TLS handshake", ec);
  }
  if (tickets_ && !tickets_->accept(stream_->native_handle(), offered))
    co_return net_error(NetCode::tls,
                        "TLS handshake: the resumed session's key does not match the pin");
  co_return Done{};
}

bool HttpsSession::still_open() {
  if (!stream_) return false;
  // Between answers nothing may arrive: bytes are the upstream's close_notify (or worse), a
  // zero-byte read its FIN, an error a reset. Only "nothing to read yet" means open.
  if (buffer_.size() > 0 || SSL_pending(stream_->native_handle()) > 0) return false;
  char byte = 0;
  const auto n = ::recv(beast::get_lowest_layer(*stream_).socket().native_handle(), &byte, 1,
                        MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

asio::awaitable<NetResult<HttpResponse>> HttpsSession::request(
    http::verb method, std::string target, std::vector<std::pair<std::string, std::string>> headers,
    std::string body) {
  // A kept connection the upstream closed meanwhile (its idle limit, an eviction, a restart)
  // is replaced before the request is sent. (A request is not retried: its
  // signed nonce may have been used, and a failed round is retried whole, freshly signed.)
  if (stream_ && !still_open()) {
    close();
    ++counts_.found_closed;
  }
  if (!stream_) {
    if (auto s = co_await connect(); !s) co_return s.error();
  } else {
    ++counts_.requests_on_kept;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, endpoint_.host);
  req.set(http::field::user_agent, "gated");
  for (auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(true);

  boost::system::error_code ec;
  auto& tcp = beast::get_lowest_layer(*stream_);
  tcp.expires_after(limits_.timeout);
  co_await http::async_write(*stream_, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    close();
    co_return net_failure(NetCode::io, "send", ec);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits_.max_body);
  tcp.expires_after(limits_.timeout);
  co_await http::async_read(*stream_, buffer_, parser,
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    close();
    co_return net_failure(ec == http::error::body_limit ? NetCode::too_large : NetCode::io,
                          "receive", ec);
  }
  auto res = parser.release();
  HttpResponse out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  if (!res.keep_alive()) close();
  co_return out;
}

}  // namespace gk::sync
