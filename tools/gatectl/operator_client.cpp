#include "operator_client.hpp"

#include <ctime>

#include "gk/sync/https_client.hpp"
#include "gk/sync/tls.hpp"
#include "gk/upstream/operators.hpp"

namespace gatectl {

namespace asio = boost::asio;

gk::NetResult<gk::net::Response> call_operator_api(const OperatorEndpoint& to,
                                                   const gk::IssuerKeyPair& key,
                                                   const gk::net::Request& request) {
  auto endpoint = gk::sync::parse_https_url(to.url);
  if (!endpoint) return endpoint.error();
  const auto verb = boost::beast::http::string_to_verb(request.method);
  if (verb == boost::beast::http::verb::unknown)
    return gk::net_error(gk::NetCode::io, "unknown method " + request.method);
  const auto now = static_cast<gk::UnixTime>(std::time(nullptr));
  auto headers = gk::upstream::sign_operator_request(request.method, request.target, request.body,
                                                     to.operator_id, key, now);
  headers.emplace_back("Content-Type", "application/json");
  asio::io_context io;
  auto tls = gk::sync::client_tls_context(to.pin);
  gk::sync::HttpsSession session(io.get_executor(), *tls, *endpoint);
  std::optional<gk::NetResult<gk::sync::HttpResponse>> res;
  auto run = [&]() -> asio::awaitable<void> {
    res = co_await session.request(verb, request.target, std::move(headers), request.body);
  };
  asio::co_spawn(io, run(), [&](std::exception_ptr e) {
    if (e && !res) res = gk::net_error(gk::NetCode::io, "request threw");
  });
  io.run();
  if (!res) return gk::net_error(gk::NetCode::io, "request did not finish");
  if (!*res) return res->error();
  gk::net::Response out;
  out.status = (*res)->status;
  out.body = std::move((*res)->body);
  return out;
}

}  // namespace gatectl
