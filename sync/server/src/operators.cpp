#include "gk/upstream/operators.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "gk/core/utf8.hpp"
#include "gk/policy/site_state.hpp"

namespace gk::upstream {
namespace {
using net::Request;
using net::Response;
using nlohmann::json;

// Free text (a checkpoint's name, a quarantined building, a pass text): any UTF-8 but NUL,
// which neither store can hold as text.
constexpr std::size_t kMaxName = 256, kMaxPassText = 8192;

std::string dump(const json& j) {
  // Every string in an answer came from a parsed body or the store, both UTF-8; replace is
  // the guard that an answer is always sent rather than an exception thrown.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response answer(unsigned status, const json& body) {
  Response r;
  r.status = status;
  r.body = dump(body);
  return r;
}

Response error(unsigned status, std::string_view code, const std::string& detail) {
  return answer(status, json{{"error", code}, {"detail", detail}});
}

// One answer for every request that is not authenticated: an unknown or retired operator and
// a bad signature look the same, or the upstream tells an attacker which operator ids exist.
Response not_authenticated() {
  return error(401, "not_authenticated", "request not authenticated");
}

Response db_refusal(const DbError& e) {
  return error(e.code == DbCode::refused ? 409 : 500, code_name(e.code), e.detail);
}

std::string outcome_of(const Fault& f) {
  return std::string(layer_name(f.layer)) + "/" + std::string(f.code);
}

// The query of a target, percent-decoded ("%22" is a quote; '+' is itself). A parameter given
// twice, a key without '=' or a broken escape: nullopt.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  auto decode = [](std::string_view s) -> std::optional<std::string> {
    std::string d;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '%') {
        d.push_back(s[i]);
        continue;
      }
      unsigned v = 0;
      if (i + 2 >= s.size()) return std::nullopt;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
      d.push_back(static_cast<char>(v));
      i += 2;
    }
    return d;
  };
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    auto key = decode(kv.substr(0, eq));
    auto value = decode(kv.substr(eq + 1));
    if (!key || !value || !out.emplace(*key, *value).second) return std::nullopt;
  }
  return out;
}

// A decimal parameter, strictly (see service.cpp: "1x" must not read as 1).
std::optional<std::uint64_t> number_param(const std::map<std::string, std::string>& q,
                                          const std::string& key, std::uint64_t fallback) {
  auto it = q.find(key);
  if (it == q.end()) return fallback;
  std::uint64_t n = 0;
  const std::string& v = it->second;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

// The fields of a request body. Each getter checks its field and records the first problem;
// the route asks `bad()` once, after reading all it needs.
class Body {
 public:
  explicit Body(std::string_view text) {
    if (text.size() > kMaxOperatorBody) {
      error_ = doc_error(DocCode::too_large, "body over " + std::to_string(kMaxOperatorBody));
      return;
    }
    // nlohmann's parser refuses ill-formed UTF-8 in strings; "\u0000" reads as a NUL, which
    // the getters below refuse where it cannot stand.
    j_ = json::parse(text, nullptr, false);
    if (j_.is_discarded() || !j_.is_object())
      error_ = doc_error(DocCode::syntax, "not a JSON object");
  }
  const std::optional<DocError>& bad() const { return error_; }

  std::string id(const char* key) {
    std::string s = string(key, 64, true);
    if (!error_)
      if (auto ok = check_id(key, s); !ok) fail(key, ok.error().detail);
    return s;
  }
  std::string text(const char* key, std::size_t max, bool required) {
    return string(key, max, required);
  }
  std::vector<std::string> texts(const char* key, std::size_t max_each) {
    std::vector<std::string> out;
    const json* v = field(key, false);
    if (!v) return out;
    if (!v->is_array()) return fail(key, "not an array"), out;
    for (const auto& e : *v) {
      if (!e.is_string()) return fail(key, "not an array of strings"), out;
      out.push_back(checked(key, e.get<std::string>(), max_each));
    }
    return out;
  }
  std::vector<PassId> pass_ids(const char* key) {
    std::vector<PassId> out;
    for (const auto& s : texts(key, 32)) {
      auto id = fixed_from_hex<16>(s);
      if (!id) return fail(key, "pass ids are 32 hex digits"), out;
      out.push_back(*id);
    }
    return out;
  }
  std::optional<double> number(const char* key) {
    const json* v = field(key, false);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number()) return fail(key, "not a number"), std::nullopt;
    return v->get<double>();
  }
  const json* array(const char* key) {
    const json* v = field(key, true);
    if (v && !v->is_array()) return fail(key, "not an array"), nullptr;
    return v;
  }

 private:
  const json* field(const char* key, bool required) {
    if (error_) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }
  std::string string(const char* key, std::size_t max, bool required) {
    const json* v = field(key, required);
    if (!v) return {};
    if (!v->is_string()) return fail(key, "not a string"), std::string();
    return checked(key, v->get<std::string>(), max);
  }
  std::string checked(const char* key, std::string s, std::size_t max) {
    if (s.find('\0') != std::string::npos) fail(key, "contains NUL");
    if (s.size() > max) fail(key, "longer than " + std::to_string(max) + " bytes");
    if (!utf8::valid(s)) fail(key, "not UTF-8");
    return s;
  }
  void fail(const char* key, const std::string& why) {
    if (!error_) error_ = doc_error(DocCode::schema, std::string(key) + ": " + why);
  }
  json j_;
  std::optional<DocError> error_;
};

