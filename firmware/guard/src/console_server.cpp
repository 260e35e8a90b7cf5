#include "gk/guard/console_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace gk::guard {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr std::size_t kMaxQueued = 256;  // a feed this far behind is dropped (it reconnects)
}

ConsoleServer::ConsoleServer(asio::io_context& io, ConsoleApi& api, tcp::endpoint endpoint,
                             asio::ssl::context* tls)
    : io_(io), api_(api), tls_(tls), acceptor_(io) {
  if (!tls && !endpoint.address().is_loopback())
    throw std::invalid_argument("the guard console serves a LAN address only over TLS");
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

ConsoleServer::~ConsoleServer() {
  *alive_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& c : clients_) {
    c->dropped = true;
    c->wake.cancel();
  }
}

void ConsoleServer::publish(std::string_view event, std::string_view json) {
  std::string frame = "event: " + std::string(event) + "\ndata: " + std::string(json) + "\n\n";
  for (auto& c : clients_) {
    if (c->queue.size() >= kMaxQueued) {
      c->dropped = true;
    } else {
      c->queue.push_back(frame);
    }
    c->wake.cancel();
  }
}

asio::awaitable<void> ConsoleServer::accept_loop() {
  auto alive = alive_;
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (!*alive || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    std::string peer;
    {
      boost::system::error_code pe;
      auto ep = socket.remote_endpoint(pe);
      peer = pe ? "?" : ep.address().to_string();
    }
    if (tls_) {
      asio::co_spawn(
          io_,
          [this, alive, s = std::move(socket), peer]() mutable -> asio::awaitable<void> {
            beast::ssl_stream<beast::tcp_stream> stream(std::move(s), *tls_);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
            boost::system::error_code hec;
            co_await stream.async_handshake(asio::ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, hec));
            if (hec || !*alive) co_return;
            co_await serve(stream, peer);
          },
          asio::detached);
    } else {
      asio::co_spawn(
          io_,
          [this, alive, s = std::move(socket), peer]() mutable -> asio::awaitable<void> {
            beast::tcp_stream stream(std::move(s));
            if (!*alive) co_return;
            co_await serve(stream, peer);
          },
          asio::detached);
    }
  }
}

template <class Stream>
asio::awaitable<void> ConsoleServer::serve(Stream& stream, std::string peer) {
  auto alive = alive_;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    parser.header_limit(8 * 1024);
    tcp_layer.expires_after(std::chrono::seconds(30));
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !*alive) co_return;
    auto req = parser.release();
    ApiRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.peer = peer;
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(req.body());
    ApiResponse res = api_.handle(r);

    http::response<http::string_body> out{static_cast<http::status>(res.status), req.version()};
    out.set(http::field::content_type, res.event_stream ? "text/event-stream" : res.content_type);
    for (auto& [k, v] : res.headers) out.insert(k, v);
    if (res.event_stream) {
      // The feed: headers now, then events as they are published, a keepalive comment
      // every 15 s, and the session re-checked each time (logout or expiry ends the feed).
      http::response<http::empty_body> head{http::status::ok, req.version()};
      head.set(http::field::content_type, "text/event-stream");
      head.set(http::field::cache_control, "no-store");
      head.keep_alive(false);
      http::response_serializer<http::empty_body> sr{head};
      tcp_layer.expires_after(std::chrono::seconds(30));
      co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto feed = std::make_shared<Feed>(co_await asio::this_coro::executor);
      feed->queue.push_back("retry: 2000\n\n");
      feed->queue.push_back("event: state\ndata: " + api_.state_json() + "\n\n");
      clients_.push_back(feed);
      struct Unlist {
        ConsoleServer* s;
        std::shared_ptr<Feed> f;
        std::shared_ptr<bool> alive;
        ~Unlist() {
          if (*alive) s->clients_.remove(f);
        }
      } unlist{this, feed, alive};
      for (;;) {
        while (!feed->queue.empty() && !feed->dropped) {
          std::string frame = std::move(feed->queue.front());
          feed->queue.pop_front();
          tcp_layer.expires_after(std::chrono::seconds(30));
          co_await asio::async_write(stream, asio::buffer(frame),
                                     asio::redirect_error(asio::use_awaitable, ec));
          if (ec || !*alive) co_return;
        }
        if (feed->dropped || !api_.session_alive(r)) co_return;
        feed->wake.expires_after(std::chrono::seconds(15));
        co_await feed->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!*alive) co_return;
        if (feed->queue.empty()) feed->queue.push_back(": keepalive\n\n");
      }
    }
    out.body() = std::move(res.body);
    if (r.method == "HEAD") out.body().clear();
    out.keep_alive(req.keep_alive());
    out.prepare_payload();
    tcp_layer.expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !out.keep_alive() || !*alive) co_return;
  }
}

}  // namespace gk::guard
