// fault-proxy: a TCP proxy that breaks connections on purpose, for the sync integration
// tests (tests/integration/sync). It sits between the kiosk and the upstream; TLS runs end
// to end through it, so what it injects is what a bad network does to real traffic.
//   fault-proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:PORT --mode-file F [--port-file P]
// The mode file is read at every new connection (one line; missing file = pass):
//   pass              forward untouched
//   refuse            close each new connection at once (RST)
//   reset:N           reset both sides after N bytes from the upstream
//   reset-up:N        reset both sides after N bytes from the kiosk (mid-upload)
//   truncate:N        close cleanly (FIN) after N bytes from the upstream
//   garble:N          flip the byte at offset N from the upstream
//   dup:N             send the upstream's chunk containing offset N twice
//   reorder:N         swap the upstream's chunk containing offset N with the next one
//   stall:MS          hold every upstream chunk MS milliseconds
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Mode {
  std::string kind = "pass";
  std::uint64_t n = 0;
};

Mode read_mode(const std::string& file) {
  Mode m;
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return m;
  const auto colon = line.find(':');
  m.kind = line.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      m.n = std::stoull(line.substr(colon + 1));
    } catch (const std::exception&) {
      std::cerr << "fault-proxy: bad mode '" << line << "', passing traffic\n";
      m.kind = "pass";
    }
  }
  return m;
}

void hard_reset(tcp::socket& s) {
  boost::system::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);  // close() sends RST
  s.close(ec);
}

struct Connection {
  Connection(tcp::socket c, tcp::socket u, Mode m)
      : client(std::move(c)), upstream(std::move(u)), mode(std::move(m)) {}
  tcp::socket client, upstream;
  Mode mode;
  std::uint64_t down = 0, up = 0;   // bytes forwarded from upstream / from the kiosk
  std::optional<std::string> held;  // reorder: a chunk waiting for its successor

  void reset_both() {
    hard_reset(client);
    hard_reset(upstream);
  }

  // Each pump holds the connection alive through `self` (a coroutine parameter, so it is
  // owned from the moment the coroutine is created, not from when it first runs).
  static asio::awaitable<void> pump_up(std::shared_ptr<Connection> self) {
    return self->up_loop(self);
  }
  static asio::awaitable<void> pump_down(std::shared_ptr<Connection> self) {
    return self->down_loop(self);
  }

  asio::awaitable<void> up_loop(std::shared_ptr<Connection>) {
    std::array<char, 16384> buf;
    boost::system::error_code ec;
    for (;;) {
      std::size_t n = co_await client.async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (mode.kind == "reset-up" && up + n >= mode.n) {
        const std::size_t keep = static_cast<std::size_t>(mode.n - up);
        co_await asio::async_write(upstream, asio::buffer(buf.data(), keep),
                                   asio::redirect_error(asio::use_awaitable, ec));
        reset_both();
        co_return;
      }
      up += n;
      co_await asio::async_write(upstream, asio::buffer(buf.data(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    upstream.shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> down_loop(std::shared_ptr<Connection>) {
    std::array<char, 16384> buf;
    boost::system::error_code ec;
    auto send = [&](std::string_view data) -> asio::awaitable<bool> {
      co_await asio::async_write(client, asio::buffer(data.data(), data.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      co_return !ec;
    };
    for (;;) {
      std::size_t n = co_await upstream.async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string chunk(buf.data(), n);
      const bool here = mode.n >= down && mode.n < down + n;
      if (mode.kind == "stall") {
        asio::steady_timer t(client.get_executor());
        t.expires_after(std::chrono::milliseconds(mode.n));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      } else if ((mode.kind == "reset" || mode.kind == "truncate") && down + n >= mode.n) {
        chunk.resize(static_cast<std::size_t>(mode.n - down));
        co_await send(chunk);
        if (mode.kind == "reset") {
          reset_both();
        } else {
          client.shutdown(tcp::socket::shutdown_send, ec);
          hard_reset(upstream);
        }
        co_return;
      } else if (mode.kind == "garble" && here) {
        chunk[static_cast<std::size_t>(mode.n - down)] ^= 0x20;
      } else if (mode.kind == "dup" && here) {
        if (!co_await send(chunk)) break;
      } else if (mode.kind == "reorder" && (here || held)) {
        down += n;
        if (!held) {
          held = std::move(chunk);
          continue;
        }
        if (!co_await send(chunk) || !co_await send(*held)) break;
        held.reset();
        continue;
      }
      down += n;
      if (!co_await send(chunk)) break;
    }
    if (held) (void)co_await send(*held);
    client.shutdown(tcp::socket::shutdown_send, ec);
    std::cerr << "fault-proxy: " << mode.kind << ":" << mode.n << " connection done, " << up
              << " bytes up, " << down << " down\n";
  }
};

// A coroutine's end: an exception is said on stderr with its task and counted, never dropped
// (co_spawn's `detached` would throw it away silently).
int g_task_faults = 0;
auto said(const char* task) {
  return [task](std::exception_ptr e) {
    if (!e) return;
    ++g_task_faults;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << "fault-proxy: " << task << " threw (" << g_task_faults
                << " so far): " << x.what() << "\n";
    } catch (...) {
      std::cerr << "fault-proxy: " << task << " threw a non-standard exception\n";
    }
  };
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, tcp::endpoint target,
                                  std::string mode_file) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    boost::system::error_code ec;
    tcp::socket client =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;
    Mode mode = read_mode(mode_file);
    if (mode.kind == "refuse") {
      hard_reset(client);
      continue;
    }
    tcp::socket upstream(ex);
    co_await upstream.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      hard_reset(client);
      continue;
    }
    auto c = std::make_shared<Connection>(std::move(client), std::move(upstream), mode);
    asio::co_spawn(ex, Connection::pump_up(c), said("pump up"));
    asio::co_spawn(ex, Connection::pump_down(c), said("pump down"));
  }
}

tcp::endpoint endpoint_of(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("ADDRESS:PORT expected: " + s);
  return {asio::ip::make_address(s.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(s.substr(colon + 1)))};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fault-proxy: a TCP proxy that injects network faults (tests)"};
  std::string listen = "127.0.0.1:0", upstream, mode_file, port_file;
  app.add_option("--listen", listen, "ADDRESS:PORT to listen on (port 0: any)");
  app.add_option("--upstream", upstream, "ADDRESS:PORT to forward to")->required();
  app.add_option("--mode-file", mode_file, "File holding the fault mode, read per connection");
  app.add_option("--port-file", port_file, "Write the bound port here");
  CLI11_PARSE(app, argc, argv);
  try {
    asio::io_context io;
    tcp::acceptor acceptor(io, endpoint_of(listen));
    if (!port_file.empty()) {
      std::ofstream(port_file + ".tmp") << acceptor.local_endpoint().port() << "\n";
      std::rename((port_file + ".tmp").c_str(), port_file.c_str());
    }
    // Supervised: an accept loop that threw is said, counted and started again.
    const tcp::endpoint target = endpoint_of(upstream);
    std::function<void()> start_accepting = [&] {
      asio::co_spawn(io, accept_loop(acceptor, target, mode_file), [&](std::exception_ptr e) {
        if (!e) return;
        said("accept loop")(e);
        start_accepting();
      });
    };
    start_accepting();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "fault-proxy: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
