// The kiosk screen server over real loopback sockets: Beast HTTP clients and raw event-stream
// clients run on the same io_context as the server, driven by run_until() below (no sleeps).
#include <catch2/catch.hpp>

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "gk/screen/screen_server.hpp"
#include "gk_run_until.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using gk::screen::ScreenOptions;
using gk::screen::ScreenServer;

using gk::test::run_until;

namespace {

const std::string kPassage =
    R"({"seq":12,"time":1590000000,"gate":"莲花北村北门","direction":"in","credential":"qr",)"
    R"("decision":"admit","reason":"ok","message_zh":"请通行","message_en":"Please pass",)"
    R"("alarm":false,"gate_released":true,"temperature_c":36.5,"pass":{"id":"1a2b3c4d",)"
    R"("role":"resident","building":"3","unit":"2-301","holder":"张*"}})";
const std::string kStateNormal =
    R"({"outbreak":"normal","quarantined_buildings":[],"checkpoint":"北门"})";
const std::string kStateLockdown =
    R"({"outbreak":"lockdown","quarantined_buildings":["3","5"],"checkpoint":"北门"})";

std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}

// The Host header a browser sends for the server at `ep` (the server answers only to itself).
std::string host_of(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

ScreenOptions test_options() {
  ScreenOptions o;
  o.port = 0;
  return o;
}

struct Rig {
  asio::io_context io;
  std::optional<ScreenServer> server;
  explicit Rig(ScreenOptions options = test_options()) { server.emplace(io, options); }
  tcp::endpoint endpoint() const { return {asio::ip::address_v4::loopback(), server->port()}; }
  std::string host() const { return host_of(endpoint()); }
};

// One HTTP exchange: the request is written synchronously (it fits the loopback buffers), the
// response is read by Beast asynchronously on the test's io_context.
struct HttpCall : std::enable_shared_from_this<HttpCall> {
  explicit HttpCall(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool done = false;
  beast::error_code ec;

  void connect(const tcp::endpoint& ep) { socket.connect(ep); }
  // Sends `req`, naming the server it is connected to in Host unless the request names one.
  void send(http::request<http::string_body> req) {
    if (req.find(http::field::host) == req.end())
      req.set(http::field::host, host_of(socket.remote_endpoint()));
    http::write(socket, req);
  }
  void send_raw(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  void read_response(bool head = false) {
    done = false;
    parser.emplace();
    parser->skip(head);
    http::async_read(socket, buffer, *parser,
                     [self = shared_from_this()](beast::error_code e, std::size_t) {
                       self->ec = e;
                       self->done = true;
                     });
  }
  http::response<http::string_body> response() { return parser->release(); }
};

http::request<http::string_body> make_request(http::verb verb, std::string target) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::user_agent, "gk-test");
  return req;
}

http::response<http::string_body> request(Rig& rig, const http::request<http::string_body>& req) {
  auto call = std::make_shared<HttpCall>(rig.io);
  call->connect(rig.endpoint());
  call->send(req);
  call->read_response(req.method() == http::verb::head);
  REQUIRE(run_until(rig.io, [&] { return call->done; }));
  REQUIRE_FALSE(call->ec);
  return call->response();
}

http::response<http::string_body> get(Rig& rig, std::string target,
                                      http::verb verb = http::verb::get) {
  return request(rig, make_request(verb, std::move(target)));
}

http::response<http::string_body> raw_exchange(Rig& rig, const std::string& bytes) {
  auto call = std::make_shared<HttpCall>(rig.io);
  call->connect(rig.endpoint());
  call->send_raw(bytes);
  call->read_response();
  REQUIRE(run_until(rig.io, [&] { return call->done; }));
  REQUIRE_FALSE(call->ec);
  return call->response();
}

struct Event {
  std::string name;
  std::string data;
};

// An event-stream client that parses what it reads: the response header, then events
// ("event:" and "data:" lines up to a blank line) and comments (": ...").
struct SseClient : std::enable_shared_from_this<SseClient> {
  explicit SseClient(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::array<char, 64 * 1024> buf{};
  std::string pending;
  std::optional<std::string> header;
  std::vector<Event> events;
  std::vector<std::string> comments;
  bool closed = false;

  // `read`: false for a client that never reads (with a tiny receive buffer).
  void start(const tcp::endpoint& ep, bool read = true) {
    if (!read) {
      socket.open(tcp::v4());
      socket.set_option(asio::socket_base::receive_buffer_size(4096));
    }
    socket.connect(ep);
    const std::string req =
        "GET /events HTTP/1.1\r\nHost: " + host_of(ep) + "\r\nAccept: text/event-stream\r\n\r\n";
    asio::write(socket, asio::buffer(req));
    if (read) read_more();
  }
  void read_more() {
    socket.async_read_some(asio::buffer(buf),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             if (ec) {
                               self->closed = true;
                               return;
                             }
                             self->feed(std::string_view(self->buf.data(), n));
                             self->read_more();
                           });
  }
  void feed(std::string_view bytes) {
    pending.append(bytes);
    if (!header) {
      auto end = pending.find("\r\n\r\n");
      if (end == std::string::npos) return;
      header = pending.substr(0, end + 2);
      pending.erase(0, end + 4);
    }
    std::size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      std::string block = pending.substr(0, end + 1);
      pending.erase(0, end + 2);
      Event e;
      bool is_event = false;
      std::size_t pos = 0, nl;
      while ((nl = block.find('\n', pos)) != std::string::npos) {
        std::string line = block.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.rfind(':', 0) == 0) {
          comments.push_back(line);
        } else if (line.rfind("event: ", 0) == 0) {
          e.name = line.substr(7);
          is_event = true;
        } else if (line.rfind("data: ", 0) == 0) {
          if (!e.data.empty()) e.data += '\n';
          e.data += line.substr(6);
          is_event = true;
        }
      }
      if (is_event) events.push_back(std::move(e));
    }
  }
};

