// fleet-sim: a fleet of simulated kiosks against gate-upstream, for load tests and the fleet
// benchmark. Each kiosk has its own Ed25519 device key and hash-chained journal (both
// derived from --seed and its index, so separate runs agree) and speaks the device protocol
// over real TLS with the pinned key, as gated's SyncClient does: the signed time with the
// round's heads, then only the lists whose number the kiosk does not hold (revocation list
// in chunks, site state, trust list, enrolment: signed documents verified against the
// authority key), then journal batches until the upstream acknowledges the round's last
// passage. A kiosk's round after a successful one is steady, as SyncClient's: its first
// journal batch asks for the round's time and heads, so a round without new lists is one
// request. A kiosk keeps its connection between rounds after a success (the upstream holds
// it for the device) and starts afresh after a failure, resuming its TLS session, as
// SyncClient does.
//   fleet-sim register --store S --kiosks N [--site X]   register the fleet's device keys
//   fleet-sim run --url U [--url U2 ...] --pin P --authority-key F --kiosks N
//                 [--passages P --rounds R --batch B --concurrency C --time-limit S]
//       kiosk i talks to url[i % urls] (a load balancer's spread); prints one JSON line:
//       passages/s, round latency p50/p99, failures
//   fleet-sim verify --store S --kiosks N --passages P   the store holds exactly the fleet's
//       journals: every kiosk's rows 1..P with the expected hashes, nothing else
//   fleet-sim raw --store S --kiosks N --passages P --batch B   the baseline: the same rows by
//       batched INSERT (one transaction a batch) into a scratch table of the same database
// Bounded: at most 100 000 kiosks, 100 000 passages each, --time-limit seconds (then exit 1).
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "fleet.hpp"
#include "gk/core/sqlite.hpp"
#include "gk/sync/auth.hpp"
#include "gk/sync/batch.hpp"
#include "gk/sync/documents.hpp"
#include "gk/sync/https_client.hpp"
#include "gk/sync/tls.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk/trust/trust_store.hpp"
#include "gk/upstream/pq.hpp"
#include "gk/upstream/store.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::vector<std::string> urls;
  std::string pin, authority_key, store, site = "fleet-site";
  std::size_t kiosks = 100, passages = 20, rounds = 2, batch = 25, concurrency = 32;
  std::uint64_t seed = 1;
  double time_limit_s = 600;
};

// What a kiosk keeps between rounds.
struct KioskState {
  fleet::Kiosk kiosk;
  std::int64_t acked = 0;
  std::string acked_hash = gk::kGenesisHash;
  // Its last round succeeded and its clock holds that round's signed time: the next round
  // with passages is steady (its first journal batch asks the time), as SyncClient's.
  bool steady = false;
  std::uint64_t revocations = 0, site_state = 0, trust_list = 0, enrolment = 0;
  // The journal batches the rounds will send, encoded before the clock starts (a real kiosk
  // encodes on its own CPU; here that would take a third of the shared machine from the
  // upstream under test): keyed by the first passage, with each passage's hash for the mark.
  struct Planned {
    std::int64_t last = 0;
    std::string body;
    std::vector<std::string> hashes;
  };
  std::map<std::int64_t, Planned> batches{};
  static Planned plan(const gk::sync::JournalBatch& b) {
    Planned p{b.entries.back().seq, gk::sync::encode_batch(b), {}};
    for (const auto& e : b.entries) p.hashes.push_back(e.hash);
    return p;
  }
  // The kiosk's last TLS session, resumed by its next round's connection (as SyncClient does).
  std::unique_ptr<gk::sync::TlsSessionCache> tickets =
      std::make_unique<gk::sync::TlsSessionCache>();
  // Its connection, kept between rounds after a success (the upstream holds it for the
  // device), closed after a failure, as SyncClient's.
  std::unique_ptr<gk::sync::HttpsSession> connection{};
};

struct Stats {
  std::vector<double> round_ms;
  std::size_t failed_rounds = 0, requests = 0, passages_acked = 0;
  std::string last_error;
};

gk::UnixTime wall_now() {
  return static_cast<gk::UnixTime>(std::time(nullptr));
}

