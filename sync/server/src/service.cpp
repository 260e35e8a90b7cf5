#include "gk/upstream/service.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gk::upstream {
namespace {
using nlohmann::json;

Response reply(unsigned status, std::string body, std::string type = "application/json") {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(type);
  return r;
}

// The body of every refusal: {"error": a stable code, "detail": for people}. The code is the
// failing layer's (a document's "bad_signature", a store's "refused"), or one of the
// service's own for the request itself ("bad_request", "not_found", ...).
Response error(unsigned status, std::string_view code, const std::string& detail) {
  Response r;
  r.status = status;
  r.body = json{{"error", code}, {"detail", detail}}.dump();
  return r;
}

// Query parameters that are numbers. Each must be decimal digits only, or the request is
// refused: `offset=abc` or `have=1x` must not read as 0 (a resumed download would then start
// over from the beginning, or a delta be computed from the wrong list).
constexpr std::string_view kNumericParameters[] = {"have", "number", "offset"};

// "/v1/x?a=1&b=2": the path, and the query as unsigned integers (all our parameters are
// numbers, except the time nonce, which is handled by its route). Anything else: nullopt.
struct Target {
  std::string path;
  std::map<std::string, std::uint64_t> numbers;
  std::map<std::string, std::string> raw;
};
std::optional<Target> parse_target(std::string_view t) {
  if (t.empty() || t.front() != '/' || t.size() > 512) return std::nullopt;
  Target out;
  const auto q = t.find('?');
  out.path = std::string(t.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view rest = t.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string key(kv.substr(0, eq));
    std::string_view value = kv.substr(eq + 1);
    if (out.raw.count(key)) return std::nullopt;  // a parameter twice: ambiguous
    out.raw[key] = std::string(value);
    const bool numeric = std::find(std::begin(kNumericParameters), std::end(kNumericParameters),
                                   key) != std::end(kNumericParameters);
    if (!numeric) continue;
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size())
      return std::nullopt;  // not a number, or out of range: never read as 0
    out.numbers[key] = n;
  }
  return out;
}

std::string header(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// One answer for every request that is not authenticated: an unknown device and a bad
// signature must look the same, or the upstream tells an attacker which device ids exist.
Response not_authenticated() {
  return error(401, "not_authenticated", "request not authenticated");
}

// A request whose signature headers are unusable is a bad request; one whose time is out of
// the window or whose nonce was seen before is not authenticated.
unsigned status_for(DocCode code) {
  switch (code) {
    case DocCode::unknown_signer:
    case DocCode::bad_signature:
    case DocCode::clock:
    case DocCode::replayed:
      return 401;
    default:
      return 400;
  }
}
}  // namespace

std::optional<Device> DeviceCache::find(const std::string& id, UnixTime now) const {
  std::lock_guard lock(mutex_);
  auto it = kept_.find(id);
  // A clock set back counts as expired too: read again.
  if (it == kept_.end() || now < it->second.read_at || now - it->second.read_at >= ttl_s_)
    return std::nullopt;
  return it->second.device;
}

void DeviceCache::forget(const std::string& id) {
  std::lock_guard lock(mutex_);
  kept_.erase(id);
}

void DeviceCache::keep(const Device& d, UnixTime now) {
  std::lock_guard lock(mutex_);
  if (kept_.size() >= kMaxDevices && !kept_.count(d.id)) kept_.clear();
  kept_.insert_or_assign(d.id, Kept{d, now});
}

