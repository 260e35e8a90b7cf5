#pragma once
// gated: the kiosk daemon. It wires objects that each own one thing (README, "How the daemon
// is shaped"): the board (devices), the Kiosk (one passage end to end), the PassageDesk
// (camera and card reader -> Kiosk -> outbox), the SiteStateKeeper (the outbreak state's
// single writer, persisted), the AlarmBook (open alarms, persisted), the Outbox (every event,
// to stdout, screen, console, metrics, journald), the SyncApplier (verified documents into
// the stores) and the supervised sync client. One Boost.Asio event loop runs them all; the
// card reader is polled on a thread of its own (card_poller.hpp: libnfc blocks).
// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <ctime>
#include <iosfwd>
#include <memory>
#include <optional>

#include "gk/gated/alarms.hpp"
#include "gk/gated/board.hpp"
#include "gk/gated/camera_worker.hpp"
#include "gk/gated/card_poller.hpp"
#include "gk/gated/device_watch.hpp"
#include "gk/gated/metrics.hpp"
#include "gk/gated/outbox.hpp"
#include "gk/gated/passages.hpp"
#include "gk/gated/site_keeper.hpp"
#include "gk/gated/sync_applier.hpp"
#include "gk/guard/console_server.hpp"
#include "gk/kiosk/guards.hpp"
#include "gk/kiosk/kiosk.hpp"
#include "gk/screen/screen_server.hpp"
#include "gk/service/event_log.hpp"
#include "gk/service/notifier.hpp"
#include "gk/service/supervise.hpp"
#include "gk/sync/client.hpp"
#include "gk/sync/state.hpp"
#include "gk/trust/revocation_store.hpp"

namespace gk {

struct DaemonOptions {
  std::optional<std::int64_t> sim_clock_start;  // sim board: a manual clock from here
  std::ostream* out = nullptr;                  // JSON lines; null: stdout
};

// The files the configuration names, checked by the loaders the daemon uses (trust keys, the
// device key, guards, TLS, enrolment): what `gated config check` and Daemon::create run first.
DocStatus preflight(const Config& config);

// The daemon is also the guard console's backend: each action goes through the kiosk (and so
// through the journal) on the event loop (daemon_console.cpp).
class Daemon final : public guard::ConsoleBackend {
 public:
  // Start-up fails in the layer that failed: a config file (document), a device, a database.
  static Expected<std::unique_ptr<Daemon>, Fault> create(Config config, DaemonOptions options);

  // Starts the screen (and console) servers configured, then runs the event loop until
  // stop() or SIGINT/SIGTERM. Failures to bind are reported before the loop starts.
  FaultStatus start_servers();  // a busy port is network/listen
  void run();
  // The outbreak state as the screens show it (after a sync, a guard's change, a scenario).
  void publish_state();
  // A scenario's change of the outbreak state (through the keeper, like a guard's).
  void set_site_state(const SiteChange& change);
  void stop();
  boost::asio::io_context& io() { return io_; }

  // The camera path for one frame: decode, de-duplicate, one passage per new code.
  // `live`: a frame of a video stream (the rotating cascade); else a single still image.
  std::vector<PassageOutcome> on_frame(const hal::GreyView& frame,
                                       std::optional<Direction> direction = std::nullopt,
                                       bool live = false) {
    return desk_->on_frame(frame, direction, live);
  }
  // Codes read from one frame: de-duplicate, one passage per new code.
  std::vector<PassageOutcome> on_codes(const std::vector<std::string>& texts,
                                       std::optional<Direction> direction = std::nullopt) {
    return desk_->on_codes(texts, direction);
  }
  // The person in front of the camera left: the next code read is a new passage.
  void scene_changed() { desk_->scene_changed(); }
  // One credential, however it arrived.
  PassageOutcome present(const Presentation& p) { return desk_->present(p); }
  // Applies a signed revocation document (snapshot or delta) and persists it.
  FaultStatus apply_revocations(ByteView document);
  // One sync round now (gated sync --once); nullopt when [sync] is not configured.
  std::optional<sync::RoundResult> sync_once();
  std::optional<sync::SyncStatus> sync_status() const;
  // GET /metrics on the screen server (daemon_metrics.cpp).
  std::string metrics_text();

