// gk::net over real loopback sockets: the values, the event hub's budgets and priority, and
// the listener's layers (budgets per source and for the kiosk, the process's descriptor share,
// time limits, handler faults, the TLS handshake budget). Clients run on the listener's own
// io_context, driven by run_until() (no sleeps). Other loopback addresses (127.0.0.2 ...)
// stand in for LAN hosts.
#include <catch2/catch.hpp>

#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gk/net/descriptors.hpp"
#include "gk/net/event_hub.hpp"
#include "gk/net/listener.hpp"
#include "gk/net/message.hpp"
#include "gk/sync/tls.hpp"
#include "gk_run_until.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using namespace gk;

using gk::test::run_until;

namespace {

// A client socket from `source` (e.g. "127.0.0.2") that notices when the server closes it
// (its pending read holds it alive: close the socket to let it go).
struct Client : std::enable_shared_from_this<Client> {
  Client(asio::io_context& io, const std::string& source, const tcp::endpoint& to) : socket(io) {
    socket.open(tcp::v4());
    socket.bind({asio::ip::make_address(source), 0});
    socket.connect(to);
  }
  void watch() {
    socket.async_read_some(asio::buffer(buf),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             if (ec) {
                               self->closed = true;
                               return;
                             }
                             self->received.append(self->buf.data(), n);
                             self->watch();
                           });
  }
  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  tcp::socket socket;
  std::array<char, 4096> buf{};
  std::string received;
  bool closed = false;
};

struct Rig {
  asio::io_context io;
  std::optional<net::EventHub> hub;
  std::optional<net::Listener> listener;
  std::vector<std::string> logged;
  explicit Rig(net::Limits limits, net::Handler handler = {}, net::HubLimits hub_limits = {}) {
    hub.emplace(hub_limits);
    net::ListenerOptions o;
    o.name = "test";
    o.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    o.limits = limits;
    o.hub = &*hub;
    o.log = [this](std::string_view step, std::string_view detail) {
      logged.push_back(std::string(step) + ": " + std::string(detail));
    };
    if (!handler)
      handler = [](const net::Request& r) {
        if (r.path() == "/events") {
          net::Response res;
          res.event_stream = true;
          return res;
        }
        return net::text(200, "ok " + r.peer + "\n");
      };
    listener.emplace(io, o, handler);
  }
  tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), listener->port()}; }
  std::shared_ptr<Client> client(const std::string& source = "127.0.0.1") {
    auto c = std::make_shared<Client>(io, source, endpoint());
    c->watch();
    return c;
  }
};

const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kEvents = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("request values: path, headers, query, kiosk address, secrets", "[net]") {
  net::Request r;
  r.target = "/events?a=1&token=s3cret&b#frag";
  r.headers["authorization"] = "Bearer x";
  CHECK(r.path() == "/events");
  CHECK(r.query("token") == "s3cret");
  CHECK(r.query("b") == "");
  CHECK_FALSE(r.query("c"));
  CHECK(r.header("authorization") == "Bearer x");
  CHECK(r.header("host").empty());
  CHECK(net::lower_case("X-CSRF-Token") == "x-csrf-token");
  CHECK(net::is_kiosk_local("127.0.0.1"));
  CHECK(net::is_kiosk_local("::1"));
  CHECK_FALSE(net::is_kiosk_local("127.0.0.2"));
  CHECK_FALSE(net::is_kiosk_local("192.168.1.10"));
  CHECK(net::same_secret("abc", "abc"));
  CHECK_FALSE(net::same_secret("abc", "abd"));
  CHECK_FALSE(net::same_secret("abc", "abcd"));
}

