// The operators' API (gk/upstream/operators.hpp) driven directly through the service: every
// route, each role's refusals, authentication (unknown = bad signature, replay, clock,
// retired operators), retired devices, the write-ahead audit log, and hostile strings in
// every field. Runs against SQLite, and against PostgreSQL under test_upstream_postgresql.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "gk/upstream/service.hpp"
#include "gk_test_support.hpp"
#include "upstream_test_store.hpp"

using namespace gk;
using namespace gk::upstream;
using nlohmann::json;

namespace {
constexpr UnixTime kNow = 1'700'000'000;

struct Ops {
  test::ScratchDir dir;
  std::unique_ptr<UpstreamStore> owned = std::move(test::open_test_store(dir.path()).value());
  UpstreamStore& store = *owned;
  UnixTime now = kNow;
  UpstreamService service{store, generate_issuer_key(), [this] { return now; }};
  IssuerKeyPair registrar = generate_issuer_key(), publisher = generate_issuer_key(),
                auditor = generate_issuer_key(), device = generate_issuer_key();

  Ops() {
    REQUIRE(add_operator_locally(store, {"reg", registrar.info.key, role::registrar, kNow, {}}));
    REQUIRE(add_operator_locally(store, {"pub", publisher.info.key, role::publisher, kNow, {}}));
    REQUIRE(add_operator_locally(store, {"aud", auditor.info.key, role::auditor, kNow, {}}));
  }
  Request signed_request(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& id,
                         const IssuerKeyPair& key) const {
    Request r{method, target, {}, body};
    for (auto& [name, value] : sign_operator_request(method, target, body, id, key, now)) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[lower] = value;
    }
    return r;
  }
  Response call(const std::string& method, const std::string& target, const json& body,
                const std::string& id, const IssuerKeyPair& key) {
    return service.handle(
        signed_request(method, target, body.is_null() ? "" : body.dump(), id, key));
  }
  Response as_registrar(const std::string& m, const std::string& t, const json& b = {}) {
    return call(m, t, b, "reg", registrar);
  }
  Response as_publisher(const std::string& m, const std::string& t, const json& b = {}) {
    return call(m, t, b, "pub", publisher);
  }
  Response as_auditor(const std::string& m, const std::string& t, const json& b = {}) {
    return call(m, t, b, "aud", auditor);
  }
  json register_body(const std::string& id = "kiosk-01") const {
    return {{"id", id},
            {"public_key", to_hex(device.info.key)},
            {"site", "site-1"},
            {"checkpoint", "北门"}};
  }
  std::vector<AuditEntry> audit() const { return store.audit_log(0, 1000); }
  // Requests signed as the device the registrar registered (gk/sync/auth.hpp).
  Response device_call(const std::string& target) {
    auto a = sync::sign_request("GET", target, "", "kiosk-01", device, now);
    return service.handle(Request{"GET",
                                  target,
                                  {{"x-gk-device", a.device_id},
                                   {"x-gk-time", std::to_string(a.time)},
                                   {"x-gk-nonce", a.nonce},
                                   {"x-gk-signature", a.signature}},
                                  ""});
  }
};

std::string random_utf8(std::mt19937& rng) {
  // Quotes, backslashes, NUL, controls, multi-byte characters and a 4-byte emoji.
  static const std::string_view pieces[] = {"\"",   "\\",   std::string_view("\0", 1),
                                            "\n",   "'",    "a",
                                            "Z",    "9",    "-",
                                            "莲花", "北门", "😷",
                                            "é",    "\x7f", "%22",
                                            " ",    "{",    "}"};
  std::string s;
  const int n = std::uniform_int_distribution<int>(0, 40)(rng);
  for (int i = 0; i < n; ++i) {
    const auto k = std::uniform_int_distribution<std::size_t>(0, std::size(pieces) - 1)(rng);
    s += pieces[k];
  }
  return s;
}
}  // namespace

