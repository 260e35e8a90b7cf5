#include "gk/gated/daemon.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "gk/core/file.hpp"
#include "gk/core/mask.hpp"
#include "gk/gated/events.hpp"
#include "gk/net/descriptors.hpp"
#include "gk/provision/apply.hpp"

namespace gk {

Expected<std::unique_ptr<Daemon>, Fault> Daemon::create(Config config, DaemonOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec)
    return fault(db_error(DbCode::cannot_open, config.state_dir.string() + ": " + ec.message()));
  // A provisioned device runs only as the checkpoint its signed bundle names.
  if (config.provisioning.enabled())
    if (auto m = provision::apply(config); !m) return fault(m.error());
  // The files the config names, read by their own loaders: documents.
  if (auto s = preflight(config); !s) return fault(s.error());

  auto board = open_board(config, options.sim_clock_start);
  if (!board) return board.error();
  if (!board->gate_fault.empty())
    return Fault{Layer::device, hal::to_string(hal::DeviceError::io), "gate: " + board->gate_fault};
  TrustStore trust;
  if (auto s = trust.load_directory(config.trust_dir); !s) return fault(s.error());
  auto store = RevocationStore::open(config.state_dir / "revocation.db");
  if (!store) return fault(store.error());
  auto revocations = store->load();
  if (!revocations) return fault(revocations.error());
  auto journal = Journal::open(config.state_dir / "journal.db");
  if (!journal) return fault(journal.error());
  auto sync_state = sync::SyncState::open(config.state_dir / "sync.db");
  if (!sync_state) return fault(sync_state.error());
  auto alarms = AlarmBook::open(config.state_dir / "alarms.db");
  if (!alarms) return fault(alarms.error());
  std::map<Bytes, Bytes> enrolment;
  if (!config.nfc.enrolment_file.empty()) {
    auto e = load_enrolment(config.nfc.enrolment_file);
    if (!e) return fault(e.error());
    enrolment = std::move(*e);
  }
  std::optional<IdBindingKey> id_key;
  if (!config.nfc.id_card_key.empty()) {
    auto key = load_id_binding_key(config.nfc.id_card_key);
    if (!key) return fault(doc_error(key.error().code, "[nfc] id_card_key: " + key.error().detail));
    id_key = std::move(*key);
  }
  const auto site_file = config.state_dir / "site.db";
  auto daemon = std::unique_ptr<Daemon>(new Daemon(
      std::move(config), options, std::move(*board), std::move(trust), std::move(*store),
      std::move(*revocations), std::move(*journal), std::move(*sync_state), std::move(*alarms)));
  auto site = SiteStateKeeper::open(site_file, daemon->kiosk_->site_state());
  if (!site) return fault(site.error());
  daemon->site_.emplace(std::move(*site));
  daemon->applier_ = std::make_unique<SyncApplier>(SyncApplierParts{
      daemon->trust_, daemon->revocation_store_, daemon->revocations_, *daemon->site_,
      daemon->config_.site.site,
      [d = daemon.get()](std::map<Bytes, Bytes> e) { d->kiosk_->replace_enrolment(std::move(e)); },
      [d = daemon.get()](std::uint64_t number) {
        const SiteState& s = d->site_->state();
        d->outbox_.publish(site_state_event(number, s.outbreak, s.quarantined_buildings.size()));
        d->publish_state();
      }});
  for (auto& [uid, pass] : enrolment) daemon->kiosk().enrol(uid, std::move(pass));
  if (id_key) daemon->kiosk().set_id_binding_key(std::move(*id_key));
  if (auto s = daemon->start_sync(); !s) {
    Fault f = s.error();
    f.detail = "sync: " + f.detail;
    return f;
  }
  return daemon;
}

Daemon::Daemon(Config config, DaemonOptions options, Board board, TrustStore trust,
               RevocationStore store, RevocationList revocations, Journal journal,
               sync::SyncState sync_state, AlarmBook alarms)
    : config_(std::move(config)),
      options_(options),
      board_(std::move(board)),
      trust_(std::move(trust)),
      revocation_store_(std::move(store)),
      revocations_(std::move(revocations)),
      journal_(std::move(journal)),
      sync_state_(std::move(sync_state)),
      alarms_(std::move(alarms)),
      clock_(*board_.clock, std::max(config_.trusted_time_floor, sync_state_.last_trusted_time())) {
  kiosk_ = std::make_unique<Kiosk>(
      config_, trust_, revocations_, journal_,
      KioskDevices{*board_.thermometer, *board_.gate, board_.indicator.get(), clock_});
  outbox_.add(stdout_sink(options_.out ? *options_.out : std::cout));
  outbox_.add(metrics_sink(metrics_));
  outbox_.add(journald_sink(log_));
  desk_ = std::make_unique<PassageDesk>(
      *kiosk_, outbox_,
      PassageDeskHooks{[this] { return sync_ && sync_->lists_stale(); },
                       [this](const std::string& alarm, std::optional<std::int64_t> seq) {
                         raise_alarm(alarm, seq);
                       },
                       [this] { publish_state(); }, [this] { time_pulse_end(); }},
      std::chrono::milliseconds(config_.camera.dedup_window_ms));
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
  watch_journal();
  if (sync_)
    sync_->start([this](const sync::RoundResult& s) { on_sync_round(s); },
                 [this](const service::TaskFailure& f) { task_failed(f); });
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
    desk_->present(p);
  }
}

