// The kiosk screen server: one acceptor, one Session per connection, all on the caller's
// io_context. Every asynchronous handler holds a shared_ptr to the object it works on, so
// closing a socket or cancelling a timer is all it takes to end an operation safely; the
// server (Impl) lives until the last of its handlers has run.
#include "gk/screen/screen_server.hpp"

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "gk/core/http_host.hpp"

namespace gk::screen {

namespace detail {
// Generated from web/ by CMakeLists.txt (screen_assets.cpp).
std::string_view asset(std::string_view name);
}  // namespace detail

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Frame = std::shared_ptr<const std::string>;

constexpr std::size_t kMaxRequestHeader = 8 * 1024;
constexpr std::size_t kReadBufferLimit = 16 * 1024;  // > header limit: header_limit fires first
constexpr std::size_t kMaxQueuedEvents = 64;         // per client, waiting to be written
constexpr auto kRequestTimeout = 10s;                // for a whole request header
constexpr auto kWriteTimeout = 30s;                  // for one write to complete
constexpr auto kLingerTimeout = 2s;                  // draining a client after our response
constexpr auto kAcceptRetry = 100ms;                 // after e.g. EMFILE
constexpr std::string_view kCsp =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
constexpr std::string_view kRetryFrame = "retry: 2000\n\n";  // EventSource reconnect delay

using Response = http::response<http::span_body<const char>>;

// Beast 1.74 speaks boost::string_view.
std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}
beast::string_view bsv(std::string_view s) {
  return {s.data(), s.size()};
}

struct Asset {
  std::string_view body;
  std::string_view type;
};

std::optional<Asset> find_asset(std::string_view path) {
  if (path == "/" || path == "/index.html")
    return Asset{detail::asset("kiosk.html"), "text/html; charset=utf-8"};
  if (path == "/kiosk.css") return Asset{detail::asset("kiosk.css"), "text/css; charset=utf-8"};
  if (path == "/kiosk.js")
    return Asset{detail::asset("kiosk.js"), "text/javascript; charset=utf-8"};
  return std::nullopt;
}

template <class Fields>
void set_common_headers(Fields& f) {
  f.set(http::field::server, "gk-screen");
  f.set(http::field::cache_control, "no-store");
  f.set("Content-Security-Policy", bsv(kCsp));
  f.set("X-Content-Type-Options", "nosniff");
  f.set("X-Frame-Options", "DENY");
  f.set("Referrer-Policy", "no-referrer");
}

bool valid_event_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// "event: <name>\ndata: <line>\n...\n": one data: line per line of the JSON, so that a
// multi-line document cannot end the event early or inject fields.
std::string sse_frame(std::string_view name, std::string_view json) {
  std::string out;
  out.reserve(json.size() + name.size() + 24);
  out.append("event: ").append(name).append("\n");
  while (true) {
    auto nl = json.find('\n');
    auto line = json.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.append("data: ").append(line).append("\n");
    if (nl == std::string_view::npos) break;
    json.remove_prefix(nl + 1);
  }
  out.append("\n");
  return out;
}

// A parse error (answered with 400) rather than a socket error (the connection is gone).
bool is_http_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_target).category();
}

class Session;

}  // namespace

struct ScreenServer::Impl : std::enable_shared_from_this<ScreenServer::Impl> {
  Impl(asio::io_context& io, ScreenOptions o)
      : options(std::move(o)), acceptor(io), keepalive_timer(io), accept_retry(io) {}

  ScreenOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer keepalive_timer;
  asio::steady_timer accept_retry;
  unsigned short port = 0;
  bool closed = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;  // every open connection
  std::size_t subscribers = 0;                               // sessions streaming events
  std::vector<std::pair<std::string, Frame>> latest;         // per event name, first-publish order
  Frame keepalive_frame = std::make_shared<const std::string>(": keepalive\n\n");