std::shared_ptr<SseClient> subscribe(Rig& rig, bool read = true) {
  auto c = std::make_shared<SseClient>(rig.io);
  c->start(rig.endpoint(), read);
  return c;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("serves the page, its assets and the health check", "[screen]") {
  Rig rig;
  REQUIRE(rig.server->port() != 0);

  auto page = get(rig, "/");
  CHECK(page.result() == http::status::ok);
  CHECK(str(page[http::field::content_type]) == "text/html; charset=utf-8");
  CHECK(str(page[http::field::cache_control]) == "no-store");
  CHECK(str(page["Content-Security-Policy"]).rfind("default-src 'self'", 0) == 0);
  CHECK(str(page["X-Content-Type-Options"]) == "nosniff");
  const std::string html = page.body();
  CHECK(contains(html, R"(<main id="screen" data-state="idle")"));
  for (const char* id : {"reason-zh", "reason-en", "holder", "temperature", "building", "guard",
                         "checkpoint", "lockdown", "verdict-zh", "verdict-en"}) {
    INFO(id);
    CHECK(contains(html, std::string("id=\"") + id + "\""));
  }
  CHECK(contains(html, "请出示通行码或刷卡"));
  CHECK(contains(html, "Show your pass or tap your card"));
  CHECK(contains(html, "请找门卫"));
  CHECK(contains(html, "Please see the guard"));
  CHECK(contains(html, R"(href="/kiosk.css")"));
  CHECK(contains(html, R"(src="/kiosk.js")"));
  // Nothing inline that the Content-Security-Policy would block.
  CHECK_FALSE(contains(html, "<style"));
  CHECK_FALSE(contains(html, "style=\""));
  CHECK_FALSE(contains(html, "<script>"));

  auto css = get(rig, "/kiosk.css");
  CHECK(css.result() == http::status::ok);
  CHECK(str(css[http::field::content_type]) == "text/css; charset=utf-8");
  CHECK(str(css[http::field::cache_control]) == "no-store");
  CHECK(contains(css.body(), "clamp("));
  CHECK(contains(css.body(), "Noto Sans CJK SC"));

  auto js = get(rig, "/kiosk.js");
  CHECK(js.result() == http::status::ok);
  CHECK(str(js[http::field::content_type]) == "text/javascript; charset=utf-8");
  CHECK(contains(js.body(), "EventSource"));

  // No internet resources anywhere.
  for (const std::string* body : {&page.body(), &css.body(), &js.body()}) {
    CHECK_FALSE(contains(*body, "http://"));
    CHECK_FALSE(contains(*body, "https://"));
    CHECK_FALSE(contains(*body, "@import"));
  }

  auto health = get(rig, "/healthz");
  CHECK(health.result() == http::status::ok);
  CHECK(health.body() == "ok");

  CHECK(get(rig, "/?from=boot").body() == html);  // a query string is ignored

  auto head = get(rig, "/", http::verb::head);
  CHECK(head.result() == http::status::ok);
  CHECK(str(head[http::field::content_length]) == std::to_string(html.size()));
  CHECK(head.body().empty());
}

TEST_CASE("unknown paths, other methods, oversize and malformed requests are refused", "[screen]") {
  Rig rig;
  CHECK(get(rig, "/nope").result() == http::status::not_found);
  CHECK(get(rig, "/kiosk.js/..").result() == http::status::not_found);
  CHECK(get(rig, "/../etc/passwd").result() == http::status::not_found);

  auto post = get(rig, "/", http::verb::post);
  CHECK(post.result() == http::status::method_not_allowed);
  CHECK(str(post[http::field::allow]) == "GET, HEAD");
  CHECK(get(rig, "/events", http::verb::delete_).result() == http::status::method_not_allowed);
  CHECK(get(rig, "/", http::verb::options).result() == http::status::method_not_allowed);

  auto with_body = make_request(http::verb::post, "/events");
  with_body.body() = "{}";
  with_body.prepare_payload();
  CHECK(request(rig, with_body).result() == http::status::method_not_allowed);

  SECTION("a header over 8 KiB") {
    const std::string big = "GET / HTTP/1.1\r\nHost: " + rig.host() +
                            "\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
    auto res = raw_exchange(rig, big);
    CHECK(res.result() == http::status::payload_too_large);
    CHECK_FALSE(res.keep_alive());
  }
  SECTION("a GET with a body") {
    auto res = raw_exchange(
        rig, "GET / HTTP/1.1\r\nHost: " + rig.host() + "\r\nContent-Length: 5\r\n\r\nhello");
    CHECK(res.result() == http::status::payload_too_large);
    CHECK_FALSE(res.keep_alive());
  }
  SECTION("a chunked GET") {
    auto res = raw_exchange(rig, "GET / HTTP/1.1\r\nHost: " + rig.host() +
                                     "\r\nTransfer-Encoding: "
                                     "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    CHECK(res.result() == http::status::payload_too_large);
  }
  SECTION("garbage") {
    auto res = raw_exchange(rig, "HELLO THERE\r\n\r\n");
    CHECK(res.result() == http::status::bad_request);
  }
  // The server is still fine.
  CHECK(get(rig, "/healthz").body() == "ok");
}

TEST_CASE("keep-alive serves several requests on one connection", "[screen]") {
  Rig rig;
  auto call = std::make_shared<HttpCall>(rig.io);
  call->connect(rig.endpoint());
  for (const char* target : {"/healthz", "/nope", "/kiosk.css", "/healthz"}) {
    INFO(target);
    call->send(make_request(http::verb::get, target));
    call->read_response();
    REQUIRE(run_until(rig.io, [&] { return call->done; }));
    REQUIRE_FALSE(call->ec);
    auto res = call->response();
    CHECK(res.keep_alive());
    CHECK(res.result() ==
          (std::string_view(target) == "/nope" ? http::status::not_found : http::status::ok));
  }
}

TEST_CASE("an event-stream client receives published events in order", "[screen]") {
  Rig rig;
  CHECK(rig.server->clients() == 0);
  auto client = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return client->header && rig.server->clients() == 1; }));
  CHECK(client->header->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(contains(*client->header, "Content-Type: text/event-stream"));
  CHECK(contains(*client->header, "Cache-Control: no-store"));
  CHECK(contains(*client->header, "Content-Security-Policy: default-src 'self'"));

  const std::string second = R"({"seq":13,"decision":"deny","reason":"expired"})";
  const std::string third =
      R"({"seq":14,"decision":"refer","reason":"fever","temperature_c":38.2})";
  rig.server->publish("state", kStateNormal);
  rig.server->publish("passage", kPassage);
  rig.server->publish("passage", second);
  rig.server->publish("passage", third);
  REQUIRE(run_until(rig.io, [&] { return client->events.size() == 4; }));
  CHECK(client->events[0].name == "state");
  CHECK(client->events[0].data == kStateNormal);
  CHECK(client->events[1].name == "passage");
  CHECK(client->events[1].data == kPassage);
  CHECK(client->events[2].data == second);
  CHECK(client->events[3].data == third);

  SECTION("a multi-line document stays one event") {
    rig.server->publish("state", "{\n  \"outbreak\": \"lockdown\"\n}");
    REQUIRE(run_until(rig.io, [&] { return client->events.size() == 5; }));
    CHECK(client->events[4].name == "state");
    CHECK(client->events[4].data == "{\n  \"outbreak\": \"lockdown\"\n}");
  }
  SECTION("bad event names are refused") {
    CHECK_THROWS_AS(rig.server->publish("passage\ndata: x", "{}"), std::invalid_argument);
    CHECK_THROWS_AS(rig.server->publish("", "{}"), std::invalid_argument);
  }
  SECTION("a client that hangs up is forgotten") {
    client->socket.close();
    REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 0; }));
  }
}