TEST_CASE("operators: every route works for its role", "[sync][upstream][operators]") {
  Ops f;
  Response reg = f.as_registrar("POST", "/v1/operator/devices", f.register_body());
  REQUIRE(reg.status == 200);
  CHECK(json::parse(reg.body) ==
        json{{"device", "kiosk-01"}, {"site", "site-1"}, {"registered", true}});
  CHECK(f.device_call("/v1/journal/ack").status == 200);

  auto devices = json::parse(f.as_registrar("GET", "/v1/operator/devices").body).at("devices");
  REQUIRE(devices.size() == 1);
  CHECK(devices[0].at("checkpoint") == "北门");
  CHECK(devices[0].at("retired_at").is_null());
  CHECK(f.as_auditor("GET", "/v1/operator/devices").status == 200);

  PassId id{};
  random_fill(id);
  Response rev = f.as_publisher("POST", "/v1/operator/revocations", {{"add", {to_hex(id)}}});
  REQUIRE(rev.status == 200);
  CHECK(json::parse(rev.body) == json{{"list", 1}, {"revoked", 1}, {"unrevoked", 0}});
  CHECK(f.store.revocation_number() == 1);

  Response site = f.as_publisher(
      "POST", "/v1/operator/site-state",
      {{"site", "site-1"}, {"outbreak", "lockdown"}, {"quarantine", {"3号楼"}}, {"fever", 37.5}});
  REQUIRE(site.status == 200);
  CHECK(json::parse(site.body).at("number") == 1);
  auto state = f.store.site_state("site-1");
  REQUIRE(state);
  CHECK(state->outbreak == Outbreak::lockdown);
  CHECK(state->quarantined_buildings.count("3号楼") == 1);

  Response enrol =
      f.as_publisher("POST", "/v1/operator/enrolment", {{"site", "site-1"}, {"passes", {"GK1.x"}}});
  REQUIRE(enrol.status == 200);
  CHECK(json::parse(enrol.body).at("cards") == 1);
  CHECK(f.store.enrolment("site-1")->passes == std::vector<std::string>{"GK1.x"});

  auto issuer = generate_issuer_key();
  Response trust = f.as_publisher("POST", "/v1/operator/trust-list",
                                  {{"keys", {json::parse(public_key_json(issuer.info))}}});
  REQUIRE(trust.status == 200);
  CHECK(f.store.trust_list()->keys.at(0) == issuer.info);

  Response journal = f.as_auditor("GET", "/v1/operator/journal?device=kiosk-01&after=0&limit=10");
  REQUIRE(journal.status == 200);
  CHECK(json::parse(journal.body).at("passages").empty());

  Response audit = f.as_auditor("GET", "/v1/operator/audit?after=0&limit=100");
  REQUIRE(audit.status == 200);
  std::vector<std::string> actions;
  const json entries = json::parse(audit.body).at("entries");
  for (const auto& e : entries) {
    CHECK(e.at("outcome") == "ok");
    actions.push_back(e.at("action"));
  }
  CHECK(actions == std::vector<std::string>{"add_operator", "add_operator", "add_operator",
                                            "register_device", "revoke", "site_state", "enrolment",
                                            "trust_list", "read_journal"});
  auto rows = f.audit();
  CHECK(rows[3].operator_id == "reg");
  CHECK(rows[3].target == "kiosk-01");
  CHECK(rows[3].digest == body_digest(f.register_body().dump()));
  CHECK(rows[8].operator_id == "aud");
  CHECK(rows[8].target == "kiosk-01");  // who read whose journal
  CHECK(f.service.operators().metrics().requests.at("/v1/operator/devices 200") == 3);
}