  std::size_t connection_limit() const {
    return std::max<std::size_t>(options.max_clients * 4, 16);
  }
  void bind();
  void accept();
  void schedule_keepalive();
  void broadcast(const Frame& frame);
  void close();
  std::vector<std::shared_ptr<Session>> live_sessions();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ScreenServer::Impl> server, tcp::socket socket, std::uint64_t id)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        id_(id) {}
  ~Session() {
    unsubscribe();
    server_->sessions.erase(id_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read_request(); }
  bool subscribed() const { return subscribed_; }

  // Queues one event-stream frame; drops the client if it is too far behind.
  void push(const Frame& frame) {
    if (closed_ || !subscribed_) return;
    if (queue_.size() >= kMaxQueuedEvents) {
      close();
      return;
    }
    queue_.push_back(frame);
    write_events();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    unsubscribe();
    beast::error_code ec;
    socket_.close(ec);
    deadline_.cancel();
    queue_.clear();
  }

 private:
  void unsubscribe() {
    if (!subscribed_) return;
    subscribed_ = false;
    --server_->subscribers;
  }

  // Closes the connection unless `d` passes first with disarm() or another arm().
  void arm(std::chrono::steady_clock::duration d) {
    deadline_.expires_after(d);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->close();
    });
  }
  void disarm() { deadline_.cancel(); }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeader);
    arm(kRequestTimeout);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    if (closed_) return;
    disarm();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return error(http::status::payload_too_large, "request too large\n", 11);
    if (ec == http::error::end_of_stream || (ec && !is_http_error(ec)))
      return close();  // the client went away, or a socket error
    if (ec) return error(http::status::bad_request, "bad request\n", 11);

    const auto& req = parser_->get();
    const unsigned version = req.version();
    const bool has_body = !parser_->is_done();  // body bytes follow the header
    const bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
      prepare(http::status::method_not_allowed, version, "text/plain; charset=utf-8",
              "method not allowed\n", head);
      response_.set(http::field::allow, "GET, HEAD");
      return send(false);
    }
    if (has_body)
      return error(http::status::payload_too_large, "a request body is not accepted\n", version);
    // A DNS-rebinding page would read the kiosk's state and metrics under its own name.
    if (!host_names_us(sv(req[http::field::host]), server_->port, false,
                       server_->options.host_names))
      return error(http::status::misdirected_request,
                   "this screen does not answer to that host name\n", version);

    std::string_view path = sv(req.target());
    path = path.substr(0, path.find_first_of("?#"));
    const bool keep_alive = req.keep_alive();
    if (path == "/events") return start_events(version, head);
    if (path == "/healthz") {
      prepare(http::status::ok, version, "text/plain; charset=utf-8", "ok", head);
      return send(keep_alive);
    }
    if (path == "/metrics" && server_->options.metrics) {
      metrics_body_ = server_->options.metrics();  // the span body points into it until sent
      prepare(http::status::ok, version, "text/plain; version=0.0.4; charset=utf-8", metrics_body_,
              head);
      return send(keep_alive);
    }
    if (auto asset = find_asset(path)) {
      prepare(http::status::ok, version, asset->type, asset->body, head);
      return send(keep_alive);
    }
    prepare(http::status::not_found, version, "text/plain; charset=utf-8", "not found\n", head);
    send(keep_alive);
  }

  void error(http::status status, std::string_view body, unsigned version) {
    prepare(status, version, "text/plain; charset=utf-8", body, false);
    send(false);
  }

  void prepare(http::status status, unsigned version, std::string_view type, std::string_view body,
               bool head) {
    response_ = Response{status, version};
    set_common_headers(response_);
    response_.set(http::field::content_type, bsv(type));
    if (head) {
      response_.content_length(body.size());
    } else {
      response_.body() = {body.data(), body.size()};
      response_.prepare_payload();
    }
  }

  void send(bool keep_alive) {
    response_.keep_alive(keep_alive);
    arm(kWriteTimeout);
    http::async_write(socket_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (self->closed_) return;
                        self->disarm();
                        if (ec) return self->close();
                        if (keep_alive) return self->read_request();
                        self->linger_close();
                      });
  }

  // After a "Connection: close" response: send FIN, then read and discard whatever the client
  // still sends (e.g. a body we refused) until it closes, so that our response is not lost to
  // a reset; at most kLingerTimeout.
  void linger_close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    arm(kLingerTimeout);
    drain([](Session& s) { s.close(); });
  }

  // Reads and discards until an error or EOF, then calls `done`.
  template <class Done>
  void drain(Done done) {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this(), done](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return done(*self);
                              self->drain(done);
                            });
  }

  void start_events(unsigned version, bool head) {
    if (head) {
      prepare(http::status::ok, version, "text/event-stream; charset=utf-8", {}, true);
      response_.erase(http::field::content_length);
      return send(false);
    }
    if (server_->subscribers >= server_->options.max_clients) {
      prepare(http::status::service_unavailable, version, "text/plain; charset=utf-8",
              "too many screen clients\n", false);
      response_.set(http::field::retry_after, "5");
      return send(false);
    }
    subscribed_ = true;
    ++server_->subscribers;

    // The stream's body runs until the connection closes: no length, no chunking.
    http::response<http::empty_body> res{http::status::ok, version};
    set_common_headers(res);
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set("X-Accel-Buffering", "no");
    res.keep_alive(false);
    std::string header = version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
    for (const auto& field : res) {
      header.append(sv(field.name_string())).append(": ").append(sv(field.value())).append("\r\n");
    }
    header.append("\r\n").append(kRetryFrame);
    queue_.push_back(std::make_shared<const std::string>(std::move(header)));
    for (const auto& [name, frame] : server_->latest) queue_.push_back(frame);
    write_events();
    // The client sends nothing more; a read that ends tells us it has gone.
    drain([](Session& s) { s.close(); });
  }

  // Writes everything queued in one gathered write; more is queued meanwhile.
  void write_events() {
    if (closed_ || !inflight_.empty() || queue_.empty()) return;
    inflight_.assign(queue_.begin(), queue_.end());
    queue_.clear();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(inflight_.size());
    for (const auto& f : inflight_) buffers.push_back(asio::buffer(*f));
    arm(kWriteTimeout);
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->inflight_.clear();
                        if (self->closed_) return;
                        if (ec) return self->close();
                        self->disarm();
                        self->write_events();
                      });
  }

  std::shared_ptr<ScreenServer::Impl> server_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::uint64_t id_;
  beast::flat_buffer buffer_{kReadBufferLimit};
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  std::string metrics_body_;  // the last /metrics answer, alive while response_ refers to it
  bool subscribed_ = false;
  bool closed_ = false;
  std::deque<Frame> queue_;      // waiting to be written
  std::vector<Frame> inflight_;  // being written
  std::array<char, 512> scratch_{};
};

}  // namespace

