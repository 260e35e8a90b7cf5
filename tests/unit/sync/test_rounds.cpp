// The kiosk's rounds against a real upstream on loopback (SyncClient over TLS to
// UpstreamServer on a SQLite store, one event loop, driven by run_until): which requests a
// round makes, counted by the upstream's own /metrics. A steady round (the last one succeeded,
// the clock holds its signed time, passages to send) is one journal POST that brings the
// round's time and heads; every other round asks the time first. The rounds share one
// connection, which the upstream holds for the device between them.
#include <catch2/catch.hpp>
// Boost 1.74 asio needs <utility> before its headers.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>

#include "gk/sync/client.hpp"
#include "gk/sync/tls.hpp"
#include "gk/upstream/server.hpp"
#include "gk_run_until.hpp"
#include "gk_test_support.hpp"

using namespace gk;
namespace asio = boost::asio;

namespace {

UnixTime wall_now() {
  return static_cast<UnixTime>(std::time(nullptr));
}

struct Fixture {
  test::ScratchDir dir;
  asio::io_context io;
  std::unique_ptr<upstream::UpstreamStore> store;
  std::unique_ptr<upstream::UpstreamService> service;
  std::unique_ptr<asio::ssl::context> server_tls;
  std::unique_ptr<upstream::UpstreamServer> server;
  std::optional<Journal> journal;
  std::optional<sync::SyncState> state;
  hal::SystemClock board{0};
  std::unique_ptr<hal::TrustedClock> clock;
  std::unique_ptr<sync::SyncClient> client;
  std::uint64_t site_state_applied = 0;
  std::int64_t passages = 0;

  explicit Fixture(upstream::ServerLimits limits = {}) {
    const auto pin =
        sync::make_self_signed_certificate(dir / "tls.key", dir / "tls.crt", "rounds").value();
    server_tls = std::move(sync::server_tls_context(dir / "tls.crt", dir / "tls.key").value());
    store = std::move(upstream::open_sqlite_store(dir / "upstream.db").value());
    auto device = generate_issuer_key();
    REQUIRE(save_key_pair(device, dir.path(), "device").ok());
    REQUIRE(store->register_device({"kiosk-01", device.info.key, "site-1", "北门"}).ok());
    auto authority = generate_issuer_key();
    REQUIRE(save_key_pair(authority, dir.path(), "authority").ok());
    service = std::make_unique<upstream::UpstreamService>(*store, std::move(authority), wall_now);
    server = std::make_unique<upstream::UpstreamServer>(
        io, *server_tls, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), *service,
        std::filesystem::path(), limits);

    SyncConfig c;
    c.url = "https://127.0.0.1:" + std::to_string(server->port());
    c.pin = pin;
    c.device_id = "kiosk-01";
    c.device_key = (dir / "device.key").string();
    c.authority_key = (dir / "authority.pub").string();
    c.batch_size = 4;
    journal.emplace(std::move(Journal::open(dir / "journal.db").value()));
    state.emplace(std::move(sync::SyncState::open(dir / "sync.db").value()));
    clock = std::make_unique<hal::TrustedClock>(board, 0);
    sync::SyncHooks hooks;
    hooks.revocation_number = [] { return std::uint64_t{0}; };
    hooks.site_state = [this](const sync::SiteStateDoc& d) -> FaultStatus {
      site_state_applied = d.number;
      return Done{};
    };
    client = std::move(sync::SyncClient::create(io, c, *journal, *state, *clock, hooks).value());
  }

  void add_passages(int n) {
    for (int i = 0; i < n; ++i) {
      Passage p;
      p.time = wall_now();
      p.gate = "北门 \"east\" \\ gate";
      p.credential_kind = CredentialKind::qr;
      p.decision = Decision::admit;
      p.reason = Reason::ok;
      p.temperature_c = 36.5;
      REQUIRE(journal->append(p).ok());
    }
    passages += n;
  }

  sync::RoundResult round() {
    std::optional<sync::RoundResult> out;
    bool threw = false;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out = co_await client->round(); },
        [&](std::exception_ptr e) { threw = e != nullptr; });
    REQUIRE(test::run_until(io, [&] { return out.has_value() || threw; }));
    REQUIRE_FALSE(threw);
    return *out;
  }

  // The upstream's request counters by "route status", as /metrics prints them.
  std::map<std::string, int> requests() {
    net::Request r;
    r.method = "GET";
    r.target = "/metrics";
    std::istringstream text(service->handle(r).body);
    std::map<std::string, int> out;
    const std::regex line(
        R"re(gk_upstream_requests_total\{route="([^"]+)",status="(\d+)"\} (\d+))re");
    for (std::string l; std::getline(text, l);)
      if (std::smatch m; std::regex_match(l, m, line))
        out[m[1].str() + " " + m[2].str()] = std::stoi(m[3].str());
    return out;
  }

  // What one round asked: the counters' difference.
  std::map<std::string, int> round_requests(sync::RoundResult* result = nullptr) {
    const auto before = requests();
    auto r = round();
    if (result) *result = r;
    INFO((r ? std::string("ok") : sync::describe(r.error())));
    auto after = requests();
    for (const auto& [k, n] : before) after[k] -= n;
    std::erase_if(after, [](const auto& kv) { return kv.second == 0; });
    return after;
  }
};