TEST_CASE("operators: a missing role is refused, named and audited",
          "[sync][upstream][operators]") {
  Ops f;
  struct Case {
    const char* method;
    const char* target;
    json body;
    const char* role;
    const char* as;
  };
  const Case cases[] = {
      {"POST", "/v1/operator/devices", f.register_body(), "registrar", "pub"},
      {"POST", "/v1/operator/devices/retire", {{"id", "kiosk-01"}}, "registrar", "aud"},
      {"GET", "/v1/operator/devices", {}, "registrar,auditor", "pub"},
      {"POST", "/v1/operator/revocations", {{"add", {std::string(32, 'a')}}}, "publisher", "reg"},
      {"POST", "/v1/operator/site-state", {{"site", "s"}}, "publisher", "aud"},
      {"POST",
       "/v1/operator/enrolment",
       {{"site", "s"}, {"passes", json::array()}},
       "publisher",
       "reg"},
      {"POST", "/v1/operator/trust-list", {{"keys", json::array()}}, "publisher", "aud"},
      {"GET", "/v1/operator/journal?device=kiosk-01", {}, "auditor", "pub"},
      {"GET", "/v1/operator/audit", {}, "auditor", "reg"},
  };
  for (const auto& c : cases) {
    INFO(c.target << " as " << c.as);
    const IssuerKeyPair& key = std::string(c.as) == "reg"   ? f.registrar
                               : std::string(c.as) == "pub" ? f.publisher
                                                            : f.auditor;
    const std::size_t before = f.audit().size();
    Response r = f.call(c.method, c.target, c.body, c.as, key);
    CHECK(r.status == 403);
    auto body = json::parse(r.body);
    CHECK(body.at("error") == "forbidden");
    CHECK(body.at("role") == c.role);
    auto rows = f.audit();
    REQUIRE(rows.size() == before + 1);
    CHECK(rows.back().operator_id == c.as);
    CHECK(rows.back().outcome == "forbidden");
  }
  CHECK(f.store.devices().empty());
  CHECK(f.store.revocation_number() == 0);
  CHECK(f.service.operators().metrics().forbidden == std::size(cases));
}

TEST_CASE("operators: an unknown operator gets the very answer a bad signature gets",
          "[sync][upstream][operators]") {
  Ops f;
  auto stranger = generate_issuer_key();
  const Response bad_signature = f.call("GET", "/v1/operator/devices", {}, "reg", stranger);
  const Response unknown = f.call("GET", "/v1/operator/devices", {}, "nobody", stranger);
  const Response hostile = f.call("GET", "/v1/operator/devices", {}, "a\"b\\c", stranger);
  CHECK(bad_signature.status == 401);
  CHECK(unknown.status == 401);
  CHECK(unknown.body == bad_signature.body);
  CHECK(hostile.body == bad_signature.body);
  // A device's key and headers are not an operator's: the device route refuses them too.
  REQUIRE(f.as_registrar("POST", "/v1/operator/devices", f.register_body()).status == 200);
  auto a = sync::sign_request("GET", "/v1/operator/devices", "", "kiosk-01", f.device, f.now);
  Request as_device{"GET",
                    "/v1/operator/devices",
                    {{"x-gk-operator", "kiosk-01"},
                     {"x-gk-time", std::to_string(a.time)},
                     {"x-gk-nonce", a.nonce},
                     {"x-gk-signature", a.signature}},
                    ""};
  CHECK(f.service.handle(as_device).body == bad_signature.body);
  // Missing headers.
  CHECK(f.service.handle(Request{"GET", "/v1/operator/devices", {}, ""}).status == 401);
  // The time window, as for devices.
  auto stale = f.signed_request("GET", "/v1/operator/devices", "", "reg", f.registrar);
  f.now += 10'000;
  Response r = f.service.handle(stale);
  CHECK(r.status == 401);
  CHECK(json::parse(r.body).at("error") == "clock");
  // Nothing unauthenticated reaches the audit log (3 operators added, 1 registration).
  CHECK(f.audit().size() == 4);
}

TEST_CASE("operators: a request replayed to another instance on the same store is refused",
          "[sync][upstream][operators]") {
  Ops f;
  // A second instance: its own service, replay memory and caches, the same database.
  UpstreamService other{f.store, generate_issuer_key(), [&f] { return f.now; }};
  auto req = f.signed_request("POST", "/v1/operator/devices", f.register_body().dump(), "reg",
                              f.registrar);
  CHECK(f.service.handle(req).status == 200);
  Response again = other.handle(req);
  CHECK(again.status == 401);
  CHECK(json::parse(again.body).at("error") == "replayed");
  CHECK(f.audit().size() == 4);  // 3 operators added, 1 registration: the replay wrote nothing
  // A fresh request of the same operator goes through on that instance.
  auto list = f.signed_request("GET", "/v1/operator/devices", "", "reg", f.registrar);
  CHECK(other.handle(list).status == 200);
  // Claims outside the clock window are forgotten, and their requests refused by time anyway.
  f.now += 3 * sync::kMaxClockSkewS;
  CHECK(other.handle(req).status == 401);
  CHECK(json::parse(other.handle(req).body).at("error") == "clock");
}

