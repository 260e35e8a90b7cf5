// The upstream's HTTP API driven directly (no sockets): authentication, journal
// deduplication and ordering, chunked revocation documents, documents and 304s.
#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "gk/sync/documents.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk/upstream/service.hpp"
#include "gk_test_support.hpp"

using namespace gk;
using namespace gk::upstream;
using nlohmann::json;

namespace {
constexpr UnixTime kNow = 1'700'000'000;

// The store under test: SQLite in the scratch folder, or, when GK_TEST_PG names a
// PostgreSQL server (tests/unit/sync/with_postgres.sh starts one), a fresh schema there
// per test case, so every case sees an empty store on the same server.
Result<std::unique_ptr<UpstreamStore>> open_test_store(const std::filesystem::path& dir) {
  const char* pg = std::getenv("GK_TEST_PG");
  if (!pg || !*pg) return open_sqlite_store(dir / "upstream.db");
  static int cases = 0;
  const std::string schema = "case_" + std::to_string(::getpid()) + "_" + std::to_string(++cases);
  std::unique_ptr<PGconn, void (*)(PGconn*)> admin(PQconnectdb(pg), &PQfinish);
  if (PQstatus(admin.get()) != CONNECTION_OK) return fail(Reason::journal_unavailable, pg);
  PQclear(PQexec(admin.get(), ("CREATE SCHEMA " + schema).c_str()));
  return open_postgres_store(std::string(pg) + " options='-c search_path=" + schema + "'");
}

struct Fixture {
  test::ScratchDir dir;
  std::unique_ptr<UpstreamStore> owned = std::move(open_test_store(dir.path()).value());
  UpstreamStore& store = *owned;
  IssuerKeyPair device = generate_issuer_key();
  UnixTime now = kNow;
  UpstreamService service{store, generate_issuer_key(), [this] { return now; }};
  Journal journal = std::move(Journal::open(dir / "kiosk.db").value());
  TrustStore authority;

  Fixture() {
    REQUIRE(store.register_device({"kiosk-01", device.info.key, "site-1", "北门"}).ok());
    authority.add(service.authority().info);
  }
  Response call(std::string method, std::string target, std::string body = {},
                const IssuerKeyPair* key = nullptr) {
    auto a = sync::sign_request(method, target, body, "kiosk-01", key ? *key : device, now);
    Request r{method,
              target,
              {{"x-gk-device", a.device_id},
               {"x-gk-time", std::to_string(a.time)},
               {"x-gk-nonce", a.nonce},
               {"x-gk-signature", a.signature}},
              body};
    return service.handle(r);
  }
  void add_passages(int n) {
    for (int i = 0; i < n; ++i) {
      Passage p;
      p.time = kNow + i;
      p.gate = "北门";
      p.decision = Decision::admit;
      p.reason = Reason::ok;
      REQUIRE(journal.append(p).ok());
    }
  }
  std::string batch(std::int64_t after, std::size_t n) {
    return sync::encode_batch({"kiosk-01", journal.entries(after, n)});
  }
  static std::int64_t acked(const Response& r) { return json::parse(r.body).at("acked"); }
};
}  // namespace

TEST_CASE("requests must be signed by a registered device", "[sync][upstream]") {
  Fixture f;
  CHECK(f.call("GET", "/v1/journal/ack").status == 200);
  auto stranger = generate_issuer_key();
  CHECK(f.call("GET", "/v1/journal/ack", "", &stranger).status == 401);
  CHECK(f.service.handle(Request{"GET", "/v1/journal/ack", {}, ""}).status == 401);
  Response r = f.call("GET", "/v1/nope");
  CHECK(r.status == 404);
  CHECK(f.call("DELETE", "/v1/journal/ack").status == 405);
  CHECK(f.call("GET", "/v1/journal/ack?have=1&have=2").status == 400);
}

TEST_CASE("journal batches: contiguous, deduplicated, all or nothing", "[sync][upstream]") {
  Fixture f;
  f.add_passages(30);
  Response r = f.call("POST", "/v1/journal", f.batch(0, 10));
  REQUIRE(r.status == 200);
  CHECK(Fixture::acked(r) == 10);
  // The same batch again (its answer was lost): acknowledged, stored once.
  r = f.call("POST", "/v1/journal", f.batch(0, 10));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body).at("duplicates") == 10);
  CHECK(f.store.journal("kiosk-01").size() == 10);
  // Overlapping: 5 old, 10 new.
  r = f.call("POST", "/v1/journal", f.batch(5, 15));
  CHECK(Fixture::acked(r) == 20);
  // A gap is refused whole, with the mark to continue from.
  r = f.call("POST", "/v1/journal", f.batch(25, 5));
  CHECK(r.status == 409);
  CHECK(Fixture::acked(r) == 20);
  CHECK(f.store.journal("kiosk-01").size() == 20);
  // Another device's journal under our key: refused.
  std::string other = f.batch(20, 5);
  other.replace(other.find("kiosk-01"), 8, "kiosk-02");
  CHECK(f.call("POST", "/v1/journal", other).status == 403);
  // Garbage bodies.
  CHECK(f.call("POST", "/v1/journal", "{").status == 400);
  CHECK(f.call("POST", "/v1/journal", "").status == 400);
  CHECK(f.store.journal("kiosk-01").size() == 20);
}

