// The kiosk's Prometheus metrics: counters kept as passages, alarms and sync rounds happen;
// gauges read here at scrape time from the journal, the revocation list and the sync state.
#include "gk/gated/daemon.hpp"
#include "gk/net/listener.hpp"

#ifndef GK_VERSION
#define GK_VERSION "unknown"
#endif

namespace gk {

std::string Daemon::metrics_text() {
  MetricsSnapshot s;
  s.version = GK_VERSION;
  s.board = config_.board;
  s.site = config_.site.site;
  s.checkpoint = config_.checkpoint;
  s.start_time = started_at_;
  s.journal_last_seq = journal_.head_seq();
  s.open_alarms = static_cast<std::int64_t>(alarms_.open_count());
  s.screen_clients = screen_ ? screen_->clients() : 0;
  if (board_.camera) s.devices_up.emplace_back(camera_watch_.name(), camera_watch_.up());
  if (board_.card_reader) s.devices_up.emplace_back(reader_watch_.name(), reader_watch_.up());
  if (board_.id_reader) s.devices_up.emplace_back(id_reader_watch_.name(), id_reader_watch_.up());
  s.revocation_list_number = revocations_.number();
  s.revocation_entries = revocations_.size();
  if (auto st = sync_status()) {
    s.sync_configured = true;
    s.backlog = st->backlog();
    s.last_sync_success = st->last_success;
    auto age = [](std::int64_t a) { return a < 0 ? std::nullopt : std::optional<std::int64_t>(a); };
    s.age_revocations = age(st->age_revocations);
    s.age_site_state = age(st->age_site_state);
    s.age_trust_list = age(st->age_trust_list);
    s.lists_stale = st->stale;
    s.clock_trusted = st->clock_trusted;
  }
  std::vector<const net::Listener*> listeners;
  if (screen_) listeners.push_back(&screen_->listener());
  if (console_) listeners.push_back(&console_->listener());
  return metrics_.render(s) + net::metrics_text(listeners) +
         (console_api_ ? console_api_->metrics_text() : std::string());
}

}  // namespace gk
