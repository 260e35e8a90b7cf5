#include "gk/net/listener.hpp"

// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
#include <algorithm>
#include <array>
#include <iostream>
#include <list>
#include <map>
#include <optional>
#include <system_error>
#include <type_traits>

#include "gk/core/http_host.hpp"
#include "gk/net/descriptors.hpp"

namespace gk::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kLinger = 2s;          // draining a client after a "Connection: close" answer
constexpr auto kLoopRestart = 1s;     // after the accept loop ended by an exception
constexpr auto kFirstBackoff = 5ms;   // after a failed accept, doubling
constexpr auto kMaxBackoff = 1000ms;  // ... up to this
constexpr std::string_view kRetryFrame = "retry: 2000\n\n";  // EventSource reconnect delay

auto redirect(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// A parse error (answered 400) rather than a socket error (the connection is gone).
bool is_http_error(const error_code& ec) {
  return ec.category() == error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream;
}

std::string what(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

struct Slot;

}  // namespace

struct Listener::State : std::enable_shared_from_this<Listener::State> {
  State(asio::io_context& io, ListenerOptions o, Handler h)
      : options(std::move(o)), handler(std::move(h)), acceptor(io), backoff(io) {}

  ListenerOptions options;
  Handler handler;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  unsigned short port = 0;
  bool closed = false;
  ListenerStats stats;
  std::size_t connections = 0;
  std::map<std::string, std::size_t> per_source;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::function<void()>> closers;  // every open connection
  std::list<std::uint64_t> handshaking;                    // oldest first
  // Connections held for their principals (Limits::max_held): least recently answered first,
  // and by principal (one each).
  std::list<Slot*> held;
  std::map<std::string, Slot*, std::less<>> held_by;
  std::uint64_t failures_in_a_row = 0;
  // Handlers' off-loop work (Response::off_loop) on options.off_loop_threads threads: started
  // on first use.
  std::unique_ptr<asio::thread_pool> worker;

  asio::thread_pool& off_loop_worker() {
    if (!worker)
      worker =
          std::make_unique<asio::thread_pool>(std::max<std::size_t>(1, options.off_loop_threads));
    return *worker;
  }

  void log(std::string_view step, std::string_view detail) const {
    if (options.log) return options.log(step, detail);
    std::cerr << "gk-net " << options.name << ": " << step << ": " << detail << "\n";
  }
  void close_all() {
    closed = true;
    error_code ignored;
    acceptor.close(ignored);
    backoff.cancel();
    const auto all = closers;  // a closer may end its session, which edits the map
    for (const auto& [id, close] : all) close();
  }
};

namespace {

using State = Listener::State;

// One connection's share of the budgets, given back when its session ends: the connection
// and per-source budgets until it is held for a principal, then the held budget.
struct Slot {
  Slot(std::shared_ptr<State> s, std::string p, bool local)
      : st(std::move(s)), peer(std::move(p)), kiosk_local(local), id(st->next_id++) {
    ++st->connections;
    ++st->per_source[peer];
  }
  ~Slot() {
    leave_budgets();
    unhold();
    st->closers.erase(id);
    st->handshaking.remove(id);
    Descriptors::process().give_back();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  void leave_budgets() {
    if (!in_budgets) return;
    in_budgets = false;
    --st->connections;
    if (auto it = st->per_source.find(peer); it != st->per_source.end() && --it->second == 0)
      st->per_source.erase(it);
  }
  // Out of the held set (and so in no budget: the connection is closing, or about to be).
  void unhold() {
    if (!held_at) return;
    st->held.erase(*held_at);
    held_at.reset();
    if (auto it = st->held_by.find(held_for); it != st->held_by.end() && it->second == this)
      st->held_by.erase(it);
  }
  bool held() const { return held_at.has_value(); }

  std::shared_ptr<State> st;
  std::string peer;
  bool kiosk_local;
  std::uint64_t id;
  bool in_budgets = true;
  std::string held_for;
  std::optional<std::list<Slot*>::iterator> held_at;
};

void close_connection(State& st, std::uint64_t id) {
  if (auto it = st.closers.find(id); it != st.closers.end()) it->second();
}

// After an answer that named the principal it authenticated (Response::hold): the connection
// is that principal's, outside the connection budgets. Its earlier connection is closed (a
// device keeps one), and over max_held the least recently answered one is.
void hold(State& st, Slot& slot, const std::string& principal) {
  slot.leave_budgets();
  if (slot.held() && slot.held_for != principal) slot.unhold();
  if (slot.held()) {
    st.held.splice(st.held.end(), st.held, *slot.held_at);
    return;
  }
  slot.held_for = principal;
  slot.held_at = st.held.insert(st.held.end(), &slot);
  auto [it, fresh] = st.held_by.try_emplace(principal, &slot);
  if (!fresh) {
    Slot* older = it->second;
    it->second = &slot;
    older->unhold();
    ++st.stats.held_replaced;
    close_connection(st, older->id);
  }
  while (st.held.size() > st.options.limits.max_held) {
    Slot* lru = st.held.front();
    lru->unhold();
    ++st.stats.held_evicted;
    close_connection(st, lru->id);
  }
}

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

template <class Stream>
tcp::socket& socket_of(Stream& s) {
  return beast::get_lowest_layer(s).socket();
}

template <class Stream>
void close_socket(Stream& s) {
  error_code ignored;
  socket_of(s).close(ignored);
}

// After the last answer: TLS close_notify, or for plain TCP a FIN then whatever the client
// still sends read and dropped (e.g. a body we refused) so that our answer is not lost to a
// reset; at most kLinger either way.
template <class Stream>
asio::awaitable<void> close_gracefully(Stream& stream) {
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(kLinger);
  if constexpr (is_tls<Stream>) {
    co_await stream.async_shutdown(redirect(ec));
  } else {
    socket_of(stream).shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 512> scratch{};
    while (!ec) co_await stream.async_read_some(asio::buffer(scratch), redirect(ec));
  }
  close_socket(stream);
}

template <class Stream>
asio::awaitable<bool> write_response(State& st, Stream& stream, Response res, unsigned version,
                                     bool head, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  for (const auto& [k, v] : st.options.common_headers) out.set(k, v);
  out.set(http::field::content_type, res.content_type);
  for (auto& [k, v] : res.headers) out.insert(k, v);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = std::move(res.body);
    out.prepare_payload();
  }
  out.keep_alive(keep_alive);
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(st.options.limits.write);
  co_await http::async_write(stream, out, redirect(ec));
  if (ec == beast::error::timeout) ++st.stats.timeouts;
  co_return !ec;
}

// Reads (and drops) whatever an event-stream client sends, so that its hang-up is noticed at
// once; the stream is ended when the read fails. `done` tells the session it may go.
struct Drain {
  explicit Drain(asio::any_io_executor ex) : finished(std::move(ex)) {}
  asio::steady_timer finished;
  bool done = false;
  std::array<char, 512> scratch{};
};

template <class Stream>
void drain(Stream& stream, std::shared_ptr<Drain> d, std::shared_ptr<EventHub::Stream> sub) {
  stream.async_read_some(asio::buffer(d->scratch), [&stream, d, sub](error_code ec, std::size_t) {
    if (ec || sub->ended()) {
      d->done = true;
      d->finished.cancel();
      sub->end();
      return;
    }
    drain(stream, d, sub);
  });
}

template <class Stream>
asio::awaitable<void> stream_events(std::shared_ptr<State> st, Stream& stream, Slot& slot,
                                    const Request& r, Response res, unsigned version, bool head) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  const Limits& limits = st->options.limits;
  std::shared_ptr<EventHub::Stream> sub;
  if (!head) {
    sub = st->options.hub->open(co_await asio::this_coro::executor, r.peer, r.kiosk_local);
    if (!sub) {
      Response busy = text(503, "too many event streams\n");
      busy.headers.emplace_back("Retry-After", "5");
      if (co_await write_response(*st, stream, std::move(busy), version, false, false))
        co_await close_gracefully(stream);
      co_return;
    }
  }
  // The body runs until the connection closes: no length, no chunking.
  std::string header = version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
  for (const auto& [k, v] : st->options.common_headers) header += k + ": " + v + "\r\n";
  for (const auto& [k, v] : res.headers) header += k + ": " + v + "\r\n";
  header +=
      "Content-Type: text/event-stream; charset=utf-8\r\nX-Accel-Buffering: no\r\n"
      "Connection: close\r\n\r\n";
  error_code ec;
  if (head) {
    tcp_layer.expires_after(limits.write);
    co_await asio::async_write(stream, asio::buffer(header), redirect(ec));
    if (!ec) co_await close_gracefully(stream);
    co_return;
  }
  header += kRetryFrame;
  for (const auto& e : res.first_events) header += sse_frame(e.name, e.json);
  st->closers[slot.id] = [&stream, sub] {
    sub->end();
    close_socket(stream);
  };
  auto d = std::make_shared<Drain>(co_await asio::this_coro::executor);
  drain(stream, d, sub);
  const Frame keepalive = std::make_shared<const std::string>(": keepalive\n\n");
  std::vector<Frame> frames{std::make_shared<const std::string>(std::move(header))};
  for (;;) {
    for (auto& f : sub->take()) frames.push_back(std::move(f));
    if (frames.empty()) {
      if (limits.keepalive > 0ms)
        sub->wake.expires_after(limits.keepalive);
      else
        sub->wake.expires_at(asio::steady_timer::time_point::max());
      co_await sub->wake.async_wait(redirect(ec));
      if (st->closed || sub->ended()) break;
      if (ec) continue;  // woken: something was queued
      if (st->options.stream_allowed && !st->options.stream_allowed(r)) break;
      frames.push_back(keepalive);
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(frames.size());
    for (const auto& f : frames) buffers.push_back(asio::buffer(*f));
    tcp_layer.expires_after(limits.write);
    co_await asio::async_write(stream, buffers, redirect(ec));
    frames.clear();
    if (ec == beast::error::timeout) ++st->stats.timeouts;
    if (ec || st->closed || sub->ended()) break;
  }
  sub->end();
  close_socket(stream);  // ends the drain's read, which the stream's lifetime must outlast
  while (!d->done) {
    d->finished.expires_after(1s);
    co_await d->finished.async_wait(redirect(ec));
  }
}

// Runs a handler's off-loop work on a worker thread and resumes here, on the loop, with the
// step it returned (or its exception). The loop is kept from running out of work meanwhile (a
// work guard on the io_context itself: Boost 1.74's tracked any_io_executor miscounts).
asio::awaitable<std::function<Response()>> run_off_loop(State& st, OffLoopWork work) {
  using Step = std::function<Response()>;
  auto& io = static_cast<asio::io_context&>(st.acceptor.get_executor().context());
  const auto loop = io.get_executor();
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::exception_ptr, Step)>(
      [&st, loop](auto handler, OffLoopWork job) {
        asio::post(st.off_loop_worker(), [handler = std::move(handler), job = std::move(job), loop,
                                          busy = asio::make_work_guard(loop)]() mutable {
          std::exception_ptr error;
          Step step;
          try {
            step = job();
          } catch (...) {
            error = std::current_exception();
          }
          job = nullptr;  // what it owned goes here, on the worker
          asio::post(loop, [handler = std::move(handler), error, step = std::move(step)]() mutable {
            std::move(handler)(error, std::move(step));
          });
        });
      },
      asio::use_awaitable, std::move(work));
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<State> st, Stream& stream, Slot& slot) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  const Limits& limits = st->options.limits;
  beast::flat_buffer buffer(limits.max_header + 16 * 1024);
  error_code ec;
  bool first = true;
  const auto refuse = [&](unsigned status, std::string body) -> asio::awaitable<void> {
    if (co_await write_response(*st, stream, text(status, std::move(body)), 11, false, false))
      co_await close_gracefully(stream);
  };
  for (;;) {
    // The first bytes of a request: within `header` of the accept, or `idle` of the last answer.
    if (buffer.size() == 0) {
      tcp_layer.expires_after(first ? limits.header : slot.held() ? limits.held_idle : limits.idle);
      const std::size_t n = co_await stream.async_read_some(buffer.prepare(4096), redirect(ec));
      if (st->closed) co_return;
      if (ec == beast::error::timeout) ++st->stats.timeouts;
      if (ec) co_return;
      buffer.commit(n);
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
    parser.body_limit(limits.max_body);
    // A first request's clock runs from the accept; a later one's from its first bytes.
    if (!first) tcp_layer.expires_after(limits.header);
    co_await http::async_read_header(stream, buffer, parser, redirect(ec));
    if (st->closed) co_return;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      co_return co_await refuse(413, "request header too large\n");
    // A declared length over the limit is known from the header already.
    const bool body_refused = ec == http::error::body_limit && limits.max_body == 0;
    if (ec == http::error::body_limit && !body_refused)
      co_return co_await refuse(413, "request body too large\n");
    if (ec == beast::error::timeout) ++st->stats.timeouts;
    if (ec && !body_refused && is_http_error(ec)) co_return co_await refuse(400, "bad request\n");
    if (ec && !body_refused) co_return;
    const bool unread_body = limits.max_body == 0 && (body_refused || !parser.is_done());
    if (!unread_body && !parser.is_done()) {
      tcp_layer.expires_after(limits.body);
      co_await http::async_read(stream, buffer, parser, redirect(ec));
      if (st->closed) co_return;
      if (ec == http::error::body_limit) co_return co_await refuse(413, "request body too large\n");
      if (ec == beast::error::timeout) ++st->stats.timeouts;
      if (ec && is_http_error(ec)) co_return co_await refuse(400, "bad request\n");
      if (ec) co_return;
    }
    first = false;
    auto req = parser.release();
    // max_body 0: the handler still answers (405 for a POST), then 413 where it would not refuse.
    Request r;
    r.method = std::string(sv(req.method_string()));
    r.target = std::string(sv(req.target()));
    for (const auto& f : req)
      r.headers[lower_case(sv(f.name_string()))] = std::string(sv(f.value()));
    r.body = std::move(req.body());
    r.peer = slot.peer;
    r.kiosk_local = slot.kiosk_local;
    ++st->stats.requests;

    Response res;
    if (st->options.check_host &&
        !host_names_us(r.header("host"), st->port, st->options.tls != nullptr,
                       st->options.host_names)) {
      res = text(421, "this server does not answer to that host name\n");
    } else {
      try {
        res = st->handler(r);
        while (res.off_loop) {
          ++st->stats.off_loop_jobs;
          auto step = co_await run_off_loop(*st, std::move(res.off_loop));
          if (st->closed) co_return;
          res = step();  // back on the loop: the step may touch the handler's state
        }
      } catch (const std::exception& e) {
        ++st->stats.handler_faults;
        st->log("handler", std::string(r.method) + " " + std::string(r.path()) + ": " + e.what());
        res = text(500, "internal error\n");
      }
    }
    if (st->closed || res.drop_connection) co_return;
    if (res.stall_ms > 0) {
      asio::steady_timer stall(co_await asio::this_coro::executor);
      stall.expires_after(std::chrono::milliseconds(res.stall_ms));
      co_await stall.async_wait(redirect(ec));
      if (st->closed) co_return;
    }
    if (unread_body && res.status < 400) res = text(413, "a request body is not accepted\n");
    const bool head = r.method == "HEAD";
    if (res.event_stream && res.status == 200 && st->options.hub)
      co_return co_await stream_events(st, stream, slot, r, std::move(res), req.version(), head);
    // A held connection is its principal's: a request not authenticated as one ends it.
    const bool keep_alive = req.keep_alive() && !unread_body && !(slot.held() && res.hold.empty());
    const std::string principal = keep_alive && limits.max_held > 0 ? std::move(res.hold) : "";
    if (!co_await write_response(*st, stream, std::move(res), req.version(), head, keep_alive))
      co_return;
    if (!keep_alive) co_return co_await close_gracefully(stream);
    if (!principal.empty()) hold(*st, slot, principal);
  }
}

asio::awaitable<void> run_connection(std::shared_ptr<State> st, tcp::socket socket,
                                     std::shared_ptr<Slot> slot) {
  if (st->options.tls) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *st->options.tls);
    st->closers[slot->id] = [&stream] { close_socket(stream); };
    // Idle sockets must not hold the handshakes: over the budget, the oldest pending goes.
    st->handshaking.push_back(slot->id);
    if (st->handshaking.size() > st->options.limits.max_handshakes) {
      const auto oldest = st->handshaking.front();
      st->handshaking.pop_front();
      ++st->stats.handshakes_dropped;
      if (auto it = st->closers.find(oldest); it != st->closers.end()) it->second();
    }
    error_code ec;
    beast::get_lowest_layer(stream).expires_after(st->options.limits.handshake);
    co_await stream.async_handshake(asio::ssl::stream_base::server, redirect(ec));
    st->handshaking.remove(slot->id);
    if (ec == beast::error::timeout) ++st->stats.timeouts;
    if (ec || st->closed) co_return;
    co_await serve(st, stream, *slot);
  } else {
    beast::tcp_stream stream(std::move(socket));
    st->closers[slot->id] = [&stream] { close_socket(stream); };
    co_await serve(st, stream, *slot);
  }
}