void ScreenServer::Impl::bind() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) throw std::system_error(std::error_code(ec), "screen: bad address " + options.address);
  tcp::endpoint endpoint{address, options.port};
  const auto fail = [&](const char* what) {
    throw std::system_error(std::error_code(ec), std::string("screen: ") + what + " " +
                                                     options.address + ":" +
                                                     std::to_string(options.port));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) fail("cannot open");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) fail("cannot set up");
  if (acceptor.bind(endpoint, ec); ec) fail("cannot bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) fail("cannot listen on");
  port = acceptor.local_endpoint().port();
}

void ScreenServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->closed) return;
    if (ec) {
      // Out of descriptors or the like: try again shortly rather than spin.
      self->accept_retry.expires_after(kAcceptRetry);
      self->accept_retry.async_wait([self](beast::error_code wait_ec) {
        if (!wait_ec && !self->closed) self->accept();
      });
      return;
    }
    if (self->sessions.size() >= self->connection_limit()) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const auto id = self->next_id++;
      auto session = std::make_shared<Session>(self, std::move(socket), id);
      self->sessions.emplace(id, session);
      session->start();
    }
    self->accept();
  });
}

void ScreenServer::Impl::schedule_keepalive() {
  if (options.keepalive_interval <= std::chrono::milliseconds::zero()) return;
  keepalive_timer.expires_after(options.keepalive_interval);
  keepalive_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed) return;
    self->broadcast(self->keepalive_frame);
    self->schedule_keepalive();
  });
}

std::vector<std::shared_ptr<Session>> ScreenServer::Impl::live_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions.size());
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void ScreenServer::Impl::broadcast(const Frame& frame) {
  // A copy: pushing may drop a session, and a dropped session may leave the map.
  for (const auto& s : live_sessions()) {
    if (s->subscribed()) s->push(frame);
  }
}

void ScreenServer::Impl::close() {
  closed = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  keepalive_timer.cancel();
  accept_retry.cancel();
  for (const auto& s : live_sessions()) s->close();
}

ScreenServer::ScreenServer(boost::asio::io_context& io, ScreenOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {
  impl_->bind();
  impl_->accept();
  impl_->schedule_keepalive();
}

ScreenServer::~ScreenServer() {
  impl_->close();
}

unsigned short ScreenServer::port() const {
  return impl_->port;
}

std::size_t ScreenServer::clients() const {
  return impl_->subscribers;
}

void ScreenServer::publish(std::string_view event_name, std::string_view json) {
  if (!valid_event_name(event_name))
    throw std::invalid_argument("screen: bad event name '" + std::string(event_name) + "'");
  auto frame = std::make_shared<const std::string>(sse_frame(event_name, json));
  auto it = std::find_if(impl_->latest.begin(), impl_->latest.end(),
                         [&](const auto& entry) { return entry.first == event_name; });
  if (it != impl_->latest.end()) {
    it->second = frame;
  } else {
    impl_->latest.emplace_back(std::string(event_name), frame);
  }
  impl_->broadcast(frame);
}

}  // namespace gk::screen