TEST_CASE("a client that connects late gets the latest state first", "[screen]") {
  Rig rig;
  rig.server->publish("state", kStateNormal);
  rig.server->publish("passage", kPassage);
  rig.server->publish("state", kStateLockdown);

  auto late = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return late->events.size() == 2; }));
  CHECK(late->events[0].name == "state");
  CHECK(late->events[0].data == kStateLockdown);
  CHECK(late->events[1].name == "passage");
  CHECK(late->events[1].data == kPassage);

  const std::string next = R"({"seq":13,"decision":"deny"})";
  rig.server->publish("passage", next);
  REQUIRE(run_until(rig.io, [&] { return late->events.size() == 3; }));
  CHECK(late->events[2].data == next);
}

TEST_CASE("event-stream clients get a keepalive comment", "[screen]") {
  auto options = test_options();
  options.keepalive_interval = 20ms;
  Rig rig(options);
  auto client = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return client->comments.size() >= 2; }));
  CHECK(client->comments[0] == ": keepalive");
  CHECK(client->events.empty());
}

TEST_CASE("a stalled client is dropped without holding up the others", "[screen]") {
  Rig rig;
  auto stalled = subscribe(rig, /*read=*/false);
  auto reader = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 2 && reader->header; }));

  // Large events fill the stalled client's socket buffers; then its queue grows past the
  // limit. Between two events the io_context runs whatever is ready, as it would in gated.
  const std::string pad(16 * 1024, 'x');
  int published = 0;
  for (; published < 4000 && rig.server->clients() == 2; ++published) {
    rig.server->publish("passage",
                        R"({"seq":)" + std::to_string(published) + R"(,"pad":")" + pad + R"("})");
    rig.io.restart();
    rig.io.poll();
  }
  INFO("published " << published);
  CHECK(rig.server->clients() == 1);
  REQUIRE(run_until(rig.io, [&] { return reader->events.size() == std::size_t(published); }));
  for (int i = 0; i < published; ++i) {
    REQUIRE(reader->events[i].data.rfind(R"({"seq":)" + std::to_string(i) + ",", 0) == 0);
  }
  CHECK_FALSE(reader->closed);

  // The reader still gets what comes next.
  rig.server->publish("state", kStateNormal);
  REQUIRE(run_until(rig.io, [&] { return reader->events.size() == std::size_t(published) + 1; }));
  CHECK(reader->events.back().data == kStateNormal);
}