DocResult<Faults> parse_faults(std::string_view text) {
  Faults f;
  std::istringstream in{std::string(text)};
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return doc_error(DocCode::syntax, "fault without '=': " + item);
    const std::string key = item.substr(0, eq);
    double v = 0;
    try {
      std::size_t used = 0;
      v = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      return doc_error(DocCode::syntax, "fault value is not a number: " + item);
    }
    if (key == "stall_ms") {
      if (v < 0 || v > 600'000) return doc_error(DocCode::schema, "stall_ms: 0..600000");
      f.stall_ms = static_cast<int>(v);
      continue;
    }
    if (v < 0 || v > 1) return doc_error(DocCode::schema, key + ": a probability 0..1");
    if (key == "http500")
      f.http500 = v;
    else if (key == "drop_after_commit")
      f.drop_after_commit = v;
    else if (key == "stale_ack")
      f.stale_ack = v;
    else
      return doc_error(DocCode::schema, "unknown fault: " + key);
  }
  return f;
}

UpstreamService::UpstreamService(UpstreamStore& store, IssuerKeyPair authority, Clock clock,
                                 Log log)
    : store_(store),
      authority_(std::move(authority)),
      clock_(std::move(clock)),
      unknown_device_key_(generate_issuer_key().info.key),
      log_(std::move(log)),
      operators_(
          store_, clock_,
          [this](std::string_view event, const std::string& who, const std::string& detail) {
            this->log(event, who, detail);
          },
          [this](const std::string& device_id) { devices_.forget(device_id); }) {}

void UpstreamService::log(std::string_view event, const std::string& device,
                          const std::string& detail) {
  if (!log_) return;
  // error_handler_t::replace: a device id from a header may be any bytes.
  log_(json{{"time", clock_()}, {"event", event}, {"device", device}, {"detail", detail}}.dump(
      -1, ' ', false, json::error_handler_t::replace));
}

Metrics UpstreamService::metrics() const {
  std::lock_guard lock(mutex_);
  return metrics_;
}

void UpstreamService::set_faults(Faults f) {
  std::lock_guard lock(mutex_);
  faults_ = f;
}

Faults UpstreamService::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