// What a route does once the operator is authenticated and holds the role: the target for
// the audit row and the action, or why the request is refused before any action.
struct Prepared {
  std::string target;
  std::function<DbResult<json>()> run;
  std::optional<DocError> bad = {};
};

struct Route {
  std::string_view method, path;
  unsigned roles;  // any one of them will do
  std::string_view action;
  bool audited;  // changes state, or reads a journal
  Prepared (*prepare)(UpstreamStore& store, const Request& r, UnixTime now);
};

Prepared bad(DocError e) {
  return {"", {}, std::move(e)};
}

Prepared list_devices(UpstreamStore& store, const Request&, UnixTime) {
  return {"", [&store]() -> DbResult<json> {
            const auto retired = store.retired_devices();
            json list = json::array();
            for (const Device& d : store.devices()) {
              auto r = retired.find(d.id);
              list.push_back({{"id", d.id},
                              {"public_key", to_hex(d.key)},
                              {"site", d.site},
                              {"checkpoint", d.checkpoint},
                              {"retired_at", r == retired.end() ? json() : json(r->second)}});
            }
            return json{{"devices", list}};
          }};
}

Prepared register_device(UpstreamStore& store, const Request& r, UnixTime) {
  Body b(r.body);
  Device d{b.id("id"), {}, b.id("site"), b.text("checkpoint", kMaxName, false)};
  const std::string key_hex = b.text("public_key", 64, true);
  if (b.bad()) return bad(*b.bad());
  auto key = fixed_from_hex<32>(key_hex);
  if (!key) return bad(doc_error(DocCode::schema, "public_key: 64 hex digits"));
  d.key = *key;
  return {d.id, [&store, d]() -> DbResult<json> {
            if (auto s = store.register_device(d); !s) return s.error();
            return json{{"device", d.id}, {"site", d.site}, {"registered", true}};
          }};
}

Prepared retire_device(UpstreamStore& store, const Request& r, UnixTime now) {
  Body b(r.body);
  std::string id = b.id("id");
  if (b.bad()) return bad(*b.bad());
  return {id, [&store, id, now]() -> DbResult<json> {
            if (auto s = store.retire_device(id, now); !s) return s.error();
            return json{{"device", id}, {"retired", true}};
          }};
}

Prepared revoke(UpstreamStore& store, const Request& r, UnixTime now) {
  Body b(r.body);
  auto add = b.pass_ids("add");
  auto remove = b.pass_ids("remove");
  if (b.bad()) return bad(*b.bad());
  if (add.empty() && remove.empty())
    return bad(doc_error(DocCode::schema, "nothing to revoke or unrevoke"));
  std::string target = "+" + std::to_string(add.size()) + " -" + std::to_string(remove.size());
  return {target, [&store, add, remove, now]() -> DbResult<json> {
            auto n = store.revoke(add, remove, now);
            if (!n) return n.error();
            return json{{"list", *n}, {"revoked", add.size()}, {"unrevoked", remove.size()}};
          }};
}