TEST_CASE("fifty clients at once", "[screen]") {
  auto options = test_options();
  options.max_clients = 64;
  Rig rig(options);
  std::vector<std::shared_ptr<SseClient>> subscribers;
  for (int i = 0; i < 50; ++i) subscribers.push_back(subscribe(rig));
  std::vector<std::shared_ptr<HttpCall>> calls;
  for (int i = 0; i < 50; ++i) {
    auto call = std::make_shared<HttpCall>(rig.io);
    call->connect(rig.endpoint());
    call->send(make_request(http::verb::get, i % 2 ? "/healthz" : "/kiosk.js"));
    call->read_response();
    calls.push_back(call);
  }
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 50; }));
  rig.server->publish("passage", kPassage);
  auto all = [&] {
    for (const auto& s : subscribers)
      if (s->events.size() != 1) return false;
    for (const auto& c : calls)
      if (!c->done) return false;
    return true;
  };
  REQUIRE(run_until(rig.io, all));
  for (const auto& s : subscribers) CHECK(s->events[0].data == kPassage);
  for (const auto& c : calls) {
    CHECK_FALSE(c->ec);
    CHECK(c->response().result() == http::status::ok);
  }
}

TEST_CASE("event-stream clients over max_clients get 503", "[screen]") {
  auto options = test_options();
  options.max_clients = 2;
  Rig rig(options);
  auto a = subscribe(rig);
  auto b = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 2; }));
  auto refused = get(rig, "/events");
  CHECK(refused.result() == http::status::service_unavailable);
  CHECK(str(refused[http::field::retry_after]) == "5");
  CHECK(rig.server->clients() == 2);

  a->socket.close();
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 1; }));
  auto c = subscribe(rig);
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 2 && c->header; }));
  CHECK(c->header->rfind("HTTP/1.1 200 OK", 0) == 0);
}

