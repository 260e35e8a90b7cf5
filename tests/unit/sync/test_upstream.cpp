// The upstream's HTTP API driven directly (no sockets): authentication, journal
// deduplication and ordering, chunked revocation documents, documents and 304s.
#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "gk/sync/documents.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk/upstream/service.hpp"
#include "gk_test_support.hpp"
#include "upstream_test_store.hpp"

using namespace gk;
using namespace gk::upstream;
using nlohmann::json;

namespace {
constexpr UnixTime kNow = 1'700'000'000;

struct Fixture {
  test::ScratchDir dir;
  std::unique_ptr<UpstreamStore> owned = std::move(test::open_test_store(dir.path()).value());
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
                const IssuerKeyPair* key = nullptr, const std::string& id = "kiosk-01") {
    auto a = sync::sign_request(method, target, body, id, key ? *key : device, now);
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

TEST_CASE("an unknown device gets the very answer a bad signature gets", "[sync][upstream]") {
  Fixture f;
  auto stranger = generate_issuer_key();
  const Response bad_signature = f.call("GET", "/v1/journal/ack", "", &stranger);
  const Response unknown = f.call("GET", "/v1/journal/ack", "", &stranger, "kiosk-99");
  CHECK(bad_signature.status == 401);
  CHECK(unknown.status == bad_signature.status);
  CHECK(unknown.body == bad_signature.body);
  CHECK(unknown.body.find("registered") == std::string::npos);
  // A registered device is still told that its clock is off (it can fix that); an unknown
  // one is told the same, before anything about its key.
  f.now = kNow + 10'000;
  auto a = sync::sign_request("GET", "/v1/journal/ack", "", "kiosk-99", stranger, kNow);
  auto b = sync::sign_request("GET", "/v1/journal/ack", "", "kiosk-01", f.device, kNow);
  auto as_request = [](const sync::RequestAuth& x) {
    return Request{"GET",
                   "/v1/journal/ack",
                   {{"x-gk-device", x.device_id},
                    {"x-gk-time", std::to_string(x.time)},
                    {"x-gk-nonce", x.nonce},
                    {"x-gk-signature", x.signature}},
                   ""};
  };
  CHECK(f.service.handle(as_request(a)).body == f.service.handle(as_request(b)).body);
}

TEST_CASE("numeric parameters are parsed strictly", "[sync][upstream]") {
  Fixture f;
  PassId id{};
  random_fill(id);
  REQUIRE(f.store.revoke({id}, {}, kNow, "").value() == 1);
  REQUIRE(f.call("GET", "/v1/revocations?have=0").status == 200);
  CHECK(f.call("GET", "/v1/revocations?have=0&number=1&offset=0").status == 200);
  for (const char* bad :
       {"/v1/revocations?have=0&number=1&offset=abc",
        "/v1/revocations?have=0&number=1&offset=", "/v1/revocations?have=0&number=1&offset=-1",
        "/v1/revocations?have=0&number=1&offset=1x", "/v1/revocations?have=0&number=1&offset=0x10",
        "/v1/revocations?have=0&number=1&offset=99999999999999999999999",
        "/v1/revocations?have=abc", "/v1/revocations?have=0&number=one"}) {
    INFO(bad);
    CHECK(f.call("GET", bad).status == 400);
  }
  CHECK(f.call("GET", "/v1/site-state?have=abc").status == 400);
}

TEST_CASE("a row belongs to the device that first sent it", "[sync][upstream]") {
  Fixture f;
  f.add_passages(5);
  REQUIRE(f.call("POST", "/v1/journal", f.batch(0, 5)).status == 200);
  // A second registered device uploads a copy of kiosk-01's rows as its own.
  auto second = generate_issuer_key();
  REQUIRE(f.store.register_device({"kiosk-02", second.info.key, "site-1", "北门"}).ok());
  const std::string copy = sync::encode_batch({"kiosk-02", f.journal.entries(0, 5)});
  Response r = f.call("POST", "/v1/journal", copy, &second, "kiosk-02");
  CHECK(r.status == 409);
  CHECK(r.body.find("another device") != std::string::npos);
  CHECK(f.store.journal("kiosk-02").empty());
  CHECK(f.store.journal("kiosk-01").size() == 5);
  // Its own journal is taken.
  test::ScratchDir other_dir;
  auto own = Journal::open(other_dir / "j.db");
  Passage p;
  p.time = kNow + 7;
  p.gate = "南门";
  REQUIRE(own->append(p).ok());
  r = f.call("POST", "/v1/journal", sync::encode_batch({"kiosk-02", own->entries(0, 1)}), &second,
             "kiosk-02");
  CHECK(r.status == 200);
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

namespace {
// A device's chain of n passages from seq `first`, hashed as a kiosk's journal hashes them.
std::vector<JournalEntry> chain(const std::string& gate, std::int64_t first, std::int64_t n,
                                std::string prev = kGenesisHash) {
  std::vector<JournalEntry> out;
  for (std::int64_t seq = first; seq < first + n; ++seq) {
    JournalEntry e;
    e.seq = seq;
    e.passage.time = kNow + seq;
    e.passage.gate = gate;
    e.prev_hash = prev;
    e.hash = chain_hash(seq, row_fields(e.passage), prev);
    prev = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}
}  // namespace

TEST_CASE("a commit group keeps each batch all or nothing, and its refusals its own",
          "[sync][upstream]") {
  Fixture f;
  REQUIRE(
      f.store.register_device({"kiosk-02", generate_issuer_key().info.key, "site-1", "南门"}).ok());
  const auto one = chain("北门 \"1\"", 1, 10);
  const sync::JournalBatch first{"kiosk-01", {one.begin(), one.begin() + 5}};
  const sync::JournalBatch rest{"kiosk-01", {one.begin() + 5, one.end()}};  // continues `first`
  const auto two = chain("南门", 1, 4);
  const sync::JournalBatch gap{"kiosk-02", {two.begin() + 2, two.end()}};     // 3..4 before 1..2
  const sync::JournalBatch copy{"kiosk-02", {one.begin(), one.begin() + 2}};  // kiosk-01's rows
  const sync::JournalBatch own{"kiosk-02", {two.begin(), two.begin() + 2}};
  const sync::JournalBatch* group[] = {&first, &gap, &rest, &copy, &own};
  auto out = f.store.receive_group(group, kNow);
  REQUIRE(out.size() == 5);
  REQUIRE(out[0].ok());
  CHECK(out[0]->acked == 5);
  REQUIRE_FALSE(out[1].ok());
  CHECK(out[1].error().code == DbCode::refused);
  CHECK(out[1].error().detail.find("gap") != std::string::npos);
  REQUIRE(out[2].ok());  // sees the rows `first` wrote in the same transaction
  CHECK(out[2]->acked == 10);
  REQUIRE_FALSE(out[3].ok());
  CHECK(out[3].error().detail.find("another device") != std::string::npos);
  REQUIRE(out[4].ok());
  CHECK(out[4]->acked == 2);
  const auto held = f.store.journal("kiosk-01");
  REQUIRE(held.size() == 10);
  CHECK(held.back().hash == one.back().hash);
  CHECK(f.store.journal("kiosk-02").size() == 2);
  // The refused batches changed nothing: the gap, sent again after the rows it needs, is taken.
  const sync::JournalBatch* again[] = {&gap};
  out = f.store.receive_group(again, kNow);
  REQUIRE(out[0].ok());
  CHECK(out[0]->acked == 4);
}

// The pool is SQLite's here in both runs of this file (a PostgreSQL pool needs a server per
// connection string, which tests/integration/sync_instances.sh covers).
TEST_CASE("batches sent at once from many threads are each stored once, in groups",
          "[sync][upstream]") {
  test::ScratchDir dir;
  auto pool = open_store_pool("sqlite:" + dir.path().string(), nullptr, 4);
  REQUIRE(pool.ok());
  UpstreamStore& store = **pool;
  constexpr int kDevices = 8, kBatches = 12, kEach = 3;
  std::vector<std::thread> kiosks;
  std::atomic<int> failures = 0;
  for (int d = 0; d < kDevices; ++d) {
    const std::string id = "kiosk-门-" + std::to_string(d);
    REQUIRE(store.register_device({id, generate_issuer_key().info.key, "site-1", "门"}).ok());
    kiosks.emplace_back([&store, &failures, id] {
      const auto rows = chain(id, 1, kBatches * kEach);
      for (int b = 0; b < kBatches; ++b) {
        const sync::JournalBatch batch{id,
                                       {rows.begin() + b * kEach, rows.begin() + (b + 1) * kEach}};
        auto ack = store.receive(batch, kNow);
        if (!ack || ack->acked != (b + 1) * kEach || ack->accepted != kEach) ++failures;
      }
    });
  }
  for (auto& t : kiosks) t.join();
  CHECK(failures == 0);
  for (int d = 0; d < kDevices; ++d) {
    const std::string id = "kiosk-门-" + std::to_string(d);
    const auto held = store.journal(id);
    REQUIRE(held.size() == kBatches * kEach);
    CHECK(held.back().hash == chain(id, 1, kBatches * kEach).back().hash);
  }
  const auto counted = store.journal_commits();
  CHECK(counted.batches == kDevices * kBatches);
  CHECK(counted.commits >= 1);
  CHECK(counted.commits <= counted.batches);
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

TEST_CASE("a revocation re-sent under its request id is applied once and keeps its number",
          "[sync][upstream]") {
  Fixture f;
  PassId a{}, b{};
  random_fill(a);
  random_fill(b);
  const std::string request(32, 'a'), other(32, 'b');
  REQUIRE(f.store.revoke({a}, {}, kNow, request).value() == 1);
  // The same request again (its answer was lost): no second list, no number skipped.
  CHECK(f.store.revoke({a}, {}, kNow, request).value() == 1);
  CHECK(f.store.revocation_number() == 1);
  REQUIRE(f.store.revoke({b}, {}, kNow, other).value() == 2);
  CHECK(f.store.revoke({a}, {}, kNow, request).value() == 1);
  CHECK(f.store.revocation_number() == 2);
  // Without a request id every publish is a list of its own.
  CHECK(f.store.revoke({a}, {}, kNow, "").value() == 3);
}

TEST_CASE("revocation lists come as snapshot, delta, 304, and in resumable chunks",
          "[sync][upstream]") {
  Fixture f;
  CHECK(f.call("GET", "/v1/revocations?have=0").status == 404);
  std::vector<PassId> ids(100'000);
  for (std::size_t i = 0; i < ids.size(); ++i) random_fill(ids[i]);
  REQUIRE(f.store.revoke(ids, {}, kNow, "").value() == 1);

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
  REQUIRE(f.store.revoke({fresh}, {ids[7]}, kNow, "").value() == 2);
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
  // Its heads are what the other routes would serve this device: its site's state (1), no
  // revocation list, trust list or enrolment yet (0), no passage held.
  REQUIRE(time->heads);
  CHECK(time->heads->site_state == 1);
  CHECK(time->heads->revocations == 0);
  CHECK(time->heads->trust_list == 0);
  CHECK(time->heads->enrolment == 0);
  CHECK(time->heads->acked == 0);
  // ...but not any other route.
  auto b = sync::sign_request("GET", "/v1/journal/ack", "", "kiosk-01", f.device, 0);
  t.target = "/v1/journal/ack";
  t.headers["x-gk-nonce"] = b.nonce;
  t.headers["x-gk-signature"] = b.signature;
  CHECK(f.service.handle(t).status == 401);
}

TEST_CASE("the time document's heads follow every publish and every stored batch",
          "[sync][upstream]") {
  Fixture f;
  auto heads = [&] {
    const std::string nonce(32, 'c');
    Response r = f.call("GET", "/v1/time?nonce=" + nonce);
    REQUIRE(r.status == 200);
    auto t = sync::parse_time(sync::open_document(r.body, sync::kind::time, f.authority).value());
    REQUIRE(t.ok());
    REQUIRE(t->heads);
    return *t->heads;
  };
  CHECK(heads().revocations == 0);
  REQUIRE(f.store.revoke({PassId{7}}, {}, kNow, "").value() == 1);
  REQUIRE(f.store.revoke({PassId{8}}, {}, kNow, "").value() == 2);
  CHECK(heads().revocations == 2);
  REQUIRE(f.store.set_trust_list({generate_issuer_key().info}, kNow).value() == 1);
  CHECK(heads().trust_list == 1);
  // Scoped to the device's site: another site's state and enrolment are not its heads.
  sync::SiteStateDoc other;
  other.site = "site-2";
  REQUIRE(f.store.set_site_state(other, kNow).ok());
  REQUIRE(f.store.set_enrolment({0, 0, "site-2", {}}, kNow).ok());
  CHECK(heads().site_state == 0);
  CHECK(heads().enrolment == 0);
  sync::SiteStateDoc mine;
  mine.site = "site-1";
  REQUIRE(f.store.set_site_state(mine, kNow).ok());
  REQUIRE(f.store.set_site_state(mine, kNow).ok());
  REQUIRE(f.store.set_enrolment({0, 0, "site-1", {}}, kNow).ok());
  CHECK(heads().site_state == 2);
  CHECK(heads().enrolment == 1);
  // Each a 304 when asked with that number: the kiosk that skips them misses nothing.
  CHECK(f.call("GET", "/v1/site-state?have=2").status == 304);
  CHECK(f.call("GET", "/v1/enrolment?have=1").status == 304);
  CHECK(f.call("GET", "/v1/trust-list?have=1").status == 304);
  CHECK(f.call("GET", "/v1/revocations?have=2").status == 304);
  f.add_passages(12);
  REQUIRE(f.call("POST", "/v1/journal", f.batch(0, 12)).status == 200);
  CHECK(heads().acked == 12);
}

TEST_CASE("fault specifications parse strictly", "[sync][upstream]") {
  CHECK(parse_faults("http500=0.5 stall_ms=10").ok());
  CHECK(parse_faults("").ok());
  CHECK_FALSE(parse_faults("http500=2").ok());
  CHECK_FALSE(parse_faults("http500").ok());
  CHECK_FALSE(parse_faults("bogus=0.1").ok());
  CHECK_FALSE(parse_faults("stall_ms=abc").ok());
}

TEST_CASE("metrics count rounds, ingest, refusals, lists and per-device marks",
          "[sync][upstream]") {
  Fixture f;
  f.add_passages(40);
  REQUIRE(f.call("GET", "/v1/time?nonce=00112233445566778899aabbccddeeff").status == 200);
  REQUIRE(f.call("POST", "/v1/journal", f.batch(0, 20)).status == 200);
  REQUIRE(f.call("POST", "/v1/journal", f.batch(10, 20)).status == 200);  // 10 again, 10 new
  REQUIRE(f.call("POST", "/v1/journal", f.batch(0, 5)).status == 200);    // 5 again
  REQUIRE(f.call("POST", "/v1/journal", f.batch(35, 5)).status == 409);   // a gap
  auto stranger = generate_issuer_key();
  REQUIRE(f.call("GET", "/v1/trust-list", "", &stranger).status == 401);
  REQUIRE(f.store.revoke({PassId{7}}, {}, kNow, "").value() == 1);
  Response m = f.service.handle({"GET", "/metrics", {}, ""});
  REQUIRE(m.status == 200);
  CHECK(m.body.find("gk_upstream_rounds_total 1\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_passages_ingested_total 30\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_passages_duplicate_total 15\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_auth_refused_total 1\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_journal_batches_refused_total 1\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_list_number{list=\"revocations\"} 1\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_device_acked{device=\"kiosk-01\"} 30\n") != std::string::npos);
  CHECK(m.body.find("gk_upstream_requests_total{route=\"/v1/journal\",status=\"200\"} 3\n") !=
        std::string::npos);
  CHECK(m.body.find("gk_upstream_requests_total{route=\"/v1/journal\",status=\"409\"} 1\n") !=
        std::string::npos);
}