Prepared site_state(UpstreamStore& store, const Request& r, UnixTime now) {
  Body b(r.body);
  sync::SiteStateDoc d;
  d.site = b.id("site");
  const std::string outbreak = b.text("outbreak", 16, false);
  for (auto& q : b.texts("quarantine", kMaxName)) d.quarantined_buildings.insert(std::move(q));
  d.fever_threshold_c = b.number("fever");
  if (b.bad()) return bad(*b.bad());
  auto o = outbreak_from_string(outbreak.empty() ? "normal" : outbreak);
  if (!o) return bad(doc_error(DocCode::schema, "outbreak: normal or lockdown"));
  d.outbreak = *o;
  if (d.fever_threshold_c && !(*d.fever_threshold_c >= 35 && *d.fever_threshold_c <= 40))
    return bad(doc_error(DocCode::schema, "fever: 35..40 °C"));
  return {d.site, [&store, d, now]() -> DbResult<json> {
            auto n = store.set_site_state(d, now);
            if (!n) return n.error();
            return json{{"site", d.site},
                        {"number", *n},
                        {"outbreak", to_string(d.outbreak)},
                        {"quarantined", d.quarantined_buildings.size()}};
          }};
}

Prepared enrolment(UpstreamStore& store, const Request& r, UnixTime now) {
  Body b(r.body);
  sync::EnrolmentDoc d;
  d.site = b.id("site");
  d.passes = b.texts("passes", kMaxPassText);
  if (b.bad()) return bad(*b.bad());
  return {d.site, [&store, d, now]() -> DbResult<json> {
            auto n = store.set_enrolment(d, now);
            if (!n) return n.error();
            return json{{"site", d.site}, {"number", *n}, {"cards", d.passes.size()}};
          }};
}

Prepared trust_list(UpstreamStore& store, const Request& r, UnixTime now) {
  Body b(r.body);
  const json* keys = b.array("keys");
  if (b.bad()) return bad(*b.bad());
  std::vector<IssuerKeyInfo> infos;
  for (const auto& k : *keys) {
    if (!k.is_object()) return bad(doc_error(DocCode::schema, "keys: public key objects"));
    auto info = parse_public_key_json(dump(k));
    if (!info) return bad(doc_error(info.error().code, "keys: " + info.error().detail));
    infos.push_back(*info);
  }
  if (infos.empty()) return bad(doc_error(DocCode::schema, "keys: at least one"));
  return {std::to_string(infos.size()) + " keys", [&store, infos, now]() -> DbResult<json> {
            auto n = store.set_trust_list(infos, now);
            if (!n) return n.error();
            return json{{"number", *n}, {"keys", infos.size()}};
          }};
}

Prepared read_journal(UpstreamStore& store, const Request& r, UnixTime) {
  auto q = parse_query(r.target);
  if (!q) return bad(doc_error(DocCode::syntax, "bad query"));
  auto device = q->find("device");
  if (device == q->end()) return bad(doc_error(DocCode::schema, "device: missing"));
  if (auto ok = check_id("device", device->second); !ok)
    return bad(doc_error(DocCode::schema, ok.error().detail));
  const auto after = number_param(*q, "after", 0);
  const auto limit = number_param(*q, "limit", kDefaultPageRows);
  if (!after || !limit || *after > INT64_MAX || *limit == 0 || *limit > kMaxPageRows)
    return bad(
        doc_error(DocCode::schema, "after: a number; limit: 1.." + std::to_string(kMaxPageRows)));
  const std::string id = device->second;
  return {id, [&store, id, a = static_cast<std::int64_t>(*after), l = *limit]() -> DbResult<json> {
            json rows = json::array();
            for (const auto& p : store.journal(id, a, l))
              rows.push_back({{"seq", p.seq}, {"hash", p.hash}, {"entry", p.entry_json}});
            return json{{"device", id}, {"passages", rows}};
          }};
}