TEST_CASE("closing the server leaves the io_context with no work of its own", "[screen]") {
  Rig rig;  // keepalive every 15 s: a forgotten timer would keep run() busy
  auto stream = subscribe(rig);
  auto idle = std::make_shared<HttpCall>(rig.io);  // keep-alive, waiting for its next request
  idle->connect(rig.endpoint());
  idle->send(make_request(http::verb::get, "/healthz"));
  idle->read_response();
  auto partial = std::make_shared<HttpCall>(rig.io);  // half a request
  partial->connect(rig.endpoint());
  partial->send_raw("GET / HTTP/1.1\r\nHost: " + rig.host() + "\r\n");
  REQUIRE(run_until(rig.io, [&] { return rig.server->clients() == 1 && idle->done; }));
  idle->read_response();
  partial->read_response();
  rig.io.restart();
  rig.io.poll();  // the partial request has been read

  rig.server.reset();
  // Every client sees its connection end...
  REQUIRE(run_until(rig.io, [&] { return stream->closed && idle->done && partial->done; }));
  CHECK(idle->ec);
  CHECK(partial->ec);
  // ...and then nothing is left to run.
  rig.io.restart();
  const auto start = std::chrono::steady_clock::now();
  rig.io.run_for(5s);
  CHECK(rig.io.stopped());
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("a server that cannot bind throws std::system_error", "[screen]") {
  Rig rig;
  ScreenOptions same = test_options();
  same.port = rig.server->port();
  CHECK_THROWS_AS(ScreenServer(rig.io, same), std::system_error);

  ScreenOptions bad = test_options();
  bad.address = "not-an-address";
  CHECK_THROWS_AS(ScreenServer(rig.io, bad), std::system_error);
}

TEST_CASE("HEAD /events answers the header only and subscribes nobody", "[screen]") {
  Rig rig;
  auto head = get(rig, "/events", http::verb::head);
  CHECK(head.result() == http::status::ok);
  CHECK(str(head[http::field::content_type]) == "text/event-stream; charset=utf-8");
  CHECK(rig.server->clients() == 0);
}

TEST_CASE("connections over the cap are closed at once", "[screen]") {
  auto options = test_options();
  options.max_clients = 1;  // cap: max(4 x 1, 16) = 16 connections
  Rig rig(options);
  std::vector<std::shared_ptr<HttpCall>> open;
  for (int i = 0; i < 16; ++i) {  // half a request each: they stay open
    auto call = std::make_shared<HttpCall>(rig.io);
    call->connect(rig.endpoint());
    call->send_raw("GET / HTTP/1.1\r\n");
    call->read_response();
    open.push_back(call);
  }
  auto extra = std::make_shared<HttpCall>(rig.io);
  extra->connect(rig.endpoint());
  extra->send(make_request(http::verb::get, "/healthz"));
  extra->read_response();
  REQUIRE(run_until(rig.io, [&] { return extra->done; }));
  CHECK(extra->ec);  // closed without a response
  for (const auto& call : open) CHECK_FALSE(call->done);

  // Once one of them goes, a new connection is served again.
  open.front()->socket.close();
  std::shared_ptr<HttpCall> next;
  REQUIRE(run_until(rig.io, [&] {
    // The server notices the hang-up asynchronously: retry until it has.
    if (!next || (next->done && next->ec)) {
      next = std::make_shared<HttpCall>(rig.io);
      next->connect(rig.endpoint());
      next->send(make_request(http::verb::get, "/healthz"));
      next->read_response();
    }
    return next->done && !next->ec;
  }));
  CHECK(next->response().body() == "ok");
}

TEST_CASE("GET /metrics answers with the owner's text, fresh per scrape; absent without one",
          "[screen]") {
  {
    Rig rig;  // no metrics callback: nothing to scrape
    CHECK(get(rig, "/metrics").result() == http::status::not_found);
  }
  ScreenOptions o = test_options();
  int scrapes = 0;
  o.metrics = [&scrapes] { return "gate_scrapes " + std::to_string(++scrapes) + "\n"; };
  Rig rig(o);
  auto first = get(rig, "/metrics");
  CHECK(first.result() == http::status::ok);
  CHECK(str(first[http::field::content_type]).starts_with("text/plain; version=0.0.4"));
  CHECK(first.body() == "gate_scrapes 1\n");
  CHECK(get(rig, "/metrics").body() == "gate_scrapes 2\n");
}

TEST_CASE("a page that rebinds its DNS name to the kiosk cannot read the screen or metrics",
          "[screen]") {
  auto options = test_options();
  options.metrics = [] { return std::string("gate_up 1\n"); };
  options.host_names = {"Kiosk-3.lan"};
  Rig rig(options);
  const std::string port = std::to_string(rig.server->port());
  const auto with_host = [&](const std::string& host, const std::string& target = "/metrics") {
    auto req = make_request(http::verb::get, target);
    req.set(http::field::host, host);
    return request(rig, req).result();
  };
  CHECK(with_host("127.0.0.1:" + port) == http::status::ok);
  CHECK(with_host("localhost:" + port) == http::status::ok);
  CHECK(with_host("kiosk-3.lan:" + port) == http::status::ok);  // names compare in any case
  CHECK(with_host("[::1]:" + port) == http::status::ok);
  CHECK(with_host("evil.example:" + port) == http::status::misdirected_request);
  CHECK(with_host("evil.example:" + port, "/events") == http::status::misdirected_request);
  CHECK(with_host("evil.example:" + port, "/") == http::status::misdirected_request);
  CHECK(with_host("127.0.0.1") == http::status::misdirected_request);  // port 80 implied
  CHECK(with_host("127.0.0.1:1") == http::status::misdirected_request);
  CHECK(with_host("") == http::status::misdirected_request);
  auto raw = raw_exchange(rig, "GET /metrics HTTP/1.0\r\n\r\n");  // no Host at all
  CHECK(raw.result() == http::status::misdirected_request);
  CHECK(raw.body().find("gate_up") == std::string::npos);
}