TEST_CASE("event hub: budgets per source, the kiosk's priority, falling behind", "[net]") {
  asio::io_context io;
  net::EventHub hub(net::HubLimits{
      .replay_latest = true, .max_streams = 4, .max_streams_per_source = 2, .max_queued = 3});
  hub.publish("state", R"({"outbreak":"normal"})");
  auto a1 = hub.open(io.get_executor(), "127.0.0.2", false);
  auto a2 = hub.open(io.get_executor(), "127.0.0.2", false);
  REQUIRE(a1);
  REQUIRE(a2);
  CHECK_FALSE(hub.open(io.get_executor(), "127.0.0.2", false));  // that address's budget
  auto b1 = hub.open(io.get_executor(), "127.0.0.3", false);
  auto b2 = hub.open(io.get_executor(), "127.0.0.3", false);
  CHECK_FALSE(hub.open(io.get_executor(), "127.0.0.4", false));  // the hub is full
  CHECK(hub.refused() == 2);
  // The kiosk's own browser takes the oldest place held by another address.
  auto kiosk = hub.open(io.get_executor(), "127.0.0.1", true);
  REQUIRE(kiosk);
  CHECK(a1->ended());
  CHECK(hub.evicted() == 1);
  CHECK(hub.streams() == 4);
  // It starts from the latest state.
  auto first = kiosk->take();
  REQUIRE(first.size() == 1);
  CHECK(*first[0] == "event: state\ndata: {\"outbreak\":\"normal\"}\n\n");
  // Held only by the kiosk, the hub refuses even the kiosk.
  auto k2 = hub.open(io.get_executor(), "::1", true);
  auto k3 = hub.open(io.get_executor(), "::1", true);
  auto k4 = hub.open(io.get_executor(), "::1", true);
  CHECK(k4);
  CHECK(hub.streams() == 4);
  CHECK_FALSE(hub.open(io.get_executor(), "::1", true));
  // A stream too far behind is dropped; the others keep going.
  kiosk->take();
  for (int i = 0; i < 4; ++i) hub.publish("passage", "{\"n\":" + std::to_string(i) + "}");
  CHECK(kiosk->ended());
  CHECK(hub.dropped() >= 1);
  // A multi-line document stays one event; bad names are refused.
  CHECK(net::sse_frame("x", "{\n\"a\":1\n}") == "event: x\ndata: {\ndata: \"a\":1\ndata: }\n\n");
  CHECK_THROWS_AS(hub.publish("bad name", "{}"), std::invalid_argument);
  CHECK_THROWS_AS(hub.publish("x\nevent: y", "{}"), std::invalid_argument);
}

TEST_CASE("listener: budgets per source and the kiosk's reserve", "[net]") {
  net::Limits limits;
  limits.max_connections = 8;
  limits.max_per_source = 3;
  limits.reserved_for_kiosk = 2;
  Rig rig(limits);
  std::vector<std::shared_ptr<Client>> lan;
  for (int i = 0; i < 5; ++i) lan.push_back(rig.client("127.0.0.2"));
  // Two over that address's budget are closed at once; the three others stay open.
  REQUIRE(run_until(rig.io, [&] { return rig.listener->stats().refused_source == 2; }));
  REQUIRE(run_until(rig.io, [&] {
    return std::count_if(lan.begin(), lan.end(), [](auto& c) { return c->closed; }) == 2;
  }));
  for (int i = 0; i < 4; ++i) lan.push_back(rig.client("127.0.0.3"));
  // 8 - 2 reserved = 6 for everyone else: 3 from .2, then 3 from .3, the fourth refused.
  REQUIRE(run_until(rig.io, [&] { return rig.listener->connections() == 6; }));
  REQUIRE(run_until(rig.io, [&] { return rig.listener->stats().refused_listener == 1; }));
  // The kiosk's own browser is still served.
  auto kiosk = rig.client("127.0.0.1");
  kiosk->send(kGet);
  REQUIRE(
      run_until(rig.io, [&] { return kiosk->received.find("ok 127.0.0.1") != std::string::npos; }));
  // The reserve counts every connection: once the kiosk's and one LAN connection go, the
  // room is there again for any address.
  kiosk->socket.close();
  lan[0]->socket.close();
  REQUIRE(run_until(rig.io, [&] { return rig.listener->connections() == 5; }));
  auto other = rig.client("127.0.0.4");
  other->send(kGet);
  REQUIRE(
      run_until(rig.io, [&] { return other->received.find("ok 127.0.0.4") != std::string::npos; }));
}

TEST_CASE("listener: the process's descriptor share is never exceeded", "[net]") {
  auto& fds = net::Descriptors::process();
  const std::size_t reserved = fds.reserved();
  Rig rig(net::Limits{});
  // Leave room for exactly two connections in the network share.
  fds.configure(fds.network_share() + fds.reserved() - fds.in_use() - 2);
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(rig.client("127.0.0.2"));
  REQUIRE(run_until(rig.io, [&] { return rig.listener->stats().refused_descriptors == 2; }));
  CHECK(rig.listener->connections() == 2);
  for (auto& c : clients) c->socket.close();
  REQUIRE(run_until(rig.io, [&] { return rig.listener->connections() == 0; }));
  fds.configure(reserved);
}