using Asked = std::map<std::string, int>;

}  // namespace

TEST_CASE("a steady round with passages is one journal request that brings the time",
          "[sync][client][rounds]") {
  Fixture f;
  f.add_passages(3);
  // First contact: no signed time yet, so the time comes first; nothing is published, so the
  // heads (0) skip every pull; then the journal.
  CHECK(f.round_requests() == Asked{{"/v1/time 200", 1}, {"/v1/journal 200", 1}});
  CHECK(f.store->acked("kiosk-01") == 3);
  REQUIRE(f.clock->anchored());

  // Steady, passages to send: the batch is the whole round.
  f.add_passages(2);
  CHECK(f.round_requests() == Asked{{"/v1/journal 200", 1}});
  CHECK(f.store->acked("kiosk-01") == 5);
  CHECK(f.client->status().acked == 5);

  // Nothing to send: the time alone.
  CHECK(f.round_requests() == Asked{{"/v1/time 200", 1}});

  // A list moved on: the batch's heads show it, the round pulls it, then sends the rest of
  // its journal (batches of 4: 6 passages are two batches).
  sync::SiteStateDoc d;
  d.site = "site-1";
  d.outbreak = Outbreak::lockdown;
  const auto number = f.store->set_site_state(d, wall_now());
  REQUIRE(number.ok());
  f.add_passages(6);
  CHECK(f.round_requests() == Asked{{"/v1/journal 200", 2}, {"/v1/site-state 200", 1}});
  CHECK(f.site_state_applied == *number);
  CHECK(f.store->acked("kiosk-01") == 11);
  CHECK(f.store->journal("kiosk-01").size() == 11);
}

TEST_CASE("a steady round from a stale mark is corrected by the upstream's answer",
          "[sync][client][rounds]") {
  Fixture f;
  f.add_passages(2);
  REQUIRE(f.round());
  f.add_passages(2);
  // The device's recorded mark fell behind the upstream's (an answer lost after the commit):
  // the steady batch re-sends passages the upstream holds; they are counted as duplicates,
  // and the answer's mark is where the device goes on.
  REQUIRE(f.state->set_acked(0).ok());
  sync::RoundResult r = Done{};
  CHECK(f.round_requests(&r) == Asked{{"/v1/journal 200", 1}});
  CHECK(r.ok());
  CHECK(f.store->acked("kiosk-01") == 4);
  CHECK(f.state->acked() == 4);
  CHECK(f.store->journal("kiosk-01").size() == 4);
}

TEST_CASE("after a failed round, or from an answer without the time, the time is asked first",
          "[sync][client][rounds]") {
  Fixture f;
  f.add_passages(1);
  REQUIRE(f.round());

  // The upstream fails every request: the steady round fails at its first batch.
  upstream::Faults broken;
  broken.http500 = 1;
  f.service->set_faults(broken);
  f.add_passages(1);
  sync::RoundResult r = Done{};
  CHECK(f.round_requests(&r) == Asked{{"/v1/journal 500", 1}});
  CHECK_FALSE(r.ok());

  // The next round is not steady: time first, then the journal.
  f.service->set_faults({});
  CHECK(f.round_requests() == Asked{{"/v1/time 200", 1}, {"/v1/journal 200", 1}});
  CHECK(f.store->acked("kiosk-01") == 2);

  // A stale answer (the device's previous acknowledgement, no time bound to this round's
  // nonce): the kiosk asks the time on its own, and sends what the stale mark left.
  upstream::Faults stale;
  stale.stale_ack = 1;
  f.service->set_faults(stale);
  f.add_passages(1);
  CHECK(f.round_requests(&r) == Asked{{"/v1/journal 200", 2}, {"/v1/time 200", 1}});
  CHECK(r.ok());
  f.service->set_faults({});
  REQUIRE(f.round());
  CHECK(f.store->acked("kiosk-01") == 3);
  CHECK(f.store->journal("kiosk-01").size() == 3);
}

