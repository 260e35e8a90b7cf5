#pragma once
// The unit-test seam of the daemon: a real gk::Daemon on board "sim" (simulated thermometer
// and gate, manual clock) built from a real config file in a scratch folder, in this
// process: no gated, no scripts. Events are captured by a sink added to the daemon's outbox;
// an upstream (gate-upstream's service and TLS server) can run on the daemon's own event
// loop, so a sync round is real HTTPS on loopback.
#include <ctime>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gk/gated/daemon.hpp"
#include "gk/gated/events.hpp"
#include "gk/pass/codec.hpp"
#include "gk/sync/tls.hpp"
#include "gk/upstream/server.hpp"
#include "gk_test_support.hpp"

namespace gk::test {

// Every event the daemon announced, as the outbox handed it to its sinks.
class RecordingSink final : public EventSink {
 public:
  explicit RecordingSink(std::vector<Event>& events) : events_(events) {}
  void deliver(const Event& e) override { events_.push_back(e); }

 private:
  std::vector<Event>& events_;
};

// An upstream in this process: gate-upstream's store, service and HTTPS server, on an event
// loop of its own thread (it is the other end of the network).
struct RigUpstream {
  std::filesystem::path dir;
  std::unique_ptr<upstream::UpstreamStore> store;
  IssuerKeyPair authority = generate_issuer_key();
  std::unique_ptr<upstream::UpstreamService> service;
  std::unique_ptr<boost::asio::ssl::context> tls;
  boost::asio::io_context io;
  std::unique_ptr<upstream::UpstreamServer> server;
  std::thread thread;
  std::string pin;

  explicit RigUpstream(const std::filesystem::path& d)
      : dir(d), store(std::move(upstream::open_sqlite_store(d / "upstream.db").value())) {
    REQUIRE(save_key_pair(authority, d, "authority").ok());
    service = std::make_unique<upstream::UpstreamService>(
        *store, std::move(authority), [] { return static_cast<UnixTime>(std::time(nullptr)); });
    pin = sync::make_self_signed_certificate(d / "tls.key", d / "tls.crt", "upstream").value();
    tls = std::move(sync::server_tls_context(d / "tls.crt", d / "tls.key").value());
    server = std::make_unique<upstream::UpstreamServer>(
        io, *tls, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
        *service);
    thread = std::thread([this] { io.run(); });
  }
  ~RigUpstream() {
    io.stop();
    thread.join();
  }
  // Read on the upstream's thread (the store belongs to it).
  template <class F>
  auto on_upstream(F f) -> decltype(f()) {
    std::promise<decltype(f())> p;
    boost::asio::post(io, [&] { p.set_value(f()); });
    return p.get_future().get();
  }
  std::size_t rows(const std::string& device) {
    return on_upstream([&] { return store->journal(device, 0, 100000).size(); });
  }
};

struct DaemonRig {
  ScratchDir dir;
  IssuerKeyPair issuer = generate_issuer_key();
  IssuerKeyPair device = generate_issuer_key();
  std::ostringstream out;  // gated's stdout (JSON lines)
  std::vector<Event> events;
  std::unique_ptr<RigUpstream> upstream;
  std::unique_ptr<Daemon> daemon;
  std::string site = "site-1";
  std::string checkpoint = "北门";
  std::string extra;  // more config text
  // The sim clock starts at the real time: the upstream checks request times against its own.
  UnixTime now = static_cast<UnixTime>(std::time(nullptr));

  DaemonRig() {
    std::filesystem::create_directories(dir / "trust");
    std::filesystem::create_directories(dir / "keys");
    REQUIRE(save_key_pair(issuer, dir / "trust", "issuer").ok());
    REQUIRE(save_key_pair(device, dir / "keys", "device").ok());
  }

  // A config string in TOML: quotes, backslashes and control characters escaped.
  static std::string toml_string(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        o += '\\';
        o += static_cast<char>(c);
      } else if (c < 0x20 || c == 0x7f) {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", c);
        o += b;
      } else {
        o += static_cast<char>(c);
      }
    }
    return o + "\"";
  }

  std::string config_text() const {
    std::string t = "board = \"sim\"\nstate_dir = \"state\"\ntrust_dir = \"trust\"\n";
    t += "[site]\nid = " + toml_string(site) + "\ncheckpoint = " + toml_string(checkpoint) + "\n";
    t += "[thermometer]\nkind = \"sim\"\nsim_idle_c = 36.5\n";
    if (upstream)
      t += "[sync]\nurl = \"https://127.0.0.1:" + std::to_string(upstream->server->port()) +
           "\"\npin = \"" + upstream->pin +
           "\"\ndevice_id = \"kiosk-01\"\ndevice_key = \"keys/device.key\"\n"
           "authority_key = \"up/authority.pub\"\nbackoff_min_s = 1\nbackoff_max_s = 2\n"
           "timeout_s = 5\n";
    return t + extra;
  }

  // Starts an upstream on the next daemon's loop (call before start()).
  void with_upstream() {
    std::filesystem::create_directories(dir / "up");
    upstream = std::make_unique<RigUpstream>(dir / "up");
    REQUIRE(upstream->store->register_device({"kiosk-01", device.info.key, site, checkpoint}).ok());
  }

  // (Re)starts the daemon, as a restart of gated would: the old one is gone first.
  void start() {
    daemon.reset();
    {
      std::ofstream f(dir / "gated.toml", std::ios::trunc);
      f << config_text();
    }
    auto config = load_config(dir / "gated.toml");
    if (!config.ok()) FAIL(config.error().detail);
    DaemonOptions options;
    options.sim_clock_start = now;
    options.out = &out;
    auto d = Daemon::create(std::move(*config), options);
    if (!d.ok()) FAIL(describe(d.error()));
    daemon = std::move(*d);
    daemon->outbox().add(std::make_unique<RecordingSink>(events));
  }

  std::string pass_text(Role role = Role::resident, std::string building = "1") {
    Pass p;
    random_fill(p.id);
    p.role = role;
    p.site = site;
    p.building = std::move(building);
    p.unit = "2-301";
    p.holder_name = "张三";
    p.valid_from = now - 10;
    p.valid_until = now + 86400;
    return issue_pass_text(p, issuer);
  }
  PassageOutcome present(const std::string& text) {
    Presentation p;
    p.text = text;
    return daemon->present(p);
  }
  std::vector<const Event*> of(EventKind k) const {
    std::vector<const Event*> r;
    for (const auto& e : events)
      if (e.kind == k) r.push_back(&e);
    return r;
  }
};

}  // namespace gk::test
