// TLS session resumption between the sync client (HttpsSession + TlsSessionCache) and a
// listener with the upstream's TLS context, on loopback, driven by run_until (no sleeps).
#include <catch2/catch.hpp>
// Boost 1.74 asio needs <utility> before its headers.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <optional>

#include "gk/net/listener.hpp"
#include "gk/net/message.hpp"
#include "gk/sync/https_client.hpp"
#include "gk/sync/tls.hpp"
#include "gk_run_until.hpp"

using namespace gk;
namespace asio = boost::asio;
using gk::test::run_until;

namespace {

struct Dir {
  std::filesystem::path path;
  explicit Dir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("gk-transport-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

// One upstream instance: its own TLS context (so its own ticket keys), as a process has.
struct Upstream {
  std::unique_ptr<asio::ssl::context> tls;
  std::optional<net::Listener> listener;
  Upstream(asio::io_context& io, const std::filesystem::path& dir) {
    tls = std::move(sync::server_tls_context(dir / "tls.crt", dir / "tls.key").value());
    net::ListenerOptions o;
    o.name = "upstream";
    o.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    o.tls = tls.get();
    o.limits.reserved_for_kiosk = 0;
    listener.emplace(io, o, [](const net::Request&) { return net::text(200, "ok\n"); });
  }
  sync::HttpsEndpoint endpoint() const { return {"127.0.0.1", std::to_string(listener->port())}; }
};

// One request on a fresh connection (closed afterwards, as a round ends).
NetResult<sync::HttpResponse> fetch(asio::io_context& io, asio::ssl::context& client_tls,
                                    const sync::HttpsEndpoint& ep, sync::TlsSessionCache& tickets) {
  sync::HttpsSession session(io.get_executor(), client_tls, ep, {}, &tickets);
  std::optional<NetResult<sync::HttpResponse>> out;
  std::exception_ptr thrown;
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto r = co_await session.request(boost::beast::http::verb::get, "/", {}, "");
        session.close();
        out = std::move(r);
      },
      // Not detached: an exception in the request is the test's failure, not a silent hang.
      [&](std::exception_ptr e) {
        thrown = e;
        finished = true;
      });
  REQUIRE(run_until(io, [&] { return finished; }));
  if (thrown) std::rethrow_exception(thrown);
  REQUIRE(out.has_value());
  return std::move(*out);
}

}  // namespace

TEST_CASE("the second connection resumes the first one's TLS session", "[sync][transport]") {
  Dir dir("resume");
  auto pin = sync::make_self_signed_certificate(dir.path / "tls.key", dir.path / "tls.crt", "up");
  REQUIRE(pin);
  asio::io_context io;
  Upstream up(io, dir.path);
  auto client_tls = sync::client_tls_context(*pin);
  sync::TlsSessionCache tickets;
  auto first = fetch(io, *client_tls, up.endpoint(), tickets);
  REQUIRE(first);
  CHECK(first->body == "ok\n");
  CHECK(tickets.counts().full == 1);
  CHECK(tickets.has_ticket());  // the server's ticket arrived with the response
  auto second = fetch(io, *client_tls, up.endpoint(), tickets);
  REQUIRE(second);
  CHECK(second->body == "ok\n");
  CHECK(tickets.counts().resumed == 1);
  CHECK(tickets.counts().full == 1);
  CHECK(tickets.counts().declined + tickets.counts().failed == 0);
}

TEST_CASE("a resumed session whose key is not the pin's is refused", "[sync][transport]") {
  Dir dir("pin");
  auto pin = sync::make_self_signed_certificate(dir.path / "tls.key", dir.path / "tls.crt", "up");
  REQUIRE(pin);
  // Another key's pin: what a kiosk re-provisioned for another upstream holds.
  auto other =
      sync::make_self_signed_certificate(dir.path / "other.key", dir.path / "other.crt", "other");
  REQUIRE(other);
  asio::io_context io;
  Upstream up(io, dir.path);
  sync::TlsSessionCache tickets;
  auto right = sync::client_tls_context(*pin);
  REQUIRE(fetch(io, *right, up.endpoint(), tickets));
  REQUIRE(tickets.has_ticket());
  // The upstream would resume this session (no certificate is sent, the verify callback never
  // runs): only the check of the session's kept certificate refuses it, and the full
  // handshake retried after it fails the pin too.
  auto wrong = sync::client_tls_context(*other);
  auto refused = fetch(io, *wrong, up.endpoint(), tickets);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == NetCode::tls);
  CHECK(tickets.counts().pin_refused == 1);
  CHECK(tickets.counts().failed == 1);
  CHECK(tickets.counts().resumed == 0);
  CHECK_FALSE(tickets.has_ticket());
  // The right pin still gets through, with a full handshake.
  REQUIRE(fetch(io, *right, up.endpoint(), tickets));
  CHECK(tickets.counts().full == 2);
}

TEST_CASE("after an upstream restart the ticket is declined and a full handshake follows",
          "[sync][transport]") {
  Dir dir("restart");
  auto pin = sync::make_self_signed_certificate(dir.path / "tls.key", dir.path / "tls.crt", "up");
  REQUIRE(pin);
  asio::io_context io;
  auto client_tls = sync::client_tls_context(*pin);
  sync::TlsSessionCache tickets;
  std::optional<Upstream> up(std::in_place, io, dir.path);
  REQUIRE(fetch(io, *client_tls, up->endpoint(), tickets));
  REQUIRE(tickets.has_ticket());
  up.reset();  // the process ends: its ticket keys with it
  up.emplace(io, dir.path);
  auto after = fetch(io, *client_tls, up->endpoint(), tickets);
  REQUIRE(after);
  CHECK(after->body == "ok\n");
  CHECK(tickets.counts().declined == 1);
  CHECK(tickets.counts().resumed == 0);
  // The restarted instance's own ticket resumes the next connection.
  REQUIRE(fetch(io, *client_tls, up->endpoint(), tickets));
  CHECK(tickets.counts().resumed == 1);
}