class Fleet {
 public:
  Fleet(asio::io_context& io, const Options& o, asio::ssl::context& tls, gk::TrustStore authority)
      : io_(io), o_(o), tls_(tls), authority_(std::move(authority)) {
    for (const auto& u : o.urls) endpoints_.push_back(gk::sync::parse_https_url(u).value());
    for (std::size_t i = 0; i < o.kiosks; ++i) {
      states_.push_back({fleet::kiosk(o.seed, i)});
      plan_batches(i, states_.back());
    }
  }

  // Every kiosk does o.rounds rounds; round r brings its journal to passages * r / rounds. A
  // kiosk is queued once, for its next round, so that its rounds never overlap (they share its
  // connection, as a real kiosk's do).
  Stats run() {
    for (std::size_t i = 0; i < o_.kiosks; ++i) work_.push_back({i, 1});
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o_.time_limit_s));
    for (std::size_t w = 0; w < o_.concurrency; ++w)
      asio::co_spawn(io_, worker(), [this](std::exception_ptr e) {
        if (e) {  // a worker that dies is a failed run, said out loud
          ++stats_.failed_rounds;
          stats_.last_error = "worker crashed";
        }
      });
    io_.run();
    return stats_;
  }
  bool timed_out() const { return timed_out_; }
  gk::sync::TlsSessionCache::Counts tls() const {
    gk::sync::TlsSessionCache::Counts sum;
    for (const auto& k : states_) {
      const auto& c = k.tickets->counts();
      sum.full += c.full;
      sum.resumed += c.resumed;
      sum.declined += c.declined;
      sum.failed += c.failed;
      sum.pin_refused += c.pin_refused;
    }
    return sum;
  }
  gk::sync::ConnectionCounts connections() const {
    gk::sync::ConnectionCounts sum;
    for (const auto& k : states_) {
      if (!k.connection) continue;
      const auto& c = k.connection->counts();
      sum.opened += c.opened;
      sum.requests_on_kept += c.requests_on_kept;
      sum.found_closed += c.found_closed;
    }
    return sum;
  }

 private:
  struct Work {
    std::size_t kiosk, round;
  };

  // The batches of every round as the round loop below cuts them when nothing fails.
  void plan_batches(std::size_t index, KioskState& k) const {
    const auto all =
        fleet::journal(index, 1, static_cast<std::int64_t>(o_.passages), gk::kGenesisHash);
    std::int64_t from = 0;
    for (std::size_t r = 1; r <= o_.rounds; ++r) {
      const auto head = static_cast<std::int64_t>(o_.passages * r / o_.rounds);
      while (from < head) {
        const auto last = std::min<std::int64_t>(head, from + static_cast<std::int64_t>(o_.batch));
        gk::sync::JournalBatch b{k.kiosk.id, {all.begin() + from, all.begin() + last}};
        k.batches.emplace(from, KioskState::plan(b));
        from = last;
      }
    }
  }

  // A simulated kiosk's round fails in any layer: the network, a document, the upstream.
  using Outcome = gk::Expected<gk::Done, gk::Fault>;
  static gk::Fault http_refused(std::string detail) {
    return gk::fault(gk::net_error(gk::NetCode::http_status, std::move(detail)));
  }

  asio::awaitable<void> worker() {
    while (!work_.empty()) {
      if (Clock::now() > deadline_) {
        timed_out_ = true;
        co_return;
      }
      Work w = work_.front();
      work_.pop_front();
      const auto start = Clock::now();
      auto ok = co_await round(states_[w.kiosk], w);
      if (ok) {
        stats_.round_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (w.round < o_.rounds) work_.push_back({w.kiosk, w.round + 1});
      } else {
        ++stats_.failed_rounds;
        stats_.last_error = gk::describe(ok.error());
        states_[w.kiosk].connection->close();  // the next round starts clean
        work_.push_back(w);  // the kiosk tries again later, as a real one backs off
      }
    }
  }

  asio::awaitable<gk::NetResult<gk::sync::HttpResponse>> call(gk::sync::HttpsSession& s,
                                                              const KioskState& k,
                                                              http::verb method, std::string target,
                                                              std::string body) {
    const std::string m = method == http::verb::post ? "POST" : "GET";
    auto a = gk::sync::sign_request(m, target, body, k.kiosk.id, k.kiosk.key, wall_now());
    ++stats_.requests;
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("X-GK-Device", a.device_id);
    headers.emplace_back("X-GK-Time", std::to_string(a.time));
    headers.emplace_back("X-GK-Nonce", a.nonce);
    headers.emplace_back("X-GK-Signature", a.signature);
    headers.emplace_back("Content-Type", "application/json");
    co_return co_await s.request(method, std::move(target), std::move(headers), std::move(body));
  }

  // A signed document route: 304 when current, 404 when never published, else verified.
  asio::awaitable<Outcome> pull_doc(gk::sync::HttpsSession& s, KioskState& k,
                                    std::string_view route, std::string_view kind,
                                    std::uint64_t& have) {
    auto res = co_await call(s, k, http::verb::get,
                             std::string(route) + "?have=" + std::to_string(have), "");
    if (!res) co_return gk::fault(res.error());
    if (res->status == 304 || res->status == 404) co_return gk::Done{};
    if (res->status != 200)
      co_return http_refused(std::string(route) + ": HTTP " + std::to_string(res->status));
    auto payload = gk::sync::open_document(res->body, kind, authority_);
    if (!payload) co_return gk::fault(payload.error());
    auto number = json::parse(*payload, nullptr, false);
    if (number.is_object() && number.contains("number") && number["number"].is_number_unsigned())
      have = number["number"].get<std::uint64_t>();
    co_return gk::Done{};
  }

  // The signed time bound to `nonce`, verified as SyncClient does; its heads say which pulls
  // the round needs (those whose number the kiosk does not hold).
  gk::Expected<std::optional<gk::sync::RoundHeads>, gk::Fault> take_time(std::string_view envelope,
                                                                         const std::string& nonce) {
    auto doc = gk::sync::open_time(envelope, nonce, authority_);
    if (!doc) return gk::fault(doc.error());
    return doc->heads;
  }

  // One journal batch from the kiosk's mark up to at most `head`; `nonce` non-empty: the
  // round's first batch of a steady round, whose answer brings the round's time too (its
  // envelope is returned, empty when the upstream sent none).
  asio::awaitable<gk::Expected<std::string, gk::Fault>> post_batch(gk::sync::HttpsSession& s,
                                                                   KioskState& k, Work w,
                                                                   std::int64_t head,
                                                                   const std::string& nonce) {
    auto last = std::min<std::int64_t>(head, k.acked + static_cast<std::int64_t>(o_.batch));
    // After a partial acknowledgement the batch starts elsewhere than planned: encode it now.
    auto planned = k.batches.find(k.acked);
    KioskState::Planned now;
    if (planned == k.batches.end() || planned->second.last > head) {
      gk::sync::JournalBatch b{k.kiosk.id,
                               fleet::journal(w.kiosk, k.acked + 1, last, k.acked_hash)};
      now = KioskState::plan(b);
    }
    const KioskState::Planned& p = now.body.empty() ? planned->second : now;
    last = p.last;
    // (A named target: GCC 12 mishandles a conditional's temporary across a suspension.)
    std::string target = "/v1/journal";
    if (!nonce.empty()) target += "?nonce=" + nonce;
    auto res = co_await call(s, k, http::verb::post, std::move(target), p.body);
    if (!res) co_return gk::fault(res.error());
    auto body = json::parse(res->body, nullptr, false);
    if (res->status != 200 || !body.is_object() || !body.contains("acked"))
      co_return http_refused("journal: HTTP " + std::to_string(res->status) + " " +
                             res->body.substr(0, 200));
    const auto acked = body["acked"].get<std::int64_t>();
    if (acked < k.acked || acked > last)
      co_return gk::fault(gk::doc_error(gk::DocCode::schema, "journal: ack out of range"));
    stats_.passages_acked += static_cast<std::size_t>(acked - k.acked);
    if (acked > k.acked) {
      k.acked_hash = p.hashes[static_cast<std::size_t>(acked - k.acked - 1)];
      k.acked = acked;
    }
    std::string envelope;
    if (body.contains("time") && body["time"].is_string())
      envelope = body["time"].get<std::string>();
    co_return envelope;
  }

  asio::awaitable<Outcome> round(KioskState& k, Work w) {
    if (!k.connection)
      k.connection = std::make_unique<gk::sync::HttpsSession>(
          io_.get_executor(), tls_, endpoints_[w.kiosk % endpoints_.size()],
          gk::sync::HttpLimits{std::chrono::milliseconds(20'000), 8u << 20}, k.tickets.get());
    gk::sync::HttpsSession& s = *k.connection;
    const auto head = static_cast<std::int64_t>(o_.passages * w.round / o_.rounds);
    const bool steady = k.steady && k.acked < head;
    k.steady = false;
    std::optional<gk::sync::RoundHeads> h;
    bool timed = false;
    // A steady round, as SyncClient's: the time and heads come with the first journal batch.
    if (steady) {
      const std::string nonce = gk::sync::fresh_nonce();
      auto envelope = co_await post_batch(s, k, w, head, nonce);
      if (!envelope) co_return envelope.error();
      if (!envelope->empty()) {
        auto heads = take_time(*envelope, nonce);
        if (!heads) co_return heads.error();
        h = *heads;
        timed = true;
      }
    }
    if (!timed) {
      const std::string nonce = gk::sync::fresh_nonce();
      auto t = co_await call(s, k, http::verb::get, "/v1/time?nonce=" + nonce, "");
      if (!t) co_return gk::fault(t.error());
      if (t->status != 200) co_return http_refused("time: HTTP " + std::to_string(t->status));
      auto heads = take_time(t->body, nonce);
      if (!heads) co_return heads.error();
      h = *heads;
    }
    auto needed = [&](std::uint64_t gk::sync::RoundHeads::*list, std::uint64_t have) {
      return !h || ((*h).*list != have && (*h).*list != 0);
    };
    // The revocation list, chunk by chunk, verified whole.
    if (needed(&gk::sync::RoundHeads::revocations, k.revocations))
      if (auto st = co_await pull_revocations(s, k); !st) co_return st;
    const struct {
      const char* route;
      std::string_view kind;
      std::uint64_t gk::sync::RoundHeads::*head;
      std::uint64_t& have;
    } docs[] = {
        {"/v1/site-state", gk::sync::kind::site_state, &gk::sync::RoundHeads::site_state,
         k.site_state},
        {"/v1/trust-list", gk::sync::kind::trust_list, &gk::sync::RoundHeads::trust_list,
         k.trust_list},
        {"/v1/enrolment", gk::sync::kind::enrolment, &gk::sync::RoundHeads::enrolment, k.enrolment},
    };
    for (const auto& d : docs)
      if (needed(d.head, d.have))
        if (auto st = co_await pull_doc(s, k, d.route, d.kind, d.have); !st) co_return st;
    // The journal up to this round's head, in batches, resent from whatever mark comes back.
    while (k.acked < head)
      if (auto sent = co_await post_batch(s, k, w, head, std::string()); !sent)
        co_return sent.error();
    k.steady = true;
    co_return gk::Done{};
  }

  asio::awaitable<Outcome> pull_revocations(gk::sync::HttpsSession& s, KioskState& k) {
    std::string doc;
    std::uint64_t total = 0, number = 0;
    do {
      std::string target = "/v1/revocations?have=" + std::to_string(k.revocations);
      if (!doc.empty())
        target += "&number=" + std::to_string(number) + "&offset=" + std::to_string(doc.size());
      auto res = co_await call(s, k, http::verb::get, target, "");
      if (!res) co_return gk::fault(res.error());
      if (res->status == 304 || res->status == 404) co_return gk::Done{};
      if (res->status != 200)
        co_return http_refused("revocations: HTTP " + std::to_string(res->status));
      total = std::stoull("0" + res->header("x-gk-total-bytes"));
      number = std::stoull("0" + res->header("x-gk-list-number"));
      if (res->body.empty())
        co_return gk::fault(gk::doc_error(gk::DocCode::schema, "revocations: empty chunk"));
      doc += res->body;
    } while (doc.size() < total);
    auto parsed = gk::parse_revocation_document(
        gk::ByteView(reinterpret_cast<const std::uint8_t*>(doc.data()), doc.size()), authority_);
    if (!parsed) co_return gk::fault(parsed.error());
    k.revocations = parsed->number;
    co_return gk::Done{};
  }

  asio::io_context& io_;
  const Options& o_;
  asio::ssl::context& tls_;
  gk::TrustStore authority_;
  std::vector<gk::sync::HttpsEndpoint> endpoints_;
  std::vector<KioskState> states_;
  std::deque<Work> work_;
  Clock::time_point deadline_;
  bool timed_out_ = false;
  Stats stats_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int run(const Options& o) {
  gk::TrustStore authority;
  if (auto s = authority.load_file(o.authority_key); !s) {
    std::cerr << "fleet-sim: " << gk::describe(gk::fault(s.error())) << "\n";
    return 2;
  }
  auto tls = gk::sync::client_tls_context(o.pin);
  asio::io_context io;
  Fleet fleet(io, o, *tls, std::move(authority));  // encodes every planned batch
  const std::clock_t cpu_start = std::clock();
  const auto start = Clock::now();
  Stats st = fleet.run();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const bool complete = !fleet.timed_out() && st.passages_acked == o.kiosks * o.passages;
  const auto handshakes = fleet.tls();
  const auto connections = fleet.connections();
  std::cout << json{{"kiosks", o.kiosks},
                    {"instances", o.urls.size()},
                    {"rounds", st.round_ms.size()},
                    {"failed_rounds", st.failed_rounds},
                    {"requests", st.requests},
                    {"passages", st.passages_acked},
                    {"seconds", s},
                    {"passages_per_s", static_cast<double>(st.passages_acked) / s},
                    {"round_ms_p50", percentile(st.round_ms, 0.5)},
                    {"round_ms_p99", percentile(st.round_ms, 0.99)},
                    {"tls_full", handshakes.full},
                    {"tls_resumed", handshakes.resumed},
                    {"tls_declined", handshakes.declined},
                    {"tls_failed", handshakes.failed},
                    {"tls_pin_refused", handshakes.pin_refused},
                    {"connections", connections.opened},
                    {"requests_on_kept", connections.requests_on_kept},
                    {"connections_found_closed", connections.found_closed},
                    {"cpu_s", static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC},
                    {"complete", complete},
                    {"last_error", st.last_error}}
                   .dump()
            << "\n";
  return complete ? 0 : 1;
}

gk::DbResult<std::unique_ptr<gk::upstream::UpstreamStore>> store_of(const Options& o) {
  return gk::upstream::open_store(o.store, gk::upstream::open_postgres_store);
}

int register_fleet(const Options& o) {
  auto store = store_of(o);
  if (!store) {
    std::cerr << "fleet-sim: " << store.error().detail << "\n";
    return 1;
  }
  for (std::size_t i = 0; i < o.kiosks; ++i) {
    auto k = fleet::kiosk(o.seed, i);
    if (auto s =
            (*store)->register_device({k.id, k.key.info.key, o.site, "gate " + std::to_string(i)});
        !s) {
      std::cerr << "fleet-sim: " << s.error().detail << "\n";
      return 1;
    }
  }
  std::cout << json{{"registered", o.kiosks}}.dump() << "\n";
  return 0;
}

int verify(const Options& o) {
  auto store = store_of(o);
  if (!store) {
    std::cerr << "fleet-sim: " << store.error().detail << "\n";
    return 1;
  }
  std::size_t bad = 0, rows = 0;
  std::string first_problem;
  for (std::size_t i = 0; i < o.kiosks; ++i) {
    const auto id = fleet::kiosk(o.seed, i).id;
    const auto expected =
        fleet::journal(i, 1, static_cast<std::int64_t>(o.passages), gk::kGenesisHash);
    const auto held = (*store)->journal(id);
    rows += held.size();
    bool same = held.size() == expected.size();
    for (std::size_t j = 0; same && j < held.size(); ++j)
      same = held[j].seq == expected[j].seq && held[j].hash == expected[j].hash;
    if (!same) {
      ++bad;
      if (first_problem.empty())
        first_problem = id + ": holds " + std::to_string(held.size()) + " rows, expected " +
                        std::to_string(expected.size());
    }
  }
  std::cout << json{{"kiosks", o.kiosks},
                    {"rows", rows},
                    {"expected_rows", o.kiosks * o.passages},
                    {"kiosks_differing", bad},
                    {"first_problem", first_problem}}
                   .dump()
            << "\n";
  return bad == 0 && rows == o.kiosks * o.passages ? 0 : 1;
}

// The baseline: the fleet's rows straight into a table shaped like the store's journal,
// one transaction per batch (what the server does per batch), no protocol, no checks.
int raw(const Options& o) {
  // The rows as the store keeps them (the entry's JSON text included), made before the clock
  // starts: the baseline is the INSERTs alone.
  std::vector<std::vector<gk::JournalEntry>> journals;
  std::vector<std::vector<std::string>> texts;
  for (std::size_t i = 0; i < o.kiosks; ++i) {
    journals.push_back(
        fleet::journal(i, 1, static_cast<std::int64_t>(o.passages), gk::kGenesisHash));
    texts.emplace_back();
    for (const auto& e : journals.back()) texts.back().push_back(gk::sync::encode_entry(e));
  }
  std::size_t rows = 0;
  Clock::time_point start;
  if (o.store.rfind("sqlite:", 0) == 0) {
    auto db = gk::sql::Database::open(o.store.substr(7) + "/raw-baseline.db");
    if (!db || !db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; DROP TABLE IF EXISTS "
                         "raw_journal; CREATE TABLE raw_journal(device TEXT NOT NULL, seq INTEGER "
                         "NOT NULL, hash TEXT NOT NULL, entry TEXT NOT NULL, received_at INTEGER "
                         "NOT NULL, PRIMARY KEY(device, seq))")) {
      std::cerr << "fleet-sim: raw sqlite baseline: cannot set up\n";
      return 1;
    }
    start = Clock::now();
    for (std::size_t i = 0; i < o.kiosks; ++i) {
      const auto id = fleet::kiosk(o.seed, i).id;
      for (std::size_t b = 0; b < journals[i].size(); b += o.batch) {
        gk::sql::Transaction tx(*db);
        gk::sql::Statement ins(*db, "INSERT INTO raw_journal VALUES(?,?,?,?,?)");
        for (std::size_t j = b; j < std::min(journals[i].size(), b + o.batch); ++j) {
          const auto& e = journals[i][j];
          ins.reset();
          ins.bind(1, std::string_view(id)).bind(2, e.seq).bind(3, std::string_view(e.hash));
          ins.bind(4, std::string_view(texts[i][j])).bind(5, std::int64_t{0});
          if (ins.step() != SQLITE_DONE) return 1;
          ++rows;
        }
        if (!tx.commit()) return 1;
      }
    }
  } else {
    std::string conninfo = o.store;
    if (conninfo.rfind("postgresql:", 0) == 0 && conninfo.rfind("postgresql://", 0) != 0)
      conninfo = conninfo.substr(11);
    auto c = gk::pq::Connection::open(conninfo);
    if (!c) {
      std::cerr << "fleet-sim: " << c.error().detail << "\n";
      return 1;
    }
    if (!c->exec_script("DROP TABLE IF EXISTS raw_journal; CREATE TABLE raw_journal(device text "
                        "NOT NULL, seq bigint NOT NULL, hash text NOT NULL, prev_hash text, entry "
                        "text NOT NULL, received_at bigint NOT NULL, PRIMARY KEY(device, seq))")) {
      std::cerr << "fleet-sim: raw postgresql baseline: cannot set up\n";
      return 1;
    }
    start = Clock::now();
    for (std::size_t i = 0; i < o.kiosks; ++i) {
      const auto id = fleet::kiosk(o.seed, i).id;
      for (std::size_t b = 0; b < journals[i].size(); b += o.batch) {
        std::vector<std::string> seqs, hashes, prevs, entries;
        for (std::size_t j = b; j < std::min(journals[i].size(), b + o.batch); ++j) {
          const auto& e = journals[i][j];
          seqs.push_back(std::to_string(e.seq));
          hashes.push_back(e.hash);
          prevs.push_back(e.prev_hash);
          entries.push_back(texts[i][j]);
        }
        auto r = c->exec(
            "INSERT INTO raw_journal SELECT $1, s, h, p, e, 0 FROM unnest($2::bigint[], "
            "$3::text[], $4::text[], $5::text[]) AS t(s, h, p, e)",
            {id, gk::pq::Connection::array(seqs), gk::pq::Connection::array(hashes),
             gk::pq::Connection::array(prevs), gk::pq::Connection::array(entries)});
        if (!r.ok()) {
          std::cerr << "fleet-sim: raw insert: " << r.error() << "\n";
          return 1;
        }
        rows += seqs.size();
      }
    }
    (void)c->exec_script("DROP TABLE raw_journal");
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout
      << json{{"rows", rows}, {"seconds", s}, {"rows_per_s", static_cast<double>(rows) / s}}.dump()
      << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fleet-sim: simulated kiosks against gate-upstream"};
  app.require_subcommand(1);
  Options o;
  auto bounds = [&](CLI::App* c) {
    c->add_option("--kiosks", o.kiosks, "Kiosks (1..100000)")->check(CLI::Range(1, 100'000));
    c->add_option("--seed", o.seed, "Fleet seed: keys and journals derive from it");
  };
  auto* reg = app.add_subcommand("register", "Register the fleet's device keys in the store");
  bounds(reg);
  reg->add_option("--store", o.store, "sqlite:DIR or postgresql://...")->required();
  reg->add_option("--site", o.site, "Site of every kiosk");
  auto* run_cmd = app.add_subcommand("run", "Sync every kiosk, --rounds times");
  bounds(run_cmd);
  run_cmd->add_option("--url", o.urls, "https://HOST:PORT (repeatable: kiosks spread)")->required();
  run_cmd->add_option("--pin", o.pin, "The upstream's TLS pin (sha256:...)")->required();
  run_cmd->add_option("--authority-key", o.authority_key, "The upstream's authority.pub")
      ->required();
  run_cmd->add_option("--passages", o.passages, "Passages per kiosk")
      ->check(CLI::Range(1, 100'000));
  run_cmd->add_option("--rounds", o.rounds, "Rounds per kiosk")->check(CLI::Range(1, 1000));
  run_cmd->add_option("--batch", o.batch, "Passages per journal batch")->check(CLI::Range(1, 1000));
  run_cmd->add_option("--concurrency", o.concurrency, "Kiosks syncing at once")
      ->check(CLI::Range(1, 4096));
  run_cmd->add_option("--time-limit", o.time_limit_s, "Seconds before giving up")
      ->check(CLI::Range(1.0, 7200.0));
  auto* ver = app.add_subcommand("verify", "Check the store holds exactly the fleet's journals");
  bounds(ver);
  ver->add_option("--store", o.store, "sqlite:DIR or postgresql://...")->required();
  ver->add_option("--passages", o.passages, "Passages per kiosk")->check(CLI::Range(1, 100'000));
  auto* raw_cmd = app.add_subcommand("raw", "Baseline: the same rows by batched INSERT");
  bounds(raw_cmd);
  raw_cmd->add_option("--store", o.store, "sqlite:DIR or postgresql://...")->required();
  raw_cmd->add_option("--passages", o.passages, "Passages per kiosk")
      ->check(CLI::Range(1, 100'000));
  raw_cmd->add_option("--batch", o.batch, "Rows per transaction")->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*reg) return register_fleet(o);
    if (*run_cmd) return run(o);
    if (*ver) return verify(o);
    return raw(o);
  } catch (const std::exception& e) {
    std::cerr << "fleet-sim: " << e.what() << "\n";
    return 1;
  }
}
