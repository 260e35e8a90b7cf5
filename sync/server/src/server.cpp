#include "gk/upstream/server.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace gk::upstream {

namespace asio = boost::asio;

namespace {

net::ListenerOptions upstream_listener(asio::ssl::context& tls, asio::ip::tcp::endpoint endpoint,
                                       const ServerLimits& limits) {
  net::ListenerOptions l;
  l.name = "upstream";
  l.endpoint = endpoint;
  l.tls = &tls;
  l.limits.max_connections = limits.max_connections;
  l.limits.max_per_source = limits.max_per_source;
  l.limits.reserved_for_kiosk = 0;  // no kiosk browser here
  l.limits.max_handshakes = limits.max_handshakes;
  l.limits.max_header = 16 * 1024;
  l.limits.max_body = limits.max_body;
  l.limits.handshake = limits.handshake;
  l.limits.header = limits.io;
  l.limits.body = limits.io;
  l.limits.write = limits.io;
  l.limits.idle = limits.idle;
  l.limits.max_held = limits.max_held;
  l.limits.held_idle = limits.held_idle;
  l.off_loop_threads = limits.workers;
  l.common_headers = {{"Server", "gate-upstream"}};
  return l;
}

}  // namespace

UpstreamServer::UpstreamServer(asio::io_context& io, asio::ssl::context& tls,
                               asio::ip::tcp::endpoint endpoint, UpstreamService& service,
                               std::filesystem::path faults_file, ServerLimits limits)
    : service_(service),
      faults_file_(std::move(faults_file)),
      listener_(io, upstream_listener(tls, endpoint, limits),
                [this, off_loop = limits.workers > 0](const net::Request& r) {
                  reload_faults();
                  // The listener's own figures (connections, budgets, held connections) join
                  // the service's on /metrics, read on the loop that owns them.
                  const bool metrics = r.method == "GET" && r.target == "/metrics";
                  auto finish = [this, metrics](net::Response res) {
                    if (metrics) res.body += net::metrics_text({&listener_});
                    return res;
                  };
                  if (!off_loop) return finish(service_.handle(r));
                  net::Response later;
                  later.off_loop = [this, r, finish] {
                    return [finish, res = service_.handle(r)]() mutable {
                      return finish(std::move(res));
                    };
                  };
                  return later;
                }) {}

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
    std::cerr << "gate-upstream: faults file: " << f.error().detail << " (faults off)\n";
    service_.set_faults({});
    return;
  }
  service_.set_faults(*f);
}

}  // namespace gk::upstream
