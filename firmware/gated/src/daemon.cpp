#include "gk/gated/daemon.hpp"

#include <sys/stat.h>

#include <fstream>
#include <iostream>

#include "gk/net/descriptors.hpp"
#include "gk/provision/apply.hpp"

namespace gk {

Result<std::unique_ptr<Daemon>> Daemon::create(Config config, DaemonOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec) return fail(Reason::journal_unavailable, config.state_dir.string() + ": " + ec.message());
  // A provisioned device runs only as the checkpoint its signed bundle names.
  if (config.provisioning.enabled())
    if (auto m = provision::apply(config); !m) return m.failure();

  auto board = open_board(config, options.sim_clock_start);
  if (!board) return board.failure();
  if (!board->gate_fault.empty()) return fail(Reason::device_fault, "gate: " + board->gate_fault);
  TrustStore trust;
  if (auto s = trust.load_directory(config.trust_dir); !s) return s.failure();
  auto store = RevocationStore::open(config.state_dir / "revocation.db");
  if (!store) return store.failure();
  auto revocations = store->load();
  if (!revocations) return revocations.failure();
  auto journal = Journal::open(config.state_dir / "journal.db");
  if (!journal) return journal.failure();
  auto sync_state = sync::SyncState::open(config.state_dir / "sync.db");
  if (!sync_state) return sync_state.failure();
  std::map<Bytes, Bytes> enrolment;
  if (!config.nfc.enrolment_file.empty()) {
    auto e = load_enrolment(config.nfc.enrolment_file);
    if (!e) return e.failure();
    enrolment = std::move(*e);
  }
  std::optional<IdBindingKey> id_key;
  if (!config.nfc.id_card_key.empty()) {
    auto key = load_id_binding_key(config.nfc.id_card_key);
    if (!key) return fail(key.reason(), "[nfc] id_card_key: " + key.failure().detail);
    id_key = std::move(*key);
  }
  auto daemon = std::unique_ptr<Daemon>(
      new Daemon(std::move(config), options, std::move(*board), std::move(trust), std::move(*store),
                 std::move(*revocations), std::move(*journal), std::move(*sync_state)));
  for (auto& [uid, pass] : enrolment) daemon->kiosk().enrol(uid, std::move(pass));
  if (id_key) daemon->kiosk().set_id_binding_key(std::move(*id_key));
  if (auto s = daemon->start_sync(); !s) return fail(s.reason(), "sync: " + s.failure().detail);
  return daemon;
}

Daemon::Daemon(Config config, DaemonOptions options, Board board, TrustStore trust,
               RevocationStore store, RevocationList revocations, Journal journal,
               sync::SyncState sync_state)
    : config_(std::move(config)),
      options_(options),
      board_(std::move(board)),
      trust_(std::move(trust)),
      revocation_store_(std::move(store)),
      revocations_(std::move(revocations)),
      journal_(std::move(journal)),
      sync_state_(std::move(sync_state)),
      clock_(*board_.clock, std::max(config_.trusted_time_floor, sync_state_.last_trusted_time())),
      dedup_(std::chrono::milliseconds(config_.camera.dedup_window_ms)) {
  kiosk_ = std::make_unique<Kiosk>(
      config_, trust_, revocations_, journal_,
      KioskDevices{*board_.thermometer, *board_.gate, board_.indicator.get(), clock_});
}

Result<std::pair<std::string, unsigned short>> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(Reason::malformed, "expected ADDRESS:PORT, got " + listen);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) return fail(Reason::malformed, "port must be 0..65535");
  return std::pair{listen.substr(0, colon), static_cast<unsigned short>(port)};
}