TEST_CASE("listener: slow and idle clients are cut at their time limits", "[net]") {
  net::Limits limits;
  limits.header = 300ms;
  limits.idle = 300ms;
  Rig rig(limits);
  auto silent = rig.client("127.0.0.2");
  auto slow = rig.client("127.0.0.3");
  slow->send("GET / HTTP/1.1\r\nHo");  // and never the rest
  auto kept = rig.client("127.0.0.4");
  kept->send(kGet);
  REQUIRE(run_until(
      rig.io, [&] { return silent->closed && slow->closed && kept->closed; }, 10s));
  CHECK(kept->received.find("ok 127.0.0.4") != std::string::npos);  // answered, then idle
  CHECK(slow->received.empty());
  CHECK(rig.listener->stats().timeouts == 3);
}

TEST_CASE("listener: held connections are their principal's, outside the budgets", "[net]") {
  net::Limits limits;
  limits.max_connections = 2;
  limits.reserved_for_kiosk = 0;
  limits.max_per_source = 2;
  limits.header = 300ms;
  limits.idle = 300ms;
  limits.max_held = 2;
  limits.held_idle = 5s;
  // The handler "authenticates" a request by its X-Principal header (gate-upstream: a verified
  // device signature).
  Rig rig(limits, [](const net::Request& r) {
    auto res = net::text(200, "ok " + r.header("x-principal") + "\n");
    res.hold = r.header("x-principal");
    return res;
  });
  const auto& l = *rig.listener;
  const auto as = [](const std::string& who) {
    return "GET / HTTP/1.1\r\nHost: x\r\nX-Principal: " + who + "\r\n\r\n";
  };
  const auto answered = [&](const std::shared_ptr<Client>& c, const std::string& who, int times) {
    return run_until(rig.io, [&] {
      std::size_t n = 0, at = 0;
      while ((at = c->received.find("ok " + who + "\n", at)) != std::string::npos) ++n, ++at;
      return n == static_cast<std::size_t>(times);
    });
  };

  // A device's connection leaves the budgets once answered; an anonymous one stays in them.
  auto a = rig.client("127.0.0.2");
  a->send(as("dev-a"));
  REQUIRE(answered(a, "dev-a", 1));
  REQUIRE(run_until(rig.io, [&] { return l.held() == 1 && l.connections() == 0; }));
  auto anonymous = rig.client("127.0.0.2");
  anonymous->send(kGet);
  REQUIRE(answered(anonymous, "", 1));
  // The anonymous one meets `idle`; the held one does not.
  REQUIRE(run_until(
      rig.io, [&] { return anonymous->closed; }, 5s));
  CHECK_FALSE(a->closed);
  CHECK(l.stats().timeouts == 1);

  // Idle sockets fill the connection budget (and one is refused): the held one is unaffected.
  auto idle1 = rig.client("127.0.0.3"), idle2 = rig.client("127.0.0.4"),
       idle3 = rig.client("127.0.0.5");
  REQUIRE(run_until(rig.io, [&] { return l.stats().refused_listener == 1; }));
  a->send(as("dev-a"));
  REQUIRE(answered(a, "dev-a", 2));
  REQUIRE(run_until(
      rig.io, [&] { return l.connections() == 0; }, 5s));  // their header limit

  // The same principal again: its older connection is closed.
  auto a2 = rig.client("127.0.0.6");
  a2->send(as("dev-a"));
  REQUIRE(answered(a2, "dev-a", 1));
  REQUIRE(run_until(rig.io, [&] { return a->closed; }));
  CHECK(l.stats().held_replaced == 1);
  CHECK(l.held() == 1);

  // Over max_held: the least recently answered goes.
  auto b = rig.client("127.0.0.7"), c = rig.client("127.0.0.8");
  b->send(as("dev-b"));
  REQUIRE(answered(b, "dev-b", 1));
  a2->send(as("dev-a"));  // a2 is now more recent than b
  REQUIRE(answered(a2, "dev-a", 2));
  c->send(as("dev-c"));
  REQUIRE(answered(c, "dev-c", 1));
  REQUIRE(run_until(rig.io, [&] { return b->closed; }));
  CHECK(l.stats().held_evicted == 1);
  CHECK_FALSE(a2->closed);
  CHECK(l.held() == 2);

  // A request on a held connection that is not its principal's is answered, then closed.
  c->send(kGet);
  REQUIRE(answered(c, "", 1));
  REQUIRE(run_until(rig.io, [&] { return c->closed; }));
  CHECK(c->received.find("Connection: close") != std::string::npos);
  REQUIRE(run_until(rig.io, [&] { return l.held() == 1; }));
  const auto text = net::metrics_text({&l});
  CHECK(text.find("gate_http_held_connections{listener=\"test\"} 1") != std::string::npos);
  CHECK(text.find("gate_http_held_evicted_total{listener=\"test\"} 1") != std::string::npos);
}

