// The kiosk screen: its routes as a pure function of a request (assets, /events, /healthz,
// /metrics, the token), put on the network by the one listener of gk::net, with its
// server-sent events from a gk::net::EventHub that replays the latest state to a new page.
#include "gk/screen/screen_server.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "gk/net/listener.hpp"

namespace gk::screen {

namespace detail {
// Generated from web/ by CMakeLists.txt (screen_assets.cpp).
std::string_view asset(std::string_view name);
}  // namespace detail

namespace {

namespace asio = boost::asio;

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

net::Response ok(std::string_view type, std::string body) {
  net::Response r;
  r.content_type = std::string(type);
  r.body = std::move(body);
  return r;
}

}  // namespace

struct ScreenServer::Impl {
  Impl(asio::io_context& io, ScreenOptions o)
      : options(std::move(o)),
        hub(net::HubLimits{
            .replay_latest = true,
            .max_streams = options.max_clients,
            .max_streams_per_source = std::max<std::size_t>(1, options.max_clients / 4),
            .max_queued = 64}),
        listener(io, listener_options(), [this](const net::Request& r) { return handle(r); }) {}

  net::ListenerOptions listener_options() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.address, ec);
    if (ec) throw std::system_error(std::error_code(ec), "screen: bad address " + options.address);
    if (!address.is_loopback() && options.token.empty())
      throw std::invalid_argument(
          "the kiosk screen listens off loopback only with a token ([screen] token_file)");
    net::ListenerOptions l;
    l.name = "screen";
    l.endpoint = {address, options.port};
    // A page, three assets, a stream and a scraper: connections are cheap to refuse.
    l.limits.max_connections = std::max<std::size_t>(options.max_clients * 4, 16);
    l.limits.reserved_for_kiosk = l.limits.max_connections / 4;
    l.limits.max_per_source = 8;
    l.limits.max_body = 0;  // only GET and HEAD: a body is refused
    l.limits.keepalive = options.keepalive_interval;
    // A DNS-rebinding page would read the kiosk's state and metrics under its own name.
    l.check_host = true;
    l.host_names = options.host_names;
    l.common_headers = {
        {"Server", "gk-screen"},
        {"Cache-Control", "no-store"},
        {"Content-Security-Policy",
         "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
    };
    l.hub = &hub;
    l.log = options.log;
    return l;
  }

  // The live feed and the metrics are for the kiosk's own browser and scraper; from anywhere
  // else (a screen listening on the LAN) they need the token, as ?token= (EventSource sends no
  // headers) or "Authorization: Bearer".
  bool authorised(const net::Request& r) const {
    if (r.kiosk_local || options.token.empty()) return true;
    std::string presented = r.query("token").value_or("");
    const std::string auth = r.header("authorization");
    if (presented.empty() && auth.starts_with("Bearer ")) presented = auth.substr(7);
    return net::same_secret(presented, options.token);
  }

  net::Response handle(const net::Request& r) {
    if (r.method != "GET" && r.method != "HEAD") {
      auto res = net::text(405, "method not allowed\n");
      res.headers.emplace_back("Allow", "GET, HEAD");
      return res;
    }
    const std::string_view path = r.path();
    if (path == "/healthz") return ok("text/plain; charset=utf-8", "ok");
    if (path == "/events" || path == "/metrics") {
      if (!authorised(r)) return net::text(401, "this screen needs its token\n");
      if (path == "/events") {
        net::Response res;
        res.event_stream = true;
        return res;
      }
      if (options.metrics) return ok("text/plain; version=0.0.4; charset=utf-8", options.metrics());
    }
    if (auto asset = find_asset(path)) return ok(asset->type, std::string(asset->body));
    return net::text(404, "not found\n");
  }

  ScreenOptions options;
  net::EventHub hub;       // before the listener: its streams outlive the listener's sessions
  net::Listener listener;  // destroyed first: no request reaches handle() after that
};

ScreenServer::ScreenServer(boost::asio::io_context& io, ScreenOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

ScreenServer::~ScreenServer() = default;

unsigned short ScreenServer::port() const {
  return impl_->listener.port();
}

std::size_t ScreenServer::clients() const {
  return impl_->hub.streams();
}

const net::Listener& ScreenServer::listener() const {
  return impl_->listener;
}

void ScreenServer::publish(std::string_view event_name, std::string_view json) {
  impl_->hub.publish(event_name, json);
}

}  // namespace gk::screen