Prepared read_audit(UpstreamStore& store, const Request& r, UnixTime) {
  auto q = parse_query(r.target);
  if (!q) return bad(doc_error(DocCode::syntax, "bad query"));
  const auto after = number_param(*q, "after", 0);
  const auto limit = number_param(*q, "limit", kDefaultPageRows);
  if (!after || !limit || *after > INT64_MAX || *limit == 0 || *limit > kMaxPageRows)
    return bad(
        doc_error(DocCode::schema, "after: a number; limit: 1.." + std::to_string(kMaxPageRows)));
  return {"", [&store, a = static_cast<std::int64_t>(*after), l = *limit]() -> DbResult<json> {
            json rows = json::array();
            for (const auto& e : store.audit_log(a, l))
              rows.push_back({{"seq", e.seq},
                              {"time", e.time},
                              {"operator", e.operator_id},
                              {"action", e.action},
                              {"target", e.target},
                              {"digest", e.digest},
                              {"outcome", e.outcome}});
            return json{{"entries", rows}};
          }};
}

const Route kRoutes[] = {
    {"GET", "/v1/operator/devices", role::registrar | role::auditor, "list_devices", false,
     list_devices},
    {"POST", "/v1/operator/devices", role::registrar, "register_device", true, register_device},
    {"POST", "/v1/operator/devices/retire", role::registrar, "retire_device", true, retire_device},
    {"POST", "/v1/operator/revocations", role::publisher, "revoke", true, revoke},
    {"POST", "/v1/operator/site-state", role::publisher, "site_state", true, site_state},
    {"POST", "/v1/operator/enrolment", role::publisher, "enrolment", true, enrolment},
    {"POST", "/v1/operator/trust-list", role::publisher, "trust_list", true, trust_list},
    {"GET", "/v1/operator/journal", role::auditor, "read_journal", true, read_journal},
    {"GET", "/v1/operator/audit", role::auditor, "read_audit", false, read_audit},
};

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// The outcome of an audited step, written after it: "ok", or the failing layer and code.
// Audit-before-action, not one transaction: the stores' actions commit on their own (and a
// PostgreSQL action may take row locks of its own), so the row is committed first, as
// "pending", and settled after. A crash in between leaves "pending": the action may or may not
// have taken effect, but no action ever took effect without its row.
template <class T>
DbResult<T> audited(UpstreamStore& store, AuditEntry entry,
                    const std::function<DbResult<T>()>& action,
                    const std::function<void()>& audit_failed) {
  auto seq = store.append_audit(entry);
  if (!seq) {
    audit_failed();
    return db_error(seq.error().code, "audit: " + seq.error().detail);
  }
  auto result = action();
  const std::string outcome = result ? "ok" : outcome_of(fault(result.error()));
  // The action stands even if settling fails (it took effect); its row stays "pending".
  if (!store.settle_audit(*seq, outcome)) audit_failed();
  return result;
}
}  // namespace

std::optional<unsigned> parse_roles(std::string_view text) {
  unsigned out = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    unsigned bit = 0;
    for (unsigned r : {role::registrar, role::publisher, role::auditor})
      if (role_name(r) == name) bit = r;
    if (bit == 0 || (out & bit)) return std::nullopt;
    out |= bit;
  }
  if (out == 0) return std::nullopt;
  return out;
}

std::string_view role_name(unsigned one_role) {
  switch (one_role) {
    case role::registrar:
      return "registrar";
    case role::publisher:
      return "publisher";
    case role::auditor:
      return "auditor";
    default:
      return "";
  }
}

std::string roles_text(unsigned roles) {
  std::string out;
  for (unsigned r : {role::registrar, role::publisher, role::auditor})
    if (roles & r) out += (out.empty() ? "" : ",") + std::string(role_name(r));
  return out;
}

DbStatus check_id(std::string_view what, std::string_view id) {
  const std::string w(what);
  if (id.empty() || id.size() > 64) return db_error(DbCode::refused, w + ": 1..64 bytes");
  if (!utf8::valid(id)) return db_error(DbCode::refused, w + ": not UTF-8");
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'')
      return db_error(DbCode::refused, w + ": no control characters, quotes or backslashes");
  return Done{};
}

std::string body_digest(std::string_view body) {
  std::array<std::uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const std::uint8_t*>(body.data()),
                     body.size(), nullptr, 0);
  return to_hex(h);
}

std::string operator_canonical_request(std::string_view method, std::string_view target,
                                       std::string_view body, const std::string& operator_id,
                                       UnixTime time, const std::string& nonce) {
  std::string s = "GK-OPERATOR-v1\n";
  s.append(method).append("\n").append(target).append("\n");
  s += operator_id + "\n" + std::to_string(time) + "\n" + nonce + "\n" + body_digest(body);
  return s;
}