Response UpstreamService::metrics_text() {
  const Metrics counted = metrics();
  std::ostringstream m;
  auto help = [&](const char* name, const char* type, const char* text) {
    m << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  // Label values escaped as the text format wants (backslash, quote, newline).
  auto label = [](const std::string& v) {
    std::string out;
    for (char c : v) {
      if (c == '\\' || c == '"') out.push_back('\\');
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out.push_back(c);
    }
    return out;
  };
  help("gk_upstream_rounds_total", "counter",
       "Device rounds begun (signed-time requests, alone or with a journal batch).");
  m << "gk_upstream_rounds_total " << counted.rounds << "\n";
  help("gk_upstream_requests_total", "counter", "Requests by route and HTTP status.");
  for (const auto& [key, n] : counted.requests) {
    const auto sp = key.rfind(' ');
    m << "gk_upstream_requests_total{route=\"" << label(key.substr(0, sp)) << "\",status=\""
      << key.substr(sp + 1) << "\"} " << n << "\n";
  }
  help("gk_upstream_journal_batches_total", "counter", "Journal batches received.");
  m << "gk_upstream_journal_batches_total " << counted.batches << "\n";
  help("gk_upstream_journal_batches_refused_total", "counter",
       "Journal batches refused (gap, broken link, differing re-send, store failure).");
  m << "gk_upstream_journal_batches_refused_total " << counted.batches_refused << "\n";
  const auto commits = store_.journal_commits();
  help("gk_upstream_journal_commits_total", "counter",
       "Store commits that journal batches took: on SQLite, batches that arrive together share "
       "one (group commit), so batches / commits is the mean group.");
  m << "gk_upstream_journal_commits_total " << commits.commits << "\n";
  help("gk_upstream_journal_committed_batches_total", "counter",
       "Journal batches those commits held.");
  m << "gk_upstream_journal_committed_batches_total " << commits.batches << "\n";
  help("gk_upstream_passages_ingested_total", "counter", "Passages newly stored.");
  m << "gk_upstream_passages_ingested_total " << counted.passages_ingested << "\n";
  help("gk_upstream_passages_duplicate_total", "counter", "Re-sent passages already held.");
  m << "gk_upstream_passages_duplicate_total " << counted.passages_duplicate << "\n";
  help("gk_upstream_auth_refused_total", "counter", "Requests refused by authentication.");
  m << "gk_upstream_auth_refused_total " << counted.auth_refused << "\n";
  help("gk_upstream_store_errors_total", "counter", "Store operations that failed.");
  m << "gk_upstream_store_errors_total " << counted.store_errors << "\n";
  help("gk_upstream_list_number", "gauge", "Current number of each published list.");
  m << "gk_upstream_list_number{list=\"revocations\"} " << store_.revocation_number() << "\n";
  if (auto t = store_.trust_list())
    m << "gk_upstream_list_number{list=\"trust-list\"} " << t->number << "\n";
  help("gk_upstream_device_acked", "gauge", "Highest contiguous passage acknowledged per device.");
  for (const auto& [id, d] : counted.devices)
    m << "gk_upstream_device_acked{device=\"" << label(id) << "\"} " << d.acked << "\n";
  help("gk_upstream_device_upload_lag_seconds", "gauge",
       "Seconds since each device's last journal upload here.");
  const UnixTime now = clock_();
  for (const auto& [id, d] : counted.devices)
    m << "gk_upstream_device_upload_lag_seconds{device=\"" << label(id) << "\"} "
      << (now > d.last_upload ? now - d.last_upload : 0) << "\n";
  operators_.write_metrics(m);
  return reply(200, m.str(), "text/plain; version=0.0.4");
}

bool UpstreamService::roll(double p) {
  std::lock_guard lock(mutex_);
  return roll_locked(p);
}

bool UpstreamService::roll_locked(double p) {
  return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

Response UpstreamService::handle(const Request& r) {
  // Prometheus scrapes without a device key: counters only, no personal data.
  if (r.method == "GET" && r.target == "/metrics") return metrics_text();
  // Operators authenticate as themselves, not as devices; their API counts its own requests.
  if (OperatorApi::handles(r.target)) return operators_.handle(r);
  const Faults faults = this->faults();
  std::string device_id;  // set once the request's signature is verified
  Response res = [&] {
    if (roll(faults.http500)) return error(500, "injected_fault", "injected fault");
    auto target = parse_target(r.target);
    if (!target) return error(400, "bad_request", "bad request target");
    sync::RequestAuth auth{header(r, "x-gk-device"), 0, header(r, "x-gk-nonce"),
                           header(r, "x-gk-signature")};
    const std::string t = header(r, "x-gk-time");
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), auth.time);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size())
      return error(401, "bad_request", "X-GK-Time missing or not a number");
    std::optional<Device> device;
    // An unknown device is checked against a key nobody holds, so that it takes the same
    // steps (time window, one signature verification) and gets the same answer as a
    // registered device's bad signature.
    const UnixTime now = clock_();
    auto lookup = [&](const std::string& id) -> std::optional<PublicKey> {
      device = devices_.find(id, now);
      if (!device) {
        device = store_.device(id);
        if (device) devices_.keep(*device, now);
      }
      return device ? device->key : unknown_device_key_;
    };
    const bool time_route = target->path == "/v1/time";
    auto ok =
        sync::verify_request(r.method, r.target, r.body, auth, lookup, replay_, now, !time_route);
    if (!ok) {
      count([](Metrics& m) { ++m.auth_refused; });
      const DocError& e = ok.error();
      log("auth_refused", auth.device_id, e.detail);
      if (e.code == DocCode::bad_signature || e.code == DocCode::unknown_signer)
        return not_authenticated();
      return error(status_for(e.code), code_name(e.code), e.detail);
    }
    if (!device) return not_authenticated();  // cannot happen: nobody holds that key
    if (time_route || (target->path == "/v1/journal" && target->raw.count("nonce")))
      count([](Metrics& m) { ++m.rounds; });
    device_id = device->id;
    return route(r, *device);
  }();
  // A verified device keeps its connection for its next round (ServerLimits::max_held).
  res.hold = std::move(device_id);
  {
    const auto q = r.target.find('?');
    std::string route = r.target.substr(0, q);
    // Bounded label set: known routes by name, anything else as one bucket.
    static const char* const kRoutes[] = {"/v1/time",       "/v1/revocations", "/v1/site-state",
                                          "/v1/enrolment",  "/v1/trust-list",  "/v1/journal",
                                          "/v1/journal/ack"};
    if (std::find(std::begin(kRoutes), std::end(kRoutes), route) == std::end(kRoutes))
      route = "other";
    count([&](Metrics& m) { ++m.requests[route + " " + std::to_string(res.status)]; });
  }
  res.stall_ms = std::max(res.stall_ms, faults.stall_ms);
  return res;
}