void Daemon::run() {
  // Before the first poll: the camera and card paths may decide a passage right away.
  log_ = service::EventLog::for_service();
  log_.write(service::Event::started, {.what = config_.board});
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  if (board_.camera) {
    // Capture and decoding run off the loop (camera_worker.hpp says why); the loop hears
    // every capture for the device watch and every frame that carried codes.
    camera_worker_ = std::make_unique<CameraWorker>(
        io_, *board_.camera, std::chrono::milliseconds(1000 / std::max(1, config_.camera.fps)),
        [this](CameraCapture c) { observe_device(camera_watch_, c.fault, c.error); },
        [this](CameraCodes c) { on_codes(c.texts); });
    camera_worker_->start();
  }
  if (board_.card_reader) {
    card_poller_ = std::make_unique<CardPoller>(io_, *board_.card_reader,
                                                std::chrono::milliseconds(config_.nfc.poll_ms),
                                                [this](hal::DeviceResult<hal::CardTap> tap) {
                                                  on_card_poll(reader_watch_, std::move(tap));
                                                });
    card_poller_->start();
  }
  if (board_.id_reader) {
    id_poller_ = std::make_unique<CardPoller>(io_, *board_.id_reader,
                                              std::chrono::milliseconds(config_.idcard.poll_ms),
                                              [this](hal::DeviceResult<hal::CardTap> tap) {
                                                on_card_poll(id_reader_watch_, std::move(tap));
                                              });
    id_poller_->start();
  }
  if (board_.door) watch_door();
  if (sync_) sync_->start([this](const Status& s) { on_sync_round(s); });
  notifier_.ready("deciding passages (board " + config_.board + ")");
  io_.run();
}

void Daemon::stop() {
  log_.write(service::Event::stopping);
  notifier_.stopping();
  if (sync_) sync_->stop();
  if (card_poller_) card_poller_->stop();
  if (id_poller_) id_poller_->stop();
  if (camera_worker_) camera_worker_->stop();
  io_.stop();
}

void Daemon::on_card_poll(DeviceWatch& watch, hal::DeviceResult<hal::CardTap> tap) {
  // "No card in the field" (not_present) and a card pulled away mid-read (removed) are the
  // reader working; timeouts and I/O errors are the reader failing.
  const auto error = hal::has_value(tap) ? hal::DeviceError::none : std::get<hal::DeviceError>(tap);
  observe_device(watch, error == hal::DeviceError::timeout || error == hal::DeviceError::io, error);
  if (hal::has_value(tap)) {
    const auto& card = std::get<hal::CardTap>(tap);
    Presentation p;
    if (card.kind == hal::CardTap::Kind::resident_id_card) {
      p.kind = CredentialKind::id_card;
      p.id_card_serial = card.id_serial;  // NFC: the serial; the SAM reader: the ID number
      p.id_number = card.id_number;
      p.id_valid_until = card.id_valid_until;
    } else {
      p.kind = card.ndef_pass.empty() ? CredentialKind::card_uid : CredentialKind::card;
      p.card_pass = card.ndef_pass;
      p.card_uid = card.uid;
    }
    present(p);
  }
}

// Ends relay pulses on time and reports door alarms as JSON lines (the guard console of the
// people issue will show and acknowledge them).
void Daemon::tick_door() {
  if (auto alarm = board_.door->tick(gpio::Door::Clock::now()); alarm != gpio::DoorAlarm::none) {
    // Journaled like every accountable event (a record row, no passage), then announced.
    const PassageOutcome o = kiosk_->record("system", Reason::door_alarm, gpio::to_string(alarm));
    raise_alarm(gpio::to_string(alarm), o.seq);
  }
}

void Daemon::watch_door() {
  tick_door();
  door_timer_.expires_after(std::chrono::milliseconds(50));
  door_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) watch_door();
  });
}

std::vector<PassageOutcome> Daemon::on_frame(const hal::GreyView& frame,
                                             std::optional<Direction> direction, bool live) {
  return on_codes(camera::texts(live ? decoder_.decode_stream(frame) : decoder_.decode(frame)),
                  direction);
}

std::vector<PassageOutcome> Daemon::on_codes(const std::vector<std::string>& texts,
                                             std::optional<Direction> direction) {
  std::vector<PassageOutcome> outcomes;
  const auto now = std::chrono::steady_clock::now();
  for (const std::string& text : texts) {
    if (!dedup_.accept(text, now)) continue;
    Presentation p;
    p.kind = CredentialKind::qr;
    p.text = text;
    p.direction = direction;
    outcomes.push_back(present(p));
  }
  return outcomes;
}