// Budgets, then a supervised session: an exception of ours is logged and counted, and ends
// that connection only (its client reconnects; there is nothing else to restart).
void admit(const std::shared_ptr<State>& st, tcp::socket socket) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone already
  const std::string peer = remote.address().to_string();
  const bool local = is_kiosk_local(peer);
  const Limits& limits = st->options.limits;
  const std::size_t open_to_all = limits.max_connections > limits.reserved_for_kiosk
                                      ? limits.max_connections - limits.reserved_for_kiosk
                                      : 0;
  if (st->connections >= (local ? limits.max_connections : open_to_all)) {
    ++st->stats.refused_listener;
    return;  // the socket closes here
  }
  if (!local) {
    auto it = st->per_source.find(peer);
    if (it != st->per_source.end() && it->second >= limits.max_per_source) {
      ++st->stats.refused_source;
      return;
    }
  }
  if (!Descriptors::process().take()) {
    ++st->stats.refused_descriptors;
    return;
  }
  ++st->stats.accepted;
  socket.set_option(tcp::no_delay(true), ec);
  auto slot = std::make_shared<Slot>(st, peer, local);
  asio::co_spawn(socket.get_executor(), run_connection(st, std::move(socket), slot),
                 [st](std::exception_ptr e) {
                   if (!e) return;
                   ++st->stats.session_faults;
                   st->log("session", what(e));
                 });
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> st) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await st->acceptor.async_accept(redirect(ec));
    if (st->closed || ec == asio::error::operation_aborted) co_return;
    if (ec == asio::error::connection_aborted) continue;  // the client gave up: nothing wrong
    if (ec) {
      // Out of descriptors (EMFILE, ENFILE) or memory: retrying at once would spin at 100 %
      // CPU and starve the passage path on the same loop. Shed one waiting connection with
      // the spare descriptor, then wait, longer each time.
      ++st->stats.accept_failures;
      if (st->failures_in_a_row++ % 100 == 0)
        st->log("accept", ec.message() + " (backing off; " +
                              std::to_string(st->stats.accept_failures) + " failures)");
      if ((ec == asio::error::no_descriptors || ec.value() == ENFILE) &&
          Descriptors::process().shed_one(st->acceptor.native_handle()))
        ++st->stats.shed;
      auto delay = kFirstBackoff * (1u << std::min<std::uint64_t>(st->failures_in_a_row, 8));
      st->backoff.expires_after(std::min<std::chrono::milliseconds>(delay, kMaxBackoff));
      co_await st->backoff.async_wait(redirect(ec));
      if (st->closed) co_return;
      continue;
    }
    if (st->failures_in_a_row > 0) {
      st->log("accept",
              "accepting again after " + std::to_string(st->failures_in_a_row) + " failed accepts");
      st->failures_in_a_row = 0;
    }
    admit(st, std::move(socket));
  }
}