TEST_CASE("a re-sent passage that differs from the stored one is refused", "[sync][upstream]") {
  Fixture f;
  f.add_passages(5);
  REQUIRE(f.call("POST", "/v1/journal", f.batch(0, 5)).status == 200);
  // A device reset that starts a new journal under the same id must not pass silently.
  test::ScratchDir other_dir;
  auto other = Journal::open(other_dir / "j.db");
  Passage p;
  p.time = kNow + 99;
  p.gate = "南门";
  REQUIRE(other->append(p).ok());
  Response r =
      f.call("POST", "/v1/journal", sync::encode_batch({"kiosk-01", other->entries(0, 1)}));
  CHECK(r.status == 409);
  CHECK(f.store.journal("kiosk-01").front().hash == f.journal.entries(0, 1).front().hash);
}

TEST_CASE("revocation lists come as snapshot, delta, 304, and in resumable chunks",
          "[sync][upstream]") {
  Fixture f;
  CHECK(f.call("GET", "/v1/revocations?have=0").status == 404);
  std::vector<PassId> ids(100'000);
  for (std::size_t i = 0; i < ids.size(); ++i) random_fill(ids[i]);
  REQUIRE(f.store.revoke(ids, {}, kNow).value() == 1);

  // A 1.6 MB snapshot in two chunks, reassembled and verified.
  Response first = f.call("GET", "/v1/revocations?have=0");
  REQUIRE(first.status == 200);
  auto header = [](const Response& r, const std::string& k) {
    for (auto& [name, v] : r.headers)
      if (name == k) return v;
    return std::string();
  };
  const auto total = std::stoull(header(first, "X-GK-Total-Bytes"));
  CHECK(first.body.size() == kRevocationChunkBytes);
  Response second =
      f.call("GET", "/v1/revocations?have=0&number=1&offset=" + std::to_string(first.body.size()));
  REQUIRE(second.status == 200);
  std::string whole = first.body + second.body;
  REQUIRE(whole.size() == total);
  auto doc = parse_revocation_document(as_bytes(whole), f.authority);
  REQUIRE(doc.ok());
  CHECK(doc->kind == RevocationDocument::Kind::snapshot);
  CHECK(doc->added.size() == 100'000);
  CHECK(f.call("GET", "/v1/revocations?have=1").status == 304);
  CHECK(f.call("GET", "/v1/revocations?have=0&number=1&offset=99999999").status == 416);

  // List 2 removes one id and adds one: a device at 1 gets a two-entry delta.
  PassId fresh{};
  random_fill(fresh);
  REQUIRE(f.store.revoke({fresh}, {ids[7]}, kNow).value() == 2);
  Response delta = f.call("GET", "/v1/revocations?have=1");
  REQUIRE(delta.status == 200);
  auto d = parse_revocation_document(as_bytes(delta.body), f.authority);
  REQUIRE(d.ok());
  CHECK(d->kind == RevocationDocument::Kind::delta);
  CHECK(d->base_number == 1);
  CHECK(d->added == std::vector<PassId>{fresh});
  CHECK(d->removed == std::vector<PassId>{ids[7]});
  // Resuming the old list after it moved on: told to start again.
  CHECK(f.call("GET", "/v1/revocations?have=0&number=1&offset=0").status == 410);
}

TEST_CASE("site state, trust list and time are signed; 304 when current", "[sync][upstream]") {
  Fixture f;
  CHECK(f.call("GET", "/v1/site-state?have=0").status == 404);
  sync::SiteStateDoc s;
  s.site = "site-1";
  s.outbreak = Outbreak::lockdown;
  REQUIRE(f.store.set_site_state(s, kNow).value() == 1);
  Response r = f.call("GET", "/v1/site-state?have=0");
  REQUIRE(r.status == 200);
  auto payload = sync::open_document(r.body, sync::kind::site_state, f.authority);
  REQUIRE(payload.ok());
  CHECK(sync::parse_site_state(*payload)->outbreak == Outbreak::lockdown);
  CHECK(f.call("GET", "/v1/site-state?have=1").status == 304);

  // Signed time answers even a device whose clock is far off, bound to its nonce.
  f.now = kNow;
  auto a = sync::sign_request("GET", "/v1/time?nonce=" + std::string(32, 'a'), "", "kiosk-01",
                              f.device, 0);
  Request t{"GET",
            "/v1/time?nonce=" + std::string(32, 'a'),
            {{"x-gk-device", a.device_id},
             {"x-gk-time", "0"},
             {"x-gk-nonce", a.nonce},
             {"x-gk-signature", a.signature}},
            ""};
  r = f.service.handle(t);
  REQUIRE(r.status == 200);
  auto time = sync::parse_time(sync::open_document(r.body, sync::kind::time, f.authority).value());
  CHECK(time->time == kNow);
  CHECK(time->nonce == std::string(32, 'a'));
  // ...but not any other route.
  auto b = sync::sign_request("GET", "/v1/journal/ack", "", "kiosk-01", f.device, 0);
  t.target = "/v1/journal/ack";
  t.headers["x-gk-nonce"] = b.nonce;
  t.headers["x-gk-signature"] = b.signature;
  CHECK(f.service.handle(t).status == 401);
}

TEST_CASE("fault specifications parse strictly", "[sync][upstream]") {
  CHECK(parse_faults("http500=0.5 stall_ms=10").ok());
  CHECK(parse_faults("").ok());
  CHECK_FALSE(parse_faults("http500=2").ok());
  CHECK_FALSE(parse_faults("http500").ok());
  CHECK_FALSE(parse_faults("bogus=0.1").ok());
  CHECK_FALSE(parse_faults("stall_ms=abc").ok());
}