TEST_CASE("operators: a replayed request is refused", "[sync][upstream][operators]") {
  Ops f;
  auto req = f.signed_request("POST", "/v1/operator/devices", f.register_body().dump(), "reg",
                              f.registrar);
  CHECK(f.service.handle(req).status == 200);
  Response again = f.service.handle(req);
  CHECK(again.status == 401);
  CHECK(json::parse(again.body).at("error") == "replayed");
  CHECK(f.audit().size() == 4);  // the replay did nothing, and wrote nothing
  // Another target under the same nonce does not verify.
  req.target = "/v1/operator/devices?x=1";
  CHECK(f.service.handle(req).status == 401);
}

TEST_CASE("operators: a retired operator is not authenticated", "[sync][upstream][operators]") {
  Ops f;
  CHECK(f.as_registrar("GET", "/v1/operator/devices").status == 200);
  const Response stranger = f.call("GET", "/v1/operator/devices", {}, "reg", f.auditor);
  REQUIRE(retire_operator_locally(f.store, "reg", kNow + 1));
  Response r = f.as_registrar("GET", "/v1/operator/devices");
  CHECK(r.status == 401);
  CHECK(r.body == stranger.body);
  CHECK(f.store.find_operator("reg")->retired_at == kNow + 1);
  // Ids are never reused, nor retired twice, nor is "local" anybody's.
  CHECK(!add_operator_locally(f.store, {"reg", f.registrar.info.key, role::registrar, kNow, {}}));
  CHECK(!retire_operator_locally(f.store, "reg", kNow + 2));
  CHECK(!add_operator_locally(f.store, {"local", f.registrar.info.key, role::all, kNow, {}}));
  auto rows = f.audit();
  REQUIRE(rows.size() == 6);
  CHECK(rows[3].action == "retire_operator");
  CHECK(rows[3].operator_id == "local");
  CHECK(rows[3].outcome == "ok");
  CHECK(rows[4].outcome == "database/refused");  // the audited refusal of a reused id
  CHECK(rows[5].outcome == "database/refused");
}

TEST_CASE("operators: a device registered on the upstream's host is audited as local",
          "[sync][upstream][operators]") {
  Ops f;
  const std::size_t before = f.audit().size();
  const Device d{"local-north", f.registrar.info.key, "site-1", "莲花北村北门 \"x\"\\"};
  REQUIRE(register_device_locally(f.store, d, kNow + 5));
  CHECK(f.store.device("local-north")->checkpoint == d.checkpoint);
  // A bad id is refused before the store sees it; the audit log shows only the good one.
  CHECK(!register_device_locally(f.store, {"bad\"id", d.key, "site-1", ""}, kNow + 6));
  CHECK(!f.store.device("bad\"id"));
  // The checkpoint is free text within the API's own limit: 85 Chinese characters (255
  // bytes) are a name, 86 are not, and nothing was stored or audited for the refusal.
  std::string name;
  for (int i = 0; i < 85; ++i) name += "门";
  REQUIRE(register_device_locally(f.store, {"long-85", d.key, "site-1", name}, kNow + 7));
  CHECK(!register_device_locally(f.store, {"long-86", d.key, "site-1", name + "门"}, kNow + 8));
  CHECK(!f.store.device("long-86"));
  auto rows = f.audit();
  REQUIRE(rows.size() == before + 2);
  const AuditEntry& first = rows[before];
  CHECK(first.operator_id == "local");
  CHECK(first.action == "register_device");
  CHECK(first.target == "local-north");
  CHECK(first.time == kNow + 5);
  CHECK(first.outcome == "ok");
  CHECK(first.digest.size() == 64);
  CHECK(rows.back().target == "long-85");
}

