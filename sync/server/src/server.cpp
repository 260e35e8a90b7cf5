#include "gk/upstream/server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

namespace gk::upstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

UpstreamServer::UpstreamServer(asio::io_context& io, asio::ssl::context& tls,
                               asio::ip::tcp::endpoint endpoint, UpstreamService& service,
                               std::filesystem::path faults_file, ServerLimits limits)
    : io_(io),
      tls_(tls),
      acceptor_(io, endpoint),
      service_(service),
      faults_file_(std::move(faults_file)),
      limits_(limits) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void UpstreamServer::reload_faults() {
  if (faults_file_.empty()) return;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(faults_file_, ec);
  if (ec) {
    service_.set_faults({});
    faults_mtime_ = {};
    return;
  }
  if (mtime == faults_mtime_) return;
  faults_mtime_ = mtime;
  std::ifstream in(faults_file_);
  std::stringstream text;
  text << in.rdbuf();
  auto f = parse_faults(text.str());
  if (!f) {
    std::cerr << "gate-upstream: faults file: " << f.failure().detail << " (faults off)\n";
    service_.set_faults({});
    return;
  }
  service_.set_faults(*f);
}

asio::awaitable<void> UpstreamServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. EMFILE: keep serving the connections we have
    if (connections_ >= limits_.max_connections) continue;  // socket closes here
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> UpstreamServer::serve(asio::ip::tcp::socket socket) {
  ++connections_;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{connections_};
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
  auto& tcp = beast::get_lowest_layer(stream);
  boost::system::error_code ec;
  tcp.expires_after(limits_.handshake);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits_.max_body);
    parser.header_limit(16 * 1024);
    tcp.expires_after(limits_.idle);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // closed, timed out, or too large: nothing was done
    auto req = parser.release();
    reload_faults();
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(req.body());
    Response res = service_.handle(r);
    ++requests_;
    if (res.drop_connection) co_return;  // the store already committed: the client must cope
    if (res.stall_ms > 0) {
      asio::steady_timer stall(co_await asio::this_coro::executor);
      stall.expires_after(std::chrono::milliseconds(res.stall_ms));
      co_await stall.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    http::response<http::string_body> out{static_cast<http::status>(res.status), 11};
    out.set(http::field::server, "gate-upstream");
    out.set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out.set(k, v);
    out.body() = std::move(res.body);
    out.keep_alive(req.keep_alive());
    out.prepare_payload();
    tcp.expires_after(limits_.io);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !out.keep_alive()) break;
  }
  tcp.expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace gk::upstream