TEST_CASE("listener: a handler that throws is answered 500, logged, counted; the next is served",
          "[net]") {
  int calls = 0;
  Rig rig(net::Limits{}, [&](const net::Request&) -> net::Response {
    if (++calls == 1) throw std::runtime_error("boom");
    return net::text(200, "fine\n");
  });
  auto c = rig.client();
  c->send(kGet);
  REQUIRE(run_until(
      rig.io, [&] { return c->received.find("\r\n\r\ninternal error\n") != std::string::npos; }));
  CHECK(c->received.starts_with("HTTP/1.1 500"));
  c->send(kGet);
  REQUIRE(run_until(rig.io, [&] { return c->received.find("fine\n") != std::string::npos; }));
  CHECK(rig.listener->stats().handler_faults == 1);
  REQUIRE(rig.logged.size() == 1);
  CHECK(rig.logged[0] == "handler: GET /: boom");
}

TEST_CASE("listener: off-loop work runs on the worker while other requests are answered", "[net]") {
  const auto loop_thread = std::this_thread::get_id();
  std::atomic<bool> release{false}, job_started{false};
  std::thread::id job_thread, step_thread;
  Rig rig(net::Limits{}, [&](const net::Request& r) -> net::Response {
    if (r.path() == "/slow") {
      net::Response res;
      res.off_loop = [&]() -> std::function<net::Response()> {
        job_thread = std::this_thread::get_id();
        job_started = true;
        while (!release) std::this_thread::sleep_for(1ms);  // an Argon2 check, held open
        return [&] {
          step_thread = std::this_thread::get_id();
          return net::text(200, "slow done\n");
        };
      };
      return res;
    }
    if (r.path() == "/throws") {
      net::Response res;
      res.off_loop = []() -> std::function<net::Response()> {
        throw std::runtime_error("job failed");
      };
      return res;
    }
    return net::text(200, "quick\n");
  });
  auto slow = rig.client();
  slow->send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(run_until(rig.io, [&] { return job_started.load(); }));
  // The job holds the worker; the loop still answers another client.
  auto quick = rig.client();
  quick->send(kGet);
  REQUIRE(run_until(rig.io, [&] { return quick->received.find("quick\n") != std::string::npos; }));
  CHECK(slow->received.empty());
  release = true;
  REQUIRE(
      run_until(rig.io, [&] { return slow->received.find("slow done\n") != std::string::npos; }));
  CHECK(bool(job_thread != loop_thread));
  CHECK(
      bool(step_thread == loop_thread));  // the step that touches the handler's state: on the loop
  auto bad = rig.client();
  bad->send("GET /throws HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(run_until(rig.io, [&] { return bad->received.starts_with("HTTP/1.1 500"); }));
  CHECK(rig.listener->stats().off_loop_jobs == 2);
  CHECK(rig.listener->stats().handler_faults == 1);
}

TEST_CASE("listener: oversize header 413, bad request 400, header names lower-cased", "[net]") {
  std::map<std::string, std::string> seen;
  Rig rig(net::Limits{}, [&](const net::Request& r) {
    seen = r.headers;
    return net::text(200, "ok\n");
  });
  auto big = rig.client();
  big->send("GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  REQUIRE(run_until(rig.io, [&] { return big->closed; }));
  CHECK(big->received.starts_with("HTTP/1.1 413"));
  auto bad = rig.client();
  bad->send("NOT HTTP\r\n\r\n");
  REQUIRE(run_until(rig.io, [&] { return bad->closed; }));
  CHECK(bad->received.starts_with("HTTP/1.1 400"));
  auto ok = rig.client();
  ok->send("GET / HTTP/1.1\r\nHOST: x\r\nX-CSRF-Token: t\r\n\r\n");
  REQUIRE(run_until(rig.io, [&] { return ok->received.find("ok\n") != std::string::npos; }));
  CHECK(seen["host"] == "x");
  CHECK(seen["x-csrf-token"] == "t");
}

TEST_CASE("listener: held streams cannot lock the kiosk page out", "[net]") {
  Rig rig(net::Limits{}, {},
          net::HubLimits{.replay_latest = true, .max_streams = 4, .max_streams_per_source = 2});
  std::vector<std::shared_ptr<Client>> held;
  for (const char* source : {"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.4"}) {
    held.push_back(rig.client(source));
    held.back()->send(kEvents);
  }
  REQUIRE(run_until(rig.io, [&] { return rig.hub->streams() == 4 && held.back()->closed; }));
  CHECK(held.back()->received.starts_with("HTTP/1.1 503"));
  auto kiosk = rig.client("127.0.0.1");
  kiosk->send(kEvents);
  rig.hub->publish("passage", R"({"decision":"admit"})");
  REQUIRE(run_until(rig.io, [&] {
    return kiosk->received.find("data: {\"decision\":\"admit\"}") != std::string::npos;
  }));
  CHECK(run_until(rig.io, [&] { return held[0]->closed; }));  // the oldest went
  CHECK(rig.hub->evicted() == 1);
}

TEST_CASE("listener: idle sockets cannot hold the TLS handshakes", "[net]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gk-net-tls-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto pin = sync::make_self_signed_certificate(dir / "tls.key", dir / "tls.crt", "test");
  REQUIRE(pin);
  auto server_tls = sync::server_tls_context(dir / "tls.crt", dir / "tls.key");
  REQUIRE(server_tls);
  asio::io_context io;
  net::ListenerOptions o;
  o.name = "tls";
  o.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
  o.tls = server_tls->get();
  o.limits.max_handshakes = 3;
  o.limits.reserved_for_kiosk = 0;
  net::Listener listener(io, o, [](const net::Request&) { return net::text(200, "tls ok\n"); });
  const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), listener.port()};
  std::vector<std::shared_ptr<Client>> idle;
  for (const char* source : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"}) {
    idle.push_back(std::make_shared<Client>(io, source, ep));
    idle.back()->watch();
  }
  REQUIRE(run_until(io, [&] { return listener.stats().handshakes_dropped == 2; }));
  // A device that does its handshake gets through all the same.
  auto client_tls = sync::client_tls_context(*pin);
  beast::ssl_stream<beast::tcp_stream> device(io, *client_tls);
  beast::get_lowest_layer(device).connect(ep);
  bool done = false;
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, "x");
  device.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec) {
    REQUIRE_FALSE(ec);
    http::async_write(device, req, [&](beast::error_code wec, std::size_t) {
      REQUIRE_FALSE(wec);
      http::async_read(device, buffer, res, [&](beast::error_code, std::size_t) { done = true; });
    });
  });
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK(res.body() == "tls ok\n");
  CHECK(listener.stats().handshakes_dropped >= 3);  // the device's made room too
  std::filesystem::remove_all(dir);
}

