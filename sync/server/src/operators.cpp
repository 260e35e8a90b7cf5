// The operators' API around its routes (operator_routes.cpp): request signatures, the
// operator's authentication and roles, the write-ahead audit row of every action, and the
// counters. The root of operator trust (add/retire_operator_locally) is audited the same way.
#include "gk/upstream/operators.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "gk/core/utf8.hpp"
#include "operator_routes.hpp"

namespace gk::upstream {
namespace {
using net::Request;
using net::Response;
using nlohmann::json;

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
  // audit_failed: the API's counter; the local commands (none) see the error returned, or,
  // when only settling failed, a row left "pending" that the audit log shows.
  auto seq = store.append_audit(entry);
  if (!seq) {
    if (audit_failed) audit_failed();
    return db_error(seq.error().code, "audit: " + seq.error().detail);
  }
  auto result = action();
  const std::string outcome = result ? "ok" : outcome_of(fault(result.error()));
  // The action stands even if settling fails (it took effect); its row stays "pending".
  if (!store.settle_audit(*seq, outcome) && audit_failed) audit_failed();
  return result;
}
}  // namespace

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
  const std::string nonce = sync::fresh_nonce();
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
  // Last, so that a forged request cannot burn a real operator's nonce. Claimed in the store,
  // not in this instance's memory: instances behind one load balancer share the database, and
  // a request replayed to another instance must meet the same refusal. A store that cannot
  // answer refuses the request (fail closed).
  auto fresh =
      store_.claim_operator_nonce(id, r.header("x-gk-nonce"), time, now - 2 * sync::kMaxClockSkewS);
  if (!fresh) {
    if (log_) log_("store_error", utf8::repaired(id), fresh.error().detail);
    return count(r, error(503, code_name(fresh.error().code), fresh.error().detail));
  }
  if (!*fresh) return refuse(error(401, "replayed", "nonce already used (replay)"), "replayed");
  return count(r, route(r, op->id, op->roles));
}

Response OperatorApi::count(const Request& r, Response res) {
  std::string_view path = path_of(r.target);
  const auto all = routes::all();
  const bool known =
      std::any_of(all.begin(), all.end(), [&](const routes::Route& x) { return x.path == path; });
  const std::string key = std::string(known ? path : "other") + " " + std::to_string(res.status);
  counted([&](OperatorMetrics& m) { ++m.requests[key]; });
  return res;
}

Response OperatorApi::route(const Request& r, const std::string& who, unsigned roles) {
  const std::string_view path = path_of(r.target);
  const routes::Route* route = nullptr;
  bool path_known = false;
  for (const routes::Route& x : routes::all()) {
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
  routes::Prepared prepared = route->prepare(store_, r, now);
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

DbStatus register_device_locally(UpstreamStore& store, const Device& d, UnixTime now) {
  if (auto ok = check_id("device id", d.id); !ok) return ok;
  if (auto ok = check_id("site", d.site); !ok) return ok;
  if (auto ok = check_name("checkpoint", d.checkpoint); !ok) return ok;
  // The digest covers what was registered, as the API's covers its request body.
  AuditEntry e{0,
               now,
               std::string(kLocalOperator),
               "register_device",
               d.id,
               body_digest(to_hex(d.key) + " " + d.site + " " + d.checkpoint),
               "pending"};
  std::function<DbResult<Done>()> act = [&]() -> DbStatus { return store.register_device(d); };
  return audited<Done>(store, e, act, nullptr);
}

}  // namespace gk::upstream
