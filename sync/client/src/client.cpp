#include "gk/sync/client.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "gk/sync/auth.hpp"
#include "gk/sync/batch.hpp"
#include "gk/sync/tls.hpp"

namespace gk::sync {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

RoundFailure step_failure(std::string step, Fault f) {
  return {std::move(step), std::move(f)};
}

std::optional<std::uint64_t> header_number(const HttpResponse& r, const std::string& name) {
  const std::string v = r.header(name);
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

std::string http_problem(const HttpResponse& r) {
  std::string detail = "HTTP " + std::to_string(r.status);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("detail") && j["detail"].is_string())
    detail += " (" + j["detail"].get<std::string>() + ")";
  return detail;
}

// The upstream answered, but not with what the step needs.
Fault refused(const HttpResponse& r) {
  return fault(net_error(NetCode::http_status, http_problem(r)));
}

// An answer that is not what the protocol says it is.
Fault unusable(std::string detail) {
  return fault(doc_error(DocCode::schema, std::move(detail)));
}

// The list names used for ages; the envelope kinds they come in.
struct ListKind {
  std::string_view kind;
  std::string_view list;
  const char* path;
  std::uint64_t RoundHeads::*head;  // its number in the time document's heads
};
constexpr ListKind kDocuments[] = {
    {kind::site_state, "site_state", "/v1/site-state", &RoundHeads::site_state},
    {kind::trust_list, "trust_list", "/v1/trust-list", &RoundHeads::trust_list},
    {kind::enrolment, "enrolment", "/v1/enrolment", &RoundHeads::enrolment},
};

// The signed heads say the pull would answer 304 (the number held) or 404 (none published).
bool current_by_heads(const std::optional<RoundHeads>& heads, std::uint64_t RoundHeads::*head,
                      std::uint64_t have) {
  return heads && ((*heads).*head == have || (*heads).*head == 0);
}

}  // namespace

std::string describe(const RoundFailure& f) {
  return f.step + ": " + describe(f.fault);
}

std::string status_json(const SyncStatus& s) {
  auto age = [](std::int64_t a) { return a < 0 ? json(nullptr) : json(a); };
  return json{{"last_success", s.last_success},
              {"last_attempt", s.last_attempt},
              {"last_error", s.last_error},
              {"acked", s.acked},
              {"head", s.head},
              {"backlog", s.backlog()},
              {"age_s",
               {{"revocations", age(s.age_revocations)},
                {"site_state", age(s.age_site_state)},
                {"trust_list", age(s.age_trust_list)}}},
              {"revocation_list", s.revocation_number},
              {"stale", s.stale},
              {"tls",
               {{"full", s.tls.full},
                {"resumed", s.tls.resumed},
                {"declined", s.tls.declined},
                {"failed", s.tls.failed},
                {"pin_refused", s.tls.pin_refused}}},
              {"connections",
               {{"opened", s.connections.opened},
                {"requests_on_kept", s.connections.requests_on_kept},
                {"found_closed", s.connections.found_closed}}},
              {"clock_trusted", s.clock_trusted}}
      .dump(-1, ' ', false, json::error_handler_t::replace);  // last_error quotes the upstream
}

Expected<std::unique_ptr<SyncClient>, Fault> SyncClient::create(asio::io_context& io,
                                                                const SyncConfig& config,
                                                                Journal& journal, SyncState& state,
                                                                hal::TrustedClock& clock,
                                                                SyncHooks hooks) {
  auto endpoint = parse_https_url(config.url);
  if (!endpoint) return fault(endpoint.error());
  auto key = load_secret_key(config.device_key);
  if (!key) return fault(doc_error(key.error().code, "device key: " + key.error().detail));
  auto authority = load_public_key(config.authority_key);
  if (!authority)
    return fault(doc_error(authority.error().code, "authority key: " + authority.error().detail));
  std::unique_ptr<SyncClient> c(
      new SyncClient(io, config, journal, state, clock, std::move(hooks)));
  c->device_key_ = std::move(*key);
  c->authority_.add(*authority);
  c->tls_ = client_tls_context(config.pin);
  HttpLimits limits;
  limits.timeout = std::chrono::seconds(config.timeout_s);
  limits.max_body = kMaxDocumentBytes;
  c->session_ =
      std::make_unique<HttpsSession>(io.get_executor(), *c->tls_, *endpoint, limits, &c->tickets_);
  clock.raise_floor(state.last_trusted_time());
  return c;
}

