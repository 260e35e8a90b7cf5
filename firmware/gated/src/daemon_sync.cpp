// The daemon's side of upstream sync: how verified documents from the sync client replace
// what the kiosk uses, and how sync outcomes are reported.
#include <fstream>

#include "gk/gated/daemon.hpp"
#include "gk/gated/events.hpp"

namespace gk {

FaultStatus Daemon::start_sync() {
  if (!config_.sync.enabled()) return Done{};
  auto client =
      sync::SyncClient::create(io_, config_.sync, journal_, sync_state_, clock_, applier_->hooks());
  if (!client) return client.error();  // the keys or URL it names
  sync_ = std::move(*client);
  return sync_->restore();
}

std::optional<sync::RoundResult> Daemon::sync_once() {
  if (!sync_) return std::nullopt;
  std::optional<sync::RoundResult> result;
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
    result = sync::RoundFailure{f.step, Fault{Layer::internal, "exception", "threw: " + f.what}};
  });
  io_.restart();
  while (!result && io_.run_one() > 0) {
  }
  if (!result)
    result = sync::RoundFailure{"-", Fault{Layer::internal, "unfinished", "the round did not end"}};
  on_sync_round(*result);
  return result;
}

std::optional<sync::SyncStatus> Daemon::sync_status() const {
  if (!sync_) return std::nullopt;
  return sync_->status();
}

void Daemon::on_sync_round(const sync::RoundResult& s) {
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