Response UpstreamService::route(const Request& r, const Device& device) {
  auto target = parse_target(r.target);
  const std::string& path = target->path;
  auto have = target->numbers.count("have") ? target->numbers.at("have") : 0;
  // A round's time: asked for alone, or with the round's first journal batch.
  auto nonce = target->raw.find("nonce");
  const bool with_time = nonce != target->raw.end();
  if (with_time && !fixed_from_hex<16>(nonce->second))
    return error(400, "bad_request", "nonce: 32 hex digits");
  if (path == "/v1/journal" && r.method == "POST")
    return journal_post(r, device, with_time ? nonce->second : std::string());
  if (r.method != "GET") return error(405, "method_not_allowed", "method not allowed");
  if (path == "/v1/journal/ack") return reply(200, json{{"acked", store_.acked(device.id)}}.dump());
  if (path == "/v1/time") {
    if (!with_time) return error(400, "bad_request", "nonce: 32 hex digits");
    return reply(200, signed_time(device, nonce->second));
  }
  if (path == "/v1/revocations") return revocations(target->numbers);
  if (path == "/v1/site-state") {
    auto d = store_.site_state(device.site);
    if (!d) return error(404, "not_found", "no site state published for " + device.site);
    return signed_doc(sync::kind::site_state, have, d->number, payload_of(*d));
  }
  if (path == "/v1/enrolment") {
    auto d = store_.enrolment(device.site);
    if (!d) return error(404, "not_found", "no enrolment published for " + device.site);
    return signed_doc(sync::kind::enrolment, have, d->number, payload_of(*d));
  }
  if (path == "/v1/trust-list") {
    auto d = store_.trust_list();
    if (!d) return error(404, "not_found", "no trust list published");
    return signed_doc(sync::kind::trust_list, have, d->number, payload_of(*d));
  }
  return error(404, "not_found", "no such route");
}

std::string UpstreamService::signed_time(const Device& device, const std::string& nonce) {
  sync::TimeDoc d{clock_(), nonce, std::nullopt};
  // Without heads the kiosk pulls every list as it would from an older upstream: a store
  // that cannot be read must never tell it that nothing is published.
  if (auto heads = store_.round_heads(device.site, device.id)) {
    d.heads = *heads;
  } else {
    count([](Metrics& m) { ++m.store_errors; });
    log("store_error", device.id, heads.error().detail);
  }
  return sync::sign_document(sync::kind::time, payload_of(d), authority_);
}

Response UpstreamService::signed_doc(std::string_view kind, std::uint64_t have,
                                     std::uint64_t number, const std::string& payload) {
  if (have == number) return reply(304, "");
  return reply(200, sync::sign_document(kind, payload, authority_));
}