  // guard::ConsoleBackend
  std::function<guard::LoginCheck()> prepare_login(std::string_view staff_pass_text,
                                                   std::string_view pin) override;
  void login_failed(std::string_view claimed_guard, std::string_view reason_code) override;
  guard::ActionResult visitor_with_consent(const guard::Guard& g, const std::string& name,
                                           const std::string& phone,
                                           const guard::FreeText& reason) override;
  guard::ActionResult register_without_id(const guard::Guard& g, const std::string& name,
                                          const std::string& phone,
                                          const guard::FreeText& reason) override;
  guard::ActionResult register_delivery(const guard::Guard& g, const std::string& courier,
                                        const std::string& phone,
                                        const guard::FreeText& company) override;
  guard::ActionResult manual_release(const guard::Guard& g, const std::string& reason) override;
  guard::ActionResult clinical_remeasure(const guard::Guard& g, std::int64_t referred_seq,
                                         double celsius) override;
  guard::ActionResult set_outbreak(const guard::Guard& g, const std::string& outbreak,
                                   const std::vector<std::string>& quarantined_buildings,
                                   const std::string& reason) override;
  guard::ActionResult acknowledge_alarm(const guard::Guard& g, std::int64_t alarm_id) override;
  guard::ActionResult register_by_id_card(const guard::Guard& g,
                                          const std::string& reason) override;
  std::string state_json() override;

  Board& board() { return board_; }
  Kiosk& kiosk() { return *kiosk_; }
  Journal& journal() { return journal_; }
  AlarmBook& alarms() { return alarms_; }
  SiteStateKeeper& site() { return *site_; }
  Outbox& outbox() { return outbox_; }
  Metrics& metrics() { return metrics_; }
  sync::SyncClient* sync_client() { return sync_.get(); }
  // Raises an alarm for the guard (persisted, announced) and reports a supervised task
  // that threw (logged, counted, alarmed).
  void raise_alarm(const std::string& alarm, std::optional<std::int64_t> seq);
  void site_persisted(const DbStatus& stored);  // says and alarms a change not saved
  void task_failed(const service::TaskFailure& f);
  // The journal's watch between passages (every 10 s while running): a journal truncated or
  // replaced while nobody passes is said at once (the device event "journal", the
  // journal_unavailable alarm), not found by the next resident at a shut gate.
  void check_journal();

 private:
  Daemon(Config config, DaemonOptions options, Board board, TrustStore trust, RevocationStore store,
         RevocationList revocations, Journal journal, sync::SyncState sync_state, AlarmBook alarms);
  FaultStatus start_sync();
  void on_sync_round(const sync::RoundResult& s);
  void on_card_poll(DeviceWatch& watch, hal::DeviceResult<hal::CardTap> tap);
  void watch_door();
  void watch_journal();
  void tick_console();
  void tick_door();  // ends a due relay pulse, reports a new door alarm
  void time_pulse_end();
  void observe_device(DeviceWatch& watch, bool fault, hal::DeviceError error);
  FaultStatus start_console();
  guard::ActionResult action_result(const PassageOutcome& o);
  Bytes seal_personal(const std::string& json) const;

  boost::asio::io_context io_;
  boost::asio::signal_set signals_{io_, SIGINT, SIGTERM};
  boost::asio::steady_timer door_timer_{io_};
  boost::asio::steady_timer console_timer_{io_};  // journals failed-login summaries
  boost::asio::steady_timer pulse_timer_{io_};    // ends a relay pulse on time
  service::SystemdNotifier notifier_{io_};        // READY/STOPPING/WATCHDOG when under systemd
  service::EventLog log_;  // silent until run(): one-shot modes keep their output
  Config config_;
  DaemonOptions options_;
  Board board_;
  TrustStore trust_;
  RevocationStore revocation_store_;
  RevocationList revocations_;
  Journal journal_;
  sync::SyncState sync_state_;
  AlarmBook alarms_;
  hal::TrustedClock clock_;  // the board's clock, corrected by the upstream's signed time
  Metrics metrics_;
  std::unique_ptr<Kiosk> kiosk_;
  std::optional<SiteStateKeeper> site_;  // writes the kiosk's SiteState: after kiosk_
  std::unique_ptr<SyncApplier> applier_;
  std::unique_ptr<sync::SyncClient> sync_;
  std::unique_ptr<screen::ScreenServer> screen_;
  GuardRegistry guards_;
  std::unique_ptr<boost::asio::ssl::context> console_tls_;
  std::unique_ptr<guard::ConsoleApi> console_api_;
  std::unique_ptr<guard::ConsoleServer> console_;
  Outbox outbox_;  // after the servers its sinks write to: destroyed before them
  std::unique_ptr<PassageDesk> desk_;
  std::optional<PublicKey> seal_key_;  // the upstream's key for personal data
  bool lists_were_stale_ = false;
  DeviceWatch camera_watch_{"camera"};
  DeviceWatch journal_watch_{"journal", 1};  // a latched failure: no noise to ride out
  boost::asio::steady_timer journal_timer_{io_};
  DeviceWatch reader_watch_{"card_reader"};
  std::unique_ptr<CardPoller> card_poller_;  // after board_: stopped before the reader goes
  DeviceWatch id_reader_watch_{"id_reader"};
  std::unique_ptr<CardPoller> id_poller_;        // the certified ID-card reader, if configured
  std::unique_ptr<CameraWorker> camera_worker_;  // after board_: stopped before the camera goes
  std::int64_t started_at_ = static_cast<std::int64_t>(std::time(nullptr));
};

}  // namespace gk
