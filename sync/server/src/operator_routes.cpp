// The operators' routes (sync/PROTOCOL.md "Operators"): each reads and checks its request's
// body or query and prepares the store action. Run by OperatorApi (operators.cpp).
#include "operator_routes.hpp"

#include <charconv>
#include <map>

#include "gk/core/utf8.hpp"
#include "gk/policy/site_state.hpp"
#include "gk/upstream/operators.hpp"

namespace gk::upstream::routes {
namespace {
using net::Request;
using nlohmann::json;

// Free text (a checkpoint's name, a quarantined building, a pass text): any UTF-8 but NUL,
// which neither store can hold as text.
constexpr std::size_t kMaxName = kMaxNameBytes, kMaxPassText = 8192;
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
    // check_id's detail names the field already.
    if (!error_)
      if (auto ok = check_id(key, s); !ok) error_ = doc_error(DocCode::schema, ok.error().detail);
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
  // The publisher's id for this publish (a re-send is recognised by it): 32 hex, optional.
  const std::string request = b.text("request", 32, false);
  if (b.bad()) return bad(*b.bad());
  if (add.empty() && remove.empty())
    return bad(doc_error(DocCode::schema, "nothing to revoke or unrevoke"));
  if (!request.empty() && !fixed_from_hex<16>(request))
    return bad(doc_error(DocCode::schema, "request: 32 hex digits"));
  std::string target = "+" + std::to_string(add.size()) + " -" + std::to_string(remove.size());
  return {target, [&store, add, remove, now, request]() -> DbResult<json> {
            auto n = store.revoke(add, remove, now, request);
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
    auto info = parse_public_key_json(k.dump(-1, ' ', false, json::error_handler_t::replace));
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

}  // namespace

std::span<const Route> all() {
  return kRoutes;
}

}  // namespace gk::upstream::routes