TEST_CASE("operators: a retired device is refused, its journal stays readable",
          "[sync][upstream][operators]") {
  Ops f;
  REQUIRE(f.as_registrar("POST", "/v1/operator/devices", f.register_body()).status == 200);
  Journal journal = std::move(Journal::open(f.dir / "kiosk.db").value());
  Passage p;
  p.time = kNow;
  p.gate = "北门";
  REQUIRE(journal.append(p).ok());
  auto batch = sync::encode_batch({"kiosk-01", journal.entries(0, 10)});
  auto a = sync::sign_request("POST", "/v1/journal", batch, "kiosk-01", f.device, f.now);
  Request upload{"POST",
                 "/v1/journal",
                 {{"x-gk-device", a.device_id},
                  {"x-gk-time", std::to_string(a.time)},
                  {"x-gk-nonce", a.nonce},
                  {"x-gk-signature", a.signature}},
                 batch};
  REQUIRE(f.service.handle(upload).status == 200);

  const Response unknown_device = [&] {
    auto b = sync::sign_request("GET", "/v1/journal/ack", "", "kiosk-99", f.device, f.now);
    return f.service.handle(Request{"GET",
                                    "/v1/journal/ack",
                                    {{"x-gk-device", b.device_id},
                                     {"x-gk-time", std::to_string(b.time)},
                                     {"x-gk-nonce", b.nonce},
                                     {"x-gk-signature", b.signature}},
                                    ""});
  }();
  Response retired = f.as_registrar("POST", "/v1/operator/devices/retire", {{"id", "kiosk-01"}});
  REQUIRE(retired.status == 200);
  Response after = f.device_call("/v1/journal/ack");
  CHECK(after.status == 401);
  CHECK(after.body == unknown_device.body);
  // Retired once; not registered again under that id.
  CHECK(f.as_registrar("POST", "/v1/operator/devices/retire", {{"id", "kiosk-01"}}).status == 409);
  CHECK(f.as_registrar("POST", "/v1/operator/devices", f.register_body()).status == 409);
  CHECK(f.as_registrar("POST", "/v1/operator/devices/retire", {{"id", "kiosk-77"}}).status == 409);
  auto listed = json::parse(f.as_auditor("GET", "/v1/operator/devices").body).at("devices");
  CHECK(listed.at(0).at("retired_at") == kNow);
  auto j = json::parse(f.as_auditor("GET", "/v1/operator/journal?device=kiosk-01").body);
  REQUIRE(j.at("passages").size() == 1);
  CHECK(j.at("passages")[0].at("seq") == 1);
  auto rows = f.audit();
  CHECK(rows[rows.size() - 5].outcome == "ok");  // retire
  CHECK(rows[rows.size() - 4].outcome == "database/refused");
  CHECK(rows[rows.size() - 3].outcome == "database/refused");
  CHECK(rows[rows.size() - 2].outcome == "database/refused");
}

TEST_CASE("operators: the audit row is written before the action, and failures are audited",
          "[sync][upstream][operators]") {
  Ops f;
  // Refused by the body (nothing happens): audited with the document's code.
  CHECK(f.as_publisher("POST", "/v1/operator/revocations", {{"add", {"not-hex"}}}).status == 400);
  CHECK(f.as_publisher("POST", "/v1/operator/trust-list", {{"keys", json::array()}}).status == 400);
  CHECK(f.service
            .handle(f.signed_request("POST", "/v1/operator/site-state", "{not json", "pub",
                                     f.publisher))
            .status == 400);
  auto rows = f.audit();
  REQUIRE(rows.size() == 6);
  CHECK(rows[3].outcome == "document/schema");
  CHECK(rows[4].outcome == "document/schema");
  CHECK(rows[5].outcome == "document/syntax");
  CHECK(f.store.revocation_number() == 0);
  // The log is append-only in the schema: a settled row does not change again.
  CHECK(!f.store.settle_audit(rows[3].seq, "ok"));
  CHECK(f.audit()[3].outcome == "document/schema");
  // Write-ahead: a pending row exists before its outcome.
  auto seq = f.store.append_audit({0, kNow, "pub", "revoke", "+1 -0", body_digest(""), "pending"});
  REQUIRE(seq);
  CHECK(f.audit().back().outcome == "pending");
  CHECK(f.store.settle_audit(*seq, "ok"));
  CHECK(!f.store.settle_audit(*seq, "ok"));
}

