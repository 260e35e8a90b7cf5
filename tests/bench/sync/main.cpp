// Sync benchmarks (issue 4), each against a baseline measured in the same run:
//  1. applying a 100 000-entry revocation delta onto a 1 000 000-entry list, verified and
//     persisted (RevocationStore transaction + in-memory swap), vs raw SQLite inserting the
//     same ids in one transaction;
//  2. uploading a 1 000 000-passage backlog over loopback TLS through the real client and
//     gate-upstream's server (server on its own thread), vs the same client session POSTing
//     the same bytes to a route that stores nothing.
// Memory: the process's peak resident set before and after each part (client and server
// share the process here, so the upload figure covers both).
//   build/bench/bench_sync [passages]      (default 1000000)
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench_util.hpp"
#include "gk/core/sqlite.hpp"
#include "gk/sync/client.hpp"
#include "gk/sync/tls.hpp"
#include "gk/trust/revocation_store.hpp"
#include "gk/upstream/server.hpp"

using namespace gk;
namespace fs = std::filesystem;

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

double seconds_since(bench::Clock::time_point t) {
  return std::chrono::duration<double>(bench::Clock::now() - t).count();
}

std::vector<PassId> random_ids(std::size_t n) {
  std::vector<PassId> ids(n);
  for (auto& id : ids) random_fill(id);
  return ids;
}