SyncClient::SyncClient(asio::io_context& io, const SyncConfig& config, Journal& journal,
                       SyncState& state, hal::TrustedClock& clock, SyncHooks hooks)
    : io_(io),
      config_(config),
      journal_(journal),
      state_(state),
      clock_(clock),
      hooks_(std::move(hooks)),
      timer_(io) {}

FaultStatus SyncClient::restore() {
  for (const auto& d : kDocuments) {
    auto stored = state_.document(d.kind);
    if (!stored) continue;
    if (auto s = apply_document(d.kind, stored->envelope, true); !s) {
      Fault f = s.error();
      f.detail = "stored " + std::string(d.list) + ": " + f.detail;
      return f;
    }
  }
  return Done{};
}

asio::awaitable<NetResult<HttpResponse>> SyncClient::call(http::verb method, std::string target,
                                                          std::string body) {
  const auto verb = http::to_string(method);
  auto auth = sign_request(std::string(verb.data(), verb.size()), target, body, config_.device_id,
                           device_key_, clock_.now());
  std::vector<std::pair<std::string, std::string>> headers{{"X-GK-Device", auth.device_id},
                                                           {"X-GK-Time", std::to_string(auth.time)},
                                                           {"X-GK-Nonce", auth.nonce},
                                                           {"X-GK-Signature", auth.signature}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  co_return co_await session_->request(method, std::move(target), std::move(headers),
                                       std::move(body));
}

asio::awaitable<RoundResult> SyncClient::step(std::string name,
                                              std::function<asio::awaitable<RoundResult>()> body) {
  // An exception leaves the round named by its step, for the supervisor to report; the
  // connection is dropped so the restarted round starts clean.
  std::string what;
  try {
    if (probe_) probe_(name);
    co_return co_await body();
  } catch (const std::exception& e) {
    what = e.what();
  }
  session_->close();
  (void)state_.note_round(clock_.now(), false, name + ": threw: " + what);
  throw service::StepError(name, what);
}

asio::awaitable<RoundResult> SyncClient::round() {
  heads_.reset();
  // A steady round (the clock anchored by an earlier round's signed time, that round a
  // success, passages to send) is one request: the first journal batch asks for the round's
  // time and heads too. Any other round asks the time first, so that a kiosk whose uploads
  // keep failing still pulls its lists, and one whose clock is not yet the upstream's is
  // not refused for its request time.
  const bool steady = last_round_ok_ && clock_.anchored() && journal_.head_seq() > state_.acked();
  last_round_ok_ = false;
  RoundResult result = Done{};
  if (steady) {
    result = co_await step("journal", [this] { return push_journal(Upload::with_time); });
    // An upstream that answered without the time (an older one, a stale answer): ask it.
    if (result && !heads_) result = co_await step("time", [this] { return pull_time(); });
  } else {
    result = co_await step("time", [this] { return pull_time(); });
  }
  if (result) result = co_await step("revocations", [this] { return pull_revocations(); });
  for (const auto& d : kDocuments) {
    if (!result) break;
    result = co_await step(std::string(d.list),
                           [this, &d] { return pull_document(d.kind, d.list, d.path, d.head); });
  }
  // After a steady round's lists, the rest of its journal (if a batch did not hold it all).
  if (result)
    result = co_await step("journal", [this, steady] {
      return push_journal(steady ? Upload::continued : Upload::from_heads);
    });
  // After a success the connection is kept for the next round: the upstream holds it for
  // this device outside its connection budgets, so that round needs no TCP or TLS handshake
  // (HttpsSession replaces it if the upstream closed it meanwhile). After a failure the next
  // round starts clean, on a fresh connection resuming this one's TLS session.
  if (!result) session_->close();
  last_round_ok_ = result.ok();
  (void)state_.note_round(clock_.now(), result.ok(), result ? "" : describe(result.error()));
  if (clock_.trusted()) (void)state_.note_trusted_time(clock_.now());
  co_return result;
}

RoundResult SyncClient::take_time(std::string_view envelope, const std::string& nonce) {
  auto doc = open_time(envelope, nonce, authority_);
  if (!doc) return step_failure("time", fault(doc.error()));
  // Never backwards past what was already trusted: a replayed or wrong upstream clock
  // must not reopen expired passes.
  if (doc->time + kMaxClockSkewS < clock_.floor())
    return step_failure(
        "time", fault(doc_error(DocCode::clock, "upstream time is before the last trusted time")));
  clock_.anchor(std::max(doc->time, clock_.floor()));
  (void)state_.note_trusted_time(clock_.now());
  heads_ = doc->heads;
  return Done{};
}

asio::awaitable<RoundResult> SyncClient::pull_time() {
  const std::string nonce = fresh_nonce();
  auto res = co_await call(http::verb::get, "/v1/time?nonce=" + nonce);
  if (!res) co_return step_failure("time", fault(res.error()));
  if (res->status != 200) co_return step_failure("time", refused(*res));
  co_return take_time(res->body, nonce);
}

asio::awaitable<RoundResult> SyncClient::pull_revocations() {
  const std::uint64_t have = hooks_.revocation_number();
  auto partial = state_.partial();
  // A download of a list we already have (or passed) is useless: drop it.
  if (partial && partial->number <= have) {
    (void)state_.clear_partial();
    partial.reset();
  }
  if (!partial && current_by_heads(heads_, &RoundHeads::revocations, have)) {
    (void)state_.confirm("revocations", clock_.now());
    co_return Done{};
  }
  bool restarted = false;
  for (int chunks = 0; chunks < 100'000; ++chunks) {
    std::string target = "/v1/revocations?have=" + std::to_string(have);
    if (partial)
      target = "/v1/revocations?have=" + std::to_string(partial->base) +
               "&number=" + std::to_string(partial->number) +
               "&offset=" + std::to_string(partial->received);
    auto res = co_await call(http::verb::get, target);
    if (!res) co_return step_failure("revocations", fault(res.error()));
    if (res->status == 304 || res->status == 404) {
      (void)state_.confirm("revocations", clock_.now());
      co_return Done{};
    }
    if (res->status == 410 && !restarted) {  // the list moved on while we were resuming
      (void)state_.clear_partial();
      partial.reset();
      restarted = true;
      continue;
    }
    if (res->status != 200) co_return step_failure("revocations", refused(*res));
    auto number = header_number(*res, "x-gk-list-number");
    auto base = header_number(*res, "x-gk-list-base");
    auto total = header_number(*res, "x-gk-total-bytes");
    if (!number || !base || !total || *total > kMaxRevocationDocumentBytes || *number <= have)
      co_return step_failure("revocations",
                             unusable("answer without a sensible list number or size"));
    PartialDownload id{*base, *number, *total, 0};
    const std::uint64_t offset = partial ? partial->received : 0;
    if (auto s = state_.append_chunk(id, offset, as_bytes(res->body)); !s)
      co_return step_failure("revocations", fault(s.error()));
    partial = state_.partial();
    if (!partial || partial->received < partial->total) continue;
    if (res->body.empty() && partial->received < partial->total)
      co_return step_failure("revocations", unusable("empty chunk"));

    // Complete: verify the whole document, then apply it in one transaction.
    auto bytes = state_.assemble();
    (void)state_.clear_partial();
    if (!bytes) co_return step_failure("revocations", fault(bytes.error()));
    auto doc = parse_revocation_document(*bytes, authority_);
    if (!doc) co_return step_failure("revocations", fault(doc.error()));
    if (doc->number != *number)
      co_return step_failure("revocations", unusable("document number differs from its headers"));
    if (auto s = hooks_.revocations(*doc); !s) co_return step_failure("revocations", s.error());
    (void)state_.confirm("revocations", clock_.now());
    co_return Done{};
  }
  co_return step_failure("revocations", unusable("too many chunks"));
}

FaultStatus SyncClient::apply_document(std::string_view kind_name, const std::string& envelope,
                                       bool restoring) {
  auto payload = open_document(envelope, kind_name, authority_);
  if (!payload) return fault(payload.error());
  auto stored = state_.document(kind_name);
  const std::uint64_t have = restoring || !stored ? 0 : stored->number;
  std::uint64_t number = 0;
  FaultStatus applied = Done{};
  if (kind_name == kind::site_state) {
    auto d = parse_site_state(*payload);
    if (!d) return fault(d.error());
    number = d->number;
    if (number > have) applied = hooks_.site_state(*d);
  } else if (kind_name == kind::trust_list) {
    auto d = parse_trust_list(*payload);
    if (!d) return fault(d.error());
    number = d->number;
    if (number > have) applied = hooks_.trust_list(*d);
  } else {
    auto d = parse_enrolment(*payload);
    if (!d) return fault(d.error());
    number = d->number;
    if (number > have) applied = hooks_.enrolment(*d);
  }
  // The daemon refused what the document says (another site's state), or could not store it.
  if (!applied) return applied;
  if (number < have)  // an older list must never replace a newer one
    return fault(doc_error(DocCode::out_of_order, "list " + std::to_string(number) +
                                                      " is older than the one in use (" +
                                                      std::to_string(have) + ")"));
  if (restoring) return Done{};
  auto put = state_.put_document(kind_name, StoredDocument{number, envelope}, clock_.now());
  if (!put) return fault(put.error());
  return Done{};
}

asio::awaitable<RoundResult> SyncClient::pull_document(std::string_view kind_name,
                                                       std::string_view list, std::string path,
                                                       std::uint64_t RoundHeads::*head) {
  auto stored = state_.document(kind_name);
  if (current_by_heads(heads_, head, stored ? stored->number : 0)) {
    (void)state_.confirm(list, clock_.now());
    co_return Done{};
  }
  const std::string target = path + "?have=" + std::to_string(stored ? stored->number : 0);
  const std::string step(list);
  auto res = co_await call(http::verb::get, target);
  if (!res) co_return step_failure(step, fault(res.error()));
  if (res->status == 304 || res->status == 404) {  // current, or nothing published
    (void)state_.confirm(list, clock_.now());
    co_return Done{};
  }
  if (res->status != 200) co_return step_failure(step, refused(*res));
  if (auto s = apply_document(kind_name, res->body, false); !s)
    co_return step_failure(step, s.error());
  co_return Done{};
}

asio::awaitable<RoundResult> SyncClient::push_journal(Upload how) {
  auto read_ack = [](const json& j) -> std::optional<std::int64_t> {
    if (!j.is_object() || !j.contains("acked") || !j["acked"].is_number_integer())
      return std::nullopt;
    const auto a = j["acked"].get<std::int64_t>();
    return a >= 0 ? std::optional(a) : std::nullopt;
  };
  const std::int64_t head = journal_.head_seq();
  // The mark this device's own journal can hold; more means the upstream holds another
  // device's passages under this id.
  auto beyond_head = [head](std::int64_t acked) {
    return step_failure("journal",
                        fault(doc_error(DocCode::out_of_order,
                                        "upstream holds " + std::to_string(acked) +
                                            " passages of this device, which has only " +
                                            std::to_string(head) + " (a replaced device id?)")));
  };
  // Where the upload starts: the mark of the signed heads; from an upstream that sent none,
  // by asking; in a steady round, the mark this device recorded last (the upstream's answer
  // corrects it if it moved: a 409 carries its own).
  std::optional<std::int64_t> acked;
  if (how != Upload::from_heads) {
    acked = state_.acked();
  } else if (heads_) {
    acked = heads_->acked;
  } else {
    auto res = co_await call(http::verb::get, "/v1/journal/ack");
    if (!res) co_return step_failure("journal", fault(res.error()));
    if (res->status != 200) co_return step_failure("journal", refused(*res));
    acked = read_ack(json::parse(res->body, nullptr, false));
  }
  if (!acked) co_return step_failure("journal", unusable("acknowledgement unreadable"));
  if (*acked > head) co_return beyond_head(*acked);
  (void)state_.set_acked(*acked);
  int stuck = 0;
  while (*acked < head) {
    auto entries = journal_.entries(*acked, static_cast<std::size_t>(config_.batch_size));
    if (entries.empty()) break;
    JournalBatch batch{config_.device_id, std::move(entries)};
    const std::string nonce = how == Upload::with_time ? fresh_nonce() : std::string();
    const std::string target = nonce.empty() ? "/v1/journal" : "/v1/journal?nonce=" + nonce;
    auto post = co_await call(http::verb::post, target, encode_batch(batch));
    if (!post) co_return step_failure("journal", fault(post.error()));
    // 200: stored (or already held); 409: not the continuation the upstream expected,
    // and its body says where it stands. Either way, continue from the upstream's mark.
    if (post->status != 200 && post->status != 409)
      co_return step_failure("journal", refused(*post));
    const json answer = json::parse(post->body, nullptr, false);
    auto now_acked = read_ack(answer);
    if (!now_acked) co_return step_failure("journal", unusable("acknowledgement unreadable"));
    if (*now_acked > head) co_return beyond_head(*now_acked);
    if (how == Upload::with_time) {
      // The round's time rides on its first batch only. Without one, round() asks for it.
      if (answer.contains("time") && answer["time"].is_string())
        if (auto t = take_time(answer["time"].get<std::string>(), nonce); !t) co_return t;
      how = Upload::continued;
      acked = now_acked;
      (void)state_.set_acked(*acked);
      // The lists come before the rest of the journal, as in every round.
      co_return Done{};
    }
    stuck = *now_acked > *acked ? 0 : stuck + 1;
    if (stuck >= 3)
      co_return step_failure("journal",
                             fault(net_error(NetCode::http_status,
                                             "upstream does not advance: " + http_problem(*post))));
    acked = now_acked;
    (void)state_.set_acked(*acked);
  }
  co_return Done{};
}

SyncStatus SyncClient::status() const {
  SyncStatus s;
  const UnixTime now = clock_.now();
  s.last_success = state_.last_success();
  s.last_attempt = state_.last_attempt();
  s.last_error = state_.last_error();
  s.acked = state_.acked();
  s.head = journal_.head_seq();
  s.clock_trusted = clock_.trusted();
  s.tls = tickets_.counts();
  s.connections = session_->counts();
  s.revocation_number = hooks_.revocation_number ? hooks_.revocation_number() : 0;
  auto age = [&](std::string_view list, std::int64_t max_age, std::int64_t& out) {
    const UnixTime at = state_.confirmed_at(list);
    out = at > 0 ? std::max<std::int64_t>(0, now - at) : -1;
    if (max_age > 0 && (out < 0 || out > max_age)) s.stale = true;
  };
  age("revocations", config_.max_age_revocations_s, s.age_revocations);
  age("site_state", config_.max_age_site_state_s, s.age_site_state);
  age("trust_list", config_.max_age_trust_list_s, s.age_trust_list);
  return s;
}

std::chrono::seconds SyncClient::next_backoff() {
  // Exponential with full jitter above the minimum: many kiosks that lost the network
  // together do not all come back at the same second.
  const int exp = std::min(failures_, 20);
  const double cap = std::min<double>(config_.backoff_max_s,
                                      static_cast<double>(config_.backoff_min_s) * (1u << exp));
  ++failures_;
  std::uniform_real_distribution<double> d(config_.backoff_min_s,
                                           std::max<double>(cap, config_.backoff_min_s));
  return std::chrono::seconds(static_cast<std::int64_t>(d(rng_)));
}

void SyncClient::start(std::function<void(const RoundResult&)> on_round,
                       service::TaskFailureHandler on_failure) {
  stopped_ = false;
  service::Backoff backoff{std::chrono::seconds(config_.backoff_min_s),
                           std::chrono::seconds(config_.backoff_max_s)};
  task_ = service::spawn(
      io_.get_executor(), "sync", [this, on_round] { return loop(on_round); },
      std::move(on_failure), backoff);
}

void SyncClient::stop() {
  stopped_ = true;
  if (task_) task_->stop();
  timer_.cancel();
  session_->close();
}

asio::awaitable<void> SyncClient::loop(std::function<void(const RoundResult&)> on_round) {
  while (!stopped_) {
    RoundResult s = co_await round();
    if (stopped_) break;
    if (s && task_) task_->healthy();
    if (on_round) on_round(s);
    std::chrono::seconds delay{config_.interval_s};
    if (s)
      failures_ = 0;
    else
      delay = next_backoff();
    timer_.expires_after(delay);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace gk::sync