std::vector<std::pair<std::string, std::string>> sign_operator_request(
    std::string_view method, std::string_view target, std::string_view body,
    const std::string& operator_id, const IssuerKeyPair& key, UnixTime now) {
  std::array<std::uint8_t, 16> nonce_bytes{};
  random_fill(nonce_bytes);
  const std::string nonce = to_hex(nonce_bytes);
  const std::string msg = operator_canonical_request(method, target, body, operator_id, now, nonce);
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const std::uint8_t*>(msg.data()),
                       msg.size(), key.secret.bytes().data());
  return {{"X-GK-Operator", operator_id},
          {"X-GK-Time", std::to_string(now)},
          {"X-GK-Nonce", nonce},
          {"X-GK-Signature", to_hex(sig)}};
}

OperatorApi::OperatorApi(UpstreamStore& store, Clock clock, Log log, DeviceChanged device_changed)
    : store_(store),
      clock_(std::move(clock)),
      log_(std::move(log)),
      device_changed_(std::move(device_changed)),
      unknown_operator_key_(generate_issuer_key().info.key) {}

Response OperatorApi::handle(const Request& r) {
  const std::string id = r.header("x-gk-operator");
  const std::string t = r.header("x-gk-time");
  UnixTime time = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), time);
  auto nonce = fixed_from_hex<16>(r.header("x-gk-nonce"));
  auto sig = fixed_from_hex<64>(r.header("x-gk-signature"));
  if (id.empty() || id.size() > 64 || t.empty() || ec != std::errc() || p != t.data() + t.size() ||
      !nonce || !sig) {
    counted([](OperatorMetrics& m) { ++m.auth_refused; });
    return count(r, error(401, "bad_request",
                          "X-GK-Operator, X-GK-Time, X-GK-Nonce and X-GK-Signature are required"));
  }
  // An unknown or retired operator takes the same steps (time window, one verification)
  // against a key nobody holds, and gets the same answer as a bad signature.
  std::optional<Operator> op;
  if (check_id("operator", id)) op = store_.find_operator(id);
  if (op && op->retired_at) op.reset();
  const PublicKey& key = op ? op->key : unknown_operator_key_;
  const UnixTime now = clock_();
  auto refuse = [&](Response res, const std::string& why) {
    counted([](OperatorMetrics& m) { ++m.auth_refused; });
    if (log_) log_("operator_auth_refused", utf8::repaired(id), why);
    return count(r, std::move(res));
  };
  if (time < now - sync::kMaxClockSkewS || time > now + sync::kMaxClockSkewS)
    return refuse(error(401, "clock", "request time outside the allowed skew"), "clock");
  const std::string msg =
      operator_canonical_request(r.method, r.target, r.body, id, time, r.header("x-gk-nonce"));
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const std::uint8_t*>(msg.data()),
                                  msg.size(), key.data()) != 0 ||
      !op)
    return refuse(not_authenticated(), "bad signature, or no such operator");
  // Last, so that a forged request cannot burn a real operator's nonce.
  if (!replay_.first_use(id, r.header("x-gk-nonce"), time, now))
    return refuse(error(401, "replayed", "nonce already used (replay)"), "replayed");
  return count(r, route(r, op->id, op->roles));
}

Response OperatorApi::handle_local(const Request& r) {
  return count(r, route(r, std::string(kLocalOperator), role::all));
}

Response OperatorApi::count(const Request& r, Response res) {
  std::string_view path = path_of(r.target);
  const bool known = std::any_of(std::begin(kRoutes), std::end(kRoutes),
                                 [&](const Route& x) { return x.path == path; });
  const std::string key = std::string(known ? path : "other") + " " + std::to_string(res.status);
  counted([&](OperatorMetrics& m) { ++m.requests[key]; });
  return res;
}