TEST_CASE("operators: routes, methods and queries are checked", "[sync][upstream][operators]") {
  Ops f;
  CHECK(f.as_auditor("GET", "/v1/operator/nope").status == 404);
  CHECK(f.as_auditor("DELETE", "/v1/operator/devices").status == 405);
  for (const char* bad :
       {"/v1/operator/journal",
        "/v1/operator/journal?device=", "/v1/operator/journal?device=k&after=1x",
        "/v1/operator/journal?device=k&limit=0", "/v1/operator/journal?device=k&limit=10001",
        "/v1/operator/journal?device=k&device=j", "/v1/operator/journal?device=%2",
        "/v1/operator/journal?device=a%22b", "/v1/operator/journal?device=a%00b",
        "/v1/operator/journal?device=a%5Cb", "/v1/operator/audit?after=-1"}) {
    INFO(bad);
    CHECK(f.as_auditor("GET", bad).status == 400);
  }
  // Percent-decoded ids: "北门" as sent by a client that encodes everything.
  CHECK(f.as_auditor("GET", "/v1/operator/journal?device=%E5%8C%97%E9%97%A8").status == 200);
  CHECK(f.audit().back().target == "北门");
  CHECK(f.as_auditor("GET", "/v1/operator/audit?limit=2").status == 200);
  CHECK(json::parse(f.as_auditor("GET", "/v1/operator/audit?limit=2").body).at("entries").size() ==
        2);
  // Ill-formed UTF-8 in a body never parses; a body over the limit is refused unread.
  CHECK(f.service
            .handle(f.signed_request("POST", "/v1/operator/devices",
                                     "{\"id\":\"k\xff\",\"site\":\"s\",\"public_key\":\"\"}", "reg",
                                     f.registrar))
            .status == 400);
  CHECK(f.service
            .handle(f.signed_request("POST", "/v1/operator/enrolment",
                                     std::string(kMaxOperatorBody + 1, ' '), "pub", f.publisher))
            .status == 400);
}

TEST_CASE("operators: hostile strings in every field break nothing and are no ids",
          "[sync][upstream][operators]") {
  Ops f;
  std::mt19937 rng(Catch::rngSeed());
  std::set<std::string> retired;
  for (int round = 0; round < 60; ++round) {
    const std::string s = random_utf8(rng);
    INFO(json(s).dump());
    const bool id_ok = check_id("id", s).ok();
    const bool text_ok = s.find('\0') == std::string::npos;
    // Ids: accepted exactly when check_id accepts them (and not retired in an earlier round:
    // a short string may come up twice), then stored as sent.
    const bool fresh = id_ok && !retired.count(s);
    Response reg = f.as_registrar("POST", "/v1/operator/devices", f.register_body(s));
    CHECK((reg.status == 200) == fresh);
    if (fresh) CHECK(f.store.device(s)->id == s);
    Response site =
        f.as_publisher("POST", "/v1/operator/site-state", {{"site", s}, {"quarantine", {s}}});
    CHECK((site.status == 200) == (id_ok && text_ok));
    if (site.status == 200) CHECK(f.store.site_state(s)->quarantined_buildings.count(s) == 1);
    // Free text: anything but NUL, stored as sent.
    json named = f.register_body("named-" + std::to_string(round));
    named["checkpoint"] = s;
    Response n = f.as_registrar("POST", "/v1/operator/devices", named);
    CHECK((n.status == 200) == (text_ok && s.size() <= 256));
    if (n.status == 200) CHECK(f.store.device("named-" + std::to_string(round))->checkpoint == s);
    Response enrol =
        f.as_publisher("POST", "/v1/operator/enrolment", {{"site", "site-1"}, {"passes", {s}}});
    CHECK((enrol.status == 200) == text_ok);
    Response retire = f.as_registrar("POST", "/v1/operator/devices/retire", {{"id", s}});
    CHECK(retire.status == (fresh ? 200 : id_ok ? 409 : 400));
    if (fresh) retired.insert(s);
    // Every answer parses as JSON, whatever went in.
    for (const Response* r : {&reg, &site, &n, &enrol})
      CHECK_FALSE(json::parse(r->body, nullptr, false).is_discarded());
    // Every audit row's target is an id or empty: never the hostile text unchecked.
    for (const auto& e : f.audit())
      CHECK((e.target.empty() || check_id("t", e.target).ok() ||
             e.target.find(' ') != std::string::npos));
  }
  // The audit log still reads back whole.
  CHECK(json::parse(f.as_auditor("GET", "/v1/operator/audit?limit=10000").body)
            .at("entries")
            .size() == f.audit().size());
}