PassageOutcome Daemon::present(const Presentation& p) {
  if (sync_) kiosk_->set_lists_stale(sync_->lists_stale());
  const bool was_pending = kiosk_->pending_consent().has_value();
  PassageOutcome o = kiosk_->process(p);
  // The door watch ticks every 50 ms; a pulse ended by it would run up to 50 ms long. So the
  // pulse's own end gets a timer (tests/bench/run.sh loop: within 10 ms of pulse_ms while the
  // camera decodes without pause).
  if (o.gate_released && board_.door) {
    pulse_timer_.expires_after(std::chrono::milliseconds(config_.gate.pulse_ms));
    pulse_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick_door();
    });
  }
  emit(o);
  if (was_pending) publish_state();  // the consent was used (or expired): screens update
  return o;
}

Status Daemon::apply_revocations(ByteView document) {
  auto doc = parse_revocation_document(document, trust_);
  if (!doc) return doc.failure();
  return apply_revocation_document(*doc);
}

Status Daemon::apply_revocation_document(const RevocationDocument& doc) {
  // Disk first (one transaction), then memory: a crash in between reloads the new list.
  if (auto s = revocation_store_.apply(doc); !s) return s;
  return revocations_.apply(doc);
}

void Daemon::emit(const PassageOutcome& o) {
  const std::string line = outcome_json(o);
  emit_line(line);
  metrics_.count_decision(o.verdict.decision, o.verdict.reason);
  log_.write(
      service::Event::passage,
      {.what = to_string(o.verdict.decision), .reason = code(o.verdict.reason), .seq = o.seq});
  if (screen_) screen_->publish("passage", line);
  if (console_) console_->publish("passage", line);
  // Fever, revoked or forged passes, lockdown attempts, sensor faults: the guard must see
  // them until acknowledged, not only scroll past in the feed.
  if (o.verdict.alarm) raise_alarm(std::string(code(o.verdict.reason)), o.seq);
}

namespace {
// The screen's token: one line of at least 16 characters, in a file only gated can read.
Result<std::string> read_screen_token(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return fail(Reason::malformed, file + ": missing");
  if (st.st_mode & 077)
    return fail(Reason::malformed, file + ": readable by group or others (chmod 600)");
  if (st.st_size > 4096) return fail(Reason::malformed, file + ": over 4 KiB");
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  if (token.size() < 16)
    return fail(Reason::malformed, file + ": the token needs 16 characters or more");
  return token;
}
}  // namespace

Status Daemon::start_servers() {
  // Connections never take the descriptors the journal and the devices need.
  net::Descriptors::process().configure(128);
  if (!config_.screen.listen.empty()) {
    auto ep = parse_listen(config_.screen.listen);
    if (!ep) return fail(Reason::malformed, "[screen] listen: " + ep.failure().detail);
    try {
      screen::ScreenOptions options;
      options.address = ep->first;
      options.port = ep->second;
      options.metrics = [this] { return metrics_text(); };
      options.host_names = config_.screen.host_names;
      if (!config_.screen.token_file.empty()) {
        auto token = read_screen_token(config_.screen.token_file);
        if (!token) return fail(token.reason(), "[screen] token_file: " + token.failure().detail);
        options.token = std::move(*token);
      }
      screen_ = std::make_unique<screen::ScreenServer>(io_, std::move(options));
    } catch (const std::exception& e) {
      return fail(Reason::device_fault,
                  "screen server on " + config_.screen.listen + ": " + e.what());
    }
    emit_line(R"({"screen":{"port":)" + std::to_string(screen_->port()) + "}}");
  }
  if (auto s = start_console(); !s) return s;
  publish_state();
  return success();
}

void Daemon::publish_state() {
  if (console_) console_->publish("state", state_json());
  if (!screen_) return;
  const SiteState& site = kiosk_->site_state();
  std::string buildings = "[";
  for (const auto& b : site.quarantined_buildings)
    buildings += (buildings.size() > 1 ? "," : "") + std::string("\"") + b + "\"";
  buildings += "]";
  std::string checkpoint;
  for (char ch : config_.checkpoint)  // names come from our own config: escape quotes anyway
    checkpoint += ch == '"' || ch == '\\' ? std::string("\\") + ch : std::string(1, ch);
  screen_->publish("state", R"({"outbreak":")" + std::string(to_string(site.outbreak)) +
                                R"(","quarantined_buildings":)" + buildings + R"(,"checkpoint":")" +
                                checkpoint + "\"}");
}

void Daemon::emit_line(const std::string& json_line) {
  std::ostream& out = options_.out ? *options_.out : std::cout;
  out << json_line << std::endl;  // one line per event, flushed for pipes
}

}  // namespace gk