void start_accepting(const std::shared_ptr<State>& st) {
  asio::co_spawn(st->acceptor.get_executor(), accept_loop(st), [st](std::exception_ptr e) {
    if (!e || st->closed) return;
    ++st->stats.loop_restarts;
    st->log("accept", "accept loop failed: " + what(e) + " (restarting)");
    st->backoff.expires_after(kLoopRestart);
    st->backoff.async_wait([st](error_code ec) {
      if (!ec && !st->closed) start_accepting(st);
    });
  });
}

}  // namespace

Listener::Listener(asio::io_context& io, ListenerOptions options, Handler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {
  State& st = *state_;
  const auto& ep = st.options.endpoint;
  error_code ec;
  const auto fail = [&](const char* what_failed) {
    throw std::system_error(std::error_code(ec), st.options.name + ": " + what_failed + " " +
                                                     ep.address().to_string() + ":" +
                                                     std::to_string(ep.port()));
  };
  if (st.acceptor.open(ep.protocol(), ec); ec) fail("cannot open");
  if (st.acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) fail("cannot set up");
  if (st.acceptor.bind(ep, ec); ec) fail("cannot bind");
  if (st.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    fail("cannot listen on");
  st.acceptor.non_blocking(true, ec);  // shed_one() calls accept4() on it directly
  st.port = st.acceptor.local_endpoint().port();
  start_accepting(state_);
}

Listener::~Listener() {
  state_->close_all();
  // Off-loop jobs in progress finish first: they may use what the handler's owner lends them.
  if (state_->worker) state_->worker->join();
}

unsigned short Listener::port() const {
  return state_->port;
}
std::size_t Listener::connections() const {
  return state_->connections;
}
std::size_t Listener::held() const {
  return state_->held.size();
}
const ListenerStats& Listener::stats() const {
  return state_->stats;
}
const std::string& Listener::name() const {
  return state_->options.name;
}

std::string metrics_text(const std::vector<const Listener*>& listeners) {
  std::string out;
  const auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const Listener* l : listeners)
      out += std::string(name) + "{listener=\"" + l->name() + "\"} " + std::to_string(value(*l)) +
             "\n";
  };
  using L = const Listener&;
  family("gate_http_connections", "gauge", "Open connections.",
         [](L l) { return l.connections(); });
  family("gate_http_held_connections", "gauge",
         "Connections held for authenticated principals, outside the connection budgets.",
         [](L l) { return l.held(); });
  family("gate_http_held_replaced_total", "counter",
         "Held connections closed: their principal connected again.",
         [](L l) { return l.stats().held_replaced; });
  family("gate_http_held_evicted_total", "counter",
         "Held connections closed to stay within the held budget (least recently used).",
         [](L l) { return l.stats().held_evicted; });
  family("gate_http_accepted_total", "counter", "Connections accepted within the budgets.",
         [](L l) { return l.stats().accepted; });
  family("gate_http_refused_listener_total", "counter",
         "Connections closed at once: the listener's budget was spent.",
         [](L l) { return l.stats().refused_listener; });
  family("gate_http_refused_source_total", "counter",
         "Connections closed at once: their address's budget was spent.",
         [](L l) { return l.stats().refused_source; });
  family("gate_http_refused_descriptors_total", "counter",
         "Connections closed at once: the process's network share of descriptors was spent.",
         [](L l) { return l.stats().refused_descriptors; });
  family("gate_http_handshakes_dropped_total", "counter",
         "Pending TLS handshakes dropped to make room for a newer one.",
         [](L l) { return l.stats().handshakes_dropped; });
  family("gate_http_accept_failures_total", "counter", "Failed accepts (EMFILE, ENFILE, ...).",
         [](L l) { return l.stats().accept_failures; });
  family("gate_http_timeouts_total", "counter", "Connections ended by a time limit.",
         [](L l) { return l.stats().timeouts; });
  family("gate_http_requests_total", "counter", "Requests read.",
         [](L l) { return l.stats().requests; });
  family("gate_http_off_loop_jobs_total", "counter",
         "Handler work run off the event loop (PIN checks, upstream store calls).",
         [](L l) { return l.stats().off_loop_jobs; });
  family("gate_http_handler_faults_total", "counter", "Handler exceptions answered 500.",
         [](L l) { return l.stats().handler_faults; });
  family("gate_http_session_faults_total", "counter", "Connections ended by an exception.",
         [](L l) { return l.stats().session_faults; });
  family("gate_http_loop_restarts_total", "counter", "Accept loops restarted after an exception.",
         [](L l) { return l.stats().loop_restarts; });
  out +=
      "# HELP gate_http_descriptors_in_use Descriptors held by connections.\n"
      "# TYPE gate_http_descriptors_in_use gauge\ngate_http_descriptors_in_use " +
      std::to_string(Descriptors::process().in_use()) + "\n";
  return out;
}

}  // namespace gk::net