TEST_CASE("the journal route's time is bound to the nonce the device signed",
          "[sync][upstream][rounds]") {
  Fixture f;
  f.add_passages(1);
  const auto key = load_secret_key(f.dir / "device.key").value();
  auto post = [&](const std::string& target) {
    const std::string body = sync::encode_batch({"kiosk-01", f.journal->entries(0, 1)});
    auto a = sync::sign_request("POST", target, body, "kiosk-01", key, wall_now());
    net::Request r;
    r.method = "POST";
    r.target = target;
    r.body = body;
    r.headers = {{"x-gk-device", a.device_id},
                 {"x-gk-time", std::to_string(a.time)},
                 {"x-gk-nonce", a.nonce},
                 {"x-gk-signature", a.signature}};
    return f.service->handle(r);
  };
  // Not a nonce: refused before the batch is read.
  CHECK(post("/v1/journal?nonce=xyz").status == 400);
  CHECK(f.store->acked("kiosk-01") == 0);
  // Without one: the acknowledgement alone, as ever.
  auto plain = post("/v1/journal");
  REQUIRE(plain.status == 200);
  CHECK(plain.body.find("\"time\"") == std::string::npos);
  // With one: the signed time for exactly that nonce, its heads read after the commit.
  const std::string nonce(32, 'a');
  auto timed = post("/v1/journal?nonce=" + nonce);
  REQUIRE(timed.status == 200);
  const auto answer = nlohmann::json::parse(timed.body);
  REQUIRE(answer.contains("time"));
  TrustStore authority;
  authority.add(load_public_key(f.dir / "authority.pub").value());
  auto doc = sync::open_time(answer["time"].get<std::string>(), nonce, authority);
  REQUIRE(doc.ok());
  REQUIRE(doc->heads.has_value());
  CHECK(doc->heads->acked == 1);
  auto other = sync::open_time(answer["time"].get<std::string>(), std::string(32, 'b'), authority);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == DocCode::replayed);
}

TEST_CASE("a kiosk's rounds share one connection, held for it by the upstream",
          "[sync][client][rounds]") {
  Fixture f;
  const auto& upstream = f.server->listener();
  for (int i = 0; i < 4; ++i) {
    f.add_passages(2);
    REQUIRE(f.round());
  }
  CHECK(f.store->acked("kiosk-01") == 8);
  // One TCP and TLS handshake for four rounds; the connection is the device's, outside the
  // connection budgets.
  CHECK(upstream.stats().accepted == 1);
  CHECK(upstream.held() == 1);
  CHECK(upstream.connections() == 0);
  const auto s = f.client->status();
  CHECK(s.connections.opened == 1);
  CHECK(s.connections.requests_on_kept == 4);  // the first round's journal, then 3 rounds' POSTs
  CHECK(s.tls.full == 1);
  // A failed round closes it: the next one starts on a fresh connection (resumed TLS).
  upstream::Faults broken;
  broken.http500 = 1;
  f.service->set_faults(broken);
  f.add_passages(1);
  CHECK_FALSE(f.round().ok());
  f.service->set_faults({});
  REQUIRE(f.round());
  CHECK(f.store->acked("kiosk-01") == 9);
  CHECK(upstream.stats().accepted == 2);
  CHECK(f.client->status().tls.resumed == 1);
  REQUIRE(test::run_until(f.io, [&] { return upstream.held() == 1; }));
}

TEST_CASE("a held connection the upstream closed is replaced before the next round uses it",
          "[sync][client][rounds]") {
  upstream::ServerLimits limits;
  limits.held_idle = std::chrono::seconds(1);
  SECTION("closed at the held connections' idle limit") {}
  SECTION("never held (--held-connections 0): closed at the idle limit") {
    limits.max_held = 0;
    limits.idle = std::chrono::seconds(1);
  }
  Fixture f(limits);
  const auto& upstream = f.server->listener();
  f.add_passages(2);
  REQUIRE(f.round());
  CHECK(upstream.held() == (limits.max_held > 0 ? 1u : 0u));
  // The upstream closes the idle connection (the kiosk's socket sees its close_notify/FIN).
  REQUIRE(test::run_until(
      f.io, [&] { return upstream.held() + upstream.connections() == 0; },
      std::chrono::seconds(10)));
  CHECK(upstream.stats().timeouts == 1);
  f.add_passages(1);
  CHECK(f.round().ok());  // not a failed round: found closed before the request, and replaced
  CHECK(f.store->acked("kiosk-01") == 3);
  const auto s = f.client->status();
  CHECK(s.connections.opened == 2);
  CHECK(s.connections.found_closed == 1);
  CHECK(s.tls.resumed == 1);
  CHECK(upstream.stats().accepted == 2);
}