TEST_CASE("listener: out of descriptors, accept backs off and sheds instead of spinning", "[net]") {
  Rig rig(net::Limits{});
  const std::uint16_t port = rig.listener->port();
  // Use every descriptor this process may have, then let a child process connect five times.
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<int> hogs;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) hogs.push_back(fd);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    for (int fd : hogs) ::close(fd);
    std::vector<int> socks;
    for (int i = 0; i < 5; ++i) {
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(port);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) socks.push_back(s);
    }
    ::sleep(3);
    ::_exit(static_cast<int>(socks.size()));
  }
  // Every waiting connection is shed with the spare descriptor, after only a handful of
  // failed accept() calls (a loop retrying at once makes hundreds of thousands a second).
  const bool all_shed = run_until(
      rig.io, [&] { return rig.listener->stats().shed == 5; }, 10s);
  const auto stats = rig.listener->stats();
  for (int fd : hogs) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 5);
  CHECK(all_shed);
  CHECK(stats.accept_failures >= 1);
  CHECK(stats.accept_failures < 50);
  REQUIRE_FALSE(rig.logged.empty());
  CHECK(rig.logged[0].starts_with("accept: "));
  // With descriptors again, the listener serves at once.
  auto c = rig.client();
  c->send(kGet);
  REQUIRE(run_until(rig.io, [&] { return c->received.find("ok 127.0.0.1") != std::string::npos; }));
  CHECK(rig.logged.back().find("accepting again") != std::string::npos);
}
