// The daemon as the guard console's backend: every action is a row in the journal (through
// the kiosk, before anything happens at the gate), named with the guard's id; personal data
// the guard registers is sealed to the upstream's key before it is stored.
#include <nlohmann/json.hpp>

#include "gk/camera/image_file.hpp"
#include "gk/core/id_binding.hpp"
#include "gk/core/mask.hpp"
#include "gk/core/scrub.hpp"
#include "gk/core/seal.hpp"
#include "gk/core/utf8.hpp"
#include "gk/gated/daemon.hpp"
#include "gk/gated/events.hpp"
#include "gk/idcard/sam_reader.hpp"
#include "gk/sync/tls.hpp"

namespace gk {

using nlohmann::json;

FaultStatus Daemon::start_console() {
  const ConsoleConfig& c = config_.console;
  if (c.listen.empty()) return Done{};
  auto guards = GuardRegistry::load(c.guards_file);
  if (!guards)
    return fault(doc_error(guards.error().code, "[console] guards_file: " + guards.error().detail));
  guards_ = std::move(*guards);
  if (!config_.sync.authority_key.empty()) {
    if (auto key = load_public_key(config_.sync.authority_key)) seal_key_ = key->key;
  }
  auto ep = parse_listen(c.listen);
  if (!ep) return fault(doc_error(ep.error().code, "[console] listen: " + ep.error().detail));
  if (!c.tls_cert.empty()) {
    auto tls = sync::server_tls_context(c.tls_cert, c.tls_key);
    if (!tls) return fault(doc_error(tls.error().code, "[console] TLS: " + tls.error().detail));
    console_tls_ = std::move(*tls);
  }
  guard::ConsoleLimits limits;
  limits.session_ttl = std::chrono::seconds(c.session_ttl_s);
  limits.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  limits.login.max_failed = c.max_failed_logins;
  limits.login.lockout = std::chrono::seconds(c.lockout_s);
  limits.login.file = config_.state_dir / "console-lockouts.json";  // survives a restart
  console_api_ = std::make_unique<guard::ConsoleApi>(*this, limits, console_tls_ != nullptr);
  try {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(ep->address, ec);
    if (ec)
      return fault(doc_error(DocCode::schema, "[console] listen: not an address: " + ep->address));
    console_ = std::make_unique<guard::ConsoleServer>(
        io_, *console_api_, boost::asio::ip::tcp::endpoint(address, ep->port), console_tls_.get());
  } catch (const std::exception& e) {
    return fault(net_error(NetCode::listen, "guard console on " + c.listen + ": " + e.what()));
  }
  console_api_->serve_as(console_->port(), c.host_names);
  tick_console();
  outbox_.add(console_sink(*console_));
  outbox_.publish(listening_event("console", console_->port(), console_tls_ != nullptr));
  return Done{};
}

// The summaries of failed logins are journaled when their interval ends, with or without
// further requests.
void Daemon::tick_console() {
  console_api_->tick();
  console_timer_.expires_after(std::chrono::seconds(5));
  console_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick_console();
  });
}

Bytes Daemon::seal_personal(const std::string& text) const {
  if (!seal_key_) return {};  // no upstream: nothing but the masked fields is kept
  return seal_to(*seal_key_, as_bytes(text)).value_or(Bytes{});
}

guard::ActionResult Daemon::action_result(const PassageOutcome& o) {
  desk_->announce(o);
  const ReasonText& t = describe(o.verdict.reason);
  const bool ok = o.seq.has_value() && o.verdict.reason != Reason::journal_unavailable;
  return {ok, std::string(t.code), std::string(t.zh), std::string(t.en), o.seq, {}};
}

// A device that failed is journaled (a record row, as door alarms are), raised as the
// device_failed alarm for the guard and logged; its recovery is logged and announced. The
// alarm stays open until a guard acknowledges it, recovered or not: someone should look.
void Daemon::observe_device(DeviceWatch& watch, bool fault, hal::DeviceError error) {
  const auto change = watch.observe(fault, error);
  if (change == DeviceWatch::Change::none) return;
  const bool failed = change == DeviceWatch::Change::failed;
  outbox_.publish(device_event(watch.name(), failed, error, clock_.now()));
  if (!failed) return;
  const PassageOutcome o = kiosk_->record("system", Reason::device_fault,
                                          watch.name() + " failed: " + hal::to_string(error));
  raise_alarm("device_failed", o.seq);
}

