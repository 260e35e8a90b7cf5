// The daemon's side of upstream sync: how verified documents from the sync client replace
// what the kiosk uses, and how sync outcomes are reported.
#include <fstream>

#include "gk/gated/daemon.hpp"
#include "gk/gated/events.hpp"

namespace gk {

Status Daemon::start_sync() {
  if (!config_.sync.enabled()) return success();
  auto client =
      sync::SyncClient::create(io_, config_.sync, journal_, sync_state_, clock_, applier_->hooks());
  if (!client) return client.failure();
  sync_ = std::move(*client);
  return sync_->restore();
}

std::optional<Status> Daemon::sync_once() {
  if (!sync_) return std::nullopt;
  std::optional<Status> result;
  // (co_spawn wants a default-constructible result: the round reports through `result`.)
  auto run = [&]() -> boost::asio::awaitable<void> { result = co_await sync_->round(); };
  boost::asio::co_spawn(io_, run(), [&](std::exception_ptr e) {
    if (!e) return;
    // Said like a supervised task's failure (gated sync is one round: no restart).
    service::TaskFailure f{"sync", "-", "unknown exception"};
    try {
      std::rethrow_exception(e);
    } catch (const service::StepError& x) {
      f.step = x.step();
      f.what = x.what();
    } catch (const std::exception& x) {
      f.what = x.what();
    }
    task_failed(f);
    result = fail(Reason::device_fault, f.step + ": threw: " + f.what);
  });
  io_.restart();
  while (!result && io_.run_one() > 0) {
  }
  on_sync_round(result.value_or(fail(Reason::device_fault, "sync round did not finish")));
  return result;
}

std::optional<sync::SyncStatus> Daemon::sync_status() const {
  if (!sync_) return std::nullopt;
  return sync_->status();
}

void Daemon::on_sync_round(const Status& s) {
  const sync::SyncStatus st = sync_->status();
  const std::string json = sync::status_json(st);
  outbox_.publish(sync_event(st, s));
  // Raised once when the lists go stale (and again after they were fresh in between).
  if (st.stale && !lists_were_stale_) {
    const PassageOutcome o = kiosk_->record("system", Reason::lists_stale, "lists out of date");
    raise_alarm("lists_stale", o.seq);
  }
  lists_were_stale_ = st.stale;
  // For `gatectl status` and the technicians: written whole, then renamed.
  const auto file = config_.state_dir / "sync-status.json";
  {
    std::ofstream out(file.string() + ".tmp", std::ios::trunc);
    out << json << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(file.string() + ".tmp", file, ec);
}

}  // namespace gk