// The door watch ticks every 50 ms; a pulse ended by it would run up to 50 ms long. So the
// pulse's own end gets a timer (tests/bench/run.sh loop: within 10 ms of pulse_ms while the
// camera decodes without pause).
void Daemon::time_pulse_end() {
  if (!board_.door) return;
  pulse_timer_.expires_after(std::chrono::milliseconds(config_.gate.pulse_ms));
  pulse_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick_door();
  });
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

void Daemon::check_journal() {
  const DbStatus s = journal_.watch();
  const auto change =
      journal_watch_.observe(!s.ok(), s ? hal::DeviceError::none : hal::DeviceError::io);
  if (change == DeviceWatch::Change::none) return;
  const bool failed = change == DeviceWatch::Change::failed;
  outbox_.publish(device_event("journal", failed, hal::DeviceError::io, clock_.now()));
  if (!failed) return;
  std::cerr << "gated: journal: " << describe(fault(s.error())) << "\n";
  raise_alarm("journal_unavailable", std::nullopt);  // no row can be written: its open row only
}

void Daemon::watch_journal() {
  journal_timer_.expires_after(std::chrono::seconds(10));
  journal_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check_journal();
    watch_journal();
  });
}

void Daemon::watch_door() {
  tick_door();
  door_timer_.expires_after(std::chrono::milliseconds(50));
  door_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) watch_door();
  });
}

FaultStatus Daemon::apply_revocations(ByteView document) {
  return applier_->apply_revocations(document);
}

namespace {
// The screen's token: one line of at least 16 characters, in a file only gated can read.
DocResult<std::string> read_screen_token(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable, file + ": " + std::strerror(errno));
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure, file + ": readable by group or others (chmod 600)");
  // A regular file of a line: the token is never read from a FIFO or a device.
  auto text = read_regular_file(file, 4096);
  if (!text) return text.error();
  std::string token = text->substr(0, text->find('\n'));
  if (token.size() < 16)
    return doc_error(DocCode::schema, file + ": the token needs 16 characters or more");
  return token;
}
}  // namespace

FaultStatus Daemon::start_servers() {
  // Connections never take the descriptors the journal and the devices need.
  net::Descriptors::process().configure(128);
  if (!config_.screen.listen.empty()) {
    auto ep = parse_listen(config_.screen.listen);
    if (!ep) return fault(doc_error(ep.error().code, "[screen] listen: " + ep.error().detail));
    try {
      screen::ScreenOptions options;
      options.address = ep->address;
      options.port = ep->port;
      options.metrics = [this] { return metrics_text(); };
      options.host_names = config_.screen.host_names;
      if (!config_.screen.token_file.empty()) {
        auto token = read_screen_token(config_.screen.token_file);
        if (!token)
          return fault(
              doc_error(token.error().code, "[screen] token_file: " + token.error().detail));
        options.token = std::move(*token);
      }
      screen_ = std::make_unique<screen::ScreenServer>(io_, std::move(options));
    } catch (const std::exception& e) {
      return fault(net_error(NetCode::listen,
                             "screen server on " + config_.screen.listen + ": " + e.what()));
    }
    outbox_.add(screen_sink(*screen_));
    outbox_.publish(listening_event("screen", screen_->port()));
  }
  if (auto s = start_console(); !s) return s;
  publish_state();
  return Done{};
}

void Daemon::publish_state() {
  outbox_.publish(state_event(site_->state(), config_.checkpoint, alarms_.open_alarms(),
                              kiosk_->pending_consent().has_value()));
}

void Daemon::set_site_state(const SiteChange& change) {
  site_persisted(site_->apply_local(SiteOrigin::scenario, "scenario", change));
  publish_state();
}

void Daemon::site_persisted(const DbStatus& stored) {
  // The change is in force (the keeper changed the live state first); only a restart would
  // lose it. Said, and alarmed for the guard, who can set it again once the disk is back.
  if (stored) return;
  std::cerr << "gated: site state in force but not saved: " << describe(fault(stored.error()))
            << "\n";
  raise_alarm("site_state_unsaved", std::nullopt);
}

void Daemon::raise_alarm(const std::string& alarm, std::optional<std::int64_t> seq) {
  const AlarmBook::Raised r = alarms_.raise(alarm, seq, clock_.now());
  outbox_.publish(alarm_event(r.alarm, r.fresh));
  if (!r.persisted)
    std::cerr << "gated: alarm " << alarm << " kept in memory: alarms.db refused it\n";
}

// A supervised task threw: said in the log (with its step), counted, raised for the guard.
// The supervisor restarts it after the backoff.
void Daemon::task_failed(const service::TaskFailure& f) {
  outbox_.publish(task_failed_event(f));
  raise_alarm("task_failed", std::nullopt);
}

}  // namespace gk