std::function<guard::LoginCheck()> Daemon::prepare_login(std::string_view text,
                                                         std::string_view pin) {
  return
      [check = guards_.prepare(text, pin, trust_, revocations_, config_.site.site, clock_.now())] {
        guard::LoginCheck out;
        auto g = check.run(&out.registered);
        if (!g)  // `registered` is set only when the pass was a guard's and the PIN was wrong
          out.reason_code = out.registered.empty() ? std::string(code(g.reason())) : "wrong_pin";
        else
          out.guard = guard::Guard{g->guard_id, g->name};
        return out;
      };
}

// One aggregated row (guard::LoginThrottle keeps these under a budget per interval).
void Daemon::login_failed(std::string_view claimed, std::string_view detail) {
  // The claimed id is what a stranger typed: kept only as valid UTF-8, and short.
  desk_->announce(
      kiosk_->record(utf8::truncate(claimed, 64), Reason::guard_login_failed, std::string(detail)));
}

guard::ActionResult Daemon::visitor_with_consent(const guard::Guard& g, const std::string& name,
                                                 const std::string& phone,
                                                 const guard::FreeText& reason) {
  const Bytes sealed =
      seal_personal(json{{"visitor", name}, {"phone", phone}, {"reason", reason.sealed}}.dump());
  auto seq = kiosk_->await_consent({g.id, name, phone, reason.kept, sealed},
                                   std::chrono::seconds(config_.console.consent_window_s));
  if (!seq) {
    const ReasonText& t = describe(seq.reason());
    return {false, std::string(t.code), std::string(t.zh), std::string(t.en), std::nullopt, {}};
  }
  publish_state();
  outbox_.publish(consent_event(mask_name(name)));  // the kiosk screen asks for the pass
  const ReasonText& t = describe(Reason::consent_pending);
  return {true, std::string(t.code), std::string(t.zh), std::string(t.en), *seq, {}};
}

guard::ActionResult Daemon::register_without_id(const guard::Guard& g, const std::string& name,
                                                const std::string& phone,
                                                const guard::FreeText& reason) {
  json personal{{"name", name}, {"phone", phone}, {"reason", reason.sealed}};
  // A photo from the kiosk camera, for the record the upstream keeps (sealed with the rest).
  // The capture thread owns the camera while the daemon runs: its latest frame is the photo.
  if (camera_worker_) {
    const cv::Mat grey = camera_worker_->latest_frame();
    if (!grey.empty()) {
      const std::vector<std::uint8_t> jpeg = camera::encode_jpeg(grey, 80);
      if (!jpeg.empty()) personal["photo_jpeg_hex"] = to_hex(jpeg);
    }
  }
  return action_result(kiosk_->register_entrant(
      {g.id, name, phone, reason.kept, seal_personal(personal.dump()), {}}));
}