Response UpstreamService::journal_post(const Request& r, const Device& device,
                                       const std::string& nonce) {
  auto batch = sync::parse_batch(r.body);
  if (!batch) return error(400, code_name(batch.error().code), batch.error().detail);
  if (batch->device_id != device.id)
    return error(403, "forbidden", "a device may only upload its own journal");
  count([](Metrics& m) { ++m.batches; });
  auto ack = store_.receive(*batch, clock_());
  if (!ack) {
    const DbError& e = ack.error();
    // "refused": not the continuation the store holds (a gap, another device's rows); any
    // other code is the store failing.
    count([&](Metrics& m) {
      ++m.batches_refused;
      if (e.code != DbCode::refused) ++m.store_errors;
    });
    log("journal_refused", device.id, e.detail);
    // A store that failed is not the device's fault: 503, and the kiosk keeps its rows for the
    // next round. Only a batch that does not continue what is held gets 409 and the mark.
    if (e.code != DbCode::refused) return error(503, code_name(e.code), e.detail);
    json refusal{
        {"error", code_name(e.code)}, {"detail", e.detail}, {"acked", store_.acked(device.id)}};
    if (!nonce.empty()) refusal["time"] = signed_time(device, nonce);
    Response res = error(409, code_name(e.code), e.detail);
    res.body = refusal.dump();
    return res;
  }
  json answer{{"acked", ack->acked}, {"accepted", ack->accepted}, {"duplicates", ack->duplicates}};
  const std::string body = answer.dump();  // the acknowledgement alone (what stale_ack replays)
  // The round's time and heads, read after the commit (so `acked` there is the new mark) and
  // bound to this request's nonce: a steady round is this one request.
  if (!nonce.empty()) answer["time"] = signed_time(device, nonce);
  Response res = reply(200, nonce.empty() ? body : answer.dump());
  const UnixTime now = clock_();
  std::lock_guard lock(mutex_);
  metrics_.passages_ingested += ack->accepted;
  metrics_.passages_duplicate += ack->duplicates;
  metrics_.devices[device.id] = {ack->acked, now};
  if (roll_locked(faults_.drop_after_commit)) res.drop_connection = true;
  // A stale answer is the device's previous acknowledgement alone: the fault is an old mark,
  // and the kiosk, finding no time bound to its nonce, asks for the time on its own.
  auto last = last_ack_.find(device.id);
  if (last != last_ack_.end() && roll_locked(faults_.stale_ack)) res.body = last->second;
  last_ack_[device.id] = body;
  return res;
}

Response UpstreamService::revocations(const std::map<std::string, std::uint64_t>& q) {
  const std::uint64_t have = q.count("have") ? q.at("have") : 0;
  const std::uint64_t current = store_.revocation_number();
  if (current == 0) return error(404, "not_found", "no revocation list published");
  if (have == current && !q.count("number")) return reply(304, "");
  std::optional<Bytes> doc;
  std::uint64_t base = have > current ? 0 : have, number = current;
  if (q.count("number")) {
    // Resuming a download: the very same bytes, or a clear "start again".
    number = q.at("number");
    base = have;
    doc = store_.cached_revocation_document(base, number);
    if (!doc) return error(410, "gone", "that list is no longer offered; start again");
  } else {
    auto d = store_.revocation_document(have, authority_, clock_());
    if (!d) {
      count([](Metrics& m) { ++m.store_errors; });
      log("store_error", "", d.error().detail);
      return error(500, code_name(d.error().code), d.error().detail);
    }
    doc = std::move(*d);
  }
  const std::uint64_t offset = q.count("offset") ? q.at("offset") : 0;
  if (offset > doc->size()) return error(416, "out_of_range", "offset past the end");
  const std::size_t n = std::min<std::size_t>(kRevocationChunkBytes, doc->size() - offset);
  Response res = reply(200, std::string(reinterpret_cast<const char*>(doc->data()) + offset, n),
                       "application/octet-stream");
  res.headers = {{"X-GK-List-Number", std::to_string(number)},
                 {"X-GK-List-Base", std::to_string(base)},
                 {"X-GK-Total-Bytes", std::to_string(doc->size())}};
  return res;
}

}  // namespace gk::upstream