Response OperatorApi::route(const Request& r, const std::string& who, unsigned roles) {
  const std::string_view path = path_of(r.target);
  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& x : kRoutes) {
    if (x.path != path) continue;
    path_known = true;
    if (x.method == r.method) route = &x;
  }
  if (!route)
    return path_known ? error(405, "method_not_allowed", "method not allowed")
                      : error(404, "not_found", "no such route");
  const UnixTime now = clock_();
  AuditEntry entry{0, now, who, std::string(route->action), "", body_digest(r.body), "pending"};
  auto audit_failed = [this] { counted([](OperatorMetrics& m) { ++m.audit_failures; }); };
  auto record = [&](std::string outcome) {
    entry.outcome = std::move(outcome);
    if (!store_.append_audit(entry)) audit_failed();
  };
  if (!(roles & route->roles)) {
    counted([](OperatorMetrics& m) { ++m.forbidden; });
    const std::string needed = roles_text(route->roles);
    // Who tried what they may not do is worth knowing: recorded, though nothing changed.
    record("forbidden");
    if (log_) log_("operator_forbidden", who, std::string(route->action));
    return answer(
        403, json{{"error", "forbidden"}, {"detail", "needs role " + needed}, {"role", needed}});
  }
  Prepared prepared = route->prepare(store_, r, now);
  entry.target = prepared.target;
  if (prepared.bad) {
    if (route->audited) record(outcome_of(fault(*prepared.bad)));
    return error(400, code_name(prepared.bad->code), prepared.bad->detail);
  }
  auto result =
      route->audited ? audited<json>(store_, entry, prepared.run, audit_failed) : prepared.run();
  if (log_ && route->audited)
    log_("operator_action", who,
         std::string(route->action) + " " + entry.target + ": " +
             (result ? "ok" : outcome_of(fault(result.error()))));
  if (!result) return db_refusal(result.error());
  const std::string_view action = route->action;
  if (device_changed_ && (action == "register_device" || action == "retire_device"))
    device_changed_(entry.target);
  return answer(200, *result);
}

OperatorMetrics OperatorApi::metrics() const {
  std::lock_guard lock(metrics_mutex_);
  return metrics_;
}

void OperatorApi::write_metrics(std::ostream& m) const {
  const OperatorMetrics counted = metrics();
  m << "# HELP gk_upstream_operator_requests_total Operator requests by route and HTTP status.\n"
       "# TYPE gk_upstream_operator_requests_total counter\n";
  for (const auto& [key, n] : counted.requests) {
    const auto sp = key.rfind(' ');
    m << "gk_upstream_operator_requests_total{route=\"" << key.substr(0, sp) << "\",status=\""
      << key.substr(sp + 1) << "\"} " << n << "\n";
  }
  m << "# HELP gk_upstream_operator_refused_total Operator requests refused, by cause.\n"
       "# TYPE gk_upstream_operator_refused_total counter\n"
    << "gk_upstream_operator_refused_total{cause=\"authentication\"} " << counted.auth_refused
    << "\n"
    << "gk_upstream_operator_refused_total{cause=\"role\"} " << counted.forbidden << "\n"
    << "# HELP gk_upstream_operator_audit_failures_total Audit rows that could not be written.\n"
       "# TYPE gk_upstream_operator_audit_failures_total counter\n"
    << "gk_upstream_operator_audit_failures_total " << counted.audit_failures << "\n";
}

DbStatus add_operator_locally(UpstreamStore& store, const Operator& op) {
  AuditEntry e{0,
               op.added_at,
               std::string(kLocalOperator),
               "add_operator",
               op.id,
               body_digest(to_hex(op.key) + " " + roles_text(op.roles)),
               "pending"};
  if (op.id == kLocalOperator) return db_error(DbCode::refused, "'local' is reserved");
  if (auto ok = check_id("operator id", op.id); !ok) return ok;
  if (op.roles == 0 || (op.roles & ~role::all)) return db_error(DbCode::refused, "roles");
  std::function<DbResult<Done>()> act = [&]() -> DbStatus { return store.add_operator(op); };
  return audited<Done>(store, e, act, nullptr);
}

DbStatus retire_operator_locally(UpstreamStore& store, const std::string& id, UnixTime now) {
  if (auto ok = check_id("operator id", id); !ok) return ok;
  AuditEntry e{0,        now, std::string(kLocalOperator), "retire_operator", id, body_digest(id),
               "pending"};
  std::function<DbResult<Done>()> act = [&]() -> DbStatus {
    return store.retire_operator(id, now);
  };
  return audited<Done>(store, e, act, nullptr);
}

}  // namespace gk::upstream