// The desk's module is read on the event loop: a guard's action, one at a time, bounded by
// 1 s a command (three commands, one retry each at most: well inside the 10 s watchdog; a
// whole read takes ~0.2 s at 115200 baud).
guard::ActionResult Daemon::register_by_id_card(const guard::Guard& g, const std::string& reason) {
  auto spec = idcard::parse_serial_device(config_.console.id_reader);
  if (!spec) return guard::ConsoleBackend::register_by_id_card(g, reason);
  idcard::SamReader reader(*spec, std::chrono::milliseconds(1000));
  auto r = reader.read_card();
  if (auto* e = std::get_if<idcard::ReadError>(&r)) {
    const ReasonText& t = describe(Reason::device_fault);
    return {false,  std::string(t.code), std::string(t.zh), std::string(t.en), std::nullopt,
            e->what};
  }
  const auto& rec = std::get<idcard::IdRecord>(r);
  const std::string today = idcard::cst_date(clock_.now());
  if (rec.expired_on(today)) {
    const PassageOutcome o = kiosk_->record(g.id, Reason::id_card_expired,
                                            "ID card " + mask_full_id_number(rec.id_number));
    guard::ActionResult a = action_result(o);
    a.ok = false;
    const ReasonText& t = describe(Reason::id_card_expired);
    a.reason = std::string(t.code), a.message_zh = std::string(t.zh),
    a.message_en = std::string(t.en);
    a.detail = mask_full_id_number(rec.id_number) + " valid until " + rec.valid_until;
    return a;
  }
  const auto age = rec.age_on(today);
  const std::string shown =
      rec.gender() + " " + (age ? std::to_string(*age) : "?") + " " + rec.district();
  // The whole record, photo included, only sealed: the kiosk cannot read it back.
  const json personal{{"name", rec.name},
                      {"gender", rec.gender_code},
                      {"ethnic", rec.ethnic_code},
                      {"birth", rec.birth},
                      {"address", rec.address},
                      {"id_number", rec.id_number},
                      {"authority", rec.authority},
                      {"valid_from", rec.valid_from},
                      {"valid_until", rec.valid_until},
                      {"photo_wlt_hex", to_hex(rec.photo_wlt)},
                      {"reason", reason}};
  // The reason as typed is sealed with the record; kept in clear only scrubbed.
  GuardRegistration reg{
      g.id, rec.name, "", scrub_personal_numbers(reason), seal_personal(personal.dump()), shown};
  guard::ActionResult a = action_result(kiosk_->register_entrant(reg));
  a.detail =
      mask_name(rec.name) + " " + shown + " " + mask_full_id_number(rec.id_number) +
      " · 依法使用身份证信息，仅限本次登记 ID data for this registration only, as the law requires";
  return a;
}

guard::ActionResult Daemon::register_delivery(const guard::Guard& g, const std::string& courier,
                                              const std::string& phone,
                                              const guard::FreeText& company) {
  const Bytes sealed = seal_personal(
      json{{"courier", courier}, {"phone", phone}, {"company", company.sealed}}.dump());
  return action_result(kiosk_->register_delivery(g.id, company.kept, sealed));
}

guard::ActionResult Daemon::manual_release(const guard::Guard& g, const std::string& reason) {
  return action_result(kiosk_->manual_release(g.id, reason));
}

guard::ActionResult Daemon::clinical_remeasure(const guard::Guard& g, std::int64_t referred_seq,
                                               double celsius) {
  auto o = kiosk_->clinical_remeasure(g.id, referred_seq, celsius);
  if (!o) return {false, "malformed", "无法复测登记", o.failure().detail, std::nullopt};
  return action_result(*o);
}

guard::ActionResult Daemon::set_outbreak(const guard::Guard& g, const std::string& outbreak,
                                         const std::vector<std::string>& buildings,
                                         const std::string& reason) {
  auto o = outbreak_from_string(outbreak);
  if (!o) return {false, "malformed", "状态无效", "Unknown outbreak state", std::nullopt, {}};
  // The detail names the buildings as JSON: a building called `3"栋] normal` cannot make
  // the row read as something else.
  const std::string detail = outbreak + " " +
                             json(buildings).dump(-1, ' ', false, json::error_handler_t::replace) +
                             " " + reason;
  PassageOutcome row = kiosk_->record(g.id, Reason::outbreak_changed, detail);
  if (!row.seq) return action_result(row);  // not journaled: not changed
  // Local until the upstream publishes a newer site state (the keeper's rule).
  site_persisted(site_->apply_local(
      SiteOrigin::guard, g.id, SiteChange{*o, {buildings.begin(), buildings.end()}, std::nullopt}));
  publish_state();
  return action_result(row);
}

guard::ActionResult Daemon::acknowledge_alarm(const guard::Guard& g, std::int64_t alarm_id) {
  auto alarm = alarms_.find(alarm_id);
  if (!alarm) return {false, "malformed", "没有这个报警", "No such open alarm", std::nullopt, {}};
  PassageOutcome row =
      kiosk_->record(g.id, Reason::alarm_acknowledged,
                     alarm->kind + " alarm " + std::to_string(alarm_id) +
                         (alarm->seq ? " (row " + std::to_string(*alarm->seq) + ")" : ""));
  if (row.seq) (void)alarms_.acknowledge(alarm_id, g.id, clock_.now());
  publish_state();
  return action_result(row);
}

std::string Daemon::state_json() {
  return state_event(site_->state(), config_.checkpoint, alarms_.open_alarms(),
                     kiosk_->pending_consent().has_value())
      .body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gk