void revocation_delta(const fs::path& dir) {
  const auto authority = generate_issuer_key();
  TrustStore trust;
  trust.add(authority.info);
  auto store = RevocationStore::open(dir / "revocation.db");
  RevocationDocument snap;
  snap.number = 1;
  snap.site = "*";
  snap.added = random_ids(1'000'000);
  auto snap_doc = parse_revocation_document(sign_revocation_document(snap, authority), trust);
  if (!store->apply(*snap_doc)) std::abort();
  RevocationList list = std::move(store->load().value());

  RevocationDocument delta;
  delta.kind = RevocationDocument::Kind::delta;
  delta.base_number = 1;
  delta.number = 2;
  delta.site = "*";
  delta.added = random_ids(100'000);
  const Bytes signed_delta = sign_revocation_document(delta, authority);

  const double rss_before = peak_rss_mib();
  auto t = bench::Clock::now();
  auto doc = parse_revocation_document(signed_delta, trust);  // verify
  const double verify_s = seconds_since(t);
  if (!doc || !store->apply(*doc) || !list.apply(*doc)) std::abort();
  const double ours_s = seconds_since(t);

  // Baseline: the same 100 000 ids inserted raw into an identical table, one transaction.
  auto raw = sql::Database::open((dir / "raw.db").string()).value();
  (void)raw.exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE revoked(pass_id BLOB PRIMARY KEY) WITHOUT ROWID;");
  {
    sql::Transaction tx(raw);
    sql::Statement ins(raw, "INSERT INTO revoked VALUES(?)");
    for (const auto& id : snap.added) {
      ins.reset();
      ins.bind(1, ByteView(id));
      ins.step();
    }
    (void)tx.commit();
  }
  t = bench::Clock::now();
  {
    sql::Transaction tx(raw);
    sql::Statement ins(raw, "INSERT INTO revoked VALUES(?)");
    for (const auto& id : delta.added) {
      ins.reset();
      ins.bind(1, ByteView(id));
      ins.step();
    }
    (void)tx.commit();
  }
  const double raw_s = seconds_since(t);
  std::printf("revocation delta: 100 000 entries onto 1 000 000 (%zu bytes signed)\n",
              signed_delta.size());
  std::printf("  %-52s %8.3f s\n", "raw SQLite insert, one transaction", raw_s);
  std::printf("  %-52s %8.3f s  (verify %.3f s)\n", "ours: verify + persist + swap in memory",
              ours_s, verify_s);
  std::printf("  ratio ours / raw: %.2f;  peak RSS %.0f -> %.0f MiB\n", ours_s / raw_s, rss_before,
              peak_rss_mib());
}

struct Upstream {
  boost::asio::io_context io;
  std::unique_ptr<upstream::UpstreamStore> store;
  std::unique_ptr<upstream::UpstreamService> service;
  std::unique_ptr<boost::asio::ssl::context> tls;
  std::unique_ptr<upstream::UpstreamServer> server;
  std::string pin;
  std::thread thread;

  Upstream(const fs::path& dir, const IssuerKeyPair& device) {
    pin = sync::make_self_signed_certificate(dir / "tls.key", dir / "tls.crt", "bench").value();
    tls = std::move(sync::server_tls_context(dir / "tls.crt", dir / "tls.key").value());
    store = std::move(upstream::open_sqlite_store(dir / "upstream.db").value());
    if (!store->register_device({"kiosk-01", device.info.key, "site-1", "bench"})) std::abort();
    auto authority = generate_issuer_key();
    if (!save_key_pair(authority, dir, "authority")) std::abort();
    service = std::make_unique<upstream::UpstreamService>(
        *store, std::move(authority), [] { return static_cast<UnixTime>(std::time(nullptr)); });
    server = std::make_unique<upstream::UpstreamServer>(
        io, *tls, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
        *service);
    thread = std::thread([this] { io.run(); });
  }
  ~Upstream() {
    io.stop();
    thread.join();
  }
};

template <class F>
void run_coroutine(boost::asio::io_context& io, F make) {
  bool done = false;
  boost::asio::co_spawn(io, make(), [&](std::exception_ptr) { done = true; });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

void upload(const fs::path& dir, std::int64_t passages) {
  auto device = generate_issuer_key();
  if (!save_key_pair(device, dir, "device")) std::abort();
  auto journal = Journal::open(dir / "journal.db");
  std::vector<Passage> chunk;
  for (std::int64_t i = 0; i < passages; ++i) {
    Passage p;
    p.time = 1'590'000'000 + i;
    p.gate = "莲花北村北门";
    p.credential_kind = CredentialKind::qr;
    p.pass_id = PassId{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)};
    p.role = Role::resident;
    p.decision = Decision::admit;
    p.reason = Reason::ok;
    p.temperature_c = 36.5;
    p.holder = "张*";
    chunk.push_back(std::move(p));
    if (chunk.size() == 10'000 || i + 1 == passages) {
      if (!journal->append_all(chunk)) std::abort();
      chunk.clear();
    }
  }
  Upstream up(dir, device);
  SyncConfig c;
  c.url = "https://127.0.0.1:" + std::to_string(up.server->port());
  c.pin = up.pin;
  c.device_id = "kiosk-01";
  c.device_key = (dir / "device.key").string();
  c.authority_key = (dir / "authority.pub").string();
  c.batch_size = 1000;
  c.timeout_s = 60;
  auto state = sync::SyncState::open(dir / "sync.db");
  hal::SystemClock system(0);
  hal::TrustedClock clock(system, 0);
  boost::asio::io_context io;
  sync::SyncHooks hooks;
  hooks.revocation_number = [] { return std::uint64_t{0}; };
  auto client = sync::SyncClient::create(io, c, *journal, *state, clock, hooks).value();

  // Baseline: the same session machinery POSTing one real batch body to a route that
  // authenticates and answers but stores nothing, as many times as the upload has batches.
  const std::string body = sync::encode_batch({"kiosk-01", journal->entries(0, 1000)});
  auto key = load_secret_key(dir / "device.key").value();
  auto tls = sync::client_tls_context(up.pin);
  sync::HttpsSession session(io.get_executor(), *tls, *sync::parse_https_url(c.url));
  const std::int64_t batches = (passages + 999) / 1000;
  auto t = bench::Clock::now();
  run_coroutine(io, [&]() -> boost::asio::awaitable<void> {
    for (std::int64_t i = 0; i < batches; ++i) {
      auto a = sync::sign_request("POST", "/v1/discard", body, "kiosk-01", key, clock.now());
      // (Built before the co_await: GCC 12 cannot hold a braced list across a suspension.)
      std::vector<std::pair<std::string, std::string>> headers;
      headers.emplace_back("X-GK-Device", a.device_id);
      headers.emplace_back("X-GK-Time", std::to_string(a.time));
      headers.emplace_back("X-GK-Nonce", a.nonce);
      headers.emplace_back("X-GK-Signature", a.signature);
      auto r = co_await session.request(boost::beast::http::verb::post, "/v1/discard",
                                        std::move(headers), body);
      if (!r || r->status != 405) std::abort();  // authenticated, then refused: stores nothing
    }
  });
  const double raw_s = seconds_since(t);

  const double rss_before = peak_rss_mib();
  t = bench::Clock::now();
  sync::RoundResult result = Done{};
  run_coroutine(io, [&]() -> boost::asio::awaitable<void> { result = co_await client->round(); });
  const double ours_s = seconds_since(t);
  if (!result) {
    std::printf("upload failed: %s\n", sync::describe(result.error()).c_str());
    std::abort();
  }
  if (up.store->acked("kiosk-01") != passages) std::abort();
  const double n = static_cast<double>(passages);
  std::printf("journal upload: %lld passages over loopback TLS, batches of 1000 (%zu bytes each)\n",
              static_cast<long long>(passages), body.size());
  std::printf("  %-52s %10.0f passages/s\n", "raw: same bodies POSTed, nothing stored", n / raw_s);
  std::printf("  %-52s %10.0f passages/s  (%.1f s)\n", "ours: read, send, verify chain, store, ack",
              n / ours_s, ours_s);
  std::printf("  ratio ours / raw: %.2f;  peak RSS %.0f -> %.0f MiB (client + server)\n",
              raw_s / ours_s, rss_before, peak_rss_mib());
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t passages = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const fs::path dir = fs::temp_directory_path() / ("gk-bench-sync-" + std::to_string(getpid()));
  fs::create_directories(dir);
  revocation_delta(dir);
  upload(dir, passages);
  fs::remove_all(dir);
  return 0;
}
